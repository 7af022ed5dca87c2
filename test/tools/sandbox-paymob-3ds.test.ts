/**
 * The sandbox's 3-D Secure flow over HTTP (docs/checkout.md §2): a 3-DS card leaves the checkout for the
 * issuer's page on another origin, a first processed callback says `pending`, and the issuer's answer comes
 * back to the checkout, which sends the final callback and redirects to the signed response URL.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/sandbox/server.mjs';

const API_KEY = 'sandbox-3ds-api-key';
const HMAC_SECRET = 'SANDBOX3DSHMAC0123456789ABCDEF01';
const INTEGRATION_ID = 4097558;
const IFRAME_ID = 812345;
const WEBHOOK_PATH = '/api/v1/transactions/webhook/';
const CHALLENGE_CARD = '4000000000003220';
const FRICTIONLESS_CARD = '4000000000003055';

interface Received {
  body: { type: string; obj: { id: number; pending: boolean; success: boolean; data: { message: string } } };
}

let sandbox: Sandbox;
let worker: Server;
let workerUrl: string;
const received: Received[] = [];
let sequence = 0;

beforeAll(async () => {
  worker = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => worker.listen(0, '127.0.0.1', resolve));
  workerUrl = `http://127.0.0.1:${(worker.address() as AddressInfo).port}`;
  sandbox = await startSandbox({
    port: 0,
    paymobApiKey: API_KEY,
    paymobHmacSecret: HMAC_SECRET,
    paymobIntegrationIds: [INTEGRATION_ID],
    paymobIframeIds: [IFRAME_ID],
    workerBaseUrl: workerUrl,
  });
});

afterAll(async () => {
  await sandbox?.close();
  await new Promise((resolve) => worker?.close(resolve));
});

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Auth, order and payment key: the credential the checkout form carries. */
async function paymentKey(): Promise<{ key: string; orderId: number }> {
  const auth = (await (await post('/api/auth/tokens', { api_key: API_KEY })).json()) as { token: string };
  sequence += 1;
  const order = (await (
    await post('/api/ecommerce/orders', {
      auth_token: auth.token,
      amount_cents: 25000,
      currency: 'EGP',
      merchant_order_id: `SP-3DS-${process.pid}-${sequence}`,
    })
  ).json()) as { id: number };
  const billing = Object.fromEntries(
    [
      'apartment',
      'floor',
      'street',
      'building',
      'shipping_method',
      'postal_code',
      'city',
      'country',
      'state',
    ].map((k) => [k, 'NA']),
  );
  const response = await post('/api/acceptance/payment_keys', {
    auth_token: auth.token,
    amount_cents: 25000,
    expiration: 3600,
    order_id: order.id,
    currency: 'EGP',
    integration_id: INTEGRATION_ID,
    lock_order_when_paid: true,
    billing_data: {
      ...billing,
      first_name: 'Alice',
      last_name: 'Example',
      email: 'alice@example.com',
      phone_number: '+201001234567',
    },
  });
  expect(response.status).toBe(201);
  return { key: ((await response.json()) as { token: string }).token, orderId: order.id };
}

/** Submits the checkout form as a browser would; answers the 303's target. */
async function submitCard(key: string, card: string): Promise<URL> {
  const response = await fetch(`${sandbox.url}/sandbox/paymob/pay`, {
    method: 'POST',
    body: new URLSearchParams({ payment_token: key, card_number: card }),
    redirect: 'manual',
  });
  expect(response.status).toBe(303);
  return new URL(response.headers.get('location') ?? '');
}

async function follow(url: URL | string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', ...init });
}

function callbacksFor(transactionId: number) {
  return received.filter((r) => r.body.obj.id === transactionId).map((r) => r.body.obj);
}

