import { eq, inArray } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { idempotencyRecords, transactions } from '../../src/db/schema';
import { deleteOldIdempotencyRecords } from '../../src/jobs/cleanup';
import { CRON, SCHEDULE } from '../../src/jobs/index';
import type { TransactionStatusNotification } from '../../src/transactions/apply-event';
import {
  ABANDONED_CHECKOUT_REASON,
  EXPIRED_REASON,
  RECONCILE_TIME_BUDGET_MS,
} from '../../src/transactions/reconcile';
import { createUser, testDb } from './helpers';
import { later, MINUTE, reconcile } from './lifecycle-support';
import {
  addFault,
  CARDS,
  clearFaults,
  createPayer,
  createPendingPayment,
  deliverRecorded,
  eventsOf,
  insertTransaction,
  pay,
  recordedCallbacks,
  recordingNotifications,
  statusMessages,
  transactionRow,
} from './transactions-support';

afterEach(clearFaults);

/** A pending payment paid with `card` whose processed callback(s) the sandbox dropped (never delivered). */
async function paidWithDroppedCallback(card: string, callbacks = 1) {
  const payer = await createPayer();
  const txn = await createPendingPayment(payer);
  await addFault({
    mode: 'drop-callback',
    match: `merchant_order_id=${txn.merchant_order_id}`,
    count: callbacks,
  });
  const paid = await pay(txn, card);
  const recorded = await recordedCallbacks(txn.merchant_order_id, callbacks);
  expect(recorded.every((c) => (c as { dropped?: boolean }).dropped === true)).toBe(true);
  return { payer, txn, paid, recorded };
}

const statuses = (sent: Parameters<typeof statusMessages>[0]) =>
  statusMessages(sent).map((m) => (m as TransactionStatusNotification).status);

describe('reconciliation — a lost callback', () => {
  it('a paid payment whose callback was dropped becomes succeeded after one run, e-mail queued once', async () => {
    const { payer, txn, paid, recorded } = await paidWithDroppedCallback(CARDS.success);
    expect((await transactionRow(txn.id)).status).toBe('pending');

    const { summary, sent } = await reconcile(later(3 * MINUTE), { transactionIds: [txn.id] });
    expect(summary).toMatchObject({ claimed: 1, succeeded: 1, expired: 0, errors: 0 });

    const row = await transactionRow(txn.id);
    expect(row.status).toBe('succeeded');
    expect(row.paymobTransactionId).toBe(paid.transaction_id);
    const [event, ...others] = await eventsOf(txn.id);
    expect(others).toHaveLength(0);
    expect(event).toMatchObject({
      paymobTransactionId: paid.transaction_id,
      kind: 'transaction',
      source: 'inquiry',
      type: 'INQUIRY',
      outcome: 'applied',
      amountCents: txn.amount_cents,
      merchantOrderId: txn.merchant_order_id,
    });
    expect(statusMessages(sent)).toMatchObject([
      {
        idempotency_key: `transaction_status:${txn.id}:succeeded`,
        to: payer.email,
        status: 'succeeded',
        amount: '150.00',
      },
    ]);

    // The callback turning up after all is the duplicate of the inquiry's event: nothing changes.
    const { queue, sent: late } = recordingNotifications();
    const callback = recorded[0];
    if (!callback) throw new Error('no callback');
    expect((await deliverRecorded(callback, { NOTIFICATIONS: queue })).status).toBe(200);
    expect(await eventsOf(txn.id)).toHaveLength(1);
    expect(late).toHaveLength(0);
  });

  it('a pending payment younger than 2 minutes is left alone', async () => {
    const { txn } = await paidWithDroppedCallback(CARDS.success);
    const { summary } = await reconcile(later(MINUTE), { transactionIds: [txn.id] });
    expect(summary.claimed).toBe(0);
    expect((await transactionRow(txn.id)).status).toBe('pending');
    expect(await eventsOf(txn.id)).toHaveLength(0);
  });

  it('a declined payment whose callback was dropped becomes failed with PayMob’s message', async () => {
    const { txn } = await paidWithDroppedCallback(CARDS.declined);
    const { summary, sent } = await reconcile(later(3 * MINUTE), { transactionIds: [txn.id] });
    expect(summary).toMatchObject({ claimed: 1, failed: 1 });
    const row = await transactionRow(txn.id);
    expect(row.status).toBe('failed');
    expect(row.failureReason).toBe('Do not honor');
    expect(statuses(sent)).toEqual(['failed']);
  });

  it('a payment PayMob still processes is never expired; it succeeds when PayMob settles it', async () => {
    // The pending card: a pending report, then (seconds later) the success; both callbacks dropped.
    const payer = await createPayer();
    const txn = await createPendingPayment(payer);
    await addFault({ mode: 'drop-callback', match: `merchant_order_id=${txn.merchant_order_id}`, count: 2 });
    await pay(txn, CARDS.pending);

    // Long past the checkout's expiry, but PayMob reports the payment pending.
    const first = await reconcile(later(2 * 60 * MINUTE), { transactionIds: [txn.id] });
    expect(first.summary).toMatchObject({ claimed: 1, unchanged: 1, expired: 0 });
    expect((await transactionRow(txn.id)).status).toBe('pending');
    expect((await eventsOf(txn.id)).map((e) => [e.kind, e.outcome])).toEqual([
      ['transaction_pending', 'ignored'],
    ]);

    await recordedCallbacks(txn.merchant_order_id, 2, 15_000);
    // The next run (after the first run's claim ran out) sees the success.
    const second = await reconcile(later(2 * 60 * MINUTE + 5 * MINUTE), { transactionIds: [txn.id] });
    expect(second.summary).toMatchObject({ claimed: 1, succeeded: 1 });
    expect((await transactionRow(txn.id)).status).toBe('succeeded');
    expect(statuses(second.sent)).toEqual(['succeeded']);
  }, 30_000);
});

