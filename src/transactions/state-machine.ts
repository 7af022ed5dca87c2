import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../db/client';
import { type TransactionStatus, transactions } from '../db/schema';

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

/** Refunds apply only to a succeeded payment (partial ones keep it succeeded). */
export const REFUNDABLE_STATUSES: readonly TransactionStatus[] = ['succeeded'];

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
}

/**
 * Moves one transaction to `to` in a single guarded statement
 * (`UPDATE ... WHERE id = ? AND status IN (sources of to)`), so two concurrent events can never both
 * apply and nothing moves backwards. Returns whether this call changed the row.
 */
export async function transitionTransaction(
  db: Database,
  id: number,
  to: TransactionStatus,
  changes: TransitionChanges,
  now: Date,
): Promise<boolean> {
  const from = sourcesOf(to);
  if (from.length === 0) return false;
  const result = await db
    .update(transactions)
    .set({ ...changes, status: to, updatedAt: now })
    .where(and(eq(transactions.id, id), inArray(transactions.status, from)));
  return result.rowsAffected === 1;
}

export interface RefundSnapshot {
  id: number;
  amountCents: number;
  refundedCents: number;
}

export type RefundOutcome =
  | { changed: true; status: 'succeeded' | 'refunded'; refundedCents: number }
  /** Nothing to add (e.g. an older total), or the row is not refundable: nothing changed. */
  | { changed: false; conflict: false }
  /** The row changed since `snapshot` was read (a concurrent event): re-read and try again. */
  | { changed: false; conflict: true };

/** What a refund does to a snapshot: `delta` adds PayMob's refund, `total` is PayMob's refunded sum. */
export function refundedAfter(
  snapshot: RefundSnapshot,
  amountCents: number,
  mode: 'delta' | 'total',
): number {
  const wanted = mode === 'delta' ? snapshot.refundedCents + amountCents : amountCents;
  return Math.min(snapshot.amountCents, Math.max(snapshot.refundedCents, wanted));
}

/**
 * Records a refund on a succeeded transaction with one guarded statement that also compares the refunded
 * sum it started from (`... AND status = 'succeeded' AND refunded_cents = ?`), so two refund events can
 * never both add to the same starting sum. Reaching the full amount makes the transaction `refunded`.
 */
export async function applyRefund(
  db: Database,
  snapshot: RefundSnapshot,
  amountCents: number,
  mode: 'delta' | 'total',
  now: Date,
): Promise<RefundOutcome> {
  if (!Number.isSafeInteger(amountCents) || amountCents <= 0) return { changed: false, conflict: false };
  const refundedCents = refundedAfter(snapshot, amountCents, mode);
  if (refundedCents === snapshot.refundedCents) return { changed: false, conflict: false };
  const status = refundedCents >= snapshot.amountCents ? 'refunded' : 'succeeded';
  const result = await db
    .update(transactions)
    .set({ status, refundedCents, updatedAt: now })
    .where(
      and(
        eq(transactions.id, snapshot.id),
        inArray(transactions.status, REFUNDABLE_STATUSES as TransactionStatus[]),
        eq(transactions.refundedCents, snapshot.refundedCents),
      ),
    );
  if (result.rowsAffected !== 1) return { changed: false, conflict: true };
  return { changed: true, status, refundedCents };
}
