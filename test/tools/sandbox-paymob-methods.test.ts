import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPaymobHmac } from '../../src/paymob/hmac';
import { type Sandbox, startSandbox } from '../../tools/sandbox/server.mjs';

/**
 * The sandbox's wallet, kiosk and valU payments (tools/sandbox/paymob-methods.mjs, docs/paymob.md §8): the
 * intention's answer names each integration's gateway type, the checkout offers only what the intention
 * carries, every callback is signed, and a kiosk reference lapses silently.
 */
const SECRET_KEY = 'egy_sk_test_methods';
const PUBLIC_KEY = 'egy_pk_test_methods';
const HMAC_SECRET = 'SANDBOXMETHODSHMAC0123456789ABCD';
const CARD = 4097558;
const WALLET = 4097570;
const KIOSK = 4097571;
const HOUR = 60 * 60 * 1000;

let sandbox: Sandbox;
let clock = Date.now();
let sequence = 0;

beforeAll(async () => {
  sandbox = await startSandbox({
    port: 0,
    paymobSecretKey: SECRET_KEY,
    paymobPublicKey: PUBLIC_KEY,
    paymobHmacSecret: HMAC_SECRET,
    paymobIntegrationIds: [CARD],
    paymobIntegrations: [
      { id: WALLET, type: 'wallet' },
      { id: KIOSK, type: 'kiosk' },
    ],
    paymobNow: () => clock,
    // Callbacks are recorded, not sent.
    workerBaseUrl: '',
  });
});
afterAll(() => sandbox.close());

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function intention(methods: number[]) {
  sequence += 1;
  const response = await post(
    '/v1/intention/',
    {
      amount: 5000,
      currency: 'EGP',
      payment_methods: methods,
      billing_data: {
        first_name: 'A',
        last_name: 'B',
        email: 'a@example.com',
        phone_number: '+201001234567',
      },
      special_reference: `methods-${Date.now()}-${sequence}`,
      notification_url: 'https://merchant.example/hook',
      redirection_url: 'https://merchant.example/back',
    },
    { authorization: `Token ${SECRET_KEY}` },
  );
  expect(response.status).toBe(201);
  return (await response.json()) as {
    client_secret: string;
    special_reference: string;
    payment_keys: { integration: number; gateway_type: string }[];
    payment_methods: { integration_id: number; method_type: string }[];
  };
}

async function callbacksOf(reference: string) {
  const list = (await (
    await fetch(`${sandbox.url}/sandbox/paymob/callbacks?merchant_order_id=${reference}`)
  ).json()) as { url: string; body: { obj: Record<string, unknown> } }[];
  return list.toReversed();
}

async function expectSigned(callback: { url: string; body: { obj: Record<string, unknown> } }) {
  const hmac = new URL(callback.url).searchParams.get('hmac') ?? '';
  expect(await verifyPaymobHmac(HMAC_SECRET, 'TRANSACTION', callback.body.obj, hmac)).toBe(true);
}

describe('sandbox payment methods', () => {
  it('names each integration’s gateway type and offers only the intention’s methods', async () => {
    const answer = await intention([CARD, WALLET, KIOSK]);
    expect(answer.payment_keys.map((k) => [k.integration, k.gateway_type])).toEqual([
      [CARD, 'VPC'],
      [WALLET, 'UIG'],
      [KIOSK, 'CAGG'],
    ]);
    expect(answer.payment_methods.map((m) => m.method_type)).toEqual(['online_card', 'wallet', 'kiosk']);
    const only = await intention([WALLET]);
    const page = await (
      await fetch(
        `${sandbox.url}/unifiedcheckout/?publicKey=${PUBLIC_KEY}&clientSecret=${only.client_secret}`,
      )
    ).text();
    expect(page).toContain('data-method="wallet"');
    expect(page).not.toContain('data-method="kiosk"');
    expect(page).not.toContain('name="card_number"');
    expect(
      (await post('/sandbox/paymob/pay', { client_secret: only.client_secret, method: 'kiosk' })).status,
    ).toBe(400);
  });

  it('wallet: a pending callback, the OTP page, a declined signed callback for a wrong OTP', async () => {
    const answer = await intention([WALLET]);
    const started = await post('/sandbox/paymob/pay', {
      client_secret: answer.client_secret,
      method: 'wallet',
      wallet_number: '01010101010',
    });
    const { redirect_url } = (await started.json()) as { redirect_url: string };
    const otp = new URL(redirect_url);
    expect((await fetch(`${sandbox.url}${otp.pathname}${otp.search}`)).status).toBe(200);
    const done = await post('/sandbox/paymob/wallet/otp', {
      session: otp.searchParams.get('session'),
      otp: '111111',
    });
    expect(done.status).toBe(200);
    const [pending, declined] = await callbacksOf(answer.special_reference);
    if (!pending || !declined) throw new Error('two callbacks expected');
    expect(pending.body.obj).toMatchObject({
      pending: true,
      source_data: { type: 'wallet', sub_type: 'wallet' },
    });
    expect(declined.body.obj).toMatchObject({ pending: false, success: false });
    await expectSigned(pending);
    await expectSigned(declined);
    // The redirect goes to the intention's redirection URL, signed over the same values.
    expect(((await done.json()) as { redirect_url: string }).redirect_url).toMatch(
      /^https:\/\/merchant\.example\/back\?.*source_data\.pan=01010101010/,
    );
  });

  it('kiosk: a pending callback with a numeric bill reference; paid later; a lapsed reference is refused', async () => {
    const paidLater = await intention([KIOSK]);
    const first = (await (
      await post('/sandbox/paymob/pay', { client_secret: paidLater.client_secret, method: 'kiosk' })
    ).json()) as { bill_reference: number };
    expect(first.bill_reference).toEqual(expect.any(Number));
    const [pending] = await callbacksOf(paidLater.special_reference);
    if (!pending) throw new Error('no pending callback');
    expect(pending.body.obj).toMatchObject({
      pending: true,
      source_data: { type: 'aggregator', sub_type: 'AGGREGATOR' },
      data: { bill_reference: first.bill_reference },
    });
    await expectSigned(pending);
    expect((await post('/sandbox/paymob/kiosk/pay', { bill_reference: first.bill_reference })).status).toBe(
      200,
    );
    const [, success] = await callbacksOf(paidLater.special_reference);
    expect(success?.body.obj).toMatchObject({ pending: false, success: true });
    expect((await post('/sandbox/paymob/kiosk/pay', { bill_reference: first.bill_reference })).status).toBe(
      400,
    );

    const lapsing = await intention([KIOSK]);
    const second = (await (
      await post('/sandbox/paymob/pay', { client_secret: lapsing.client_secret, method: 'kiosk' })
    ).json()) as { bill_reference: number };
    clock += 73 * HOUR;
    const refused = await post('/sandbox/paymob/kiosk/pay', { bill_reference: second.bill_reference });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ detail: 'This bill reference has expired.' });
    // Nothing is sent when a reference lapses: only the pending callback exists.
    expect(await callbacksOf(lapsing.special_reference)).toHaveLength(1);
    expect((await post('/sandbox/paymob/kiosk/pay', { bill_reference: '1' })).status).toBe(404);
  });
});
