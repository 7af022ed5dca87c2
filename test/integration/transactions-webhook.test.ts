import { afterEach, describe, expect, it } from 'vitest';
import type { TransactionStatusNotification } from '../../src/transactions/apply-event';
import { api, apiWithEnv, type Problem, readJson, roundTrips, uniqueRequestId } from './helpers';
import {
  addFault,
  CARDS,
  clearFaults,
  createPayer,
  createPendingPayment,
  deliver,
  deliverRecorded,
  eventsByPaymobId,
  eventsOf,
  hmacOf,
  pay,
  recordedCallbacks,
  recordingNotifications,
  sign,
  statusMessages,
  transactionRow,
  WEBHOOK,
} from './transactions-support';

afterEach(clearFaults);

/** A pending payment paid with `card`, and the processed callback(s) the sandbox signed for it. */
async function paidPayment(card: string, callbacks = 1) {
  const payer = await createPayer();
  const txn = await createPendingPayment(payer);
  const paid = await pay(txn, card);
  const recorded = await recordedCallbacks(txn.merchant_order_id, callbacks);
  return { payer, txn, paid, recorded };
}

describe('processed callback — the payment journey', () => {
  it('create → pay with the success card → signed callback → succeeded, status e-mail queued once', async () => {
    const { payer, txn, paid, recorded } = await paidPayment(CARDS.success);
    const [callback] = recorded;
    if (!callback) throw new Error('no callback');
    expect(callback.body.type).toBe('TRANSACTION');
    expect(callback.transaction_id).toBe(paid.transaction_id);

    const { queue, sent } = recordingNotifications();
    const response = await deliverRecorded(callback, { NOTIFICATIONS: queue });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: true });

    const row = await transactionRow(txn.id);
    expect(row.status).toBe('succeeded');
    expect(row.paymobTransactionId).toBe(paid.transaction_id);
    expect(row.failureReason).toBeNull();

    const [event, ...others] = await eventsOf(txn.id);
    expect(others).toHaveLength(0);
    expect(event).toMatchObject({
      paymobTransactionId: paid.transaction_id,
      kind: 'transaction',
      source: 'processed_callback',
      type: 'TRANSACTION',
      outcome: 'applied',
      success: true,
      pending: false,
      merchantOrderId: txn.merchant_order_id,
      amountCents: txn.amount_cents,
    });
    expect((event?.rawBody as { obj: { id: number } } | undefined)?.obj.id).toBe(paid.transaction_id);

    const messages = statusMessages(sent) as TransactionStatusNotification[];
    expect(messages).toEqual([
      {
        type: 'transaction_status',
        idempotency_key: `transaction_status:${txn.id}:succeeded`,
        to: payer.email,
        user_id: payer.id,
        username: payer.username,
        transaction_id: txn.id,
        merchant_order_id: txn.merchant_order_id,
        status: 'succeeded',
        amount: '150.00',
        currency: 'EGP',
        failure_reason: null,
        // How it was paid, from the callback's signed source_data (docs/paymob.md §8).
        payment_method: 'card (MasterCard) 2346',
      },
    ]);

    const read = await api(`/api/v1/transactions/txn/${txn.id}/`, { token: payer.access });
    expect(await read.json()).toMatchObject({
      status: 'succeeded',
      paymob_transaction_id: paid.transaction_id,
    });
  });

  it('a declined card → failed with PayMob’s message, e-mail queued', async () => {
    const { txn, recorded } = await paidPayment(CARDS.declined);
    const { queue, sent } = recordingNotifications();
    const callback = recorded[0];
    if (!callback) throw new Error('no callback');
    expect((await deliverRecorded(callback, { NOTIFICATIONS: queue })).status).toBe(200);
    const row = await transactionRow(txn.id);
    expect(row.status).toBe('failed');
    expect(row.failureReason).toBe('Do not honor');
    expect(statusMessages(sent)).toMatchObject([{ status: 'failed', failure_reason: 'Do not honor' }]);
  });

  it('the pending card: a pending report changes nothing, the later success applies', async () => {
    const { txn, recorded } = await paidPayment(CARDS.pending, 2);
    const [pendingReport, success] = recorded;
    if (!pendingReport || !success) throw new Error('callbacks missing');
    expect(pendingReport.body.obj.pending).toBe(true);
    const { queue, sent } = recordingNotifications();

    expect((await deliverRecorded(pendingReport, { NOTIFICATIONS: queue })).status).toBe(200);
    expect((await transactionRow(txn.id)).status).toBe('pending');
    expect((await deliverRecorded(success, { NOTIFICATIONS: queue })).status).toBe(200);
    expect((await transactionRow(txn.id)).status).toBe('succeeded');

    const events = await eventsOf(txn.id);
    expect(events.map((e) => [e.kind, e.outcome])).toEqual([
      ['transaction_pending', 'ignored'],
      ['transaction', 'applied'],
    ]);
    expect(statusMessages(sent).map((m) => (m as TransactionStatusNotification).status)).toEqual([
      'succeeded',
    ]);
  }, 20_000);

  it('a failed attempt, then a successful one on the same PayMob order → succeeded', async () => {
    const payer = await createPayer();
    const txn = await createPendingPayment(payer);
    await pay(txn, CARDS.declined);
    const [declined] = await recordedCallbacks(txn.merchant_order_id, 1);
    await pay(txn, CARDS.success);
    const [, success] = await recordedCallbacks(txn.merchant_order_id, 2);
    if (!declined || !success) throw new Error('callbacks missing');
    expect((await deliverRecorded(declined)).status).toBe(200);
    expect((await transactionRow(txn.id)).status).toBe('failed');
    expect((await deliverRecorded(success)).status).toBe(200);
    const row = await transactionRow(txn.id);
    expect(row.status).toBe('succeeded');
    expect(row.failureReason).toBeNull();
  });

  it('costs three database round trips', async () => {
    const { recorded } = await paidPayment(CARDS.success);
    const callback = recorded[0];
    if (!callback) throw new Error('no callback');
    const requestId = uniqueRequestId('webhook');
    expect((await deliverRecorded(callback, {}, { requestId })).status).toBe(200);
    expect(await roundTrips(requestId)).toBe(3);
  });
});

