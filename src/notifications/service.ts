import { and, eq, inArray, lt, ne, or, sql } from 'drizzle-orm';
import { type Database, isDuplicateKey } from '../db/client';
import { assign, preparedInsert, preparedStatement } from '../db/prepared';
import { emailEvents, webhookTokens } from '../db/schema';
import type { NotificationMessage } from './messages';

/** `email_events.last_error` is VARCHAR(500). */
const MAX_ERROR_LENGTH = 500;

/** What `email_events` records about one logical e-mail before it is sent. */
export interface EmailRecord {
  idempotencyKey: string;
  kind: string;
  userId: number | null;
  recipient: string;
  subject: string;
  provider: string;
}

/** The `email_events` record of a queued notification, sent with `subject` through `provider`. */
export function emailRecordFor(
  notification: NotificationMessage,
  subject: string,
  provider: string,
): EmailRecord {
  return {
    idempotencyKey: notification.idempotency_key,
    kind: notification.type,
    userId: notification.user_id,
    recipient: notification.to,
    subject,
    provider,
  };
}

/**
 * The reservation's INSERT and the `sent` UPDATE, built once per isolate (src/db/prepared.ts, docs/design.md
 * "Hot statements"): every e-mail runs both. `updated_at` takes its SQL default on the INSERT, as with
 * drizzle's insert; the UPDATE sets it, as drizzle's update does with the column's `$onUpdate`.
 */
const insertReservation = preparedInsert(emailEvents, [
  'idempotencyKey',
  'kind',
  'userId',
  'recipient',
  'subject',
  'provider',
  'status',
  'attempts',
]);

const markSent = preparedStatement(
  () => sql`update ${emailEvents} set ${sql.identifier(emailEvents.status.name)} =
      case when ${emailEvents.status} = 'queued' then 'sent' else ${emailEvents.status} end,
    ${assign(emailEvents.providerMessageId, 'messageId')}, ${assign(emailEvents.sentAt, 'sentAt')},
    ${sql.identifier(emailEvents.lastError.name)} = null, ${assign(emailEvents.updatedAt, 'updatedAt')}
    where ${emailEvents.idempotencyKey} = ${sql.placeholder('key')}`,
);

/**
 * Reserves the right to send an e-mail for this delivery attempt of a queue message. One INSERT in the
 * common case; when the row exists (a retry, or a duplicate delivery) one guarded UPDATE claims it only if
 * it is still `queued` and no delivery at this attempt number or later has claimed it. So a retry sends at
 * most once after a failure, two copies of one message delivered at once send once, and nothing already
 * `sent`/`delivered`/`failed` is ever sent again.
 */
