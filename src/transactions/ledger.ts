import { and, eq, inArray, sql } from 'drizzle-orm';
import { type Database, isDuplicateKey } from '../db/client';
import { paymentEvents, paymentReversals, type TransactionStatus, transactions } from '../db/schema';
import { type EventMark, markAssignments, markJoin } from '../webhooks/events';

/**
 * The refund ledger (docs/payments.md "Refund ledger", "Reservation"), in single statements (each one a
 * database round trip; no multi-statement transaction is needed):
 *
 * - Reservation: one guarded UPDATE claims the amount on the payment's row
 *   (`held_cents + amount <= amount_cents - refunded_cents`), so concurrent refunds can never together
 *   ask PayMob for more than the payment; a `payment_reversals` row records the claim.
 * - Application: a reversal child is recorded once by its PayMob id (unique); then the payment's sum is
 *   recomputed from the ledger:
 *
 *     refunded_cents = min(amount_cents, max(refunded_cents, paymob_refunded_cents, Σ applied children))
 *
 *   The recomputation is idempotent and only grows, so it is repeated by every delivery of the child: one
 *   whose first application died between the two statements is applied by the next.
 */

/** What the payment's refunded sum must be, given its ledger. */
export function refundedFrom(amountCents: number, appliedCents: number, reportedCents: number): number {
  return Math.min(amountCents, Math.max(appliedCents, reportedCents));
}

export type Reservation = { ok: true; reservationId: number } | { ok: false };

/**
 * Holds `amountCents` of a succeeded payment for a refund call, before PayMob is called: refused when the
 * refunded sum plus what other calls hold plus this amount exceeds the payment. Two round trips.
 */
export async function reserveRefund(
  db: Database,
  transactionId: number,
  amountCents: number,
): Promise<Reservation> {
  const claimed = await db
    .update(transactions)
    .set({ heldCents: sql`${transactions.heldCents} + ${amountCents}` })
    .where(
      and(
        eq(transactions.id, transactionId),
        eq(transactions.status, 'succeeded'),
        sql`${transactions.refundedCents} + ${transactions.heldCents} + ${amountCents} <= ${transactions.amountCents}`,
      ),
    );
  if (claimed.rowsAffected !== 1) return { ok: false };
  const inserted = await db
    .insert(paymentReversals)
    .values({ transactionId, kind: 'refund', amountCents, state: 'reserved' });
  return { ok: true, reservationId: Number(inserted.insertId) };
}

/**
 * PayMob refused (`released`: the amount is free again) or its answer was lost (`unknown`: it stays held
 * until a child of that amount arrives or staff resolve it).
 */
export async function settleReservation(
  db: Database,
  transactionId: number,
  reservation: { id: number; amountCents: number },
  state: 'released' | 'unknown',
): Promise<void> {
  const settled = await db
    .update(paymentReversals)
    .set({ state })
    .where(and(eq(paymentReversals.id, reservation.id), eq(paymentReversals.state, 'reserved')));
  if (state === 'released' && settled.rowsAffected === 1)
    await releaseHeld(db, transactionId, reservation.amountCents);
}

function releaseHeld(db: Database, transactionId: number, amountCents: number) {
  return db
    .update(transactions)
    .set({ heldCents: sql`GREATEST(0, ${transactions.heldCents} - ${amountCents})` })
    .where(eq(transactions.id, transactionId));
}

export interface ChildApplication {
  /** The child was recorded by this call (false: the ledger held it already). */
  recorded: boolean;
  /** The recompute wrote the child's `payment.refunded` outbox mark (docs/webhooks.md §2). */
  marked?: boolean;
}

/**
 * Applies one reversal child PayMob confirmed (its answer to our call, or its read by id), at most once by
 * its PayMob id. A refund child adds to the ledger's sum; a void child is recorded (the caller voids the
 * payment with a guarded transition). `reservationId`: the reservation of the call that created the child,
 * which becomes the child's row; without one, a reservation left `unknown` for the same amount is taken as
 * this child's (its answer was lost).
 */
