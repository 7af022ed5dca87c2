import type { Database } from '../db/client';
import { isDuplicateKey } from '../db/client';
import { paymentEvents } from '../db/schema';
import { AppError } from '../lib/errors';
import { formatMinor, isCurrency } from '../lib/money';
import { factsFromResponseQuery, factsFromTransaction } from '../paymob/events';
import { verifyPaymobHmac } from '../paymob/hmac';
import { CallbackEnvelope, PaymobToken, PaymobTransaction, ResponseCallbackQuery } from '../paymob/schemas';
import { type ApplyEventContext, applyPaymentEvent } from './apply-event';
import type { PaymentResult } from './result-page';

/** docs/api.md §4.4: PayMob's callbacks are small; anything larger is not one. */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

export interface WebhookContext extends ApplyEventContext {
  hmacSecret: string;
}

const malformed = (detail: string) => new AppError(400, 'malformed_callback', detail);
const badSignature = () =>
  new AppError(401, 'invalid_signature', 'The callback signature (hmac) is missing or does not match.');

/** Stores a verified callback that changes no transaction (TOKEN, unknown types); a redelivery is a no-op. */
async function storeUnapplied(
  db: Database,
  now: Date,
  event: {
    paymobTransactionId: number;
    kind: string;
    type: string;
    paymobOrderId: number | null;
    message: string;
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
      outcome: 'ignored',
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
 * The transaction-processed callback (docs/api.md §4.4 steps 1–5). Throws 400 (malformed, no hmac), 401 (bad
 * signature) or 413; otherwise the callback is stored (and applied) and the route answers 200.
 */
export async function handleProcessedCallback(
  ctx: WebhookContext,
  input: { hmac: string | undefined; body: ArrayBuffer },
): Promise<void> {
  if (input.body.byteLength > MAX_WEBHOOK_BODY_BYTES) {
    throw new AppError(
      413,
      'payload_too_large',
      `The request body is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(input.body));
  } catch {
    throw malformed('The callback body is not valid JSON.');
  }
  const envelope = CallbackEnvelope.safeParse(parsed);
  if (!envelope.success) throw malformed('The callback needs a "type" and an "obj" object.');
  if (!input.hmac) throw malformed('The callback has no hmac query parameter.');
  const { type, obj } = envelope.data;

  if (type === 'TRANSACTION') {
    // Signed over the values exactly as received: `obj` straight from JSON.parse, never the zod output.
    if (!(await verifyPaymobHmac(ctx.hmacSecret, 'TRANSACTION', obj, input.hmac))) throw badSignature();
    const transaction = PaymobTransaction.safeParse(obj);
    if (!transaction.success) throw malformed('The transaction object lacks required fields.');
    await applyPaymentEvent(ctx, {
      source: 'processed_callback',
      type,
      facts: factsFromTransaction(transaction.data),
      rawBody: parsed,
    });
    return;
  }
  if (type === 'TOKEN') {
    if (!(await verifyPaymobHmac(ctx.hmacSecret, 'TOKEN', obj, input.hmac))) throw badSignature();
    const token = PaymobToken.safeParse(obj);
    if (!token.success) throw malformed('The token object lacks an id.');
    await storeUnapplied(
      ctx.db,
      ctx.now,
      {
        paymobTransactionId: token.data.id,
        kind: 'token',
        type,
        paymobOrderId: safeId(token.data.order_id),
        message: 'saved-card token',
      },
      parsed,
    );
    return;
  }
  // A type we do not handle: acknowledged and kept (answering 4xx would make PayMob retry forever). Its
  // signature scheme is unknown, so it is stored as unverified and never acted upon.
  await storeUnapplied(
    ctx.db,
    ctx.now,
    {
      paymobTransactionId: safeId(obj.id) ?? 0,
      kind: `other:${type.toLowerCase()}`,
      type,
      paymobOrderId: null,
      message: 'unhandled callback type (unverified)',
    },
    parsed,
  );
}

/**
 * The transaction-response callback (docs/api.md §4.5): the browser's signed redirect. Applies the same idempotent
 * update as the processed callback and returns what the result page shows. Throws 400 on a bad signature.
 */
export async function handleResponseCallback(
  ctx: WebhookContext,
  query: Record<string, string>,
): Promise<PaymentResult> {
  const hmac = query.hmac;
  if (!hmac) throw malformed('The payment result has no signature.');
  if (!(await verifyPaymobHmac(ctx.hmacSecret, 'RESPONSE', query, hmac))) {
    throw new AppError(400, 'invalid_signature', 'The payment result’s signature does not match.');
  }
  const parsed = ResponseCallbackQuery.safeParse(query);
  if (!parsed.success) throw malformed('The payment result lacks required fields.');
  const facts = factsFromResponseQuery(parsed.data);
  const result = await applyPaymentEvent(ctx, {
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
