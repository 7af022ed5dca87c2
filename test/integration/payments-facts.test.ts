/**
 * Applying PayMob's facts (docs/payments.md): only signed or PayMob-confirmed facts change a payment
 * (issue 13 item 1), refunds are reserved and applied once by child id (issue 13 item 2, issue 12 item 4),
 * a reversal whose answer is unreadable is "outcome unknown", and the void window is PayMob's business day
 * (issue 12 item 5).
 */
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { paymentEvents, paymentReversals } from '../../src/db/schema';
import { createLogger } from '../../src/lib/logger';
import { TRANSACTION_HMAC_FIELDS } from '../../src/paymob/hmac';
import type { TransactionView } from '../../src/transactions/schemas';
import { voidTransaction } from '../../src/transactions/void';
import { testContext } from './context-support';
import {
  apiWithEnv,
  createUser,
  readJson,
  roundTrips,
  type TestUser,
  testDb,
  uniqueRequestId,
} from './helpers';
import {
  auditRows,
  childCallbacks,
  childrenOf,
  refund,
  sandboxAuthToken,
  succeededPayment,
  voidPayment,
} from './lifecycle-support';
import {
  addFault,
  CARDS,
  clearFaults,
  createPayer,
  createPendingPayment,
  deliver,
  deliverRecorded,
  hmacOf,
  pay,
  type RecordedCallback,
  recordedCallbacks,
  recordingNotifications,
  sandbox,
  statusMessages,
  transactionRow,
  WEBHOOK,
} from './transactions-support';

afterEach(clearFaults);

let adminUser: TestUser | undefined;
async function admin(): Promise<TestUser> {
  adminUser ??= await createUser({ role: 'ADMIN' });
  return adminUser;
}

const SIGNED = new Set<string>(TRANSACTION_HMAC_FIELDS);