describe('reconciliation — abandoned checkouts', () => {
  it('a checkout nobody paid stays pending until the key’s lifetime plus 15 minutes, then expires', async () => {
    const payer = await createPayer();
    const txn = await createPendingPayment(payer);
    const { paymentKeyExpiresAt } = await transactionRow(txn.id);
    if (!paymentKeyExpiresAt) throw new Error('no payment key expiry');
    const expiry = paymentKeyExpiresAt.getTime();

    const early = await reconcile(new Date(expiry + 14 * MINUTE), { transactionIds: [txn.id] });
    expect(early.summary).toMatchObject({ claimed: 1, unchanged: 1, expired: 0 });
    expect((await transactionRow(txn.id)).status).toBe('pending');

    // The next run, after the first one's claim ran out.
    const { summary, sent } = await reconcile(new Date(expiry + 17 * MINUTE), { transactionIds: [txn.id] });
    expect(summary).toMatchObject({ claimed: 1, expired: 1 });
    const row = await transactionRow(txn.id);
    expect(row.status).toBe('expired');
    expect(row.failureReason).toBe(EXPIRED_REASON);
    // PayMob knew no payment attempt: there is no answer to store.
    expect(await eventsOf(txn.id)).toHaveLength(0);
    expect(statusMessages(sent)).toMatchObject([
      { idempotency_key: `transaction_status:${txn.id}:expired`, to: payer.email, status: 'expired' },
    ]);

    // An expired checkout is final: a later run finds nothing to do.
    const again = await reconcile(new Date(expiry + 60 * MINUTE), { transactionIds: [txn.id] });
    expect(again.summary.claimed).toBe(0);
  });

  it('a checkout whose only attempt was declined becomes failed, not expired', async () => {
    const { txn } = await paidWithDroppedCallback(CARDS.declined);
    const { summary } = await reconcile(later(3 * 60 * MINUTE), { transactionIds: [txn.id] });
    expect(summary).toMatchObject({ failed: 1, expired: 0 });
    expect((await transactionRow(txn.id)).status).toBe('failed');
  });

  it('an `initiated` row whose create request died is marked failed, without an e-mail', async () => {
    const payer = await createPayer();
    const stale = await insertTransaction(payer.customerId, {
      status: 'initiated',
      createdAt: new Date(Date.now() - 10 * MINUTE),
    });
    const fresh = await insertTransaction(payer.customerId, { status: 'initiated' });
    const { summary, sent } = await reconcile(new Date(), { transactionIds: [stale, fresh] });
    expect(summary.abandoned).toBe(1);
    expect(await transactionRow(stale)).toMatchObject({
      status: 'failed',
      failureReason: ABANDONED_CHECKOUT_REASON,
    });
    expect((await transactionRow(fresh)).status).toBe('initiated');
    expect(sent).toHaveLength(0);
  });
});

