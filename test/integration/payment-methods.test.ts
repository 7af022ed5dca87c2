/**
 * Payment methods through unified checkout (docs/paymob.md §8): `payment_methods` on POST txn/, the
 * intention's integration ids, and each sandbox method's success, failure and pending paths with the real
 * callback shapes — wallet (OTP page), kiosk (bill reference, paid later at a kiosk, its own expiry) and
 * valU — stored and shown (API, e-mails).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Env } from '../../src/env';
import type { TransactionStatusNotification } from '../../src/transactions/apply-event';
import { KIOSK_EXPIRED_REASON } from '../../src/transactions/methods';
import { EXPIRY_GRACE_MS } from '../../src/transactions/reconcile';
import type { TransactionView } from '../../src/transactions/schemas';
import { TEST_SECRETS } from '../test-env';
import { signedIn, textOf } from './admin-helpers';
import { createKey } from './api-keys-support';
import { expectProblem } from './customers-fixtures';
import { api, apiWithEnv, createUser, readJson, roundTrips, uniqueRequestId } from './helpers';
import { later, MINUTE, reconcile } from './lifecycle-support';
import {
  CARDS,
  clearFaults,
  createPayer,
  deliverRecorded,
  type Payer,
  type RecordedCallback,
  recordedCallbacks,
  recordingNotifications,
  sandbox,
  statusMessages,
  TXN,
  transactionRow,
  WEBHOOK,
} from './transactions-support';

afterEach(clearFaults);

/** The EG account with a wallet, a kiosk and a valU integration besides the card, in unified checkout. */
const METHODS_ENV: Partial<Env> = {
  PAYMOB_API_MODE: 'intention',
  PAYMOB_INTEGRATIONS: [
    `wallet:${TEST_SECRETS.PAYMOB_INTEGRATION_ID_WALLET}`,
    `kiosk:${TEST_SECRETS.PAYMOB_INTEGRATION_ID_KIOSK}`,
    `valu:${TEST_SECRETS.PAYMOB_INTEGRATION_ID_VALU}`,
  ].join(','),
};
const WALLET = '01010101010';

function create(token: string, json: Record<string, unknown>, env: Partial<Env> = METHODS_ENV) {
  return apiWithEnv(TXN, { method: 'POST', token, json: { amount: '150.00', ...json } }, env);
}

async function createWith(payer: Payer, methods?: string[]): Promise<TransactionView> {
  const response = await create(payer.access, methods ? { payment_methods: methods } : {});
  expect(response.status).toBe(201);
  return readJson<TransactionView>(response);
}

/** Submits the sandbox checkout's form for a method, as JSON. */
async function payWith(txn: TransactionView, fields: Record<string, unknown>, expected = 200) {
  const response = await sandbox('/sandbox/paymob/pay', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_secret: txn.payment_token, ...fields }),
  });
  expect(response.status).toBe(expected);
  return (await response.json()) as { redirect_url: string; transaction_id: number; bill_reference?: number };
}

async function deliverAll(callbacks: RecordedCallback[]) {
  const { queue, sent } = recordingNotifications();
  for (const callback of callbacks) {
    expect((await deliverRecorded(callback, { NOTIFICATIONS: queue })).status).toBe(200);
  }
  return statusMessages(sent) as TransactionStatusNotification[];
}

async function read(payer: Payer, id: number): Promise<TransactionView> {
  const response = await api(`${TXN}${id}/`, { token: payer.access });
  expect(response.status).toBe(200);
  return readJson<TransactionView>(response);
}

/** The checkout page's method forms (the sandbox renders one per integration the intention carries). */
async function checkoutForms(txn: TransactionView): Promise<string[]> {
  const url = new URL(txn.checkout_url ?? '');
  const html = await (await sandbox(url.pathname + url.search)).text();
  const forms = [...html.matchAll(/data-method="([a-z]+)"/g)].map((m) => m[1] ?? '');
  return html.includes('name="card_number"') ? ['card', ...forms] : forms;
}

