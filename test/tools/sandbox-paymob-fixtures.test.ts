import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/sandbox/server.mjs';

// The sandbox's outputs against real PayMob payloads (test/fixtures/paymob/README.md): same keys, same JSON
// types. Where the sandbox knowingly differs, the difference is listed below with its reason; the lists
// must match exactly, so a sandbox change that closes or opens a gap shows up here.
const FIXTURES = new URL('../fixtures/paymob/', import.meta.url);
const json = (name: string) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
const text = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8').trim();

const API_KEY = 'fixtures-api-key';
const SECRET_KEY = 'egy_sk_test_fixtures';
const PUBLIC_KEY = 'egy_pk_test_fixtures';
const INTEGRATION_ID = 4097558;
const CARD_SUCCESS = '5123456789012346';
const BILLING = {
  first_name: 'Mona',
  last_name: 'Adel',
  email: 'mona@example.com',
  phone_number: '+201000000001',
  apartment: 'NA',
  floor: 'NA',
  street: 'NA',
  building: 'NA',
  shipping_method: 'NA',
  postal_code: 'NA',
  city: 'Cairo',
  country: 'EG',
  state: 'NA',
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function kind(value: Json | undefined): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

// Compared by type only, not inside: the acquirer's own records (MIGS here), which differ per gateway and
// which StackPay never reads, and the billing data PayMob echoes from whatever the merchant sent.
const OPAQUE = new Set([
  'obj.data.migs_order',
  'obj.data.migs_transaction',
  'obj.payment_key_claims.billing_data',
]);
// Documented as nullable: merchant_order_id is null when the payment named no reference (the js-sdk sample).
const NULLABLE = new Set(['obj.order.merchant_order_id']);

/**
 * Every difference of keys and JSON types between a real payload and the sandbox's, nested objects
 * included (arrays are compared by type only): `path: only in fixture`, `path: only in sandbox`,
 * `path: fixture <type>, sandbox <type>`.
 */
function shapeDifferences(fixture: Json, sandbox: Json, path = ''): string[] {
  const out: string[] = [];
  if (kind(fixture) !== 'object' || kind(sandbox) !== 'object') return out;
  const real = fixture as Record<string, Json>;
  const ours = sandbox as Record<string, Json>;
  for (const key of Object.keys(real)) {
    const at = path ? `${path}.${key}` : key;
    if (!(key in ours)) out.push(`${at}: only in fixture`);
    else if (kind(real[key]) !== kind(ours[key])) {
      const eitherNull = real[key] === null || ours[key] === null;
      if (!(eitherNull && NULLABLE.has(at)))
        out.push(`${at}: fixture ${kind(real[key])}, sandbox ${kind(ours[key])}`);
    } else if (!OPAQUE.has(at)) out.push(...shapeDifferences(real[key] as Json, ours[key] as Json, at));
  }
  for (const key of Object.keys(ours))
    if (!(key in real)) out.push(`${path ? `${path}.` : ''}${key}: only in sandbox`);
  return out;
}

let sandbox: Sandbox;
let authToken: string;

async function call(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, Json> };
}

