import { and, eq, inArray, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { writeAudit } from '../db/audit';
import { type Database, isDatabaseUnavailable } from '../db/client';
import { customers, transactions, users } from '../db/schema';
import { ulid } from '../lib/crypto';
import { describeError } from '../lib/logger';
import { PAYMENT_KEY_EXPIRATION_SECONDS, PaymobError } from '../paymob/client';
import { factsFromTransaction } from '../paymob/events';
import type { PaymobTransaction } from '../paymob/schemas';
import { publishEvent, recordEvent } from '../webhooks/events';
import { applyPaymentEvent } from './apply-event';
import { transactionViewColumns } from './columns';
import { KIOSK_EXPIRED_REASON } from './methods';
import { transitionTransaction } from './state-machine';
import { notify, ownerColumns, statusMessage } from './status-mail';
import { toTransactionView } from './view';

/**
 * Payment reconciliation (docs/api.md §4.8), run by the 5-minute cron. PayMob documents no callback retry schedule,
 * so a payment whose callback never arrived would stay `pending` for ever: each run asks PayMob about the
 * oldest pending transactions and applies the answer through `applyPaymentEvent`, the same decision as for
 * callbacks (stored as a payment event with source `inquiry`; no HMAC, since it answered our authenticated
 * call, but the same order/amount/currency binding checks). A checkout abandoned past its payment key's
 * lifetime plus a grace period becomes `expired`.
 *
 * Runs may overlap (a slow run, a manual trigger): rows are claimed first, and even a row processed twice
 * changes once — transitions are guarded single-row updates and events are unique per PayMob transaction.
 */

// docs/api.md §4.8. Younger pending rows are still in the customer's hands (and their callback on its way).
export const RECONCILE_MIN_AGE_MS = 2 * 60 * 1000;
// docs/api.md §4.8: pending this long past the payment key's expiry with nothing paid → expired.
export const EXPIRY_GRACE_MS = 15 * 60 * 1000;
// Per run, oldest first. A row costs about five subrequests (the inquiry, three database statements, the
// e-mail): about 250 for a full batch, far below the 10,000 a Workers Paid invocation may make.
export const RECONCILE_BATCH_SIZE = 50;
// A run stops starting lookups after this long; a lookup in flight is cut off by the PayMob client's
// budget. Far below the platform's limits for a scheduled invocation and the 5-minute interval, so runs
// do not pile up. Rows a run claimed but did not reach are taken by a later run.
export const RECONCILE_TIME_BUDGET_MS = 30_000;
// Lookups in parallel: each holds one outgoing connection at a time, and a Worker invocation may hold six.
export const RECONCILE_CONCURRENCY = 4;
// A claimed row is left alone this long: longer than a run, so overlapping runs never share a row; shorter
// than the cron interval, so every pending row is looked at again by the next run.
export const RECONCILE_LEASE_MS = 2 * 60 * 1000;
// An `initiated` row belongs to a create request that had 22 s for PayMob; one this old is from a request
// that died before it could mark the row failed. Nobody received its checkout, so nobody can pay it.
export const STALE_INITIATED_MS = 2 * 60 * 1000;
// docs/paymob.md §3: inquiries in a row that prove nothing before a payment past its expiry goes to staff
// (six runs: half an hour of a wrong base URL, refused credentials or an answer we cannot read).
export const MAX_UNKNOWN_INQUIRIES = 6;

export const EXPIRED_REASON = 'The checkout expired before a payment was made.';
export const ABANDONED_CHECKOUT_REASON = 'Checkout could not be prepared.';

export interface ReconcileOptions {
  /** Restricts the run to these transactions (tests, or re-checking one transaction by hand). */
  transactionIds?: readonly number[];
  batchSize?: number;
  /** Identifies this run's claims; a fresh ULID by default. */
  runId?: string;
  /** Real time, for the run's budget (`ctx.now` may be a chosen instant). */
  clock?: () => number;
}

export interface ReconcileSummary extends Record<string, number> {
  claimed: number;
  succeeded: number;
  failed: number;
  expired: number;
  /** Still pending (PayMob reports nothing paid yet, or a payment still pending). */
  unchanged: number;
  /** Changed meanwhile by something else (a callback), or an answer that needs a person (anomaly). */
  skipped: number;
  /** PayMob's state stayed unknown (no answer, or one that proves nothing); tried again by a later run. */
  unavailable: number;
  /** Unknown too often past the checkout's expiry: flagged for staff ("needs attention"), still pending. */
  attention: number;
  errors: number;
  /** Claimed but not reached within the time budget. */
  deferred: number;
  /** Stale `initiated` rows marked failed. */
  abandoned: number;
}

type RowOutcome = 'succeeded' | 'failed' | 'expired' | 'unchanged' | 'skipped' | 'unavailable' | 'attention';

type Claimed = Awaited<ReturnType<typeof loadClaimed>>[number];

const scopeOf = (options: ReconcileOptions): SQL | undefined =>
  options.transactionIds ? inArray(transactions.id, [...options.transactionIds]) : undefined;

/**
 * Claims up to `limit` pending rows old enough to look at, least recently looked at first, in one UPDATE;
 * a row another run holds (its `reconcile_after` still ahead) is skipped. `updated_at` is kept: a claim
 * is bookkeeping, not a change anyone should see.
 */
async function claimPending(db: Database, now: Date, runId: string, limit: number, scope: SQL | undefined) {
  const result = await db
    .update(transactions)
    .set({
      reconcileAfter: new Date(now.getTime() + RECONCILE_LEASE_MS),
      reconcileClaim: runId,
      updatedAt: sql`${transactions.updatedAt}`,
    })
    .where(
      and(
        eq(transactions.status, 'pending'),
        lt(transactions.createdAt, new Date(now.getTime() - RECONCILE_MIN_AGE_MS)),
        or(isNull(transactions.reconcileAfter), lte(transactions.reconcileAfter, now)),
        scope,
      ),
    )
    .orderBy(sql`coalesce(${transactions.reconcileAfter}, ${transactions.createdAt})`, transactions.id)
    .limit(limit);
  return result.rowsAffected;
}

/** The rows this run claimed, with their owner for the expiry e-mail. */
function loadClaimed(db: Database, now: Date, runId: string) {
  return db
    .select({
      // The API read shape, for the expiry's event (docs/webhooks.md §1).
      ...transactionViewColumns,
      paymentKeyExpiresAt: transactions.paymentKeyExpiresAt,
      unknownCount: transactions.reconcileUnknownCount,
      needsAttentionAt: transactions.needsAttentionAt,
      ...ownerColumns,
    })
    .from(transactions)
    .leftJoin(customers, eq(customers.id, transactions.customerId))
    .leftJoin(users, eq(users.id, customers.userId))
    .where(
      and(
        // Still pending: a callback may have settled a claimed row in between.
        eq(transactions.status, 'pending'),
        lt(transactions.createdAt, new Date(now.getTime() - RECONCILE_MIN_AGE_MS)),
        eq(transactions.reconcileClaim, runId),
      ),
    )
    .orderBy(transactions.createdAt, transactions.id);
}

/**
 * When the checkout stops being payable: a kiosk payment's bill reference expiry (docs/paymob.md §8), else the
 * payment key's expiry (rows without one: creation + lifetime).
 */
function checkoutExpiry(row: Claimed): number {
  return (
    row.billExpiresAt?.getTime() ??
    row.paymentKeyExpiresAt?.getTime() ??
    row.createdAt.getTime() + PAYMENT_KEY_EXPIRATION_SECONDS * 1000
  );
}

/**
 * Pending → expired with its `payment.expired` event. No PayMob report is applied, so there is no
 * `payment_events` row to mark: the event row is written in the transition's database transaction
 * (docs/webhooks.md §2; BEGIN, guarded UPDATE, INSERT, COMMIT: four round trips, off any request's path).
 */
async function expire(ctx: ServiceContext, row: Claimed, reason = EXPIRED_REASON): Promise<boolean> {
  const object = toTransactionView({
    ...row,
    status: 'expired',
    failureReason: reason,
    updatedAt: ctx.now,
  });
  const eventId = await ctx.db.transaction(async (tx) => {
    const moved = await transitionTransaction(tx, row.id, 'expired', { failureReason: reason }, ctx.now);
    return moved ? recordEvent(ctx, { type: 'payment.expired', objectId: row.id, object, db: tx }) : null;
  });
  if (!eventId) return false;
  await publishEvent(ctx, eventId);
  await notify(
    ctx,
    statusMessage(
      row,
      'expired',
      row.amountCents,
      reason === EXPIRED_REASON ? null : reason,
      `transaction_status:${row.id}:expired`,
    ),
  );
  return true;
}

/**
 * PayMob's answer proved nothing (docs/paymob.md §3): the row stays pending and is counted; once the count
 * reaches MAX_UNKNOWN_INQUIRIES past the checkout's expiry it is flagged for staff once (row, audit, log).
 */
async function inquiryUnknown(ctx: ServiceContext, row: Claimed, err: PaymobError): Promise<RowOutcome> {
  const count = row.unknownCount + 1;
  const due = count >= MAX_UNKNOWN_INQUIRIES && ctx.now.getTime() >= checkoutExpiry(row) + EXPIRY_GRACE_MS;
  const flag = due && row.needsAttentionAt === null;
  const reason = `PayMob's state is unknown after ${count} inquiries: ${err.code} (${err.reason})`.slice(
    0,
    200,
  );
  await ctx.db
    .update(transactions)
    .set({
      reconcileUnknownCount: sql`${transactions.reconcileUnknownCount} + 1`,
      ...(flag ? { needsAttentionAt: ctx.now, attentionReason: reason } : {}),
      updatedAt: sql`${transactions.updatedAt}`,
    })
    .where(and(eq(transactions.id, row.id), eq(transactions.status, 'pending')));
  const fields = {
    transaction_id: row.id,
    reason: err.reason,
    code: err.code,
    provider_status: err.providerStatus,
    unknown_inquiries: count,
  };
  if (!flag) {
    ctx.logger.warn('inquiry proved nothing; payment left pending for a later run', fields);
    return due ? 'attention' : 'unavailable';
  }
  ctx.logger.error('payment needs attention: PayMob state unknown past its checkout expiry', fields);
  await writeAudit(ctx.db, {
    actorUserId: null,
    action: 'transaction.needs_attention',
    targetType: 'transaction',
    targetId: row.id,
    details: { reason: err.code, provider_status: err.providerStatus ?? null, unknown_inquiries: count },
  });
  return 'attention';
}

/** One claimed row: ask PayMob, apply its answer, expire an abandoned checkout. */
async function reconcileOne(ctx: ServiceContext, row: Claimed): Promise<RowOutcome> {
  let answer: PaymobTransaction | null;
  try {
    // null only on PayMob's documented not-found answer for this order: evidence nothing was paid.
    answer = await ctx.paymob().inquireByMerchantOrderId(row.merchantOrderId);
  } catch (err) {
    if (!(err instanceof PaymobError)) throw err;
    return inquiryUnknown(ctx, row, err);
  }
  if (row.unknownCount > 0 || row.needsAttentionAt !== null) {
    // PayMob answered with evidence again: the count starts over and the staff flag is lifted.
    await ctx.db
      .update(transactions)
      .set({
        reconcileUnknownCount: 0,
        needsAttentionAt: null,
        attentionReason: null,
        updatedAt: sql`${transactions.updatedAt}`,
      })
      .where(eq(transactions.id, row.id));
  }

  // null: PayMob knows no payment attempt on this order at all.
  let paymobPending = false;
  if (answer) {
    const facts = factsFromTransaction(answer, 'confirmed');
    const result = await applyPaymentEvent(ctx, {
      source: 'inquiry',
      type: 'INQUIRY',
      facts,
      rawBody: answer,
    });
    // An answer about another order, amount or currency was logged at error level: a person must look.
    if (result.outcome === 'anomaly' || result.outcome === 'unmatched') return 'skipped';
    const status = result.transaction?.status;
    if (result.changed && (status === 'succeeded' || status === 'failed')) return status;
    if (status !== 'pending') return 'skipped';
    // A payment PayMob still processes may yet succeed: never expire it.
    paymobPending = facts.pending;
  }

  // A kiosk payment stays pending at PayMob until the shopper pays at a kiosk: it expires with its bill
  // reference, not the checkout's window, even though PayMob still reports it pending (docs/paymob.md §8).
  const kiosk = row.billExpiresAt !== null;
  if ((!paymobPending || kiosk) && ctx.now.getTime() >= checkoutExpiry(row) + EXPIRY_GRACE_MS) {
    return (await expire(ctx, row, kiosk ? KIOSK_EXPIRED_REASON : EXPIRED_REASON)) ? 'expired' : 'skipped';
  }
  return 'unchanged';
}

/**
 * `initiated` rows whose create request died: marked failed in one guarded, bounded UPDATE (initiated →
 * failed is the only move §4.1 allows them). No e-mail: the customer was told of the failure, or never
 * saw a checkout.
 */
async function failAbandonedCheckouts(ctx: ServiceContext, limit: number, scope: SQL | undefined) {
  const result = await ctx.db
    .update(transactions)
    .set({ status: 'failed', failureReason: ABANDONED_CHECKOUT_REASON, updatedAt: ctx.now })
    .where(
      and(
        eq(transactions.status, 'initiated'),
        lt(transactions.createdAt, new Date(ctx.now.getTime() - STALE_INITIATED_MS)),
        scope,
      ),
    )
    .orderBy(transactions.id)
    .limit(limit);
  return result.rowsAffected;
}

/**
 * One reconciliation run. Database round trips: the claim and the read of the claimed rows, then per row
 * the PayMob inquiry and, when it reports a payment attempt, `applyPaymentEvent`'s three (read, event,
 * guarded update); one more for the stale-initiated sweep. Returns the counts the cron logs as its summary.
 */
export async function reconcilePayments(
  ctx: ServiceContext,
  options: ReconcileOptions = {},
): Promise<ReconcileSummary> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const runId = options.runId ?? ulid(started);
  const batchSize = options.batchSize ?? RECONCILE_BATCH_SIZE;
  const scope = scopeOf(options);
  const summary: ReconcileSummary = {
    claimed: 0,
    succeeded: 0,
    failed: 0,
    expired: 0,
    unchanged: 0,
    skipped: 0,
    unavailable: 0,
    attention: 0,
    errors: 0,
    deferred: 0,
    abandoned: 0,
  };

  summary.abandoned = await failAbandonedCheckouts(ctx, batchSize, scope);
  summary.claimed = await claimPending(ctx.db, ctx.now, runId, batchSize, scope);
  if (summary.claimed === 0) return summary;
  const rows = await loadClaimed(ctx.db, ctx.now, runId);

  let next = 0;
  let stop = false;
  const lane = async () => {
    for (;;) {
      const row = rows[next];
      if (!row) return;
      next += 1;
      if (stop || clock() - started >= RECONCILE_TIME_BUDGET_MS) {
        summary.deferred += 1;
        continue;
      }
      try {
        summary[await reconcileOne(ctx, row)] += 1;
      } catch (err) {
        summary.errors += 1;
        ctx.logger.error('reconciliation of a transaction failed', {
          transaction_id: row.id,
          ...describeError(err),
        });
        // Without the database every further row would fail the same way.
        if (isDatabaseUnavailable(err)) stop = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(RECONCILE_CONCURRENCY, rows.length) }, lane));
  return summary;
}
