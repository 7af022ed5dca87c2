import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { businessDay } from '../../tools/sandbox/paymob-model.mjs';
import {
  flattenedHmacMessage,
  signFlattened,
  signToken,
  signTransaction,
  tokenHmacMessage,
  transactionHmacMessage,
} from '../../tools/sandbox/paymob-signing.mjs';
import { type Sandbox, startSandbox } from '../../tools/sandbox/server.mjs';

const API_KEY = 'sandbox-test-paymob-api-key';
const SECRET_KEY = 'egy_sk_test_sandbox';
const PUBLIC_KEY = 'egy_pk_test_sandbox';
const HMAC_SECRET = 'SANDBOXTESTHMAC0123456789ABCDEF0';
const INTEGRATION_ID = 4097558;
const IFRAME_ID = 812345;
const PENDING_DELAY_MS = 300;
const WEBHOOK_PATH = '/api/v1/transactions/webhook/';

const CARD_SUCCESS = '5123456789012346';
const CARD_DECLINED = '4000000000000002';
const CARD_PENDING = '4000000000009995';

// docs/design.md §5, written out again here so the sandbox's signer is checked by an independent implementation.
const INDEPENDENT_FIELDS = [
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
  'order.id',
  'owner',
  'pending',
  'source_data.pan',
  'source_data.sub_type',
  'source_data.type',
  'success',
];

interface Transaction {
  id: number;
  pending: boolean;
  amount_cents: number;
  success: boolean;
  is_auth: boolean;
  is_capture: boolean;
  is_standalone_payment: boolean;
  is_voided: boolean;
  is_refunded: boolean;
  is_3d_secure: boolean;
  is_void: boolean;
  is_refund: boolean;
  integration_id: number;
  profile_id: number;
  has_parent_transaction: boolean;
  parent_transaction: number | null;
  refunded_amount_cents: number;
  order: { id: number; merchant_order_id: string | null; amount_cents: number; currency: string };
  created_at: string;
  currency: string;
  source_data: { pan: string; type: string; sub_type: string };
  data: { message: string; txn_response_code: string };
  error_occured: boolean;
  owner: number;
}

interface CallbackBody {
  type: string;
  obj: Transaction;
}

interface Received {
  path: string;
  query: URLSearchParams;
  body: CallbackBody;
}

interface CallbackRecord {
  url: string | null;
  body: CallbackBody;
  status: number | null;
  sent_at: string;
  error?: string;
  dropped?: boolean;
  transaction_id: number;
  merchant_order_id: string | null;
  kind: string;
}

interface Order {
  id: number;
  created_at: string;
  amount_cents: number;
  currency: string;
  merchant_order_id: string | null;
  paid_amount_cents: number;
}

interface Intention {
  id: string;
  client_secret: string;
  intention_order_id: number;
  special_reference: string;
  payment_keys: { integration: number; key: string }[];
  status: string;
}

interface PayAnswer {
  redirect_url: string;
  transaction_id: number;
}

type Json = Record<string, unknown>;

let sandbox: Sandbox;
let worker: Server;
let workerUrl: string;
const received: Received[] = [];
let sequence = 0;