describe('processed callback — duplicates and late events', () => {
  it('a duplicate delivery (the sandbox’s duplicate-callback fault) → one state change, one e-mail', async () => {
    const payer = await createPayer();
    const txn = await createPendingPayment(payer);
    await addFault({ mode: 'duplicate-callback', match: `merchant_order_id=${txn.merchant_order_id}` });
    await pay(txn, CARDS.success);
    const recorded = await recordedCallbacks(txn.merchant_order_id, 2);
    expect(recorded[0]?.body).toEqual(recorded[1]?.body);

    const { queue, sent } = recordingNotifications();
    const answers = await Promise.all(
      recorded.map((callback) => deliverRecorded(callback, { NOTIFICATIONS: queue })),
    );
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    // And once more, later.
    const again = recorded[0];
    if (!again) throw new Error('no callback');
    expect((await deliverRecorded(again, { NOTIFICATIONS: queue })).status).toBe(200);

    expect((await transactionRow(txn.id)).status).toBe('succeeded');
    expect(await eventsOf(txn.id)).toHaveLength(1);
    expect(statusMessages(sent)).toHaveLength(1);
  });

  it('a late failure after success is stored and ignored: no change, no e-mail', async () => {
    const { txn, recorded } = await paidPayment(CARDS.success);
    const success = recorded[0];
    if (!success) throw new Error('no callback');
    expect((await deliverRecorded(success)).status).toBe(200);

    const late = structuredClone(success.body);
    Object.assign(late.obj, { id: success.body.obj.id + 1_000_000, success: false });
    (late.obj.data as Record<string, unknown>).message = 'Do not honor';
    const { queue, sent } = recordingNotifications();
    expect((await deliver(late, await sign(late.obj), { NOTIFICATIONS: queue })).status).toBe(200);

    const row = await transactionRow(txn.id);
    expect(row.status).toBe('succeeded');
    expect(row.failureReason).toBeNull();
    const [stored] = await eventsByPaymobId(late.obj.id);
    expect(stored).toMatchObject({ outcome: 'ignored', transactionId: txn.id, success: false });
    expect(sent).toHaveLength(0);
  });

  it('a pending report after the result is ignored', async () => {
    const { txn, recorded } = await paidPayment(CARDS.success);
    const success = recorded[0];
    if (!success) throw new Error('no callback');
    await deliverRecorded(success);
    const stale = structuredClone(success.body);
    Object.assign(stale.obj, { pending: true, success: false });
    expect((await deliver(stale, await sign(stale.obj))).status).toBe(200);
    expect((await transactionRow(txn.id)).status).toBe('succeeded');
  });
});

