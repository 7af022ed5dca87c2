import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { paymobHmacHex, paymobHmacMessage, verifyPaymobHmac } from '../../src/paymob/hmac';
import {
  CallbackEnvelope,
  IntentionResponse,
  PaymobToken,
  PaymobTransaction,
  ResponseCallbackQuery,
} from '../../src/paymob/schemas';

// Real PayMob payloads (sources in test/fixtures/paymob/README.md): the client's parsers must take each as
// PayMob sends it, and the HMAC must verify wherever the fixture's secret is published.
const FIXTURES = new URL('../fixtures/paymob/', import.meta.url);
const json = (name: string) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
const text = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8').trim();

/** A query as the Worker receives it: every value a string. */
function queryOf(url: string): Record<string, string> {
  return Object.fromEntries(new URL(url, 'https://merchant.example').searchParams);
}

/** One character of a hex signature changed. */
const tampered = (hex: string) => (hex[0] === '0' ? `1${hex.slice(1)}` : `0${hex.slice(1)}`);

describe.each([
  ['transaction-callback-eg.json', 'the js-sdk real processed callback (EG, 2024)'],
  ['transaction-callback-docs-vector.json', "docs/design.md §5's full-hash vector"],
])('processed TRANSACTION callback %s (%s)', (name) => {
  const fixture = json(name);

  it('parses as the callback envelope and as a transaction', () => {
    const envelope = CallbackEnvelope.parse(fixture.body);
    expect(envelope.type).toBe('TRANSACTION');
    const transaction = PaymobTransaction.parse(envelope.obj);
    expect(transaction.id).toBe(fixture.body.obj.id);
    expect(transaction.order.id).toBe(fixture.body.obj.order.id);
    expect(transaction.amount_cents).toBe(fixture.body.obj.amount_cents);
  });

  it('verifies with the published secret and hash, and not with one hex digit changed', async () => {
    expect(await paymobHmacHex(fixture.hmac_secret, paymobHmacMessage('TRANSACTION', fixture.body.obj))).toBe(
      fixture.hmac,
    );
    expect(await verifyPaymobHmac(fixture.hmac_secret, 'TRANSACTION', fixture.body.obj, fixture.hmac)).toBe(
      true,
    );
    expect(
      await verifyPaymobHmac(fixture.hmac_secret, 'TRANSACTION', fixture.body.obj, tampered(fixture.hmac)),
    ).toBe(false);
  });
});

describe('the real callback keeps PayMob nulls the sandbox does not send', () => {
  it('carries refunded_amount_cents, captured_amount and merchant_commission as null and parses', () => {
    const { obj } = json('transaction-callback-eg.json').body;
    expect([obj.refunded_amount_cents, obj.captured_amount, obj.merchant_commission]).toEqual([
      null,
      null,
      null,
    ]);
    expect(PaymobTransaction.parse(obj).refunded_amount_cents).toBeNull();
  });
});

describe('TOKEN callback (saved card)', () => {
  const fixture = json('token-callback.json');

  it('parses as the envelope and as a token, with order_id a string', () => {
    const envelope = CallbackEnvelope.parse(fixture.body);
    expect(envelope.type).toBe('TOKEN');
    expect(PaymobToken.parse(envelope.obj).order_id).toBe('264064419');
  });

  it('signs exactly the published concatenation (the source masks the secret, so no hash check)', () => {
    expect(paymobHmacMessage('TOKEN', fixture.body.obj)).toBe(fixture.hmac_message);
  });
});

describe('response callback (browser redirect)', () => {
  it('parses the real 2026 EG card redirect, with its new *_int keys and order=', () => {
    const query = queryOf(text('response-callback-card-eg-2026.txt'));
    const parsed = ResponseCallbackQuery.parse(query);
    expect(parsed).toMatchObject({
      id: 516712546,
      success: true,
      pending: false,
      amount_cents: 829500,
      currency: 'EGP',
      order: 588891020,
      merchant_order_id: 'ORDER_61_1786905129',
    });
    expect(paymobHmacMessage('RESPONSE', query)).toBe(
      '8295002026-08-16T21:32:17.915812EGPfalsefalse5167125465821687truefalsefalsefalsetruefalse5888910202426325false1111Visacardtrue',
    );
  });

  it('parses the js-sdk wallet redirect and signs its published concatenation', () => {
    const fixture = json('response-callback-wallet.json');
    // As a URL carries it: every value a string; a null value is absent (PayMob omits merchant_order_id then).
    const query = Object.fromEntries(
      Object.entries(fixture.fields as Record<string, unknown>)
        .filter(([, value]) => value !== null)
        .map(([key, value]) => [key, typeof value === 'object' ? JSON.stringify(value) : String(value)]),
    );
    expect(ResponseCallbackQuery.parse(query)).toMatchObject({
      id: 201972898,
      order: 228276342,
      success: true,
    });
    expect(paymobHmacMessage('RESPONSE', query)).toBe(fixture.hmac_message);
  });
});

describe('inquiry answer', () => {
  it('the live-captured answer for a refunded order is the refund child, typed as our schema expects', () => {
    const answer = json('inquiry-refunded-order.json');
    // The capture was trimmed by its author to these fields; each has the type PaymobTransaction reads.
    const schema = PaymobTransaction.shape;
    for (const key of [
      'id',
      'success',
      'is_refund',
      'is_void',
      'has_parent_transaction',
      'amount_cents',
    ] as const) {
      expect(schema[key].safeParse(answer[key]).success, key).toBe(true);
    }
    expect(Number.isInteger(answer.parent_transaction)).toBe(true);
  });
});

describe('intention answer', () => {
  // F9 (docs/paymob-checklist.md): PayMob's Oman docs sample has no intention_order_id, and its payment keys no
  // order_id. The schema accepts it; the client then has no PayMob order to bind callbacks to and refuses the
  // checkout (src/paymob/client.ts createIntention) until a test account settles what Oman really answers.
  it('parses the Oman docs sample, which has no intention_order_id and no order id in its payment keys (F9)', () => {
    const parsed = IntentionResponse.parse(json('intention-om.json'));
    expect(parsed.intention_order_id).toBeUndefined();
    expect(parsed.payment_keys?.some((key) => key.order_id !== undefined)).toBe(false);
  });

  it('the Oman docs sample has the fields the client reads besides the order id', () => {
    const answer = json('intention-om.json');
    expect(IntentionResponse.omit({ intention_order_id: true }).parse(answer)).toMatchObject({
      id: answer.id,
      client_secret: answer.client_secret,
    });
  });
});