async function waitFor<T>(read: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function expectSigned(query: URLSearchParams) {
  const fields = [
    'amount_cents',
    'created_at',
    'currency',
    'error_occured',
    'has_parent_transaction',
    'id',
    'integration_id',
    'is_3d_secure',
    'is_auth',
    'is_capture',
    'is_refunded',
    'is_standalone_payment',
    'is_voided',
    'order',
    'owner',
    'pending',
    'source_data.pan',
    'source_data.sub_type',
    'source_data.type',
    'success',
  ];
  const message = fields.map((f) => query.get(f) ?? '').join('');
  expect(query.get('hmac')).toBe(createHmac('sha512', HMAC_SECRET).update(message).digest('hex'));
}

describe('3-D Secure in the sandbox checkout', () => {
  it('runs the ACS on a second origin and lists the 3-DS cards on the checkout page', async () => {
    expect(new URL(sandbox.acsUrl).origin).not.toBe(new URL(sandbox.url).origin);
    const { key } = await paymentKey();
    const html = await (
      await fetch(`${sandbox.url}/api/acceptance/iframes/${IFRAME_ID}?payment_token=${key}`)
    ).text();
    expect(html).toContain(CHALLENGE_CARD);
    expect(html).toContain(FRICTIONLESS_CARD);
    expect(html).not.toContain('target=');
  });

  it('challenge card, right password: pending callback, issuer page, success callback, signed redirect', async () => {
    const { key } = await paymentKey();
    const acsUrl = await submitCard(key, CHALLENGE_CARD);
    expect(acsUrl.origin).toBe(new URL(sandbox.acsUrl).origin);

    // The pending callback goes out while the card is at the issuer's page.
    const first = await waitFor(() => received.at(-1)?.body.obj);
    expect(first.pending).toBe(true);
    expect(first.success).toBe(false);

    const challenge = await follow(acsUrl);
    expect(challenge.status).toBe(200);
    const html = await challenge.text();
    expect(html).toContain('<label for="otp">One-time password</label>');
    expect(html).toContain('EGP 250.00');
    expect(challenge.headers.get('content-security-policy')).toContain("default-src 'none'");
    const session = acsUrl.searchParams.get('session') ?? '';

    // Returning to the checkout before the issuer answered is refused.
    const early = await follow(`${sandbox.url}/sandbox/paymob/3ds/complete?session=${session}`);
    expect(early.status).toBe(400);

    const answered = await follow(`${sandbox.acsUrl}/acs/authenticate`, {
      method: 'POST',
      body: new URLSearchParams({ session, otp: '123456', action: 'submit' }),
    });
    expect(answered.status).toBe(303);
    const back = new URL(answered.headers.get('location') ?? '');
    expect(back.origin).toBe(new URL(sandbox.url).origin);

    const completed = await follow(back);
    expect(completed.status).toBe(303);
    const redirect = new URL(completed.headers.get('location') ?? '');
    expect(`${redirect.origin}${redirect.pathname}`).toBe(`${workerUrl}${WEBHOOK_PATH}`);
    expect(redirect.searchParams.get('success')).toBe('true');
    expect(redirect.searchParams.get('pending')).toBe('false');
    expect(redirect.searchParams.get('is_3d_secure')).toBe('true');
    expectSigned(redirect.searchParams);

    const id = Number(redirect.searchParams.get('id'));
    const both = await waitFor(() => {
      const list = callbacksFor(id);
      return list.length === 2 ? list : undefined;
    });
    expect(both.map((o) => [o.pending, o.success]).sort()).toEqual([
      [false, true],
      [true, false],
    ]);

    // A second answer, or a second return, changes nothing: the same signed redirect, no third callback.
    const again = await follow(`${sandbox.acsUrl}/acs/authenticate`, {
      method: 'POST',
      body: new URLSearchParams({ session, otp: '000000', action: 'submit' }),
    });
    expect(again.status).toBe(409);
    const repeat = await follow(back);
    expect(new URL(repeat.headers.get('location') ?? '').searchParams.get('success')).toBe('true');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(callbacksFor(id)).toHaveLength(2);
  });

  it.each([
    ['a wrong password', { otp: '000000', action: 'submit' }],
    ['Cancel', { otp: '123456', action: 'cancel' }],
  ])('challenge card, %s: declined with the authentication failure', async (_name, answer) => {
    const { key } = await paymentKey();
    const acsUrl = await submitCard(key, CHALLENGE_CARD);
    const session = acsUrl.searchParams.get('session') ?? '';
    const answered = await follow(`${sandbox.acsUrl}/acs/authenticate`, {
      method: 'POST',
      body: new URLSearchParams({ session, ...answer }),
    });
    const completed = await follow(answered.headers.get('location') ?? '');
    const redirect = new URL(completed.headers.get('location') ?? '');
    expect(redirect.searchParams.get('success')).toBe('false');
    expect(redirect.searchParams.get('pending')).toBe('false');
    expect(redirect.searchParams.get('txn_response_code')).toBe('AUTHENTICATION_FAILED');
    expect(redirect.searchParams.get('data.message')).toBe('3-D Secure authentication failed');
    expectSigned(redirect.searchParams);
    const id = Number(redirect.searchParams.get('id'));
    const final = await waitFor(() => callbacksFor(id).find((o) => !o.pending));
    expect(final.success).toBe(false);
  });

  it('frictionless card: through the issuer origin without a page, then the signed success redirect', async () => {
    const { key } = await paymentKey();
    const acsUrl = await submitCard(key, FRICTIONLESS_CARD);
    expect(acsUrl.origin).toBe(new URL(sandbox.acsUrl).origin);
    const hop = await follow(acsUrl);
    expect(hop.status).toBe(303);
    const completed = await follow(hop.headers.get('location') ?? '');
    const redirect = new URL(completed.headers.get('location') ?? '');
    expect(redirect.searchParams.get('success')).toBe('true');
    expectSigned(redirect.searchParams);
  });

  it('the JSON pay API answers the issuer page for a 3-DS card; unknown sessions are 404', async () => {
    const { key } = await paymentKey();
    const response = await post('/sandbox/paymob/pay', { payment_token: key, card_number: CHALLENGE_CARD });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { redirect_url: string; transaction_id: number };
    expect(new URL(answer.redirect_url).origin).toBe(new URL(sandbox.acsUrl).origin);
    expect((await follow(`${sandbox.acsUrl}/acs/authenticate?session=nope`)).status).toBe(404);
    expect((await follow(`${sandbox.url}/sandbox/paymob/3ds/complete?session=nope`)).status).toBe(404);
  });
});
