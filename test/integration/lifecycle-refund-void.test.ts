import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { paymentEvents } from '../../src/db/schema';
import type { TransactionStatusNotification } from '../../src/transactions/apply-event';
import type { TransactionView } from '../../src/transactions/schemas';
import { TEST_SECRETS } from '../test-env';
import { api, apiWithEnv, createUser, type Problem, readJson, type TestUser, testDb } from './helpers';
import { describeAuthorization } from './helpers/authorization';
import {
  auditRows,
  childCallbacks,
  childrenOf,
  eventsWithSource,
  recordedReversal,
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
  customerIdOf,
  deliverRecorded,
  eventsOf,
  insertTransaction,
  pay,
  recordedCallbacks,
  recordingNotifications,
  sandbox,
  statusMessages,
  TXN,
  transactionRow,
} from './transactions-support';

afterEach(clearFaults);

let adminUser: TestUser | undefined;
async function admin(): Promise<TestUser> {
  adminUser ??= await createUser({ role: 'ADMIN' });
  return adminUser;
}

const statuses = (sent: Parameters<typeof statusMessages>[0]) =>
  statusMessages(sent).map((m) => (m as TransactionStatusNotification).status);

async function problem(response: Response): Promise<Problem & Record<string, unknown>> {
  expect(response.headers.get('Content-Type')).toBe('application/problem+json');
  return readJson(response);
}