export async function reserveEmail(db: Database, record: EmailRecord, attempt: number): Promise<boolean> {
  try {
    await insertReservation.run(db, { ...record, status: 'queued', attempts: attempt });
    return true;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  const claimed = await db
    .update(emailEvents)
    .set({ attempts: attempt })
    .where(
      and(
        eq(emailEvents.idempotencyKey, record.idempotencyKey),
        eq(emailEvents.status, 'queued'),
        lt(emailEvents.attempts, attempt),
      ),
    );
  return claimed.rowsAffected === 1;
}

/**
 * Records the provider's acceptance. A delivery event may already have moved the row on (it can arrive
 * before this update when it finds the row by idempotency key), so only `queued` becomes `sent`.
 */
export async function markEmailSent(
  db: Database,
  idempotencyKey: string,
  messageId: string | null,
  now: Date,
) {
  await markSent.run(db, { key: idempotencyKey, messageId, sentAt: now, updatedAt: new Date() });
}

/** Keeps the latest failure on the row (the dead-letter consumer reports it); `permanent` also ends it. */
export async function recordEmailFailure(
  db: Database,
  idempotencyKey: string,
  error: string,
  permanent: boolean,
) {
  await db
    .update(emailEvents)
    .set(permanent ? { status: 'failed', lastError: truncate(error) } : { lastError: truncate(error) })
    .where(and(eq(emailEvents.idempotencyKey, idempotencyKey), eq(emailEvents.status, 'queued')));
}

/**
 * The queue gave up on an e-mail: a still-`queued` row becomes `failed`, keeping the last attempt's error.
 * If no attempt ever reached the database, the row is written now so the failure is visible.
 */
export async function markEmailDeadLettered(db: Database, record: EmailRecord, fallbackError: string) {
  const updated = await db
    .update(emailEvents)
    .set({ status: 'failed', lastError: sql`coalesce(${emailEvents.lastError}, ${truncate(fallbackError)})` })
    .where(and(eq(emailEvents.idempotencyKey, record.idempotencyKey), eq(emailEvents.status, 'queued')));
  if (updated.rowsAffected > 0) return 'failed';
  try {
    await db.insert(emailEvents).values({ ...record, status: 'failed', lastError: truncate(fallbackError) });
    return 'failed';
  } catch (err) {
    // The row exists and is already sent, delivered or failed: nothing to change.
    if (isDuplicateKey(err)) return 'unchanged';
    throw err;
  }
}

/** A provider's delivery report, normalised. */
export interface DeliveryEvent {
  outcome: 'delivered' | 'failed' | 'deferred';
  /** Provider Message-Id without angle brackets. */
  messageId?: string;
  /** Our idempotency key, when the provider echoes the variable we attached. */
  idempotencyKey?: string;
  reason?: string;
  occurredAt: Date;
}

/**
 * Applies a delivery event to the matching `email_events` row (by provider Message-Id, or by our key).
 * Status only moves forward: `delivered` is final; a permanent failure ends a queued or sent e-mail; a
 * temporary one (the provider keeps trying) only records the reason. Returns the rows changed.
 */
export async function applyDeliveryEvent(db: Database, event: DeliveryEvent): Promise<number> {
  const matches = [
    event.messageId ? eq(emailEvents.providerMessageId, event.messageId) : undefined,
    event.idempotencyKey ? eq(emailEvents.idempotencyKey, event.idempotencyKey) : undefined,
  ].filter((m) => m !== undefined);
  if (matches.length === 0) return 0;
  const target = or(...matches);
  const reason = event.reason ? truncate(event.reason) : null;
  let result: { rowsAffected: number };
  switch (event.outcome) {
    case 'delivered':
      result = await db
        .update(emailEvents)
        .set({ status: 'delivered', deliveredAt: event.occurredAt, lastError: null })
        .where(and(target, ne(emailEvents.status, 'delivered')));
      break;
    case 'failed':
      result = await db
        .update(emailEvents)
        .set({ status: 'failed', lastError: reason })
        .where(and(target, inArray(emailEvents.status, ['queued', 'sent'])));
      break;
    case 'deferred':
      result = await db
        .update(emailEvents)
        .set({ lastError: reason })
        .where(and(target, inArray(emailEvents.status, ['queued', 'sent'])));
      break;
  }
  return result.rowsAffected;
}

export type WebhookOutcome = 'replayed' | 'ignored' | 'unchanged' | 'applied';

/**
 * A verified provider webhook: its token is recorded first (each is accepted once, so a captured request
 * cannot be replayed), then the event is applied. If applying fails, the token is released again so the
 * provider's retry of the same request is not refused as a replay. Two round trips in the common case.
 */
export async function recordDeliveryWebhook(
  db: Database,
  provider: string,
  token: string,
  event: DeliveryEvent | null,
): Promise<WebhookOutcome> {
  if (!(await acceptWebhookToken(db, provider, token))) return 'replayed';
  if (!event) return 'ignored';
  try {
    return (await applyDeliveryEvent(db, event)) > 0 ? 'applied' : 'unchanged';
  } catch (err) {
    await forgetWebhookToken(db, provider, token).catch(() => undefined);
    throw err;
  }
}

/** Records a webhook token; false when it was seen before (a replay). */
export async function acceptWebhookToken(db: Database, provider: string, token: string): Promise<boolean> {
  try {
    await db.insert(webhookTokens).values({ provider, token });
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/** Undoes acceptWebhookToken when the event could not be applied, so the provider's retry is accepted. */
export async function forgetWebhookToken(db: Database, provider: string, token: string): Promise<void> {
  await db
    .delete(webhookTokens)
    .where(and(eq(webhookTokens.provider, provider), eq(webhookTokens.token, token)));
}

function truncate(value: string): string {
  return value.length > MAX_ERROR_LENGTH ? `${value.slice(0, MAX_ERROR_LENGTH - 1)}…` : value;
}