/** Every leaf key of a callback object as a dot path (`data.message`, `order.merchant_order_id`, …). */
function leafPaths(value: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(value).flatMap(([key, child]) =>
    child !== null && typeof child === 'object' && !Array.isArray(child)
      ? leafPaths(child as Record<string, unknown>, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}

function setPath(target: Record<string, unknown>, path: string, value: unknown) {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  node[parts.at(-1) as string] = value;
}

/** What an attacker would try for a field: the opposite flag, the payment's amount, a reversal word. */
function flips(current: unknown, amountCents: number): unknown[] {
  if (typeof current === 'boolean') return [!current];
  if (typeof current === 'number') return [amountCents, 0];
  if (current === null) return [true, amountCents];
  return ['true', String(amountCents), 'Refunded'];
}

/** The transaction-processed callbacks the sandbox signed for PayMob transaction `id`. */
async function callbacksFor(merchantOrderId: string, id: number, count = 1): Promise<RecordedCallback[]> {
  const deadline = Date.now() + 8_000;
  for (;;) {
    const all = (await recordedCallbacks(merchantOrderId, 1)).filter((c) => c.body.obj.id === id);
    if (all.length >= count || Date.now() > deadline) return all;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A refund made at PayMob directly (its dashboard): no API answer reaches StackPay, only callbacks. */
async function dashboardRefund(paymobId: number, amountCents: number) {
  const response = await sandbox('/api/acceptance/void_refund/refund', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth_token: await sandboxAuthToken(),
      transaction_id: paymobId,
      amount_cents: amountCents,
    }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { id: number; amount_cents: number };
}

/** A dashboard refund whose only callback is the child's (no parent): the child and its signed callback. */
async function dashboardRefundChild(merchantOrderId: string, paymobId: number, amountCents: number) {
  await addFault({ mode: 'refund-callbacks', parent: 'none', match: `merchant_order_id=${merchantOrderId}` });
  const child = await dashboardRefund(paymobId, amountCents);
  const [callback] = await callbacksFor(merchantOrderId, child.id);
  if (!callback) throw new Error('no child callback');
  return { child, callback };
}

async function ledger(transactionId: number) {
  return testDb()
    .select()
    .from(paymentReversals)
    .where(eq(paymentReversals.transactionId, transactionId))
    .orderBy(paymentReversals.id);
}

describe('signed facts only (issue 13 item 1)', () => {
  it('no unsigned field of the processed callback changes a payment; a real refund works afterwards', async () => {
    const { txn, paymobId } = await succeededPayment('50.00');
    const [callback] = await callbacksFor(txn.merchant_order_id, paymobId);
    if (!callback) throw new Error('no callback');
    const hmac = hmacOf(callback);
    const paths = leafPaths(callback.body.obj).filter((path) => !SIGNED.has(path));
    // The enumeration covers what the audit named.
    expect(paths).toEqual(
      expect.arrayContaining(['is_void', 'is_refund', 'refunded_amount_cents', 'data.message']),
    );
    const { queue, sent } = recordingNotifications();
    for (const path of paths) {
      const current = path
        .split('.')
        .reduce<unknown>((node, part) => (node as Record<string, unknown>)?.[part], callback.body.obj);
      for (const value of flips(current, 5_000)) {
        const forged = structuredClone(callback.body);
        setPath(forged.obj, path, value);
        const response = await deliver(forged, hmac, { NOTIFICATIONS: queue });
        expect(response.status, `${path}=${String(value)}`).toBeLessThan(500);
        await response.body?.cancel();
      }
    }
    // Everything at once, too.
    const all = structuredClone(callback.body);
    Object.assign(all.obj, { is_void: true, is_refund: true, refunded_amount_cents: 5_000 });
    await deliver(all, hmac, { NOTIFICATIONS: queue });
    expect(await transactionRow(txn.id)).toMatchObject({ status: 'succeeded', refundedCents: 0 });
    expect(sent).toHaveLength(0);
    expect(await ledger(txn.id)).toHaveLength(0);

    const real = await refund(txn.id, (await admin()).access, { amount: '20.00' });
    expect(real.status).toBe(200);
    expect(await readJson<TransactionView>(real)).toMatchObject({
      status: 'succeeded',
      refunded_cents: 2_000,
    });
  });

  it('no unsigned field of the browser redirect changes a payment: the redirect never refunds or voids', async () => {
    const payer = await createPayer();
    const txn = await createPendingPayment(payer, '50.00');
    const paid = await pay(txn, CARDS.success);
    const url = new URL(paid.redirect_url);
    const query = Object.fromEntries(url.searchParams);
    const unsigned = Object.keys(query).filter(
      (key) => key !== 'hmac' && key !== 'order' && !SIGNED.has(key),
    );
    expect(unsigned).toEqual(
      expect.arrayContaining(['is_void', 'is_refund', 'refunded_amount_cents', 'data.message']),
    );
    // First delivery: the redirect itself, with every unsigned reversal flag set.
    const first = new URLSearchParams({
      ...query,
      is_void: 'true',
      is_refund: 'true',
      refunded_amount_cents: '5000',
    });
    const firstResponse = await apiWithEnv(`${WEBHOOK}?${first}`, {}, {});
    expect(firstResponse.status).toBe(200);
    await firstResponse.body?.cancel();
    expect(await transactionRow(txn.id)).toMatchObject({ status: 'succeeded', refundedCents: 0 });

    for (const key of unsigned) {
      for (const value of flips(
        query[key] === 'true' || query[key] === 'false' ? query[key] === 'true' : query[key],
        5_000,
      )) {
        const forged = new URLSearchParams({ ...query, [key]: String(value) });
        const response = await apiWithEnv(`${WEBHOOK}?${forged}`, {}, {});
        expect(response.status, `${key}=${String(value)}`).toBeLessThan(500);
        await response.body?.cancel();
      }
    }
    expect(await transactionRow(txn.id)).toMatchObject({ status: 'succeeded', refundedCents: 0 });
    expect((await refund(txn.id, (await admin()).access, { amount: '50.00' })).status).toBe(200);
    expect(await transactionRow(txn.id)).toMatchObject({ status: 'refunded', refundedCents: 5_000 });
  });

  it('a signed refund child whose unsigned is_void is flipped is confirmed with PayMob: a refund, not a void', async () => {
    const { txn, paymobId } = await succeededPayment('50.00');
    const { callback } = await dashboardRefundChild(txn.merchant_order_id, paymobId, 1_000);
    const forged = structuredClone(callback.body);
    Object.assign(forged.obj, { is_void: true, is_refund: false });
    const { queue, sent } = recordingNotifications();
    expect((await deliver(forged, hmacOf(callback), { NOTIFICATIONS: queue })).status).toBe(200);
    expect(await transactionRow(txn.id)).toMatchObject({ status: 'succeeded', refundedCents: 1_000 });
    expect(statusMessages(sent)).toMatchObject([{ status: 'partially_refunded', amount: '10.00' }]);
    // The real one is then a duplicate (the ledger holds the child), and costs two round trips.
    const requestId = uniqueRequestId('child-dup');
    expect((await deliverRecorded(callback, { NOTIFICATIONS: queue }, { requestId })).status).toBe(200);
    expect(await roundTrips(requestId)).toBe(2);
    expect(await transactionRow(txn.id)).toMatchObject({ refundedCents: 1_000 });
    expect(sent).toHaveLength(1);
  });

  it('a child callback PayMob does not confirm (unknown id) changes nothing', async () => {
    const { txn, paymobId } = await succeededPayment('50.00');
    const { child, callback } = await dashboardRefundChild(txn.merchant_order_id, paymobId, 1_000);
    // PayMob's read of the child fails with a 404 once: not confirmed, so not applied (and stored).
    await addFault({
      mode: 'status',
      endpoint: 'transactions',
      status: 404,
      match: `transaction_id=${child.id}`,
    });
    expect((await deliverRecorded(callback)).status).toBe(200);
    expect(await transactionRow(txn.id)).toMatchObject({ refundedCents: 0 });
    // PayMob unavailable while confirming → 503: PayMob delivers again, nothing changed meanwhile.
    await addFault({
      mode: 'status',
      endpoint: 'transactions',
      status: 503,
      count: 4,
      match: `transaction_id=${child.id}`,
    });
    const unavailable = await deliverRecorded(callback);
    expect(unavailable.status).toBe(503);
    expect(await transactionRow(txn.id)).toMatchObject({ refundedCents: 0 });
    await clearFaults();
    // The redelivery is applied (the event rows are a log; the ledger decides).
    expect((await deliverRecorded(callback)).status).toBe(200);
    expect(await transactionRow(txn.id)).toMatchObject({ refundedCents: 1_000 });
  });
});

describe('concurrent refunds (issue 13 item 2)', () => {
  it('ten concurrent 10.00 refunds of 50.00: the recorded total is what PayMob refunded, every time', async () => {
    for (let round = 0; round < 3; round++) {
      const { txn } = await succeededPayment('50.00');
      const token = (await admin()).access;
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => refund(txn.id, token, { amount: '10.00' })),
      );
      const statuses = answers.map((r) => r.status).sort();
      for (const response of answers) await response.body?.cancel();
      const children = await childrenOf(txn.merchant_order_id);
      const refundedAtPaymob = children.reduce((sum, c) => sum + Math.abs(c.amount_cents), 0);
      // Every over-limit request got 409 before PayMob was called: PayMob saw only the accepted ones.
      expect(statuses.filter((s) => s === 200)).toHaveLength(children.length);
      expect(statuses.filter((s) => s !== 200).every((s) => s === 409)).toBe(true);
      expect(refundedAtPaymob).toBe(5_000);
      const row = await transactionRow(txn.id);
      expect(row).toMatchObject({ status: 'refunded', refundedCents: refundedAtPaymob, heldCents: 0 });
      // The callbacks that follow (children and parents, any order) change nothing.
      const callbacks = await recordedCallbacks(txn.merchant_order_id, 1 + 2 * children.length);
      await Promise.all(callbacks.slice(1).map((c) => deliverRecorded(c)));
      expect(await transactionRow(txn.id)).toMatchObject({ refundedCents: 5_000, heldCents: 0 });
      expect((await ledger(txn.id)).filter((r) => r.state === 'applied')).toHaveLength(children.length);
    }
  });
});

describe('refund callbacks in any order, with real-shaped nulls (issue 12 item 4, F5)', () => {
  it.each([
    ['child-first', 'numeric', false],
    ['parent-first', 'numeric', false],
    ['child-first', 'null', true],
    ['parent-first', 'null', true],
    ['parent-first', 'numeric', true],
  ] as const)('%s, parent total %s, delivered reversed: %s', async (order, parent, reversed) => {
    const { txn, paymobId } = await succeededPayment('100.00');
    const match = `merchant_order_id=${txn.merchant_order_id}`;
    await addFault({ mode: 'refund-callbacks', order, parent, match, count: 2 });
    const first = await dashboardRefund(paymobId, 2_500);
    await callbacksFor(txn.merchant_order_id, first.id);
    const second = await dashboardRefund(paymobId, 1_500);
    await callbacksFor(txn.merchant_order_id, second.id);
    const expected = parent === 'null' ? 3 : 5; // payment + children (+ parents)
    const recorded = (await recordedCallbacks(txn.merchant_order_id, expected)).slice(1);
    const sequence = reversed ? recorded.toReversed() : recorded;
    const { queue, sent } = recordingNotifications();
    // Each twice, the second time concurrently with the next one.
    for (const callback of [...sequence, ...sequence]) {
      expect((await deliverRecorded(callback, { NOTIFICATIONS: queue })).status).toBe(200);
    }
    expect(await transactionRow(txn.id)).toMatchObject({ status: 'succeeded', refundedCents: 4_000 });
    expect(
      statusMessages(sent)
        .map((m) => (m as { amount: string }).amount)
        .sort(),
    ).toEqual(['15.00', '25.00']);
    // Then the rest through the API: refunded, not over-refunded.
    expect((await refund(txn.id, (await admin()).access)).status).toBe(200);
    expect(await transactionRow(txn.id)).toMatchObject({ status: 'refunded', refundedCents: 10_000 });
  });

  it('a parent total alone (its child lost) counts; its child arriving later does not add to it', async () => {
    const { txn, paymobId } = await succeededPayment('100.00');
    await addFault({
      mode: 'refund-callbacks',
      order: 'parent-first',
      parent: 'numeric',
      match: `merchant_order_id=${txn.merchant_order_id}`,
    });
    const child = await dashboardRefund(paymobId, 2_500);
    const parentCallback = (await callbacksFor(txn.merchant_order_id, paymobId, 2))[1];
    if (!parentCallback) throw new Error('no parent callback');
    expect(parentCallback.body.obj).toMatchObject({ is_refunded: true });
    expect((await deliverRecorded(parentCallback)).status).toBe(200);
    expect(await transactionRow(txn.id)).toMatchObject({ refundedCents: 2_500, paymobRefundedCents: 2_500 });
    const [childCallback] = await callbacksFor(txn.merchant_order_id, child.id);
    if (!childCallback) throw new Error('no child callback');
    expect((await deliverRecorded(childCallback)).status).toBe(200);
    expect(await transactionRow(txn.id)).toMatchObject({ refundedCents: 2_500 });
  });
});

describe('PayMob’s answers to refunds and voids (issue 12 item 4, F6)', () => {
  it('a negative child amount is read as its absolute value', async () => {
    const { txn } = await succeededPayment('100.00');
    await addFault({ mode: 'negative-child-amount', match: `merchant_order_id=${txn.merchant_order_id}` });
    const response = await refund(txn.id, (await admin()).access, { amount: '25.00' });
    expect(response.status).toBe(200);
    expect(await readJson<TransactionView>(response)).toMatchObject({ refunded_cents: 2_500 });
    const [child] = await childrenOf(txn.merchant_order_id);
    expect(child?.amount_cents).toBe(-2_500);
    for (const callback of (await recordedCallbacks(txn.merchant_order_id, 3)).slice(1))
      await deliverRecorded(callback);
    expect(await transactionRow(txn.id)).toMatchObject({ refundedCents: 2_500 });
  });

  it('an unreadable answer after PayMob refunded → 502 paymob_outcome_unknown; the amount stays held until the child arrives', async () => {
    const { txn } = await succeededPayment('100.00');
    const match = `merchant_order_id=${txn.merchant_order_id}`;
    await addFault({ mode: 'unreadable-answer', match });
    await addFault({ mode: 'refund-callbacks', order: 'child-first', parent: 'none', match });
    const response = await refund(txn.id, (await admin()).access, { amount: '40.00' });
    expect(response.status).toBe(502);
    const body = await readJson<{ code: string; detail: string }>(response);
    expect(body.code).toBe('paymob_outcome_unknown');
    expect(body.detail).toMatch(/Outcome unknown — check PayMob/);
    expect((await auditRows(txn.id)).map((row) => row.details)).toMatchObject([
      { outcome: 'paymob_outcome_unknown', amount_cents: 4_000 },
    ]);
    expect(await transactionRow(txn.id)).toMatchObject({ refundedCents: 0, heldCents: 4_000 });
    expect((await ledger(txn.id)).map((r) => r.state)).toEqual(['unknown']);
    // The held amount cannot be refunded again meanwhile.
    const again = await refund(txn.id, (await admin()).access, { amount: '60.01' });
    expect(again.status).toBe(409);
    expect((await readJson<{ code: string }>(again)).code).toBe('refund_in_progress');
    // The admin page says so.
    // PayMob's child callback settles it.
    const [callback] = await childCallbacks(txn.merchant_order_id, 1);
    if (!callback) throw new Error('no child callback');
    expect((await deliverRecorded(callback)).status).toBe(200);
    expect(await transactionRow(txn.id)).toMatchObject({ refundedCents: 4_000, heldCents: 0 });
    expect((await ledger(txn.id)).map((r) => r.state).sort()).toEqual(['applied', 'released']);
    expect((await refund(txn.id, (await admin()).access, { amount: '60.00' })).status).toBe(200);
  });

  it.each([
    [
      'the maximum-refund message',
      'Requested Refund Amount is greater than the maximum refund amount permissible. Maximum Refund Amount is EGP 100.0',
    ],
    ['a balance error', 'Insufficient balance to perform this refund.'],
  ])(
    'a PayMob refusal (%s) → 502 paymob_rejected with its words; the reservation is released',
    async (_name, message) => {
      const { txn } = await succeededPayment('100.00');
      await addFault({
        mode: 'status',
        endpoint: 'refund',
        status: 400,
        body: { message },
        match: `merchant_order_id=${txn.merchant_order_id}`,
      });
      const response = await refund(txn.id, (await admin()).access, { amount: '100.00' });
      expect(response.status).toBe(502);
      const body = await readJson<{ code: string; detail: string }>(response);
      expect(body).toMatchObject({ code: 'paymob_rejected' });
      expect(body.detail).toContain(message);
      expect(await transactionRow(txn.id)).toMatchObject({ refundedCents: 0, heldCents: 0 });
      expect((await ledger(txn.id)).map((r) => r.state)).toEqual(['released']);
      expect((await refund(txn.id, (await admin()).access, { amount: '100.00' })).status).toBe(200);
    },
  );

  it('a void answer PayMob cannot be read → outcome unknown; its callback voids the payment', async () => {
    const { txn } = await succeededPayment('80.00');
    await addFault({ mode: 'unreadable-answer', match: `merchant_order_id=${txn.merchant_order_id}` });
    const response = await voidPayment(txn.id, (await admin()).access);
    expect(response.status).toBe(502);
    expect((await readJson<{ code: string }>(response)).code).toBe('paymob_outcome_unknown');
    expect((await transactionRow(txn.id)).status).toBe('succeeded');
    const [callback] = await childCallbacks(txn.merchant_order_id, 1);
    if (!callback) throw new Error('no void callback');
    expect((await deliverRecorded(callback)).status).toBe(200);
    expect((await transactionRow(txn.id)).status).toBe('voided');
  });
});

describe('void window: PayMob’s business day in the account’s zone (issue 12 item 5, F7)', () => {
  /** Voids through the service with a chosen clock, the payment's success recorded at `paidAt`. */
  async function voidAt(paidAt: string, now: string) {
    const { txn } = await succeededPayment('80.00');
    await testDb()
      .update(paymentEvents)
      .set({ receivedAt: new Date(paidAt) })
      .where(eq(paymentEvents.transactionId, txn.id));
    const ctx = testContext({
      logger: createLogger({ test: 'void-window' }),
      now: new Date(now),
      actor: {
        ...(await admin()),
        isActive: true,
        dateJoined: new Date(),
        lastLogin: null,
        tokensValidAfter: null,
      },
      notify: async () => undefined,
    });
    const result = await voidTransaction(ctx, { transactionId: txn.id }).then(
      (view) => ({ ok: true as const, view }),
      (error: { status?: number; code?: string; message?: string }) => ({ ok: false as const, error }),
    );
    return { txn, result };
  }

  it('paid 23:30 Cairo time, voided 00:30 Cairo time (the same UTC day) → 409 void_window_closed, PayMob not called', async () => {
    const { txn, result } = await voidAt('2026-12-05T21:30:00Z', '2026-12-05T22:30:00Z');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ status: 409, code: 'void_window_closed' });
    expect(result.error.message).toContain('2026-12-05, Africa/Cairo');
    expect(await childrenOf(txn.merchant_order_id)).toHaveLength(0);
    expect((await transactionRow(txn.id)).status).toBe('succeeded');
  });

  it('paid 00:30 Cairo time, voided 03:00 Cairo time (another UTC day) → voided', async () => {
    const { txn, result } = await voidAt('2026-12-05T22:30:00Z', '2026-12-06T01:00:00Z');
    expect(result).toMatchObject({ ok: true, view: { status: 'voided' } });
    expect((await transactionRow(txn.id)).status).toBe('voided');
  });

  it('Egypt’s summer time: paid 23:50 Cairo (UTC+3), voided 00:10 → 409', async () => {
    const { result } = await voidAt('2026-07-05T20:50:00Z', '2026-07-05T21:10:00Z');
    expect(result).toMatchObject({ ok: false, error: { status: 409, code: 'void_window_closed' } });
  });
});