describe('refund — partial, then full', () => {
  it('a partial refund keeps the payment succeeded; the rest makes it refunded', async () => {
    const { payer, txn, paymobId } = await succeededPayment('150.00');
    const { id } = await admin();

    const partial = await recordedReversal('refund', txn.id, (await admin()).access, { amount: '50.00' });
    expect(partial.response.status).toBe(200);
    expect(await readJson<TransactionView>(partial.response)).toMatchObject({
      id: txn.id,
      status: 'succeeded',
      refunded_cents: 5_000,
      amount: '150.00',
    });
    expect(statusMessages(partial.sent)).toMatchObject([
      { to: payer.email, status: 'partially_refunded', amount: '50.00' },
    ]);

    // Default: everything not refunded yet.
    const rest = await recordedReversal('refund', txn.id, (await admin()).access);
    expect(rest.response.status).toBe(200);
    expect(await readJson<TransactionView>(rest.response)).toMatchObject({
      status: 'refunded',
      refunded_cents: 15_000,
    });
    expect(statuses(rest.sent)).toEqual(['refunded']);

    // PayMob made two refund children of our payment.
    const children = await childrenOf(txn.merchant_order_id);
    expect(children.map((c) => [c.amount_cents, c.is_refund, c.parent_transaction]).sort()).toEqual([
      [10_000, true, paymobId],
      [5_000, true, paymobId],
    ]);
    // Both answers were applied as events of the children, source api_response.
    const applied = await eventsWithSource(txn.id, 'api_response');
    expect(applied.map((e) => [e.kind, e.type, e.amountCents, e.outcome])).toEqual([
      ['refund', 'REFUND', 5_000, 'applied'],
      ['refund', 'REFUND', 10_000, 'applied'],
    ]);
    expect(new Set(applied.map((e) => e.paymobTransactionId))).toEqual(new Set(children.map((c) => c.id)));

    // At PayMob the payment now shows everything refunded.
    const original = await sandbox(`/api/acceptance/transactions/${paymobId}`, {
      headers: { Authorization: `Bearer ${await sandboxAuthToken()}` },
    });
    expect(await original.json()).toMatchObject({ is_refunded: true, refunded_amount_cents: 15_000 });

    // The audit log names the admin and the amounts.
    const audit = await auditRows(txn.id);
    expect(audit.map((row) => [row.action, row.actorUserId])).toEqual([
      ['transaction.refund', id],
      ['transaction.refund', id],
    ]);
    expect(audit[0]?.details).toMatchObject({
      amount_cents: 5_000,
      currency: 'EGP',
      refunded_cents_before: 0,
      outcome: 'accepted',
      paymob_transaction_id: paymobId,
    });
    expect(audit[1]?.details).toMatchObject({ amount_cents: 10_000, refunded_cents_before: 5_000 });
  });

  it('the refund callbacks that follow are duplicates of the answers: nothing changes, no e-mail', async () => {
    const { txn } = await succeededPayment('100.00');
    expect((await refund(txn.id, (await admin()).access, { amount: '30.00' })).status).toBe(200);
    const [callback] = await childCallbacks(txn.merchant_order_id, 1);
    if (!callback) throw new Error('no refund callback');
    expect(callback.body.obj.has_parent_transaction).toBe(true);

    const { queue, sent } = recordingNotifications();
    for (let i = 0; i < 2; i++) {
      expect((await deliverRecorded(callback, { NOTIFICATIONS: queue })).status).toBe(200);
    }
    const row = await transactionRow(txn.id);
    expect(row).toMatchObject({ status: 'succeeded', refundedCents: 3_000 });
    expect(sent).toHaveLength(0);
    expect(
      await testDb()
        .select({ id: paymentEvents.id })
        .from(paymentEvents)
        .where(eq(paymentEvents.paymobTransactionId, callback.body.obj.id)),
    ).toHaveLength(1);
  });

  it('a refund made at PayMob (e.g. its dashboard) is applied once by its callback; a duplicate changes nothing', async () => {
    const { txn, paymobId } = await succeededPayment('100.00');
    const token = await sandboxAuthToken();
    const answer = await sandbox('/api/acceptance/void_refund/refund', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ auth_token: token, transaction_id: paymobId, amount_cents: 2_500 }),
    });
    expect(answer.status).toBe(200);
    const [callback] = await childCallbacks(txn.merchant_order_id, 1);
    if (!callback) throw new Error('no refund callback');

    const { queue, sent } = recordingNotifications();
    const answers = await Promise.all([
      deliverRecorded(callback, { NOTIFICATIONS: queue }),
      deliverRecorded(callback, { NOTIFICATIONS: queue }),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect((await deliverRecorded(callback, { NOTIFICATIONS: queue })).status).toBe(200);
    expect(await transactionRow(txn.id)).toMatchObject({ status: 'succeeded', refundedCents: 2_500 });
    expect(statuses(sent)).toEqual(['partially_refunded']);
  });

  it('a refund beyond the remaining amount is refused with 400 on `amount`, without calling PayMob', async () => {
    const { txn } = await succeededPayment('100.00');
    const over = await refund(txn.id, (await admin()).access, { amount: '100.01' });
    expect(over.status).toBe(400);
    expect((await problem(over)).errors?.amount?.[0]).toMatch(/less than or equal to 100\.00/);

    expect((await refund(txn.id, (await admin()).access, { amount: '60.00' })).status).toBe(200);
    const rest = await refund(txn.id, (await admin()).access, { amount: '40.01' });
    expect(rest.status).toBe(400);
    expect((await problem(rest)).errors?.amount?.[0]).toMatch(/40\.00/);

    // The sandbox saw one refund only; the row kept its sum; no audit row for the refusals.
    expect((await childrenOf(txn.merchant_order_id)).map((c) => c.amount_cents)).toEqual([6_000]);
    expect((await transactionRow(txn.id)).refundedCents).toBe(6_000);
    expect(await auditRows(txn.id)).toHaveLength(1);
  });

  // Issue 12 item 1: an OMR payment needs an Oman account (PAYMOB_COUNTRY=OM and its OMR integration); it
  // used to be an Omani address on the EG test account, which a real EGP integration refuses.
  it('uses the currency’s digits: OMR has three', async () => {
    const oman = { PAYMOB_COUNTRY: 'OM', PAYMOB_INTEGRATION_ID: TEST_SECRETS.PAYMOB_INTEGRATION_ID_OM };
    const payer = await createPayer({ country: 'OM' });
    const created = await apiWithEnv(
      TXN,
      { method: 'POST', token: payer.access, json: { amount: '2.500' } },
      oman,
    );
    expect(created.status).toBe(201);
    const txn = await readJson<TransactionView>(created);
    await pay(txn, CARDS.success);
    const [callback] = await recordedCallbacks(txn.merchant_order_id, 1);
    if (!callback) throw new Error('no callback');
    expect((await deliverRecorded(callback, oman)).status).toBe(200);
    const adminToken = (await admin()).access;
    const refundOman = (amount: string) =>
      apiWithEnv(`${TXN}${txn.id}/refund/`, { method: 'POST', token: adminToken, json: { amount } }, oman);
    const tooPrecise = await refundOman('1.0005');
    expect(tooPrecise.status).toBe(400);
    expect((await problem(tooPrecise)).errors?.amount).toEqual([
      'Ensure that there are no more than 3 decimal places.',
    ]);
    const ok = await refundOman('1.25');
    expect(await readJson<TransactionView>(ok)).toMatchObject({
      currency: 'OMR',
      status: 'succeeded',
      refunded_cents: 1_250,
    });
  });
});

