import { and, count, eq, gte } from 'drizzle-orm';
import { storeTokenCallback } from '../cards/token-callback';
import type { ServiceContext } from '../context';
import { type Database, isDuplicateKey } from '../db/client';
import { paymentEvents } from '../db/schema';
import { AppError } from '../lib/errors';
import { jsonDeeperThan, MAX_JSON_DEPTH } from '../lib/json-depth';
import type { Logger } from '../lib/logger';
import { formatMinor, isCurrency } from '../lib/money';
import { factsFromResponseQuery, factsFromTransaction } from '../paymob/events';
import { verifyPaymobHmac } from '../paymob/hmac';
import { CallbackEnvelope, PaymobToken, PaymobTransaction, ResponseCallbackQuery } from '../paymob/schemas';
import { applyPaymentEvent } from './apply-event';
import type { PaymentResult } from './result-page';

/** docs/api.md §4.4: PayMob's callbacks are small; anything larger is not one. */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;
// Unsigned bodies on this public endpoint (unknown types, no type) are kept as a bounded sample: at most
// this many per hour, each at most this large (larger ones keep their first KiB as text); the rest are
// only counted in a log line (docs/paymob.md §6).
export const MAX_UNVERIFIED_PER_HOUR = 200;
export const MAX_UNVERIFIED_STORED_BYTES = 8 * 1024;
const UNVERIFIED_SAMPLE_CHARS = 1024;
const HOUR_MS = 60 * 60 * 1000;
/** The challenge of the webhook's 401 (docs/api.md §1 convention; docs/paymob.md §6). */
export const WEBHOOK_CHALLENGE = { 'WWW-Authenticate': 'HMAC-SHA512 realm="paymob-webhook"' };

const malformed = (detail: string) => new AppError(400, 'malformed_callback', detail);
const badSignature = () =>
  new AppError(401, 'invalid_signature', 'The callback signature (hmac) is missing or does not match.', {
    headers: WEBHOOK_CHALLENGE,
  });

/** Every refused callback or redirect leaves one log line with a reason code (never the body or the hmac). */
function refuse(
  logger: Logger,
  callback: 'processed' | 'response',
  reason: string,
  error: AppError,
  fields: Record<string, string | number | undefined> = {},
): AppError {
  logger.warn('paymob callback refused', { callback, reason, status: error.status, ...fields });
  return error;
}

/**
 * Stores an unsigned body (unknown type, or no type) as a bounded sample: at most MAX_UNVERIFIED_PER_HOUR
 * per hour (the count and the insert are not atomic, so concurrent bodies may pass the cap by a few), a
 * large body as its first KiB of text. Returns false when the cap left it unstored.
 */
async function storeUnverified(
  ctx: ServiceContext,
  event: { paymobTransactionId: number; kind: string; type: string },
  parsed: unknown,
  text: string,
  bytes: number,
): Promise<boolean> {
  const since = new Date(ctx.now.getTime() - HOUR_MS);
  const [stored] = await ctx.db
    .select({ n: count() })
    .from(paymentEvents)
    .where(and(eq(paymentEvents.outcome, 'unverified'), gte(paymentEvents.receivedAt, since)));
  if ((stored?.n ?? 0) >= MAX_UNVERIFIED_PER_HOUR) {
    ctx.logger.warn('unverified callback acknowledged but not stored (hourly sample full)', {
      kind: event.kind.slice(0, 32),
      bytes,
    });
    return false;
  }
  const rawBody =
    bytes <= MAX_UNVERIFIED_STORED_BYTES
      ? parsed
      : { truncated: true, length: text.length, text: text.slice(0, UNVERIFIED_SAMPLE_CHARS) };
  await storeUnapplied(
    ctx.db,
    ctx.now,
    {
      ...event,
      paymobOrderId: null,
      message: 'unverified callback (no known signature scheme)',
      outcome: 'unverified',
    },
    rawBody,
  );
  return true;
}

