import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { bound, preparedShapes, preparedStatement } from '../db/prepared';
import { paymentEvents, type TransactionStatus, transactions } from '../db/schema';
import { type EventMark, markAssignments, markJoin } from '../webhooks/events';

/**
 * docs/api.md §4.1: every status change StackPay may ever apply. Anything not listed (a late failure after a
 * success, a pending report after a result, anything out of a final state) is stored by the caller and
 * ignored. A partial refund is not a status change: the row stays `succeeded` with `refunded_cents` > 0.
 */
export const TRANSITIONS = {
  // PayMob not reached yet: checkout becomes ready, or the PayMob calls failed.
  initiated: ['pending', 'failed'],
  pending: ['succeeded', 'failed', 'expired'],
  // Full refund, or a same-day void.
  succeeded: ['refunded', 'voided'],
  // A later attempt on the same PayMob order succeeded.
  failed: ['succeeded'],
  expired: [],
  refunded: [],
  voided: [],
} as const satisfies Record<TransactionStatus, readonly TransactionStatus[]>;

/** Statuses after which nothing can change the transaction's status again. */
export const FINAL_STATUSES: readonly TransactionStatus[] = (
  Object.keys(TRANSITIONS) as TransactionStatus[]
).filter((status) => TRANSITIONS[status].length === 0);

/** Statuses a client should stop polling at (a failed payment can still succeed, but rarely does). */
export const SETTLED_STATUSES: readonly TransactionStatus[] = [...FINAL_STATUSES, 'succeeded', 'failed'];

export function canTransition(from: TransactionStatus, to: TransactionStatus): boolean {
  return (TRANSITIONS[from] as readonly TransactionStatus[]).includes(to);
}

/** Every status from which `to` may be reached: the guard of the UPDATE. */
export function sourcesOf(to: TransactionStatus): TransactionStatus[] {
  return (Object.keys(TRANSITIONS) as TransactionStatus[]).filter((from) => canTransition(from, to));
}

/** Columns a transition may set along with the status. */
export interface TransitionChanges {
  paymobOrderId?: number | null;
  paymobTransactionId?: number | null;
  paymentToken?: string | null;
  checkoutUrl?: string | null;
  paymentKeyExpiresAt?: Date | null;
  failureReason?: string | null;
  // How it was paid (docs/paymob.md §8), from the report that settles it.
  methodType?: string | null;
  methodSubType?: string | null;
  methodPan?: string | null;
  billReference?: string | null;
}

/**
 * Moves one transaction to `to` in a single guarded statement
 * (`UPDATE ... WHERE id = ? AND status IN (sources of to)`), so two concurrent events can never both
 * apply and nothing moves backwards. Returns whether this call changed the row.
 *
 * With `mark` (the stored PayMob report being applied), the same statement also writes the event's outbox
 * mark on that report's `payment_events` row (docs/webhooks.md §2): `UPDATE transactions JOIN payment_events
 * … SET status…, event_id… WHERE id = ? AND status IN (…)`, so the change and its event are one atomic
 * statement and cost no extra round trip. Whenever the guard matches, the status changes (no status is its
 * own source), so affected rows > 0 means "changed".
 */
export async function transitionTransaction(
  db: Database,
  id: number,
  to: TransactionStatus,
  changes: TransitionChanges,
  now: Date,
  mark: EventMark | undefined,
): Promise<boolean>;
export async function transitionTransaction(
  db: Pick<Database, 'update'>,
  id: number,
  to: TransactionStatus,
  changes: TransitionChanges,
  now: Date,
): Promise<boolean>;
export async function transitionTransaction(
  db: Pick<Database, 'update'> | Database,
  id: number,
  to: TransactionStatus,
  changes: TransitionChanges,
  now: Date,
  mark?: EventMark,
): Promise<boolean> {
  const from = sourcesOf(to);
  if (from.length === 0) return false;
  if (mark) {
    // The overloads allow a mark only with the request's database: a transaction handle cannot run it.
    if (!('$client' in db)) throw new Error('a marked transition runs as its own statement');
    const values: Record<string, unknown> = { ...changes, status: to, updatedAt: now };
    const assigned = Object.keys(values).filter((key) => values[key] !== undefined);
    for (const [key, value] of Object.entries(mark)) values[`mark.${key}`] = value;
    values.id = id;
    const result = await markedTransition(`${to}:${assigned.join(',')}`).run(db, values);
    return result.rowsAffected > 0;
  }
  const result = await db
    .update(transactions)
    .set({ ...changes, status: to, updatedAt: now })
    .where(and(eq(transactions.id, id), inArray(transactions.status, from)));
  return result.rowsAffected === 1;
}

/** The mark's fields as placeholders named `mark.<field>`, for markJoin and markAssignments. */
const MARK_PLACEHOLDERS = Object.fromEntries(
  (['paymobTransactionId', 'kind', 'eventId', 'type', 'data', 'at'] as const).map((key) => [
    key,
    sql.placeholder(`mark.${key}`),
  ]),
) as unknown as EventMark;

/**
 * The marked transition's statement for one shape (`to:` and the columns it sets), built once per isolate
 * (src/db/prepared.ts): the first delivery of a webhook runs it.
 */
const markedTransition = preparedShapes(32, (shape) => {
  const [to, keys] = shape.split(':') as [TransactionStatus, string];
  return preparedStatement(() => {
    const assignments = keys.split(',').map((key) => {
      const column = transactions[key as keyof TransitionChanges | 'status' | 'updatedAt'];
      // Qualified: the statement joins payment_events.
      return sql`${column} = ${bound(key, column)}`;
    });
    return sql`update ${transactions} join ${paymentEvents} on ${markJoin(MARK_PLACEHOLDERS)}
      set ${sql.join(assignments, sql`, `)}, ${markAssignments(MARK_PLACEHOLDERS)}
      where ${transactions.id} = ${sql.placeholder('id')} and ${inArray(transactions.status, sourcesOf(to))}`;
  });
});