describe('database round trips (each one a network trip in production)', () => {
  it('payment callback: first delivery 3, duplicate 1; refund child callback confirmed: 5, duplicate 2; API refund: 10', async () => {
    const payer = await createPayer();
    const txn = await createPendingPayment(payer, '50.00');
    const paid = await pay(txn, CARDS.success);
    const [callback] = await callbacksFor(txn.merchant_order_id, paid.transaction_id);
    if (!callback) throw new Error('no callback');
    const first = uniqueRequestId('first');
    expect((await deliverRecorded(callback, {}, { requestId: first })).status).toBe(200);
    expect(await roundTrips(first)).toBe(3);
    const duplicate = uniqueRequestId('dup');
    expect((await deliverRecorded(callback, {}, { requestId: duplicate })).status).toBe(200);
    // The read says the report is stored already (docs/round-trips.md).
    expect(await roundTrips(duplicate)).toBe(1);

    const { callback: childCallback } = await dashboardRefundChild(
      txn.merchant_order_id,
      paid.transaction_id,
      1_000,
    );
    const confirmed = uniqueRequestId('child');
    expect((await deliverRecorded(childCallback, {}, { requestId: confirmed })).status).toBe(200);
    // read, event, ledger row, an unknown reservation of that amount settled, recomputed sum
    expect(await roundTrips(confirmed)).toBe(5);
    const again = uniqueRequestId('child-dup');
    expect((await deliverRecorded(childCallback, {}, { requestId: again })).status).toBe(200);
    expect(await roundTrips(again)).toBe(2);

    const viaApi = uniqueRequestId('refund');
    const response = await refund(txn.id, (await admin()).access, { amount: '10.00' }, { requestId: viaApi });
    expect(response.status).toBe(200);
    await response.body?.cancel();
    // Three more than before the ledger: the guarded claim, the reservation row, and the reservation
    // becoming the child's row (the recomputed sum replaces the old guarded update).
    expect(await roundTrips(viaApi)).toBe(10);
  });
});