describe('POST txn/ payment_methods', () => {
  it('defaults to every configured method, and the intention carries their integrations', async () => {
    const payer = await createPayer();
    const txn = await createWith(payer);
    expect(txn.payment_methods).toEqual(['card', 'wallet', 'kiosk', 'valu']);
    expect(txn).toMatchObject({
      payment_method: null,
      bill_reference: null,
      bill_reference_expires_at: null,
    });
    expect(await checkoutForms(txn)).toEqual(['card', 'wallet', 'kiosk', 'valu']);
  });

  it('offers only the named methods (deduplicated); a card cannot pay a checkout without the card', async () => {
    const payer = await createPayer();
    const txn = await createWith(payer, ['wallet', 'KIOSK', 'wallet']);
    expect(txn.payment_methods).toEqual(['wallet', 'kiosk']);
    expect((await read(payer, txn.id)).payment_methods).toEqual(['wallet', 'kiosk']);
    expect(await checkoutForms(txn)).toEqual(['wallet', 'kiosk']);
    await payWith(txn, { card_number: CARDS.success }, 400);
    await payWith(txn, { method: 'valu', valu_phone: '01000000001' }, 400);
  });

  it('refuses an unknown method, an unconfigured one and an empty list (400, nothing created)', async () => {
    const payer = await createPayer();
    const unknown = await expectProblem(
      await create(payer.access, { payment_methods: ['bitcoin'] }),
      400,
      'validation_error',
    );
    expect(unknown.errors?.payment_methods?.[0]).toMatch(/"bitcoin" is not a payment method/);
    const unconfigured = await expectProblem(
      await create(payer.access, { payment_methods: ['card', 'tabby'] }),
      400,
      'validation_error',
    );
    expect(unconfigured.errors?.payment_methods?.[0]).toMatch(/"tabby" is not available on this account/);
    const empty = await expectProblem(
      await create(payer.access, { payment_methods: [] }),
      400,
      'validation_error',
    );
    expect(empty.errors?.payment_methods).toHaveLength(1);
    await expectProblem(await create(payer.access, { payment_methods: 'card' }), 400, 'validation_error');
    const list = await readJson<{ count: number }>(await api(TXN, { token: payer.access }));
    expect(list.count).toBe(0);
  });

  it('legacy mode offers the card only and refuses any other method', async () => {
    const payer = await createPayer();
    const legacy = { ...METHODS_ENV, PAYMOB_API_MODE: 'legacy' } as Partial<Env>;
    const response = await create(payer.access, {}, legacy);
    expect(response.status).toBe(201);
    expect((await readJson<TransactionView>(response)).payment_methods).toEqual(['card']);
    const refused = await expectProblem(
      await create(payer.access, { payment_methods: ['wallet'] }, legacy),
      400,
      'validation_error',
    );
    expect(refused.errors?.payment_methods?.[0]).toMatch(/legacy iframe mode/);
  });

  it('an API key caller names the methods the same way', async () => {
    const key = await createKey(['payments:write', 'payments:read']);
    const payer = await createPayer();
    const response = await create(key.secret, { customer_id: payer.customerId, payment_methods: ['kiosk'] });
    expect(response.status).toBe(201);
    const txn = await readJson<TransactionView>(response);
    expect(txn.payment_methods).toEqual(['kiosk']);
    expect(await checkoutForms(txn)).toEqual(['kiosk']);
    await expectProblem(
      await create(key.secret, { customer_id: payer.customerId, payment_methods: ['cash'] }),
      400,
      'validation_error',
    );
  });
});