describe('processed callback — binding to our transaction', () => {
  it.each<[string, (obj: Record<string, unknown> & { order: Record<string, unknown> }) => void]>([
    ['amount', (obj) => Object.assign(obj, { amount_cents: Number(obj.amount_cents) + 100 })],
    ['currency', (obj) => Object.assign(obj, { currency: 'USD' })],
    ['PayMob order id', (obj) => Object.assign(obj.order, { id: Number(obj.order.id) + 1 })],
  ])(
    'a validly signed callback with another %s → anomaly, transaction unchanged, 200',
    async (_field, alter) => {
      const { txn, recorded } = await paidPayment(CARDS.success);
      const genuine = recorded[0];
      if (!genuine) throw new Error('no callback');
      const forged = structuredClone(genuine.body);
      alter(forged.obj);
      const { queue, sent } = recordingNotifications();
      const response = await deliver(forged, await sign(forged.obj), { NOTIFICATIONS: queue });
      expect(response.status).toBe(200);
      expect((await transactionRow(txn.id)).status).toBe('pending');
      const [event] = await eventsOf(txn.id);
      expect(event?.outcome).toBe('anomaly');
      expect(event?.message).toMatch(/^anomaly: /);
      expect(sent).toHaveLength(0);
    },
  );

  it('a callback for an order we do not know → stored as unmatched, 200', async () => {
    const { recorded } = await paidPayment(CARDS.success);
    const genuine = recorded[0];
    if (!genuine) throw new Error('no callback');
    const unknown = structuredClone(genuine.body);
    Object.assign(unknown.obj, { id: genuine.body.obj.id + 2_000_000 });
    Object.assign(unknown.obj.order, { merchant_order_id: 'SP-UNKNOWN', id: 1 });
    const response = await deliver(unknown, await sign(unknown.obj));
    expect(response.status).toBe(200);
    const [event] = await eventsByPaymobId(unknown.obj.id);
    expect(event).toMatchObject({ outcome: 'unmatched', transactionId: null, merchantOrderId: 'SP-UNKNOWN' });
  });
});