describe('refund and void — state rules', () => {
  it.each(['pending', 'failed', 'expired', 'refunded', 'voided'] as const)(
    'a %s transaction → 409 invalid_transaction_state naming the state',
    async (status) => {
      const payer = await createPayer();
      const id = await insertTransaction(payer.customerId, { status, paymobTransactionId: 123 });
      for (const response of [
        await refund(id, (await admin()).access, { amount: '1.00' }),
        await voidPayment(id, (await admin()).access),
      ]) {
        expect(response.status).toBe(409);
        const body = await problem(response);
        expect(body).toMatchObject({ code: 'invalid_transaction_state', transaction_status: status });
        expect(body.detail).toContain(status);
      }
    },
  );

  it('an unknown or malformed id → 404', async () => {
    for (const id of ['999999999999', 'abc', '0', '-1', '1.5', '99999999999999999999999', '%20']) {
      expect((await refund(id, (await admin()).access, {})).status).toBe(404);
      expect((await voidPayment(id, (await admin()).access)).status).toBe(404);
    }
  });
});

describe('void', () => {
  it('on the day of the payment → voided; the void callback changes nothing more; audit-logged', async () => {
    const { payer, txn, paymobId } = await succeededPayment('80.00');
    const { response, sent } = await recordedReversal('void', txn.id, (await admin()).access);
    expect(response.status).toBe(200);
    expect(await readJson<TransactionView>(response)).toMatchObject({ status: 'voided', refunded_cents: 0 });
    expect(statusMessages(sent)).toMatchObject([{ to: payer.email, status: 'voided', amount: '80.00' }]);

    const [callback] = await childCallbacks(txn.merchant_order_id, 1);
    if (!callback) throw new Error('no void callback');
    expect(callback.kind).toBe('void');
    const { queue, sent: late } = recordingNotifications();
    expect((await deliverRecorded(callback, { NOTIFICATIONS: queue })).status).toBe(200);
    expect((await transactionRow(txn.id)).status).toBe('voided');
    expect(late).toHaveLength(0);
    expect((await eventsOf(txn.id)).map((e) => [e.kind, e.source, e.outcome])).toEqual([
      ['transaction', 'processed_callback', 'applied'],
      ['void', 'api_response', 'applied'],
    ]);

    const [audit] = await auditRows(txn.id);
    expect(audit).toMatchObject({ action: 'transaction.void', actorUserId: (await admin()).id });
    expect(audit?.details).toMatchObject({ amount_cents: 8_000, paymob_transaction_id: paymobId });

    // Final: neither a second void nor a refund.
    expect((await voidPayment(txn.id, (await admin()).access)).status).toBe(409);
    expect((await refund(txn.id, (await admin()).access)).status).toBe(409);
  });

  it('on a later day → 409 void_window_closed, PayMob not called', async () => {
    const { txn, paymobId } = await succeededPayment();
    const yesterday = new Date(Date.now() - 24 * 60 * 60 * 1000);
    await testDb()
      .update(paymentEvents)
      .set({ receivedAt: yesterday })
      .where(eq(paymentEvents.transactionId, txn.id));
    await sandbox(`/sandbox/paymob/transactions/${paymobId}/backdate`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ days: 1 }),
    });
    const response = await voidPayment(txn.id, (await admin()).access);
    expect(response.status).toBe(409);
    const body = await problem(response);
    expect(body.code).toBe('void_window_closed');
    // The payment's business day in PayMob's zone for the test account (Africa/Cairo), computed here with Intl:
    // between 22:00 and 24:00 UTC it is not the UTC date.
    const cairoDay = new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Africa/Cairo',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(yesterday);
    expect(body.detail).toContain(`(${cairoDay}, Africa/Cairo time)`);
    expect(await childrenOf(txn.merchant_order_id)).toHaveLength(0);
    expect((await transactionRow(txn.id)).status).toBe('succeeded');
    // A refund is still possible.
    expect((await refund(txn.id, (await admin()).access)).status).toBe(200);
  });

  it('PayMob’s own business-day rule refusing → 502 paymob_rejected, nothing changed, attempt audited', async () => {
    const { txn, paymobId } = await succeededPayment();
    await sandbox(`/sandbox/paymob/transactions/${paymobId}/backdate`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ days: 1 }),
    });
    const response = await voidPayment(txn.id, (await admin()).access);
    expect(response.status).toBe(502);
    const body = await problem(response);
    expect(body.code).toBe('paymob_rejected');
    expect(body.detail).toMatch(/same business day/);
    expect((await transactionRow(txn.id)).status).toBe('succeeded');
    expect((await auditRows(txn.id)).map((row) => row.details)).toMatchObject([
      { outcome: 'paymob_rejected' },
    ]);
  });

  it('after a partial refund → 409: refund the rest instead', async () => {
    const { txn } = await succeededPayment();
    expect((await refund(txn.id, (await admin()).access, { amount: '10.00' })).status).toBe(200);
    const response = await voidPayment(txn.id, (await admin()).access);
    expect(response.status).toBe(409);
    expect((await problem(response)).code).toBe('invalid_transaction_state');
    expect((await childrenOf(txn.merchant_order_id)).filter((c) => c.is_void)).toHaveLength(0);
  });
});