describe('wallet (OTP page)', () => {
  async function walletPayment(otp: string) {
    const payer = await createPayer();
    const txn = await createWith(payer, ['wallet']);
    const started = await payWith(txn, { method: 'wallet', wallet_number: WALLET });
    const otpUrl = new URL(started.redirect_url);
    expect(otpUrl.pathname).toBe('/sandbox/paymob/wallet/otp');
    // The OTP page the shopper sees.
    expect(await (await sandbox(otpUrl.pathname + otpUrl.search)).text()).toContain('One-time password');
    const submitted = await sandbox('/sandbox/paymob/wallet/otp', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ session: otpUrl.searchParams.get('session'), otp }),
    });
    expect(submitted.status).toBe(200);
    const done = (await submitted.json()) as { redirect_url: string };
    return { payer, txn, done, paymobId: started.transaction_id };
  }

  it('pending, then succeeded with the right OTP; the wallet number is masked everywhere', async () => {
    const { payer, txn } = await walletPayment('123456');
    const [pending, success] = await recordedCallbacks(txn.merchant_order_id, 2);
    if (!pending || !success) throw new Error('two callbacks expected');
    expect(pending.body.obj).toMatchObject({ pending: true, source_data: { type: 'wallet', pan: WALLET } });
    const mails = await deliverAll([pending, success]);
    const row = await transactionRow(txn.id);
    expect(row).toMatchObject({ status: 'succeeded', methodType: 'wallet', methodSubType: 'wallet' });
    expect(row.methodPan).toBe('*******1010');
    const view = await read(payer, txn.id);
    expect(view.payment_method).toEqual({ type: 'wallet', sub_type: 'wallet', pan: '*******1010' });
    expect(JSON.stringify(view)).not.toContain(WALLET);
    expect(mails).toMatchObject([{ status: 'succeeded', payment_method: 'wallet *******1010' }]);
  });

  it('a wrong OTP fails the payment; the signed redirect alone records the method', async () => {
    const { payer, txn, done } = await walletPayment('000000');
    const url = new URL(done.redirect_url);
    expect(url.pathname).toBe(WEBHOOK);
    expect(url.searchParams.get('source_data.pan')).toBe(WALLET);
    expect((await api(`${url.pathname}${url.search}`)).status).toBe(200);
    const view = await read(payer, txn.id);
    expect(view).toMatchObject({
      status: 'failed',
      failure_reason: 'Wrong OTP or wallet declined.',
      payment_method: { type: 'wallet', sub_type: 'wallet', pan: '*******1010' },
    });
  });

  it('refuses a number that is not a mobile wallet', async () => {
    const payer = await createPayer();
    const txn = await createWith(payer, ['wallet']);
    await payWith(txn, { method: 'wallet', wallet_number: '12345' }, 400);
  });
});