describe('processed callback — refusals', () => {
  it('a forged HMAC → 401 problem, nothing stored, nothing changed', async () => {
    const { txn, recorded } = await paidPayment(CARDS.success);
    const genuine = recorded[0];
    if (!genuine) throw new Error('no callback');
    const hmac = hmacOf(genuine);
    const forgedHmac = `${hmac.slice(0, -1)}${hmac.endsWith('0') ? '1' : '0'}`;
    const response = await deliver(genuine.body, forgedHmac);
    expect(response.status).toBe(401);
    expect((await readJson<Problem>(response)).code).toBe('invalid_signature');

    const tampered = structuredClone(genuine.body);
    Object.assign(tampered.obj, { amount_cents: 1 });
    expect((await deliver(tampered, hmac)).status).toBe(401);
    expect((await transactionRow(txn.id)).status).toBe('pending');
    expect(await eventsOf(txn.id)).toHaveLength(0);
  });

  it.each<[string, string, string | undefined, number]>([
    ['malformed JSON', '{"type": "TRANSACTION", "obj": {', 'a'.repeat(128), 400],
    ['not an object', '[1, 2]', 'a'.repeat(128), 400],
    ['no obj', '{"type": "TRANSACTION"}', 'a'.repeat(128), 400],
    ['obj not an object', '{"type": "TRANSACTION", "obj": "x"}', 'a'.repeat(128), 400],
    ['no hmac', '{"type": "TRANSACTION", "obj": {"id": 1}}', undefined, 400],
    ['empty hmac', '{"type": "TRANSACTION", "obj": {"id": 1}}', '', 400],
    ['wrong hmac', '{"type": "TRANSACTION", "obj": {"id": 1}}', 'a'.repeat(128), 401],
  ])('%s → %i problem', async (_name, body, hmac, status) => {
    const response = await deliver(body, hmac);
    expect(response.status).toBe(status);
    expect(response.headers.get('Content-Type')).toBe('application/problem+json');
  });

  it('a body over 64 KiB → 413 before anything else', async () => {
    const body = JSON.stringify({ type: 'TRANSACTION', obj: { pad: 'x'.repeat(70 * 1024) } });
    const response = await deliver(body, 'a'.repeat(128));
    expect(response.status).toBe(413);
  });

  it('a streamed body over 64 KiB without Content-Length → 413', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ >= 5) return controller.close();
        controller.enqueue(chunk);
      },
    });
    const response = await apiWithEnv(
      `${WEBHOOK}?hmac=${'a'.repeat(128)}`,
      { method: 'POST', body, headers: { 'Content-Type': 'application/json' } },
      {},
    );
    expect(response.status).toBe(413);
  });

  it('is not rate limited and needs no authentication', async () => {
    const ip = '2001:db8::77';
    const answers = await Promise.all(
      Array.from({ length: 40 }, () =>
        api(`${WEBHOOK}?hmac=${'a'.repeat(128)}`, {
          method: 'POST',
          ip,
          json: { type: 'X', obj: { id: 1 } },
        }),
      ),
    );
    expect(answers.every((r) => r.status === 200)).toBe(true);
  });
});

describe('processed callback — other types', () => {
  it('a verified TOKEN callback is stored and acknowledged', async () => {
    const { paymobHmacHex, paymobHmacMessage } = await import('../../src/paymob/hmac');
    const { TEST_SECRETS } = await import('../test-env');
    const obj = {
      id: 900_000_000 + Math.floor(Math.random() * 1_000_000),
      token: 'tok_test',
      masked_pan: 'xxxx-xxxx-xxxx-2346',
      merchant_id: 302852,
      card_subtype: 'MasterCard',
      created_at: '2026-11-26T10:00:00.000000',
      email: 'buyer@example.com',
      order_id: '123',
    };
    const hmac = await paymobHmacHex(TEST_SECRETS.PAYMOB_HMAC_SECRET, paymobHmacMessage('TOKEN', obj));
    expect((await deliver({ type: 'TOKEN', obj }, 'f'.repeat(128))).status).toBe(401);
    expect((await deliver({ type: 'TOKEN', obj }, hmac)).status).toBe(200);
    expect((await deliver({ type: 'TOKEN', obj }, hmac)).status).toBe(200);
    expect(await eventsByPaymobId(obj.id, 'token')).toMatchObject([
      { type: 'TOKEN', outcome: 'ignored', paymobOrderId: 123 },
    ]);
  });

  it('an unknown type is acknowledged with 200 and stored', async () => {
    const id = 800_000_000 + Math.floor(Math.random() * 1_000_000);
    const response = await deliver({ type: 'DELIVERY_STATUS', obj: { id, status: 'x' } }, 'b'.repeat(128));
    expect(response.status).toBe(200);
    expect(await eventsByPaymobId(id, 'other:delivery_status')).toHaveLength(1);
  });
});