export async function applyReversalChild(
  db: Database,
  transactionId: number,
  child: {
    paymobChildId: number;
    kind: 'refund' | 'void';
    amountCents: number;
    reservation?: { id: number; amountCents: number };
    /** A refund child's event, marked on its report's row by the recompute (once, whichever delivery). */
    mark?: EventMark;
  },
  now: Date,
): Promise<ChildApplication> {
  let recorded = false;
  let releasedCents = 0;
  const reservation = child.reservation;
  if (reservation !== undefined) {
    // The reservation becomes the child's row (one statement); if the child is recorded already (its
    // callback came first), the reservation is released instead.
    try {
      const converted = await db
        .update(paymentReversals)
        .set({
          paymobChildId: child.paymobChildId,
          state: 'applied',
          amountCents: child.amountCents,
          kind: child.kind,
        })
        .where(
          and(
            eq(paymentReversals.id, reservation.id),
            inArray(paymentReversals.state, ['reserved', 'unknown']),
          ),
        );
      recorded = converted.rowsAffected === 1;
      if (recorded) releasedCents = reservation.amountCents;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const released = await db
        .update(paymentReversals)
        .set({ state: 'released', settledByChildId: child.paymobChildId })
        .where(
          and(
            eq(paymentReversals.id, reservation.id),
            inArray(paymentReversals.state, ['reserved', 'unknown']),
          ),
        );
      if (released.rowsAffected === 1) releasedCents = reservation.amountCents;
    }
  } else {
    try {
      await db.insert(paymentReversals).values({
        transactionId,
        paymobChildId: child.paymobChildId,
        kind: child.kind,
        amountCents: child.amountCents,
        state: 'applied',
      });
      recorded = true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    if (recorded && child.kind === 'refund') {
      // A refund call whose answer was lost: this is most likely its child.
      const settled = await db
        .update(paymentReversals)
        .set({ state: 'released', settledByChildId: child.paymobChildId })
        .where(
          and(
            eq(paymentReversals.transactionId, transactionId),
            eq(paymentReversals.state, 'unknown'),
            eq(paymentReversals.amountCents, child.amountCents),
          ),
        )
        .limit(1);
      if (settled.rowsAffected === 1) releasedCents = child.amountCents;
    }
  }
  let marked = false;
  if (child.kind === 'refund' || releasedCents > 0)
    marked = await recompute(db, transactionId, releasedCents, now, child.mark);
  return { recorded, marked };
}

/**
 * Records a refunded total PayMob reported on the original transaction (confirmed): the largest reported
 * total counts, with the children's sum. One round trip.
 */
export async function applyReportedTotal(
  db: Database,
  transactionId: number,
  totalCents: number,
  now: Date,
): Promise<void> {
  await db
    .update(transactions)
    .set({
      paymobRefundedCents: sql`GREATEST(${transactions.paymobRefundedCents}, LEAST(${totalCents}, ${transactions.amountCents}))`,
    })
    .where(eq(transactions.id, transactionId));
  await recompute(db, transactionId, 0, now);
}

/**
 * The payment's refunded sum from its ledger, in one guarded UPDATE (only a succeeded or refunded payment;
 * the sum only grows; reaching the amount makes a succeeded payment `refunded`). Each SET expression is
 * complete on its own: Drizzle orders the columns by the schema, not by this object.
 *
 * With `mark` (a refund child's report), the same statement writes the child's `payment.refunded` mark on
 * its `payment_events` row if that row has none yet (docs/webhooks.md §2): a LEFT JOIN on the unmarked row,
 * so a repeated recompute still runs and marks nothing. Returns whether it wrote the mark (the payment's row
 * always changes with `updated_at`, so a second affected row is the mark).
 */
export async function recompute(
  db: Database,
  transactionId: number,
  releasedCents: number,
  now: Date,
  mark?: EventMark,
): Promise<boolean> {
  const applied = sql`(SELECT COALESCE(SUM(${paymentReversals.amountCents}), 0) FROM ${paymentReversals}
    WHERE ${paymentReversals.transactionId} = ${transactionId} AND ${paymentReversals.kind} = 'refund'
      AND ${paymentReversals.state} = 'applied')`;
  const refunded = sql`LEAST(${transactions.amountCents}, GREATEST(${transactions.refundedCents}, ${transactions.paymobRefundedCents}, ${applied}))`;
  const refundable: TransactionStatus[] = ['succeeded', 'refunded'];
  if (mark) {
    const result = await db.execute(sql`update ${transactions} left join ${paymentEvents}
        on ${markJoin(mark)} and ${paymentEvents.eventId} is null
      set ${transactions.refundedCents} = ${refunded},
        ${transactions.status} = IF(${transactions.status} = 'succeeded' AND ${refunded} >= ${transactions.amountCents}, 'refunded', ${transactions.status}),
        ${transactions.heldCents} = GREATEST(0, ${transactions.heldCents} - ${releasedCents}),
        ${transactions.updatedAt} = ${sql.param(now, transactions.updatedAt)}, ${markAssignments(mark)}
      where ${transactions.id} = ${transactionId} and ${inArray(transactions.status, refundable)}`);
    return result.rowsAffected > 1;
  }
  await db
    .update(transactions)
    .set({
      refundedCents: refunded,
      status: sql`IF(${transactions.status} = 'succeeded' AND ${refunded} >= ${transactions.amountCents}, 'refunded', ${transactions.status})`,
      heldCents: sql`GREATEST(0, ${transactions.heldCents} - ${releasedCents})`,
      updatedAt: now,
    })
    .where(and(eq(transactions.id, transactionId), inArray(transactions.status, refundable)));
  return false;
}