describe('reconciliation — overlapping runs and bounded work', () => {
  it('two runs at once change each transaction once: one state change, one e-mail each', async () => {
    const paid = await paidWithDroppedCallback(CARDS.success);
    const abandoned = await createPendingPayment(await createPayer());
    const ids = [paid.txn.id, abandoned.id];
    const now = later(3 * 60 * MINUTE);

    const runs = await Promise.all([
      reconcile(now, { transactionIds: ids }),
      reconcile(now, { transactionIds: ids }),
    ]);
    // Each row was claimed by exactly one of the runs.
    expect(runs.reduce((sum, run) => sum + run.summary.claimed, 0)).toBe(2);
    expect(runs.reduce((sum, run) => sum + run.summary.succeeded, 0)).toBe(1);
    expect(runs.reduce((sum, run) => sum + run.summary.expired, 0)).toBe(1);
    const sent = runs.flatMap((run) => run.sent);
    expect(statuses(sent).sort()).toEqual(['expired', 'succeeded']);
    expect((await transactionRow(paid.txn.id)).status).toBe('succeeded');
    expect((await transactionRow(abandoned.id)).status).toBe('expired');
    expect(await eventsOf(paid.txn.id)).toHaveLength(1);

    // A third run once the claims ran out: nothing pending any more.
    const third = await reconcile(new Date(now.getTime() + 5 * MINUTE), { transactionIds: ids });
    expect(third.summary.claimed).toBe(0);
  });

  it('a run racing the callback it was meant to replace: one state change, one e-mail', async () => {
    const { txn, recorded } = await paidWithDroppedCallback(CARDS.success);
    const callback = recorded[0];
    if (!callback) throw new Error('no callback');
    const { queue, sent: fromCallback } = recordingNotifications();
    const [run] = await Promise.all([
      reconcile(later(3 * MINUTE), { transactionIds: [txn.id] }),
      deliverRecorded(callback, { NOTIFICATIONS: queue }),
    ]);
    expect((await transactionRow(txn.id)).status).toBe('succeeded');
    expect(await eventsOf(txn.id)).toHaveLength(1);
    expect(statuses([...run.sent, ...fromCallback])).toEqual(['succeeded']);
  });

  it('claims at most a batch, oldest first; the next run takes the rest', async () => {
    const payer = await createPayer();
    const base = Date.now() - 30 * MINUTE;
    const ids = [];
    for (const offset of [2, 0, 1]) {
      ids.push(await insertTransaction(payer.customerId, { createdAt: new Date(base + offset * MINUTE) }));
    }
    const [newest, oldest, middle] = ids as [number, number, number];
    const first = await reconcile(new Date(), { transactionIds: ids, batchSize: 2 });
    expect(first.summary).toMatchObject({ claimed: 2, unchanged: 2 });
    const claimed = await testDb()
      .select({ id: transactions.id, claim: transactions.reconcileClaim })
      .from(transactions)
      .where(inArray(transactions.id, ids));
    const claimOf = (id: number) => claimed.find((row) => row.id === id)?.claim ?? null;
    expect(claimOf(oldest)).not.toBeNull();
    expect(claimOf(middle)).toBe(claimOf(oldest));
    expect(claimOf(newest)).toBeNull();

    const second = await reconcile(new Date(), { transactionIds: ids, batchSize: 2 });
    expect(second.summary.claimed).toBe(1);
    // A look is bookkeeping, not a change: updated_at stays.
    const row = await transactionRow(newest);
    expect(row.updatedAt.getTime()).toBe(base + 2 * MINUTE);
  });

  it('stops starting lookups when its time budget is spent; those rows wait for a later run', async () => {
    const payer = await createPayer();
    const ids = [
      await insertTransaction(payer.customerId, { createdAt: new Date(Date.now() - 10 * MINUTE) }),
      await insertTransaction(payer.customerId, { createdAt: new Date(Date.now() - 9 * MINUTE) }),
    ];
    let calls = 0;
    // The run's clock: the start, then already past the budget.
    const clock = () => (calls++ === 0 ? 0 : RECONCILE_TIME_BUDGET_MS);
    const { summary } = await reconcile(new Date(), { transactionIds: ids }, { clock });
    expect(summary).toMatchObject({ claimed: 2, deferred: 2, unchanged: 0 });
    const next = await reconcile(new Date(Date.now() + 3 * MINUTE), { transactionIds: ids });
    expect(next.summary).toMatchObject({ claimed: 2, unchanged: 2 });
  });

  it('PayMob unavailable: the row stays pending (even past its expiry) for a later run', async () => {
    const payer = await createPayer();
    const txn = await createPendingPayment(payer);
    await addFault({
      mode: 'status',
      endpoint: 'inquiry',
      status: 503,
      count: 4,
      match: `merchant_order_id=${txn.merchant_order_id}`,
    });
    const { summary } = await reconcile(later(3 * 60 * MINUTE), { transactionIds: [txn.id] });
    expect(summary).toMatchObject({ claimed: 1, unavailable: 1, expired: 0 });
    expect((await transactionRow(txn.id)).status).toBe('pending');
  });

  it('an inquiry answer that does not match the row is stored as an anomaly and changes nothing', async () => {
    const { txn } = await paidWithDroppedCallback(CARDS.success);
    await testDb()
      .update(transactions)
      .set({ amountCents: txn.amount_cents + 100 })
      .where(eq(transactions.id, txn.id));
    const { summary, sent } = await reconcile(later(3 * 60 * MINUTE), { transactionIds: [txn.id] });
    expect(summary).toMatchObject({ claimed: 1, skipped: 1, expired: 0, succeeded: 0 });
    expect((await transactionRow(txn.id)).status).toBe('pending');
    expect(await eventsOf(txn.id)).toMatchObject([{ source: 'inquiry', outcome: 'anomaly' }]);
    expect(sent).toHaveLength(0);
  });
});