async function callbacksOf(transactionId: number) {
  // Processed callbacks are recorded when their (0 ms) delivery timer fires.
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const list = (await (
      await fetch(`${sandbox.url}/sandbox/paymob/callbacks?transaction_id=${transactionId}`)
    ).json()) as { body: Json }[];
    if (list.length) return list;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no callback recorded for transaction ${transactionId}`);
}

/** An intention paid with the success card: its answer, the processed callback and the redirect URL. */
async function payIntention(reference: string) {
  const intention = await call(
    '/v1/intention/',
    {
      amount: 10_000,
      currency: 'EGP',
      payment_methods: [INTEGRATION_ID],
      items: [{ name: 'Plan', amount: 10_000, description: 'Plan', quantity: 1 }],
      billing_data: BILLING,
      special_reference: reference,
      redirection_url: 'https://merchant.example/api/v1/transactions/webhook/',
    },
    { authorization: `Token ${SECRET_KEY}` },
  );
  expect(intention.status).toBe(201);
  const paid = await call('/sandbox/paymob/pay', {
    client_secret: intention.body.client_secret,
    card_number: CARD_SUCCESS,
  });
  const transactionId = paid.body.transaction_id as number;
  const [callback] = await callbacksOf(transactionId);
  return {
    intention: intention.body,
    callback: callback?.body as Json,
    redirectUrl: paid.body.redirect_url as string,
    transactionId,
  };
}

beforeAll(async () => {
  sandbox = await startSandbox({
    port: 0,
    paymobApiKey: API_KEY,
    paymobSecretKey: SECRET_KEY,
    paymobPublicKey: PUBLIC_KEY,
    paymobHmacSecret: 'FIXTURESHMACSECRET0123456789ABCD',
    paymobIntegrationIds: [INTEGRATION_ID],
  });
  authToken = (await call('/api/auth/tokens', { api_key: API_KEY })).body.token as string;
});

afterAll(async () => {
  await sandbox.close();
});

describe('sandbox outputs against real PayMob payloads', () => {
  it('a processed TRANSACTION callback has the real callback keys and types (known differences listed)', async () => {
    const { callback } = await payIntention('SP-FIXTURE-CALLBACK');
    expect(shapeDifferences(json('transaction-callback-eg.json').body, callback)).toEqual([
      // Real JSON callbacks carry null where nothing was captured, refunded or charged. The sandbox now sends
      // null for the transaction's own totals (docs/payments.md); the order's fees are still numbers.
      // Unified checkout fills shipping_data from billing; the sandbox leaves it null without delivery.
      'obj.order.shipping_data: fixture object, sandbox null',
      'obj.order.commission_fees: fixture null, sandbox number',
      'obj.order.delivery_fees_cents: fixture null, sandbox number',
      'obj.order.delivery_vat_cents: fixture null, sandbox number',
      // The sandbox shows the order's payment state (source not recorded in the sandbox).
      'obj.order.payment_status: only in sandbox',
      'obj.data.refunded_amount: fixture null, sandbox number',
      // exp and pmk_ip: the sandbox keeps its payment-key token's claims; the real sample shows neither.
      'obj.payment_key_claims.exp: only in sandbox',
      'obj.payment_key_claims.pmk_ip: only in sandbox',
      // accept_fees is in the 2026 redirect (response-callback-card-eg-2026.txt), not in the 2024 callback.
      'obj.accept_fees: only in sandbox',
    ]);
  });

  it("the redirect URL has the real 2026 redirect's query keys in the same order, then hmac", async () => {
    const { redirectUrl } = await payIntention('SP-FIXTURE-REDIRECT');
    const real = [
      ...new URL(text('response-callback-card-eg-2026.txt'), 'https://merchant.example').searchParams.keys(),
    ];
    const ours = [...new URL(redirectUrl).searchParams.keys()];
    // The published URL had its hmac removed by its author; PayMob appends it last.
    expect(ours).toEqual([...real, 'hmac']);
  });

  it("the inquiry of a refunded order answers the refund child with the live capture's keys and types", async () => {
    const { transactionId } = await payIntention('SP-FIXTURE-INQUIRY');
    const refund = await call('/api/acceptance/void_refund/refund', {
      auth_token: authToken,
      transaction_id: transactionId,
      amount_cents: 2_500,
    });
    expect(refund.status).toBe(200);
    const inquiry = await call('/api/ecommerce/orders/transaction_inquiry', {
      auth_token: authToken,
      merchant_order_id: 'SP-FIXTURE-INQUIRY',
    });
    expect(inquiry.body).toMatchObject({
      is_refund: true,
      has_parent_transaction: true,
      parent_transaction: transactionId,
    });
    // The capture was trimmed to seven fields by its author, so only those are compared.
    const differences = shapeDifferences(json('inquiry-refunded-order.json'), inquiry.body);
    expect(differences.filter((line) => !line.endsWith('only in sandbox'))).toEqual([]);
  });

  it("the intention answer has the Oman docs sample's keys and types (known differences listed)", async () => {
    const { intention } = await payIntention('SP-FIXTURE-INTENTION');
    expect(shapeDifferences(json('intention-om.json'), intention)).toEqual([
      // Source of these keys unknown (the Oman sample shows four keys per payment key); the client must
      // not rely on order_id here (F9: the Oman sample has no intention_order_id either).
      'intention_detail.billing_data: only in sandbox',
      'intention_order_id: only in sandbox',
      'special_reference: only in sandbox',
      'extras: only in sandbox',
      'confirmed: only in sandbox',
      'status: only in sandbox',
      'created: only in sandbox',
      'card_detail: only in sandbox',
      'card_tokens: only in sandbox',
      'object: only in sandbox',
    ]);
    const [realKey] = json('intention-om.json').payment_keys;
    const [realMethod] = json('intention-om.json').payment_methods;
    const keys = intention.payment_keys as Json[];
    const methods = intention.payment_methods as Json[];
    expect(shapeDifferences(realKey, keys[0] as Json)).toEqual([
      'order_id: only in sandbox',
      'redirection_url: only in sandbox',
      'save_card: only in sandbox',
    ]);
    // The Oman request named its methods ("card"), so PayMob echoed the name; by id the sandbox gives null.
    expect(shapeDifferences(realMethod, methods[0] as Json)).toEqual([
      'name: fixture string, sandbox null',
      'use_cvc_with_moto: only in sandbox',
    ]);
  });
});