/** Stores a callback that changes no transaction (unverified bodies); a redelivery is a no-op. */
async function storeUnapplied(
  db: Database,
  now: Date,
  event: {
    paymobTransactionId: number;
    kind: string;
    type: string;
    paymobOrderId: number | null;
    message: string;
    outcome?: 'ignored' | 'unverified';
  },
  rawBody: unknown,
): Promise<void> {
  try {
    await db.insert(paymentEvents).values({
      paymobTransactionId: event.paymobTransactionId,
      kind: event.kind.slice(0, 32),
      source: 'processed_callback',
      type: event.type.slice(0, 32),
      paymobOrderId: event.paymobOrderId,
      outcome: event.outcome ?? 'ignored',
      message: event.message,
      rawBody,
      receivedAt: now,
    });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
}

const safeId = (value: unknown): number | null =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
    ? value
    : typeof value === 'string' && /^\d{1,15}$/.test(value)
      ? Number(value)
      : null;

/**
 * The callbacks' context: the status e-mail is queued after the answer (`ctx.defer`), so PayMob and the
 * browser get their answer without waiting for the queue.
 */
const answeringFirst = (ctx: ServiceContext): ServiceContext => ({
  ...ctx,
  notify: (message) => ctx.defer(ctx.notify(message)),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The transaction-processed callback (docs/api.md §4.4 steps 1–5; tolerance rules docs/paymob.md §6). The body
 * is read as JSON whatever its Content-Type. Throws 400 (not JSON, not an object, too deep, a TRANSACTION or
 * TOKEN without obj or hmac), 401 (bad signature) or 413; otherwise the callback is stored (and, when
 * signed, applied) and the route answers 200. A body without `type`, or of a type we do not handle, is
 * stored unverified (a bounded sample) and acknowledged.
 */
export async function handleProcessedCallback(
  ctx: ServiceContext,
  input: { hmac: string | undefined; body: ArrayBuffer; contentType?: string },
): Promise<void> {
  const log = ctx.logger;
  if (input.body.byteLength > MAX_WEBHOOK_BODY_BYTES) {
    throw refuse(
      log,
      'processed',
      'too_large',
      new AppError(
        413,
        'payload_too_large',
        `The request body is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes.`,
      ),
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(input.body);
  } catch {
    throw refuse(log, 'processed', 'not_utf8', malformed('The callback body is not valid UTF-8.'));
  }
  // Any Content-Type is read as JSON here, so the body guard's depth check (JSON media type only) is repeated.
  if (jsonDeeperThan(text, MAX_JSON_DEPTH)) {
    throw refuse(
      log,
      'processed',
      'too_deep',
      malformed(`The callback body nests deeper than ${MAX_JSON_DEPTH} levels.`),
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw refuse(log, 'processed', 'not_json', malformed('The callback body is not valid JSON.'), {
      content_type: input.contentType?.slice(0, 64),
    });
  }
  if (!isRecord(parsed)) {
    throw refuse(log, 'processed', 'not_object', malformed('The callback body must be a JSON object.'));
  }
  if (parsed.type === undefined || parsed.type === null) {
    // No `type`: not a shape we know (PayMob's plugin also handles {intention, transaction, hmac}; F12).
    // Acknowledged so nobody retries it for ever; kept unverified, never acted upon.
    const inner = isRecord(parsed.transaction)
      ? parsed.transaction
      : isRecord(parsed.obj)
        ? parsed.obj
        : parsed;
    await storeUnverified(
      ctx,
      { paymobTransactionId: safeId(inner.id) ?? 0, kind: 'other:untyped', type: 'UNTYPED' },
      parsed,
      text,
      input.body.byteLength,
    );
    return;
  }
  const envelope = CallbackEnvelope.safeParse(parsed);
  if (!envelope.success) {
    throw refuse(
      log,
      'processed',
      'bad_envelope',
      malformed('The callback needs a "type" and an "obj" object.'),
    );
  }
  const { type, obj } = envelope.data;

  /** 400 without an hmac, 401 when it does not match. */
  const requireSignature = async (signed: 'TRANSACTION' | 'TOKEN') => {
    if (!input.hmac)
      throw refuse(log, 'processed', 'no_hmac', malformed('The callback has no hmac query parameter.'));
    // Signed over the values exactly as received: `obj` straight from JSON.parse, never the zod output.
    if (!(await verifyPaymobHmac(ctx.config.PAYMOB_HMAC_SECRET, signed, obj, input.hmac))) {
      throw refuse(log, 'processed', 'bad_signature', badSignature(), { type });
    }
  };

  if (type === 'TRANSACTION') {
    await requireSignature(type);
    const transaction = PaymobTransaction.safeParse(obj);
    if (!transaction.success) {
      throw refuse(
        log,
        'processed',
        'missing_fields',
        malformed('The transaction object lacks required fields.'),
        {
          type,
        },
      );
    }
    await applyPaymentEvent(answeringFirst(ctx), {
      source: 'processed_callback',
      type,
      facts: factsFromTransaction(transaction.data),
      rawBody: parsed,
    });
    return;
  }
  if (type === 'TOKEN') {
    await requireSignature(type);
    const token = PaymobToken.safeParse(obj);
    if (!token.success)
      throw refuse(log, 'processed', 'missing_fields', malformed('The token object lacks an id.'), { type });
    // docs/api.md "Saved cards": stored as the customer's card, or as an ignored event with its reason.
    await storeTokenCallback(ctx, obj, parsed);
    return;
  }
  // A type we do not handle: acknowledged and kept (answering 4xx would make PayMob retry forever). Its
  // signature scheme is unknown, so it is stored as unverified (a bounded sample) and never acted upon.
  await storeUnverified(
    ctx,
    { paymobTransactionId: safeId(obj.id) ?? 0, kind: `other:${type.toLowerCase()}`, type },
    parsed,
    text,
    input.body.byteLength,
  );
}

// The redirect's dotted keys; PHP-based proxies and at least one public PayMob emulator turn the dots into
// underscores (`source_data_pan`). The HMAC covers the values, not the key names (docs/paymob.md §6).
const DOTTED_REDIRECT_KEYS = ['source_data.pan', 'source_data.sub_type', 'source_data.type', 'data.message'];

/** The redirect's query with underscore spellings of the dotted keys read as the dotted ones. */
export function normalizeRedirectQuery(query: Record<string, string>): Record<string, string> {
  const normalized = { ...query };
  for (const key of DOTTED_REDIRECT_KEYS) {
    const underscored = key.replaceAll('.', '_');
    if (normalized[key] === undefined && normalized[underscored] !== undefined) {
      normalized[key] = normalized[underscored];
      delete normalized[underscored];
    }
  }
  return normalized;
}

/**
 * The transaction-response callback (docs/api.md §4.5): the browser's signed redirect. Applies the same idempotent
 * update as the processed callback and returns what the result page shows. Throws 400 on a bad signature.
 */
export async function handleResponseCallback(
  ctx: ServiceContext,
  received: Record<string, string>,
): Promise<PaymentResult> {
  const query = normalizeRedirectQuery(received);
  const hmac = query.hmac;
  if (!hmac)
    throw refuse(ctx.logger, 'response', 'no_hmac', malformed('The payment result has no signature.'));
  if (!(await verifyPaymobHmac(ctx.config.PAYMOB_HMAC_SECRET, 'RESPONSE', query, hmac))) {
    throw refuse(
      ctx.logger,
      'response',
      'bad_signature',
      new AppError(400, 'invalid_signature', 'The payment result’s signature does not match.'),
    );
  }
  const parsed = ResponseCallbackQuery.safeParse(query);
  if (!parsed.success) {
    throw refuse(
      ctx.logger,
      'response',
      'missing_fields',
      malformed('The payment result lacks required fields.'),
    );
  }
  const facts = factsFromResponseQuery(parsed.data);
  const result = await applyPaymentEvent(answeringFirst(ctx), {
    source: 'response_callback',
    type: 'TRANSACTION',
    facts,
    rawBody: query,
  });
  const txn = result.transaction;
  if (!txn || result.outcome === 'unmatched' || result.outcome === 'anomaly') {
    return { status: 'unmatched', merchantOrderId: facts.merchantOrderId ?? undefined };
  }
  return {
    transactionId: txn.id,
    merchantOrderId: txn.merchantOrderId,
    status: txn.status,
    amount: isCurrency(txn.currency) ? formatMinor(txn.amountCents, txn.currency) : undefined,
    currency: txn.currency,
    failureReason: txn.status === 'failed' ? txn.failureReason : null,
  };
}