// Stands in for the Worker: records every processed callback it is sent.
function startWorkerStandIn(): Promise<string> {
  worker = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://worker.invalid');
      received.push({
        path: url.pathname,
        query: url.searchParams,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as CallbackBody,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  return new Promise((resolve) => {
    worker.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(worker.address() as AddressInfo).port}`),
    );
  });
}

function independentValue(obj: unknown, path: string): string {
  let value: unknown = obj;
  for (const part of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
  return value === undefined || value === null ? '' : String(value);
}

function expectedTransactionHmac(obj: unknown, secret = HMAC_SECRET): string {
  const message = INDEPENDENT_FIELDS.map((path) => independentValue(obj, path)).join('');
  return createHmac('sha512', secret).update(message).digest('hex');
}

function expectedFlattenedHmac(query: URLSearchParams): string {
  const message = INDEPENDENT_FIELDS.map(
    (path) => query.get(path === 'order.id' ? 'order' : path) ?? '',
  ).join('');
  return createHmac('sha512', HMAC_SECRET).update(message).digest('hex');
}

function first<T>(list: readonly T[]): T {
  const value = list[0];
  if (value === undefined) throw new Error('expected a non-empty list');
  return value;
}

async function json<T>(response: Response | Promise<Response>): Promise<T> {
  return (await (await response).json()) as T;
}

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function authToken(): Promise<string> {
  const response = await post('/api/auth/tokens', { api_key: API_KEY });
  expect(response.status).toBe(201);
  return (await json<{ token: string }>(response)).token;
}

function reference(): string {
  sequence += 1;
  return `SP-TEST-${process.pid}-${sequence}`;
}

const billing = (overrides: Json = {}): Json => ({
  apartment: 'NA',
  email: 'alice@example.com',
  floor: 'NA',
  first_name: 'Alice',
  street: 'NA',
  building: 'NA',
  phone_number: '+201001234567',
  shipping_method: 'NA',
  postal_code: 'NA',
  city: 'Cairo',
  country: 'EG',
  last_name: 'Example',
  state: 'NA',
  ...overrides,
});

async function createOrder(token: string, overrides: Json = {}): Promise<Order> {
  const response = await post('/api/ecommerce/orders', {
    auth_token: token,
    delivery_needed: 'false',
    amount_cents: 100000,
    currency: 'EGP',
    merchant_order_id: reference(),
    items: [],
    ...overrides,
  });
  expect(response.status).toBe(201);
  return json<Order>(response);
}

function requestPaymentKey(token: string, order: Order, overrides: Json = {}): Promise<Response> {
  return post('/api/acceptance/payment_keys', {
    auth_token: token,
    amount_cents: order.amount_cents,
    expiration: 3600,
    order_id: order.id,
    billing_data: billing(),
    currency: order.currency,
    integration_id: INTEGRATION_ID,
    lock_order_when_paid: true,
    ...overrides,
  });
}

async function paymentKey(token: string, order: Order): Promise<string> {
  const response = await requestPaymentKey(token, order);
  expect(response.status).toBe(201);
  return (await json<{ token: string }>(response)).token;
}

function pay(body: Json): Promise<Response> {
  return post('/sandbox/paymob/pay', body);
}

// The whole legacy flow: auth, order, payment key, pay with a card.
async function checkout(cardNumber: string, amountCents = 100000) {
  const token = await authToken();
  const order = await createOrder(token, { amount_cents: amountCents });
  const key = await paymentKey(token, order);
  const response = await pay({ payment_token: key, card_number: cardNumber });
  expect(response.status).toBe(200);
  const answer = await json<PayAnswer>(response);
  return { token, order, key, answer, reference: order.merchant_order_id ?? '' };
}

async function callbackRecords(query = ''): Promise<CallbackRecord[]> {
  return json<CallbackRecord[]>(fetch(`${sandbox.url}/sandbox/paymob/callbacks${query}`));
}

function callbacksReceived(merchantOrderId: string): Received[] {
  return received.filter((post) => post.body.obj.order.merchant_order_id === merchantOrderId);
}

async function addFault(fault: Json): Promise<Response> {
  return fetch(`${sandbox.url}/sandbox/faults`, { method: 'POST', body: JSON.stringify(fault) });
}

async function waitFor<T>(probe: () => T | Promise<T>, timeoutMs = 3000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error('timed out waiting for condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function expectSignedCallback(post: Received): Transaction {
  expect(post.path).toBe(WEBHOOK_PATH);
  expect(post.body.type).toBe('TRANSACTION');
  expect(post.query.get('hmac')).toBe(expectedTransactionHmac(post.body.obj));
  return post.body.obj;
}

beforeAll(async () => {
  workerUrl = await startWorkerStandIn();
  sandbox = await startSandbox({
    port: 0,
    paymobApiKey: API_KEY,
    paymobSecretKey: SECRET_KEY,
    paymobPublicKey: PUBLIC_KEY,
    paymobHmacSecret: HMAC_SECRET,
    paymobIntegrationIds: [INTEGRATION_ID],
    paymobIframeIds: [IFRAME_ID],
    paymobPendingDelayMs: PENDING_DELAY_MS,
    workerBaseUrl: workerUrl,
  });
});

afterAll(async () => {
  await sandbox?.close();
  await new Promise((resolve) => worker?.close(resolve));
});

beforeEach(async () => {
  await fetch(`${sandbox.url}/sandbox/reset`, { method: 'POST' });
  received.length = 0;
});

describe('PayMob HMAC signing (docs/design.md §5 test vectors)', () => {
  const vector1 = {
    amount_cents: 100000,
    created_at: '2024-06-13T11:33:44.592345',
    currency: 'EGP',
    error_occured: false,
    has_parent_transaction: false,
    id: 192036465,
    integration_id: 4097558,
    is_3d_secure: true,
    is_auth: false,
    is_capture: false,
    is_refunded: false,
    is_standalone_payment: true,
    is_voided: false,
    order: { id: 217503754 },
    owner: 302852,
    pending: false,
    source_data: { pan: '2346', sub_type: 'MasterCard', type: 'card' },
    success: true,
  };
  const vector2 = {
    amount_cents: 12353,
    created_at: '2025-11-24T15:58:08.589528',
    currency: 'EGP',
    error_occured: false,
    has_parent_transaction: false,
    id: 373906620,
    integration_id: 5306007,
    is_3d_secure: true,
    is_auth: false,
    is_capture: false,
    is_refunded: false,
    is_standalone_payment: true,
    is_voided: false,
    order: { id: 422946804, merchant_order_id: 'ORD-3E70A0' },
    owner: 2045572,
    pending: false,
    source_data: { pan: '0008', type: 'card', sub_type: 'MasterCard' },
    success: true,
  };
  const vector2Hmac =
    '8cd9658e7234fe44365814fa53508c06ea2a9076d073e471cc9bdcb53ac2d009fd852e03218a47ab082a235b3f2e039f41a935b32e28bd12df151dd5708a97e5';

  it('vector 1: concatenates the 20 fields in order', () => {
    expect(transactionHmacMessage(vector1)).toBe(
      '1000002024-06-13T11:33:44.592345EGPfalsefalse1920364654097558truefalsefalsefalsetruefalse217503754302852false2346MasterCardcardtrue',
    );
  });

  it('vector 2: produces the published hash', () => {
    expect(signTransaction(vector2, 'A75D2BFFB4EEECC7C796318B5C5EFBB7')).toBe(vector2Hmac);
  });

  it('signs the flattened response-callback query to the same hash, with order_id as a fallback', () => {
    const query = new URLSearchParams({
      amount_cents: '12353',
      created_at: '2025-11-24T15:58:08.589528',
      currency: 'EGP',
      error_occured: 'false',
      has_parent_transaction: 'false',
      id: '373906620',
      integration_id: '5306007',
      is_3d_secure: 'true',
      is_auth: 'false',
      is_capture: 'false',
      is_refunded: 'false',
      is_standalone_payment: 'true',
      is_voided: 'false',
      order: '422946804',
      owner: '2045572',
      pending: 'false',
      'source_data.pan': '0008',
      'source_data.sub_type': 'MasterCard',
      'source_data.type': 'card',
      success: 'true',
      merchant_order_id: 'ORD-3E70A0',
    });
    expect(signFlattened(query, 'A75D2BFFB4EEECC7C796318B5C5EFBB7')).toBe(vector2Hmac);
    const withOrderId = Object.fromEntries(query);
    withOrderId.order_id = withOrderId.order ?? '';
    delete withOrderId.order;
    expect(flattenedHmacMessage(withOrderId)).toBe(transactionHmacMessage(vector2));
  });

  it('treats a missing value as the empty string', () => {
    const { source_data: _ignored, ...withoutSource } = vector1;
    expect(transactionHmacMessage(withoutSource)).toBe(
      '1000002024-06-13T11:33:44.592345EGPfalsefalse1920364654097558truefalsefalsefalsetruefalse217503754302852falsetrue',
    );
  });

  it('signs TOKEN callbacks over their 8 fields', () => {
    const token = {
      card_subtype: 'MasterCard',
      created_at: '2024-06-13T11:33:44.592345',
      email: 'alice@example.com',
      id: 8812,
      masked_pan: 'xxxx-xxxx-xxxx-2346',
      merchant_id: 164295,
      order_id: 217503754,
      token: 'd9b2a1c3',
    };
    const message =
      'MasterCard2024-06-13T11:33:44.592345alice@example.com8812xxxx-xxxx-xxxx-2346164295217503754d9b2a1c3';
    expect(tokenHmacMessage(token)).toBe(message);
    expect(signToken(token, HMAC_SECRET)).toBe(
      createHmac('sha512', HMAC_SECRET).update(message).digest('hex'),
    );
  });
});

describe('sandbox basics', () => {
  it('lists paymob in /health', async () => {
    const body = await json<{ services: string[] }>(fetch(`${sandbox.url}/health`));
    expect(body.services).toContain('paymob');
    expect(body.services).toContain('mailgun');
  });

  it('answers an unsupported method like Django REST framework', async () => {
    const response = await fetch(`${sandbox.url}/api/auth/tokens`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(await response.json()).toEqual({ detail: 'Method "GET" not allowed.' });
  });
});

describe('auth tokens', () => {
  it('issues an opaque JWT-like token with the merchant profile', async () => {
    const response = await post('/api/auth/tokens', { api_key: API_KEY });
    expect(response.status).toBe(201);
    const body = await json<{ token: string; profile: { id: number; user: { id: number } } }>(response);
    expect(body.token).toMatch(/^ZXlK[A-Za-z0-9+/=]+$/);
    expect(body.profile).toMatchObject({ id: expect.any(Number), user: { id: expect.any(Number) } });
  });

  it('refuses a wrong API key and a missing one', async () => {
    const wrong = await post('/api/auth/tokens', { api_key: 'nope' });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({ detail: 'incorrect credentials' });
    const missing = await post('/api/auth/tokens', {});
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ api_key: ['This field is required.'] });
  });

  it('answers 401 without, with a forged and with an expired token', async () => {
    const order = { amount_cents: 100, currency: 'EGP' };
    const none = await post('/api/ecommerce/orders', order);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
    const forged = await post('/api/ecommerce/orders', { ...order, auth_token: 'ZXlKforged' });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toEqual({ detail: 'Error decoding signature.' });

    // Lifetimes of a second: long enough for the first use on a loaded machine, short enough to wait out.
    await addFault({ service: 'paymob', mode: 'token-expiry', ms: 1000 });
    const shortLived = await authToken();
    const longLived = await authToken();
    expect((await post('/api/ecommerce/orders', { ...order, auth_token: shortLived })).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const expired = await post('/api/ecommerce/orders', { ...order, auth_token: shortLived });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ detail: 'Signature has expired.' });
    expect((await post('/api/ecommerce/orders', { ...order, auth_token: longLived })).status).toBe(201);
  });

  it('expires every token on request and honours a short configured lifetime', async () => {
    const token = await authToken();
    await post('/sandbox/paymob/expire-tokens', {});
    expect((await post('/api/ecommerce/orders', { amount_cents: 1, auth_token: token })).status).toBe(401);

    const shortSandbox = await startSandbox({ port: 0, paymobAuthTokenTtlMs: 1000, workerBaseUrl: '' });
    try {
      const answer = await fetch(`${shortSandbox.url}/api/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ api_key: 'anything' }),
      });
      const { token: short } = await json<{ token: string }>(answer);
      const create = () =>
        fetch(`${shortSandbox.url}/api/ecommerce/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${short}`, 'content-type': 'application/json' },
          body: JSON.stringify({ amount_cents: 5 }),
        });
      expect((await create()).status).toBe(201);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await create()).status).toBe(401);
    } finally {
      await shortSandbox.close();
    }
  });
});