describe('scheduled jobs', () => {
  it('the 5-minute cron reconciles payments; the daily cron prunes idempotency records', () => {
    expect(SCHEDULE[CRON.everyFiveMinutes]?.map((job) => job.name)).toEqual(['reconcile-payments']);
    expect(SCHEDULE[CRON.daily]?.map((job) => job.name)).toContain('prune-idempotency-records');
  });

  it('idempotency records older than 24 hours are deleted; younger ones stay', async () => {
    const user = await createUser();
    const now = new Date();
    const record = (key: string, ageMs: number) => ({
      userId: user.id,
      scope: 'lifecycle.test',
      idempotencyKey: key,
      requestHash: '0'.repeat(64),
      state: 'completed',
      responseStatus: 201,
      responseBody: '{}',
      createdAt: new Date(now.getTime() - ageMs),
    });
    await testDb()
      .insert(idempotencyRecords)
      .values([
        record('old', 25 * 60 * MINUTE),
        record('just-old', 24 * 60 * MINUTE + 1000),
        record('young', 23 * 60 * MINUTE),
      ]);
    expect(await deleteOldIdempotencyRecords({ db: testDb(), now })).toBeGreaterThanOrEqual(2);
    const left = await testDb()
      .select({ key: idempotencyRecords.idempotencyKey })
      .from(idempotencyRecords)
      .where(eq(idempotencyRecords.userId, user.id));
    expect(left.map((r) => r.key)).toEqual(['young']);
  });
});