describe('refund and void — PayMob failures', () => {
  it('a 5xx on refund → 502 paymob_unavailable and no retry (a repeat could refund twice)', async () => {
    const { txn } = await succeededPayment();
    // One failure only: a retry would succeed, so a refund child would prove one happened.
    await addFault({
      mode: 'status',
      endpoint: 'refund',
      status: 500,
      match: `merchant_order_id=${txn.merchant_order_id}`,
    });
    const response = await refund(txn.id, (await admin()).access, { amount: '5.00' });
    expect(response.status).toBe(502);
    expect((await problem(response)).code).toBe('paymob_unavailable');
    expect(await childrenOf(txn.merchant_order_id)).toHaveLength(0);
    expect(await transactionRow(txn.id)).toMatchObject({ status: 'succeeded', refundedCents: 0 });
    expect((await auditRows(txn.id)).map((row) => row.details)).toMatchObject([
      { outcome: 'paymob_unavailable', amount_cents: 500 },
    ]);
  });

  it('a 4xx on void → 502 paymob_rejected with PayMob’s message only', async () => {
    const { txn } = await succeededPayment();
    await addFault({
      mode: 'status',
      endpoint: 'void',
      status: 400,
      body: { message: 'Void is not allowed for this integration.', internal: 'secret detail' },
      match: `merchant_order_id=${txn.merchant_order_id}`,
    });
    const response = await voidPayment(txn.id, (await admin()).access);
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ code: 'paymob_rejected' });
    expect(text).toContain('Void is not allowed for this integration.');
    expect(text).not.toContain('secret detail');
    expect((await transactionRow(txn.id)).status).toBe('succeeded');
  });
});

describe('refund — Idempotency-Key', () => {
  it('a retry with the same key replays the first answer: one refund at PayMob', async () => {
    const { txn } = await succeededPayment();
    const key = crypto.randomUUID();
    const init = { headers: { 'Idempotency-Key': key } };
    const first = await refund(txn.id, (await admin()).access, { amount: '10.00' }, init);
    const second = await refund(txn.id, (await admin()).access, { amount: '10.00' }, init);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await second.json()).toEqual(await first.json());
    expect(await childrenOf(txn.merchant_order_id)).toHaveLength(1);
    expect((await transactionRow(txn.id)).refundedCents).toBe(1_000);

    // The same key on another transaction is that transaction's own request.
    const other = await succeededPayment();
    expect((await refund(other.txn.id, (await admin()).access, { amount: '10.00' }, init)).status).toBe(200);
    expect(await childrenOf(other.txn.merchant_order_id)).toHaveLength(1);
  });
});