describe('processed callback — fuzzing', () => {
  const seeds: unknown[] = [
    {},
    { type: null, obj: null },
    { type: 'TRANSACTION', obj: {} },
    { type: 'TRANSACTION', obj: { id: 'x', order: 5 } },
    { type: 'TRANSACTION', obj: { id: -1, order: { id: null }, amount_cents: 1e308 } },
    { type: 'TRANSACTION', obj: { id: 1e20, pending: 'yes', success: [], currency: { a: 1 } } },
    { type: 'TOKEN', obj: { id: null } },
    { type: 'x'.repeat(500), obj: { id: 1 } },
    { type: 'TRANSACTION', obj: { __proto__: { polluted: true }, constructor: 1 } },
    { type: 'TRANSACTION', obj: { order: { merchant_order_id: "'; DROP TABLE transactions; --" } } },
  ];

  function randomJson(depth: number): unknown {
    const pick = Math.floor(Math.random() * 7);
    if (depth > 3 || pick === 0)
      return Math.random() < 0.5 ? Math.floor(Math.random() * 2 ** 53) : -Math.random();
    if (pick === 1)
      return String.fromCharCode(...Array.from({ length: 8 }, () => Math.floor(Math.random() * 0xffff)));
    if (pick === 2) return Math.random() < 0.5;
    if (pick === 3) return null;
    if (pick === 4) return Array.from({ length: 3 }, () => randomJson(depth + 1));
    const keys = ['id', 'obj', 'type', 'order', 'amount_cents', 'success', 'pending', 'currency', 'hmac'];
    return Object.fromEntries(keys.filter(() => Math.random() < 0.5).map((k) => [k, randomJson(depth + 1)]));
  }

  it('no body, signature or type produces a 5xx', async () => {
    const bodies: Array<string> = [
      ...seeds.map((s) => JSON.stringify(s)),
      ...Array.from({ length: 60 }, () => JSON.stringify(randomJson(0))),
      ...Array.from({ length: 20 }, () => JSON.stringify({ type: 'TRANSACTION', obj: randomJson(1) })),
      '\u0000\u0001',
      '\ufeff{}',
      'null',
      '"string"',
      '1e999',
    ];
    const hmacs = [undefined, '', 'zz', 'a'.repeat(128), '%00', 'A'.repeat(4096)];
    const statuses = new Set<number>();
    for (const [index, body] of bodies.entries()) {
      const response = await deliver(body, hmacs[index % hmacs.length]);
      statuses.add(response.status);
      expect(response.status, body.slice(0, 200)).toBeLessThan(500);
    }
    expect([...statuses].every((s) => [200, 400, 401].includes(s))).toBe(true);
  });

  // Found by the random bodies above: a lone UTF-16 surrogate is legal in a JSON string but not in a MySQL
  // JSON column, so storing such a callback used to fail with a database error (500).
  it('lone surrogates in an unhandled callback are stored (replaced by U+FFFD) and acknowledged', async () => {
    const paymobId = 7_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
    const body = JSON.stringify({
      type: 'AB\ud800CD',
      obj: { id: paymobId, note: 'x\udfffy', 'k\ud801': 1 },
    });
    const response = await deliver(body, 'a'.repeat(128));
    expect(response.status).toBe(200);
    const [event] = await eventsByPaymobId(paymobId);
    expect(event?.type).toBe('AB\ufffdCD');
    expect(event?.rawBody).toMatchObject({ obj: { note: 'x\ufffdy', 'k\ufffd': 1 } });
  });

  it('invalid UTF-8 is a 400', async () => {
    const response = await apiWithEnv(
      `${WEBHOOK}?hmac=${'a'.repeat(128)}`,
      {
        method: 'POST',
        body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
        headers: { 'Content-Type': 'application/json' },
      },
      {},
    );
    expect(response.status).toBe(400);
  });
});