describe('kiosk (bill reference)', () => {
  async function kioskPending() {
    const payer = await createPayer();
    const txn = await createWith(payer, ['card', 'kiosk']);
    const started = await payWith(txn, { method: 'kiosk' });
    expect(started.bill_reference).toEqual(expect.any(Number));
    const [pending] = await recordedCallbacks(txn.merchant_order_id, 1);
    if (!pending) throw new Error('no pending callback');
    expect(pending.body.obj).toMatchObject({
      pending: true,
      success: false,
      source_data: { type: 'aggregator', sub_type: 'AGGREGATOR' },
      data: { bill_reference: started.bill_reference },
    });
    const before = Date.now();
    const { queue, sent } = recordingNotifications();
    const requestId = uniqueRequestId('kiosk');
    expect((await deliverRecorded(pending, { NOTIFICATIONS: queue }, { requestId })).status).toBe(200);
    // The read, the stored event and the one guarded UPDATE storing the reference.
    expect(await roundTrips(requestId)).toBe(3);
    const mails = statusMessages(sent) as TransactionStatusNotification[];
    // A redelivery stores nothing new and sends no second e-mail.
    expect(await deliverAll([pending])).toEqual([]);
    return { payer, txn, reference: String(started.bill_reference), mails, before };
  }

  it('stays pending with its bill reference and expiry, e-mailed to the customer; paid at a kiosk → succeeded', async () => {
    const { payer, txn, reference, mails, before } = await kioskPending();
    const view = await read(payer, txn.id);
    expect(view).toMatchObject({
      status: 'pending',
      bill_reference: reference,
      payment_method: { type: 'aggregator', sub_type: 'AGGREGATOR', pan: null },
    });
    const expires = Date.parse(view.bill_reference_expires_at ?? '');
    expect(expires).toBeGreaterThanOrEqual(before + 72 * 60 * MINUTE - 1000);
    expect(expires).toBeLessThan(Date.now() + 72 * 60 * MINUTE + 1000);
    expect(mails).toMatchObject([
      {
        idempotency_key: `kiosk_reference:${txn.id}:${reference}`,
        to: payer.email,
        status: 'pending',
        bill_reference: reference,
        bill_reference_expires_at: view.bill_reference_expires_at,
      },
    ]);

    const paid = await sandbox('/sandbox/paymob/kiosk/pay', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ bill_reference: reference }),
    });
    expect(paid.status).toBe(200);
    const [, success] = await recordedCallbacks(txn.merchant_order_id, 2);
    if (!success) throw new Error('no success callback');
    expect(await deliverAll([success])).toMatchObject([{ status: 'succeeded' }]);
    expect(await read(payer, txn.id)).toMatchObject({ status: 'succeeded', bill_reference: reference });

    // The admin's transaction page shows the methods, how it was paid and the reference.
    const browser = await signedIn(await createUser({ role: 'STAFF' }));
    const text = textOf(await (await browser.send(`/admin/transactions/${txn.id}`)).text());
    expect(text).toContain('Methods offered card, kiosk');
    expect(text).toContain('Paid with aggregator');
    expect(text).toContain(`Kiosk bill reference ${reference}`);
  });

  it('does not expire with the checkout window; expires at its bill reference expiry', async () => {
    const { txn } = await kioskPending();
    // Well past the card checkout's hour and its grace: PayMob still reports the kiosk payment pending.
    const early = await reconcile(later(3 * 60 * MINUTE), { transactionIds: [txn.id] });
    expect(early.summary).toMatchObject({ claimed: 1, expired: 0, unchanged: 1 });
    const row = await transactionRow(txn.id);
    expect(row.status).toBe('pending');
    const expiry = row.billExpiresAt?.getTime() ?? 0;

    const justBefore = await reconcile(new Date(expiry + EXPIRY_GRACE_MS - MINUTE), {
      transactionIds: [txn.id],
    });
    expect(justBefore.summary).toMatchObject({ expired: 0 });
    const after = await reconcile(new Date(expiry + EXPIRY_GRACE_MS + 6 * MINUTE), {
      transactionIds: [txn.id],
    });
    expect(after.summary).toMatchObject({ claimed: 1, expired: 1 });
    expect(await transactionRow(txn.id)).toMatchObject({
      status: 'expired',
      failureReason: KIOSK_EXPIRED_REASON,
    });
    expect(statusMessages(after.sent)).toMatchObject([
      { status: 'expired', failure_reason: KIOSK_EXPIRED_REASON },
    ]);
  });
});

describe('valU (instalments)', () => {
  it('an approved customer → succeeded; the phone number is masked', async () => {
    const payer = await createPayer();
    const txn = await createWith(payer, ['valu']);
    await payWith(txn, { method: 'valu', valu_phone: '01000000001' });
    const callbacks = await recordedCallbacks(txn.merchant_order_id, 1);
    expect(await deliverAll(callbacks)).toMatchObject([
      { status: 'succeeded', payment_method: 'valu *******0001' },
    ]);
    expect((await read(payer, txn.id)).payment_method).toEqual({
      type: 'valu',
      sub_type: 'valu',
      pan: '*******0001',
    });
  });

  it('a declined customer → failed with PayMob’s message', async () => {
    const payer = await createPayer();
    const txn = await createWith(payer, ['valu']);
    await payWith(txn, { method: 'valu', valu_phone: '01000000002' });
    const callbacks = await recordedCallbacks(txn.merchant_order_id, 1);
    expect(await deliverAll(callbacks)).toMatchObject([{ status: 'failed' }]);
    expect(await read(payer, txn.id)).toMatchObject({
      status: 'failed',
      failure_reason: 'Customer limit is not enough or customer not found.',
      payment_method: { type: 'valu', pan: '*******0002' },
    });
  });
});