describe('refund and void — hostile input never produces a 5xx', () => {
  let hostileTarget: ReturnType<typeof succeededPayment> | undefined;
  it.each<[string, unknown, string]>([
    ['zero', { amount: '0' }, 'greater than or equal to 0.01'],
    ['negative', { amount: '-5.00' }, 'valid number'],
    ['too many digits', { amount: '1.001' }, 'no more than 2 decimal places'],
    ['an exponent', { amount: '1e2' }, 'valid number'],
    ['text', { amount: 'ten' }, 'valid number'],
    ['blank', { amount: '  ' }, 'may not be blank'],
    ['null', { amount: null }, 'may not be null'],
    ['a boolean', { amount: true }, 'valid number'],
    ['an array', { amount: ['1.00'] }, 'valid number'],
    ['an object', { amount: { value: '1.00' } }, 'valid number'],
    ['a huge number', { amount: 1e300 }, 'valid number'],
    ['eleven integer digits', { amount: '12345678901.00' }, 'no more than 10 digits'],
  ])('amount %s → 400 on `amount`', async (_case, body, message) => {
    // One payment for every case: none of them may change it.
    hostileTarget ??= succeededPayment();
    const { txn } = await hostileTarget;
    const response = await refund(txn.id, (await admin()).access, body);
    expect(response.status).toBe(400);
    const errors = (await problem(response)).errors;
    expect(errors?.amount?.[0]).toContain(message);
    expect(await childrenOf(txn.merchant_order_id)).toHaveLength(0);
  });

  it('bodies that are not a JSON object, malformed JSON, other media types → 4xx', async () => {
    const { txn } = await succeededPayment();
    const token = (await admin()).access;
    const path = `${TXN}${txn.id}/refund/`;
    const headers = { 'Content-Type': 'application/json' };
    const cases: Array<[RequestInit & { headers?: Record<string, string> }, number]> = [
      [{ body: '[]', headers }, 400],
      [{ body: '"1.00"', headers }, 400],
      [{ body: 'null', headers }, 400],
      [{ body: '{"amount": ', headers }, 400],
      [{ body: 'amount=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, 415],
      [{ body: 'x'.repeat(1024 * 1024 + 1), headers }, 413],
    ];
    for (const [init, status] of cases) {
      const response = await api(path, { method: 'POST', token, ...init });
      expect(response.status, String(init.body).slice(0, 20)).toBe(status);
      await response.body?.cancel();
    }
    // Unknown fields are ignored; an empty body means "the rest".
    const ok = await api(path, { method: 'POST', token, json: { amount: '1.00', status: 'refunded' } });
    expect(await readJson<TransactionView>(ok)).toMatchObject({ status: 'succeeded', refunded_cents: 100 });
    const rest = await api(path, { method: 'POST', token });
    expect(await readJson<TransactionView>(rest)).toMatchObject({ status: 'refunded' });
  });

  it('other methods → 405', async () => {
    const { txn } = await succeededPayment();
    for (const kind of ['refund', 'void']) {
      const response = await api(`${TXN}${txn.id}/${kind}/`, { token: (await admin()).access });
      expect(response.status).toBe(405);
      await response.body?.cancel();
    }
  });
});

describe('OpenAPI', () => {
  it('documents both routes under Transactions with bearer security', async () => {
    const doc = await readJson<{
      paths: Record<string, Record<string, { tags?: string[]; security?: unknown }>>;
    }>(await api('/openapi.json'));
    for (const kind of ['refund', 'void']) {
      const operation = doc.paths[`/api/v1/transactions/txn/{id}/${kind}`]?.post;
      expect(operation, kind).toBeDefined();
      expect(operation?.tags).toEqual(['Transactions']);
      // An ADMIN's token, or a server API key with refunds:write (docs/api-keys.md).
      expect(operation?.security).toEqual([{ bearerAuth: [] }, { apiKeyAuth: ['refunds:write'] }]);
    }
  });
});

for (const kind of ['refund', 'void'] as const) {
  describeAuthorization(
    `POST txn/{id}/${kind}/`,
    {
      method: 'POST',
      path: async (owner) => {
        // A succeeded row without PayMob's id: an ADMIN gets past authorisation to the 409.
        const id = await insertTransaction(await customerIdOf(owner.id), { status: 'succeeded' });
        return `${TXN}${id}/${kind}/`;
      },
      body: () => ({}),
    },
    { customer: 403, otherCustomer: 403, staff: 403, admin: 409 },
  );
}

describe('staff and customers', () => {
  it('STAFF and the paying customer get 403 and PayMob is not called', async () => {
    const { payer, txn } = await succeededPayment();
    const staff = await createUser({ role: 'STAFF' });
    for (const user of [staff, payer]) {
      expect((await refund(txn.id, user.access, {})).status).toBe(403);
      expect((await voidPayment(txn.id, user.access)).status).toBe(403);
    }
    expect(await childrenOf(txn.merchant_order_id)).toHaveLength(0);
    expect(await auditRows(txn.id)).toHaveLength(0);
  });

  it('a pending payment of a customer can be neither refunded nor voided (409)', async () => {
    const txn = await createPendingPayment(await createPayer());
    expect((await refund(txn.id, (await admin()).access)).status).toBe(409);
    expect((await voidPayment(txn.id, (await admin()).access)).status).toBe(409);
  });
});