describe('orders', () => {
  it('registers an order and refuses a duplicate merchant_order_id exactly as PayMob does', async () => {
    const token = await authToken();
    const merchantOrderId = reference();
    const order = await createOrder(token, { merchant_order_id: merchantOrderId, amount_cents: 2500 });
    expect(order).toMatchObject({
      id: expect.any(Number),
      amount_cents: 2500,
      currency: 'EGP',
      merchant_order_id: merchantOrderId,
      paid_amount_cents: 0,
    });
    expect(order.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);

    const duplicate = await post('/api/ecommerce/orders', {
      auth_token: token,
      amount_cents: 2500,
      currency: 'EGP',
      merchant_order_id: merchantOrderId,
    });
    expect(duplicate.status).toBe(422);
    expect(await duplicate.json()).toEqual({ message: 'duplicate' });

    const listed = await json<{ count: number; results: Order[] }>(
      fetch(`${sandbox.url}/api/ecommerce/orders?merchant_order_id=${merchantOrderId}`, {
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    expect(listed.count).toBe(1);
    expect(first(listed.results).id).toBe(order.id);
  });

  it('validates fields with Django REST framework bodies', async () => {
    const token = await authToken();
    const missing = await post('/api/ecommerce/orders', { auth_token: token, currency: 'EGP' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ amount_cents: ['This field is required.'] });
    const invalid = await post('/api/ecommerce/orders', { auth_token: token, amount_cents: '12.5' });
    expect(await invalid.json()).toEqual({ amount_cents: ['A valid integer is required.'] });
    const notJson = await fetch(`${sandbox.url}/api/ecommerce/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{oops',
    });
    expect(notJson.status).toBe(400);
    expect((await json<{ detail: string }>(notJson)).detail).toMatch(/^JSON parse error/);
    const plain = await fetch(`${sandbox.url}/api/ecommerce/orders`, { method: 'POST', body: '{}' });
    expect(plain.status).toBe(415);
    expect(await plain.json()).toEqual({
      detail: 'Unsupported media type "text/plain;charset=UTF-8" in request.',
    });
  });
});

describe('payment keys', () => {
  it('issues a payment key for a valid request', async () => {
    const token = await authToken();
    const order = await createOrder(token);
    const response = await requestPaymentKey(token, order);
    expect(response.status).toBe(201);
    expect((await json<{ token: string }>(response)).token).toMatch(/^ZXlK/);
  });

  it('requires all 13 billing keys', async () => {
    const token = await authToken();
    const order = await createOrder(token);
    const { floor: _floor, state: _state, email: _email, ...partial } = billing();
    const response = await requestPaymentKey(token, order, { billing_data: partial });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      billing_data: {
        email: ['This field is required.'],
        floor: ['This field is required.'],
        state: ['This field is required.'],
      },
    });
    const none = await requestPaymentKey(token, order, { billing_data: undefined });
    expect(await none.json()).toEqual({ billing_data: ['This field is required.'] });
  });

  it('accepts "NA" for optional billing fields but not for name, phone and e-mail', async () => {
    const token = await authToken();
    const order = await createOrder(token);
    const response = await requestPaymentKey(token, order, {
      billing_data: billing({ first_name: 'NA', last_name: '', phone_number: 'NA', email: 'not-an-email' }),
    });
    expect(response.status).toBe(400);
    const { billing_data: errors } = await json<{ billing_data: Record<string, string[]> }>(response);
    expect(Object.keys(errors).sort()).toEqual(['email', 'first_name', 'last_name', 'phone_number']);
    expect(errors.email).toEqual(['Enter a valid email address.']);
    expect(errors.last_name).toEqual(['This field may not be blank.']);
  });

  it('refuses an unknown integration, an unknown order and an amount that differs from the order', async () => {
    const token = await authToken();
    const order = await createOrder(token);
    const integration = await requestPaymentKey(token, order, { integration_id: 111 });
    expect(integration.status).toBe(400);
    expect(await integration.json()).toEqual({
      integration_id: ['Invalid pk "111" - object does not exist.'],
    });
    const unknownOrder = await requestPaymentKey(token, { ...order, id: 42 });
    expect(unknownOrder.status).toBe(400);
    expect(await unknownOrder.json()).toEqual({ order_id: ['Invalid pk "42" - object does not exist.'] });
    const amount = await requestPaymentKey(token, order, { amount_cents: 99 });
    expect(amount.status).toBe(400);
    expect(Object.keys(await json<Json>(amount))).toEqual(['amount_cents']);
  });
});

describe('test cards and callbacks', () => {
  it('5123456789012346 succeeds: signed processed callback and signed redirect', async () => {
    const { order, answer, reference: ref } = await checkout(CARD_SUCCESS);
    const post = await waitFor(() => callbacksReceived(ref)[0]);
    const obj = expectSignedCallback(post);
    expect(obj).toMatchObject({
      id: answer.transaction_id,
      pending: false,
      success: true,
      amount_cents: 100000,
      currency: 'EGP',
      is_auth: false,
      is_capture: false,
      is_standalone_payment: true,
      is_voided: false,
      is_refunded: false,
      is_3d_secure: true,
      has_parent_transaction: false,
      integration_id: INTEGRATION_ID,
      error_occured: false,
      order: { id: order.id, merchant_order_id: ref, amount_cents: 100000, currency: 'EGP' },
      source_data: { pan: '2346', type: 'card', sub_type: 'MasterCard' },
      data: { message: 'Approved', txn_response_code: 'APPROVED' },
    });
    expect(obj.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(typeof obj.owner).toBe('number');
    expect(typeof obj.profile_id).toBe('number');

    const redirect = new URL(answer.redirect_url);
    expect(`${redirect.origin}${redirect.pathname}`).toBe(`${workerUrl}${WEBHOOK_PATH}`);
    const query = redirect.searchParams;
    expect(query.get('hmac')).toBe(expectedFlattenedHmac(query));
    expect(Object.fromEntries(query)).toMatchObject({
      id: String(answer.transaction_id),
      pending: 'false',
      success: 'true',
      amount_cents: '100000',
      order: String(order.id),
      merchant_order_id: ref,
      created_at: obj.created_at,
      'source_data.pan': '2346',
      'source_data.sub_type': 'MasterCard',
      'source_data.type': 'card',
      'data.message': 'Approved',
    });

    const [record] = await waitFor(async () => {
      const list = await callbackRecords(`?merchant_order_id=${ref}`);
      return list[0]?.status === 200 ? list : null;
    });
    expect(record).toMatchObject({ transaction_id: answer.transaction_id, merchant_order_id: ref });
    expect(record?.url).toBe(`${workerUrl}${WEBHOOK_PATH}?hmac=${post.query.get('hmac')}`);
    expect(Date.parse(record?.sent_at ?? '')).not.toBeNaN();
  });

  it('4000000000000002 is declined with "Do not honor"', async () => {
    const { answer, reference: ref } = await checkout(CARD_DECLINED);
    const obj = expectSignedCallback(await waitFor(() => callbacksReceived(ref)[0]));
    expect(obj).toMatchObject({
      id: answer.transaction_id,
      success: false,
      pending: false,
      source_data: { pan: '0002', sub_type: 'Visa' },
      data: { message: 'Do not honor' },
    });
    const query = new URL(answer.redirect_url).searchParams;
    expect(query.get('success')).toBe('false');
    expect(query.get('data.message')).toBe('Do not honor');
    expect(query.get('hmac')).toBe(expectedFlattenedHmac(query));
  });

  it('an unknown card is declined', async () => {
    const { reference: ref } = await checkout('4111 1111 1111 1111');
    const obj = expectSignedCallback(await waitFor(() => callbacksReceived(ref)[0]));
    expect(obj.success).toBe(false);
    expect(obj.pending).toBe(false);
  });

  it('4000000000009995 stays pending, then a second callback for the same transaction succeeds', async () => {
    const { answer, reference: ref, token } = await checkout(CARD_PENDING);
    expect(new URL(answer.redirect_url).searchParams.get('pending')).toBe('true');
    const firstObj = expectSignedCallback(await waitFor(() => callbacksReceived(ref)[0]));
    expect(firstObj).toMatchObject({ id: answer.transaction_id, pending: true, success: false });

    const later = await waitFor(() => callbacksReceived(ref)[1], PENDING_DELAY_MS + 2000);
    const secondObj = expectSignedCallback(later);
    expect(secondObj).toMatchObject({ id: answer.transaction_id, pending: false, success: true });
    expect(secondObj.created_at).toBe(firstObj.created_at);

    const inquiry = await json<Transaction>(
      post('/api/ecommerce/orders/transaction_inquiry', { auth_token: token, merchant_order_id: ref }),
    );
    expect(inquiry).toMatchObject({ id: answer.transaction_id, success: true, pending: false });
  });

  it('rejects a payment without credential, with an unknown key, without a card, and on a paid locked order', async () => {
    expect((await pay({ card_number: CARD_SUCCESS })).status).toBe(400);
    expect((await pay({ payment_token: 'nope', card_number: CARD_SUCCESS })).status).toBe(404);
    const { key } = await checkout(CARD_SUCCESS);
    expect(await json(pay({ payment_token: key }))).toEqual({ card_number: ['This field is required.'] });
    const again = await pay({ payment_token: key, card_number: CARD_SUCCESS });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ detail: 'This order has already been paid.' });
  });

  it('lists callbacks newest first and filters by merchant_order_id', async () => {
    const one = await checkout(CARD_SUCCESS);
    const two = await checkout(CARD_DECLINED);
    const all = await waitFor(async () => {
      const list = await callbackRecords();
      return list.length === 2 && list.every((entry) => entry.status === 200) ? list : null;
    });
    expect(all.map((entry) => entry.merchant_order_id)).toEqual([two.reference, one.reference]);
    const filtered = await callbackRecords(`?merchant_order_id=${one.reference}`);
    expect(filtered.map((entry) => entry.transaction_id)).toEqual([one.answer.transaction_id]);
  });
});

describe('checkout pages', () => {
  function expectSelfContained(html: string) {
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\s(src|href)=["']?\/\//);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
  }

  it('serves the legacy iframe page with a labelled card form showing the amount', async () => {
    const token = await authToken();
    const order = await createOrder(token, { amount_cents: 123456 });
    const key = await paymentKey(token, order);
    const response = await fetch(`${sandbox.url}/api/acceptance/iframes/${IFRAME_ID}?payment_token=${key}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expectSelfContained(html);
    expect(html).toContain('EGP 1,234.56');
    expect(html).toContain('<form method="post" action="/sandbox/paymob/pay" autocomplete="off">');
    for (const [id, label] of [
      ['card_number', 'Card number'],
      ['card_holder', 'Name on card'],
      ['expiry', 'Expiry (MM/YY)'],
      ['cvv', 'CVV'],
    ]) {
      expect(html).toContain(`<label for="${id}">${label}</label>`);
      expect(html).toContain(`id="${id}"`);
    }
    expect(html).toContain('<button type="submit">Pay</button>');
    expect(html).toContain(`name="payment_token" value="${key}"`);
  });

  it('submitting the form pays and redirects the browser to the signed response URL', async () => {
    const token = await authToken();
    const order = await createOrder(token);
    const key = await paymentKey(token, order);
    const form = new URLSearchParams({
      payment_token: key,
      card_number: '5123 4567 8901 2346',
      card_holder: 'Alice Example',
      expiry: '12/30',
      cvv: '123',
    });
    const response = await fetch(`${sandbox.url}/sandbox/paymob/pay`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.pathname).toBe(WEBHOOK_PATH);
    expect(location.searchParams.get('success')).toBe('true');
    expect(location.searchParams.get('hmac')).toBe(expectedFlattenedHmac(location.searchParams));
    await waitFor(() => callbacksReceived(order.merchant_order_id ?? '')[0]);
  });

  it('shows error pages for a wrong iframe, a bad key and a form error', async () => {
    expect((await fetch(`${sandbox.url}/api/acceptance/iframes/1?payment_token=x`)).status).toBe(404);
    expect((await fetch(`${sandbox.url}/api/acceptance/iframes/${IFRAME_ID}?payment_token=x`)).status).toBe(
      404,
    );
    const formError = await fetch(`${sandbox.url}/sandbox/paymob/pay`, {
      method: 'POST',
      body: new URLSearchParams({ payment_token: 'unknown', card_number: CARD_SUCCESS }),
      redirect: 'manual',
    });
    expect(formError.status).toBe(404);
    expect(formError.headers.get('content-type')).toContain('text/html');
  });
});

describe('intention API and unified checkout', () => {
  const intentionBody = (overrides: Json = {}): Json => ({
    amount: 25000,
    currency: 'EGP',
    payment_methods: [INTEGRATION_ID],
    items: [{ name: 'Top-up', amount: 25000, description: 'Wallet top-up', quantity: 1 }],
    billing_data: {
      first_name: 'Alice',
      last_name: 'Example',
      email: 'alice@example.com',
      phone_number: '+201001234567',
    },
    special_reference: reference(),
    ...overrides,
  });

  function createIntention(body: Json, secret = SECRET_KEY): Promise<Response> {
    return post('/v1/intention/', body, { authorization: `Token ${secret}` });
  }

  it('creates an intention, serves its checkout page and pays to its own notification and redirection URLs', async () => {
    const ref = reference();
    const response = await createIntention(
      intentionBody({
        special_reference: ref,
        notification_url: `${workerUrl}/custom/processed`,
        redirection_url: `${workerUrl}/custom/response?from=paymob`,
      }),
    );
    expect(response.status).toBe(201);
    const intention = await json<Intention>(response);
    expect(intention).toMatchObject({
      id: expect.stringMatching(/^pi_test_/),
      client_secret: expect.stringMatching(/^egy_csk_test_/),
      intention_order_id: expect.any(Number),
      special_reference: ref,
      status: 'intended',
      payment_keys: [{ integration: INTEGRATION_ID, key: expect.any(String) }],
    });

    const page = await fetch(
      `${sandbox.url}/unifiedcheckout/?publicKey=${PUBLIC_KEY}&clientSecret=${intention.client_secret}`,
    );
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('EGP 250.00');
    expect(html).toContain(`name="client_secret" value="${intention.client_secret}"`);
    expect(html).toContain('<label for="card_number">Card number</label>');

    const answer = await json<PayAnswer>(
      pay({ client_secret: intention.client_secret, card_number: CARD_SUCCESS }),
    );
    expect(answer.redirect_url.startsWith(`${workerUrl}/custom/response?from=paymob&id=`)).toBe(true);
    const post = await waitFor(() => received.find((entry) => entry.path === '/custom/processed'));
    expect(post.query.get('hmac')).toBe(expectedTransactionHmac(post.body.obj));
    expect(post.body.obj.order).toMatchObject({ id: intention.intention_order_id, merchant_order_id: ref });
  });

  it('refuses a wrong secret key, a duplicate special_reference, an unknown integration and bad items', async () => {
    const wrong = await createIntention(intentionBody(), 'egy_sk_test_wrong');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ detail: 'Invalid token.' });
    const missing = await post('/v1/intention/', intentionBody());
    expect(missing.status).toBe(401);

    const body = intentionBody();
    expect((await createIntention(body)).status).toBe(201);
    const duplicate = await createIntention(body);
    expect(duplicate.status).toBe(400);
    expect(Object.keys(await json<Json>(duplicate))).toEqual(['special_reference']);

    const integration = await createIntention(intentionBody({ payment_methods: [999] }));
    expect(integration.status).toBe(404);
    expect((await json<{ detail: string }>(integration)).detail).toMatch(
      /^Integration ID\/Name does not exist/,
    );

    const items = await createIntention(intentionBody({ items: [{ amount: 25000 }] }));
    expect(items.status).toBe(400);
    expect(await items.json()).toEqual({ items: { name: ['This field is required.'] } });

    const phone = await createIntention(
      intentionBody({ billing_data: { first_name: 'A', last_name: 'B', email: 'a@b.co' } }),
    );
    expect(await phone.json()).toEqual({ billing_data: { phone_number: ['This field is required.'] } });
  });

  it('refuses the checkout page for a wrong public key or client secret', async () => {
    const intention = await json<Intention>(createIntention(intentionBody()));
    const wrongKey = await fetch(
      `${sandbox.url}/unifiedcheckout/?publicKey=x&clientSecret=${intention.client_secret}`,
    );
    expect(wrongKey.status).toBe(401);
    const wrongSecret = await fetch(`${sandbox.url}/unifiedcheckout/?publicKey=${PUBLIC_KEY}&clientSecret=x`);
    expect(wrongSecret.status).toBe(404);
  });
});

describe('inquiry', () => {
  it('returns the latest transaction by merchant_order_id, by order_id and by transaction id', async () => {
    const token = await authToken();
    const order = await createOrder(token);
    const key = await paymentKey(token, order);
    await pay({ payment_token: key, card_number: CARD_DECLINED });
    const success = await json<PayAnswer>(pay({ payment_token: key, card_number: CARD_SUCCESS }));

    const byReference = await post('/api/ecommerce/orders/transaction_inquiry', {
      auth_token: token,
      merchant_order_id: order.merchant_order_id,
    });
    expect(byReference.status).toBe(200);
    const latest = await json<Transaction>(byReference);
    expect(latest).toMatchObject({ id: success.transaction_id, success: true, order: { id: order.id } });

    const byOrderId = await json<Transaction>(
      post('/api/ecommerce/orders/transaction_inquiry', { auth_token: token, order_id: order.id }),
    );
    expect(byOrderId.id).toBe(success.transaction_id);

    const byId = await fetch(`${sandbox.url}/api/acceptance/transactions/${success.transaction_id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(byId.status).toBe(200);
    expect(await byId.json()).toEqual(latest);
    expect((await fetch(`${sandbox.url}/api/acceptance/transactions/${success.transaction_id}`)).status).toBe(
      401,
    );
  });

  it('answers 404 for an order without transactions and an unknown transaction', async () => {
    const token = await authToken();
    const order = await createOrder(token);
    const none = await post('/api/ecommerce/orders/transaction_inquiry', {
      auth_token: token,
      merchant_order_id: order.merchant_order_id,
    });
    expect(none.status).toBe(404);
    expect(await none.json()).toEqual({ detail: 'Not found.' });
    const unknown = await fetch(`${sandbox.url}/api/acceptance/transactions/1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(unknown.status).toBe(404);
  });
});

describe('refund and void', () => {
  function refund(token: string, transactionId: number, amountCents: number): Promise<Response> {
    return post('/api/acceptance/void_refund/refund', {
      auth_token: token,
      transaction_id: transactionId,
      amount_cents: amountCents,
    });
  }

  function voidPayment(token: string, transactionId: number): Promise<Response> {
    return post(`/api/acceptance/void_refund/void?token=${token}`, { transaction_id: transactionId });
  }

  it('refunds partially, then fully, and refuses to refund more', async () => {
    const { token, answer, reference: ref } = await checkout(CARD_SUCCESS);
    await waitFor(() => callbacksReceived(ref)[0]);

    const partial = await refund(token, answer.transaction_id, 30000);
    expect(partial.status).toBe(200);
    const child = await json<Transaction>(partial);
    expect(child).toMatchObject({
      success: true,
      pending: false,
      amount_cents: 30000,
      has_parent_transaction: true,
      parent_transaction: answer.transaction_id,
      is_refund: true,
      is_void: false,
      order: { merchant_order_id: ref },
    });
    expect(child.id).not.toBe(answer.transaction_id);
    const childCallback = expectSignedCallback(
      await waitFor(() => callbacksReceived(ref).find((post) => post.body.obj.id === child.id)),
    );
    expect(childCallback).toMatchObject({ id: child.id, amount_cents: 30000, has_parent_transaction: true });

    const over = await refund(token, answer.transaction_id, 70001);
    expect(over.status).toBe(400);
    // PayMob's own words (docs/payments.md): the limit in major units.
    expect((await json<{ message: string }>(over)).message).toBe(
      'Requested Refund Amount is greater than the maximum refund amount permissible. Maximum Refund Amount is EGP 700.0',
    );

    const rest = await refund(token, answer.transaction_id, 70000);
    expect(rest.status).toBe(200);
    // Each refund: the child's callback and the re-sent parent's.
    await waitFor(() => callbacksReceived(ref).length >= 5);
    const parent = await json<Transaction>(
      fetch(`${sandbox.url}/api/acceptance/transactions/${answer.transaction_id}`, {
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    expect(parent).toMatchObject({ is_refunded: true, refunded_amount_cents: 100000 });
    expect((await refund(token, answer.transaction_id, 1)).status).toBe(400);
  });

  it('accepts the secret key for refunds and refuses declined transactions', async () => {
    const { answer } = await checkout(CARD_SUCCESS);
    const bySecret = await post(
      '/api/acceptance/void_refund/refund',
      { transaction_id: answer.transaction_id, amount_cents: 100 },
      { authorization: `Token ${SECRET_KEY}` },
    );
    expect(bySecret.status).toBe(200);
    const declined = await checkout(CARD_DECLINED);
    expect((await refund(declined.token, declined.answer.transaction_id, 100)).status).toBe(400);
  });

  it('voids on the same day with a signed child callback', async () => {
    const { token, answer, reference: ref } = await checkout(CARD_SUCCESS);
    const response = await voidPayment(token, answer.transaction_id);
    expect(response.status).toBe(200);
    const child = await json<Transaction>(response);
    expect(child).toMatchObject({
      is_void: true,
      success: true,
      amount_cents: 100000,
      has_parent_transaction: true,
      parent_transaction: answer.transaction_id,
    });
    const callbacks = await waitFor(() =>
      callbacksReceived(ref).length === 2 ? callbacksReceived(ref) : null,
    );
    const voidCallback = callbacks.find((entry) => entry.body.obj.id === child.id);
    expect(voidCallback && expectSignedCallback(voidCallback)).toMatchObject({ is_void: true });
    const parent = await json<Transaction>(
      post('/api/ecommerce/orders/transaction_inquiry', { auth_token: token, order_id: child.order.id }),
    );
    expect(parent.id).toBe(child.id);
    const original = await json<Transaction>(
      fetch(`${sandbox.url}/api/acceptance/transactions/${answer.transaction_id}?token=${token}`),
    );
    expect(original.is_voided).toBe(true);
    expect((await voidPayment(token, answer.transaction_id)).status).toBe(400);
  });

  it.each([
    ['child-first', 'numeric', [false, true], 30000],
    ['parent-first', 'null', [true, false], null],
  ] as const)(
    'a refund sends the child and the parent callback (%s, parent total %s)',
    async (order, parentTotal, parentFirst, total) => {
      const { token, answer, reference: ref } = await checkout(CARD_SUCCESS);
      await waitFor(() => callbacksReceived(ref)[0]);
      expect(
        (
          await addFault({
            service: 'paymob',
            mode: 'refund-callbacks',
            order,
            parent: parentTotal,
            match: `merchant_order_id=${ref}`,
          })
        ).status,
      ).toBe(201);
      const child = await json<Transaction>(refund(token, answer.transaction_id, 30000));
      const posts = await waitFor(() =>
        callbacksReceived(ref).length >= 3 ? callbacksReceived(ref).slice(1) : null,
      );
      expect(posts.map((post) => post.body.obj.id === answer.transaction_id)).toEqual(parentFirst);
      const parent = posts.find((post) => post.body.obj.id === answer.transaction_id);
      expect(parent && expectSignedCallback(parent)).toMatchObject({
        is_refunded: true,
        refunded_amount_cents: total,
      });
      const childPost = posts.find((post) => post.body.obj.id === child.id);
      expect(childPost && expectSignedCallback(childPost)).toMatchObject({
        is_refund: true,
        captured_amount: null,
      });
    },
  );

  it('a parent total of `none` sends only the child; the payment callback carries real-shaped nulls', async () => {
    const { token, answer, reference: ref } = await checkout(CARD_SUCCESS);
    const payment = expectSignedCallback(await waitFor(() => callbacksReceived(ref)[0]));
    expect(payment).toMatchObject({ refunded_amount_cents: null, merchant_commission: null });
    await addFault({
      service: 'paymob',
      mode: 'refund-callbacks',
      parent: 'none',
      match: `merchant_order_id=${ref}`,
    });
    await refund(token, answer.transaction_id, 100);
    await waitFor(() => callbacksReceived(ref)[1]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(callbacksReceived(ref)).toHaveLength(2);
  });

  it('a refund child with a negative amount (fault), signed as sent', async () => {
    const { token, answer, reference: ref } = await checkout(CARD_SUCCESS);
    await addFault({ service: 'paymob', mode: 'negative-child-amount', match: `merchant_order_id=${ref}` });
    const child = await json<Transaction>(refund(token, answer.transaction_id, 2500));
    expect(child.amount_cents).toBe(-2500);
    const post = await waitFor(() => callbacksReceived(ref).find((p) => p.body.obj.id === child.id));
    expect(expectSignedCallback(post).amount_cents).toBe(-2500);
  });

  it('the business day is the account zone’s: around midnight in Cairo, Riyadh and Karachi', () => {
    // December: Cairo is UTC+2, Riyadh UTC+3, Karachi UTC+5.
    expect(businessDay(Date.parse('2026-12-05T21:59:59Z'), 'EG')).toBe('2026-12-05');
    expect(businessDay(Date.parse('2026-12-05T22:00:00Z'), 'EG')).toBe('2026-12-06');
    expect(businessDay(Date.parse('2026-12-05T21:00:00Z'), 'SA')).toBe('2026-12-06');
    expect(businessDay(Date.parse('2026-12-05T19:00:00Z'), 'PK')).toBe('2026-12-06');
    // Egypt's summer time (UTC+3).
    expect(businessDay(Date.parse('2026-07-05T21:30:00Z'), 'EG')).toBe('2026-07-06');
  });

  it('refuses a void after midnight Cairo time, allows it before (the account zone’s business day)', async () => {
    let clock = Date.now();
    const zoned = await startSandbox({
      port: 0,
      paymobApiKey: API_KEY,
      paymobHmacSecret: HMAC_SECRET,
      workerBaseUrl: '',
      paymobNow: () => clock,
    });
    try {
      const call = (path: string, body: unknown) =>
        fetch(`${zoned.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const { token } = await json<{ token: string }>(call('/api/auth/tokens', { api_key: API_KEY }));
      const order = await json<{ id: number }>(
        call('/api/ecommerce/orders', {
          auth_token: token,
          amount_cents: 1000,
          currency: 'EGP',
          delivery_needed: 'false',
          items: [],
        }),
      );
      const key = await json<{ token: string }>(
        call('/api/acceptance/payment_keys', {
          auth_token: token,
          amount_cents: 1000,
          expiration: 3600,
          order_id: order.id,
          currency: 'EGP',
          integration_id: INTEGRATION_ID,
          billing_data: billing(),
        }),
      );
      const paid = await json<PayAnswer>(
        call('/sandbox/paymob/pay', { payment_token: key.token, card_number: CARD_SUCCESS }),
      );
      const created = Date.now();
      // The first half hour after the next midnight in Cairo: PayMob's business day is over.
      let after = created;
      while (businessDay(after, 'EG') === businessDay(created, 'EG')) after += 30 * 60_000;
      clock = after;
      const refused = await call(`/api/acceptance/void_refund/void?token=${token}`, {
        transaction_id: paid.transaction_id,
      });
      expect(refused.status).toBe(400);
      expect((await json<{ message: string }>(refused)).message).toMatch(/same business day/);
      clock = created + 60_000;
      expect(
        (
          await call(`/api/acceptance/void_refund/void?token=${token}`, {
            transaction_id: paid.transaction_id,
          })
        ).status,
      ).toBe(200);
    } finally {
      await zoned.close();
    }
  });

  it('refuses to void a transaction from an earlier day', async () => {
    const { token, answer } = await checkout(CARD_SUCCESS);
    const backdated = await post(`/sandbox/paymob/transactions/${answer.transaction_id}/backdate`, {
      days: 1,
    });
    expect(backdated.status).toBe(200);
    const { created_at: createdAt } = await json<Transaction>(backdated);
    expect(Date.now() - Date.parse(`${createdAt}Z`)).toBeGreaterThan(23 * 60 * 60 * 1000);
    const response = await voidPayment(token, answer.transaction_id);
    expect(response.status).toBe(400);
    expect((await json<{ message: string }>(response)).message).toMatch(/same business day/);
    expect((await refund(token, answer.transaction_id, 100000)).status).toBe(200);
  });

  it('requires authentication', async () => {
    const { answer } = await checkout(CARD_SUCCESS);
    expect(
      (await post('/api/acceptance/void_refund/void', { transaction_id: answer.transaction_id })).status,
    ).toBe(401);
  });
});

describe('fault injection', () => {
  it('fails the next calls to one endpoint with a 5xx, then recovers', async () => {
    const created = await addFault({
      service: 'paymob',
      mode: 'status',
      status: 503,
      endpoint: 'orders',
      count: 2,
    });
    expect(created.status).toBe(201);
    const token = await authToken();
    const order = { auth_token: token, amount_cents: 100, currency: 'EGP' };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await post('/api/ecommerce/orders', order);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ detail: 'Service Unavailable' });
    }
    expect((await post('/api/ecommerce/orders', order)).status).toBe(201);
  });

  it('leaves other endpoints alone and scopes by merchant_order_id with match', async () => {
    const token = await authToken();
    const mine = await createOrder(token);
    const theirs = await createOrder(token);
    await addFault({
      service: 'paymob',
      mode: 'status',
      status: 502,
      endpoint: 'payment_keys',
      match: `merchant_order_id=${mine.merchant_order_id}`,
    });
    expect((await createOrder(token)).id).toEqual(expect.any(Number));
    expect((await requestPaymentKey(token, theirs)).status).toBe(201);
    expect((await requestPaymentKey(token, mine)).status).toBe(502);
    expect((await requestPaymentKey(token, mine)).status).toBe(201);
  });

  it('applies an endpoint-less status fault to the next call of any endpoint', async () => {
    await addFault({ service: 'paymob', mode: 'status', status: 500 });
    expect((await post('/api/auth/tokens', { api_key: API_KEY })).status).toBe(500);
    expect((await post('/api/auth/tokens', { api_key: API_KEY })).status).toBe(201);
  });

  it('delays the answer of one endpoint', async () => {
    await addFault({ service: 'paymob', mode: 'delay', ms: 300, endpoint: 'inquiry' });
    const token = await authToken();
    const started = Date.now();
    await post('/api/ecommerce/orders/transaction_inquiry', { auth_token: token, order_id: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    const again = Date.now();
    await post('/api/ecommerce/orders/transaction_inquiry', { auth_token: token, order_id: 1 });
    expect(Date.now() - again).toBeLessThan(250);
  });

  it('drops the next processed callback but records it', async () => {
    const ref = reference();
    await addFault({ service: 'paymob', mode: 'drop-callback', match: `merchant_order_id=${ref}` });
    const token = await authToken();
    const order = await createOrder(token, { merchant_order_id: ref });
    const key = await paymentKey(token, order);
    const answer = await json<PayAnswer>(pay({ payment_token: key, card_number: CARD_SUCCESS }));
    const [record] = await waitFor(async () => {
      const list = await callbackRecords(`?merchant_order_id=${ref}`);
      return list.length > 0 ? list : null;
    });
    expect(record).toMatchObject({ dropped: true, status: null, transaction_id: answer.transaction_id });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(callbacksReceived(ref)).toEqual([]);
  });

  it('sends the next processed callback twice', async () => {
    await addFault({ service: 'paymob', mode: 'duplicate-callback' });
    const { answer, reference: ref } = await checkout(CARD_SUCCESS);
    const posts = await waitFor(() => (callbacksReceived(ref).length === 2 ? callbacksReceived(ref) : null));
    expect(posts.map((entry) => entry.body.obj.id)).toEqual([answer.transaction_id, answer.transaction_id]);
    expect(posts.map((entry) => entry.query.get('hmac'))).toEqual([
      expectedTransactionHmac(first(posts).body.obj),
      expectedTransactionHmac(first(posts).body.obj),
    ]);
    await waitFor(async () => {
      const list = await callbackRecords(`?merchant_order_id=${ref}`);
      return list.length === 2 && list.every((entry) => entry.status === 200);
    });
  });

  it.each([
    [{ service: 'paymob', mode: 'status', status: 503, endpoint: 'checkout' }],
    [{ service: 'paymob', mode: 'drop-callback', endpoint: 'orders' }],
    [{ service: 'paymob', mode: 'status', status: 200 }],
    [{ service: 'paymob', mode: 'token-expiry' }],
  ])('rejects an invalid fault %j', async (fault) => {
    expect((await addFault(fault)).status).toBe(400);
  });
});

describe('reset', () => {
  it('clears orders, tokens, transactions and callback records', async () => {
    const { token, reference: ref } = await checkout(CARD_SUCCESS);
    await waitFor(async () => (await callbackRecords()).length === 1);
    await fetch(`${sandbox.url}/sandbox/reset`, { method: 'POST' });
    expect(await callbackRecords()).toEqual([]);
    expect((await post('/api/ecommerce/orders', { auth_token: token, amount_cents: 1 })).status).toBe(401);
    const fresh = await authToken();
    expect((await createOrder(fresh, { merchant_order_id: ref })).merchant_order_id).toBe(ref);
  });
});

describe('one account, one currency (docs/paymob.md §1)', () => {
  const SAR_ID = 5100111;
  const OMR_ID = 5100222;
  let ksa: Sandbox;

  beforeAll(async () => {
    // A KSA account: its plain integration ids take SAR; one integration is declared with its own currency.
    // Its intention answers carry no intention_order_id, as the Oman/Pakistan docs' samples show.
    ksa = await startSandbox({
      port: 0,
      paymobApiKey: API_KEY,
      paymobSecretKey: SECRET_KEY,
      paymobPublicKey: PUBLIC_KEY,
      paymobHmacSecret: HMAC_SECRET,
      paymobCountry: 'SA',
      paymobIntegrationIds: [SAR_ID],
      paymobIntegrations: [{ id: OMR_ID, currency: 'OMR', type: 'card' }],
      paymobIntentionOrderId: false,
      workerBaseUrl: '',
    });
  });

  afterAll(async () => {
    await ksa?.close();
  });

  const at = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${ksa.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  async function ksaToken(): Promise<string> {
    return (await json<{ token: string }>(at('/api/auth/tokens', { api_key: API_KEY }))).token;
  }

  it('an order in a currency none of the account’s integrations takes → 400 naming it', async () => {
    const token = await ksaToken();
    const order = { auth_token: token, amount_cents: 100, delivery_needed: 'false', items: [] };
    expect((await at('/api/ecommerce/orders', { ...order, currency: 'SAR' })).status).toBe(201);
    const refused = await at('/api/ecommerce/orders', { ...order, currency: 'EGP' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      currency: ['Currency EGP is not available on this account (SAR, OMR).'],
    });
  });

  it('a payment key whose currency is not its integration’s → 400 naming both', async () => {
    const token = await ksaToken();
    const order = await json<Order>(
      at('/api/ecommerce/orders', { auth_token: token, amount_cents: 100, currency: 'SAR', items: [] }),
    );
    const key = (integration: number) =>
      at('/api/acceptance/payment_keys', {
        auth_token: token,
        amount_cents: 100,
        order_id: order.id,
        billing_data: billing(),
        currency: 'SAR',
        integration_id: integration,
      });
    expect((await key(SAR_ID)).status).toBe(201);
    const refused = await key(OMR_ID);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      currency: [`Currency SAR does not match the currency of integration ${OMR_ID} (OMR).`],
    });
  });

  it('an intention in another currency than its integrations → 400; a matching one answers without intention_order_id', async () => {
    const body = (currency: string, methods: number[]) => ({
      amount: 1250,
      currency,
      payment_methods: methods,
      items: [{ name: 'x', amount: 1250, quantity: 1 }],
      billing_data: billing(),
      special_reference: reference(),
    });
    const auth = { authorization: `Token ${SECRET_KEY}` };
    const refused = await at('/v1/intention/', body('SAR', [SAR_ID, OMR_ID]), auth);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      currency: [`Currency SAR does not match the currency of integration ${OMR_ID} (OMR).`],
    });
    const created = await at('/v1/intention/', body('OMR', [OMR_ID]), auth);
    expect(created.status).toBe(201);
    const intention = await json<Record<string, unknown>>(created);
    expect(intention).not.toHaveProperty('intention_order_id');
    expect(intention.payment_keys).toMatchObject([{ integration: OMR_ID, order_id: expect.any(Number) }]);
  });

  it('the EG sandbox refuses an intention in SAR on its EGP integration', async () => {
    const response = await post(
      '/v1/intention/',
      {
        amount: 100,
        currency: 'SAR',
        payment_methods: [INTEGRATION_ID],
        billing_data: billing(),
        special_reference: reference(),
      },
      { authorization: `Token ${SECRET_KEY}` },
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      currency: [`Currency SAR does not match the currency of integration ${INTEGRATION_ID} (EGP).`],
    });
  });

  it('the inquiry takes `Token <secret key>` too; a wrong key is 401', async () => {
    const token = await authToken();
    const order = await createOrder(token);
    const inquire = (secret: string) =>
      post(
        '/api/ecommerce/orders/transaction_inquiry',
        { merchant_order_id: order.merchant_order_id },
        { authorization: `Token ${secret}` },
      );
    const notFound = await inquire(SECRET_KEY);
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ detail: 'Not found.' });
    expect((await inquire('egy_sk_test_wrong')).status).toBe(401);
  });

  it('an `answer` fault answers any shape: an HTML 404 for a route that does not exist, or odd JSON', async () => {
    expect(
      (
        await addFault({
          service: 'paymob',
          mode: 'answer',
          endpoint: 'inquiry',
          status: 404,
          html: '<h1>Not Found</h1>',
        })
      ).status,
    ).toBe(201);
    const token = await authToken();
    const html = await post('/api/ecommerce/orders/transaction_inquiry', {
      auth_token: token,
      merchant_order_id: 'x',
    });
    expect(html.status).toBe(404);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await html.text()).toBe('<h1>Not Found</h1>');
    await addFault({ service: 'paymob', mode: 'route-missing', endpoint: 'inquiry' });
    const missing = await post('/api/ecommerce/orders/transaction_inquiry', {
      auth_token: token,
      merchant_order_id: 'x',
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await missing.text()).toContain('The requested resource was not found on this server.');
    await addFault({
      service: 'paymob',
      mode: 'answer',
      endpoint: 'inquiry',
      status: 200,
      body: { count: 0 },
    });
    const odd = await post('/api/ecommerce/orders/transaction_inquiry', {
      auth_token: token,
      merchant_order_id: 'x',
    });
    expect(odd.status).toBe(200);
    expect(await odd.json()).toEqual({ count: 0 });
  });
});
