import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  paymobHmacMessage,
  renderHmacValue,
  TOKEN_HMAC_FIELDS,
  TRANSACTION_HMAC_FIELDS,
  verifyPaymobHmac,
} from '../../src/paymob/hmac';

// docs/design.md §5, test vector 1 (PayMob's documentation: the concatenation only).
const VECTOR_1_OBJ = {
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
const VECTOR_1_MESSAGE =
  '1000002024-06-13T11:33:44.592345EGPfalsefalse1920364654097558truefalsefalsefalsetruefalse217503754302852false2346MasterCardcardtrue';

// docs/design.md §5, test vector 2 (full hash with a published test secret).
const VECTOR_2_SECRET = 'A75D2BFFB4EEECC7C796318B5C5EFBB7';
const VECTOR_2_OBJ = {
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
const VECTOR_2_HMAC =
  '8cd9658e7234fe44365814fa53508c06ea2a9076d073e471cc9bdcb53ac2d009fd852e03218a47ab082a235b3f2e039f41a935b32e28bd12df151dd5708a97e5';

const SECRET = 'unit-test-hmac-secret-0123456789';
const sign = (secret: string, message: string) => createHmac('sha512', secret).update(message).digest('hex');

describe('PayMob HMAC field lists', () => {
  it('TRANSACTION signs 20 fields in PayMob’s order', () => {
    expect(TRANSACTION_HMAC_FIELDS).toHaveLength(20);
    expect(TRANSACTION_HMAC_FIELDS[0]).toBe('amount_cents');
    expect(TRANSACTION_HMAC_FIELDS[13]).toBe('order.id');
    expect(TRANSACTION_HMAC_FIELDS[19]).toBe('success');
  });

  it('TOKEN signs 8 fields in PayMob’s order', () => {
    expect(TOKEN_HMAC_FIELDS).toEqual([
      'card_subtype',
      'created_at',
      'email',
      'id',
      'masked_pan',
      'merchant_id',
      'order_id',
      'token',
    ]);
  });
});

describe('test vector 1: the concatenation', () => {
  it('matches PayMob’s documented string exactly', () => {
    expect(paymobHmacMessage('TRANSACTION', VECTOR_1_OBJ)).toBe(VECTOR_1_MESSAGE);
  });
});

describe('test vector 2: the full hash', () => {
  it('verifies the published signature', async () => {
    expect(await verifyPaymobHmac(VECTOR_2_SECRET, 'TRANSACTION', VECTOR_2_OBJ, VECTOR_2_HMAC)).toBe(true);
  });

  it('accepts the signature in upper case too (hex is case-insensitive)', async () => {
    expect(
      await verifyPaymobHmac(VECTOR_2_SECRET, 'TRANSACTION', VECTOR_2_OBJ, VECTOR_2_HMAC.toUpperCase()),
    ).toBe(true);
  });

  it('refuses it with another secret', async () => {
    expect(await verifyPaymobHmac(SECRET, 'TRANSACTION', VECTOR_2_OBJ, VECTOR_2_HMAC)).toBe(false);
  });

  it.each([
    ['amount_cents', { amount_cents: 12354 }],
    ['success', { success: false }],
    ['order.id', { order: { id: 422946805 } }],
    ['source_data.pan', { source_data: { pan: '0009', type: 'card', sub_type: 'MasterCard' } }],
    ['created_at', { created_at: '2025-11-24T15:58:08.589529' }],
  ])('refuses it when %s was changed', async (_field, change) => {
    expect(
      await verifyPaymobHmac(VECTOR_2_SECRET, 'TRANSACTION', { ...VECTOR_2_OBJ, ...change }, VECTOR_2_HMAC),
    ).toBe(false);
  });

  it('ignores fields outside the list (merchant_order_id is not signed)', async () => {
    const obj = { ...VECTOR_2_OBJ, order: { id: 422946804, merchant_order_id: 'OTHER' }, extra: 'x' };
    expect(await verifyPaymobHmac(VECTOR_2_SECRET, 'TRANSACTION', obj, VECTOR_2_HMAC)).toBe(true);
  });
});

describe('rendering values', () => {
  it.each<[unknown, string]>([
    [true, 'true'],
    [false, 'false'],
    [0, '0'],
    [12353, '12353'],
    ['2346', '2346'],
    ['', ''],
    [null, ''],
    [undefined, ''],
    [{ nested: 1 }, ''],
    [['a'], ''],
    [Number.NaN, ''],
  ])('%j → %j', (value, rendered) => {
    expect(renderHmacValue(value)).toBe(rendered);
  });

  it('booleans are rendered true/false, not True/1', () => {
    const message = paymobHmacMessage('TRANSACTION', { pending: true, success: false });
    expect(message).toBe('truefalse');
  });

  it('a missing value (or a missing nested object) is the empty string', () => {
    const { source_data: _omitted, owner: _owner, ...rest } = VECTOR_1_OBJ;
    expect(paymobHmacMessage('TRANSACTION', rest)).toBe(
      '1000002024-06-13T11:33:44.592345EGPfalsefalse1920364654097558truefalsefalsefalsetruefalse217503754falsetrue',
    );
  });

  it('a null nested object renders its fields as empty strings', async () => {
    const obj = { ...VECTOR_1_OBJ, source_data: null };
    const message = paymobHmacMessage('TRANSACTION', obj);
    expect(message.endsWith('217503754302852falsetrue')).toBe(true);
    expect(await verifyPaymobHmac(SECRET, 'TRANSACTION', obj, sign(SECRET, message))).toBe(true);
  });
});

describe('TOKEN callbacks', () => {
  const token = {
    card_subtype: 'MasterCard',
    created_at: '2024-06-13T11:33:44.592345',
    email: 'buyer@example.com',
    id: 5151,
    masked_pan: 'xxxx-xxxx-xxxx-2346',
    merchant_id: 302852,
    order_id: 217503754,
    token: 'tok_abc',
  };

  it('signs the 8 fields concatenated in order', async () => {
    const message =
      'MasterCard2024-06-13T11:33:44.592345buyer@example.com5151xxxx-xxxx-xxxx-2346302852217503754tok_abc';
    expect(paymobHmacMessage('TOKEN', token)).toBe(message);
    expect(await verifyPaymobHmac(SECRET, 'TOKEN', token, sign(SECRET, message))).toBe(true);
    expect(
      await verifyPaymobHmac(SECRET, 'TOKEN', { ...token, token: 'tok_abd' }, sign(SECRET, message)),
    ).toBe(false);
  });
});

describe('response callback (flattened query)', () => {
  const query: Record<string, string> = {
    amount_cents: '100000',
    created_at: '2024-06-13T11:33:44.592345',
    currency: 'EGP',
    error_occured: 'false',
    has_parent_transaction: 'false',
    id: '192036465',
    integration_id: '4097558',
    is_3d_secure: 'true',
    is_auth: 'false',
    is_capture: 'false',
    is_refunded: 'false',
    is_standalone_payment: 'true',
    is_voided: 'false',
    order: '217503754',
    owner: '302852',
    pending: 'false',
    'source_data.pan': '2346',
    'source_data.sub_type': 'MasterCard',
    'source_data.type': 'card',
    success: 'true',
    merchant_order_id: 'SP-01J00000000000000000000000',
    'data.message': 'Approved',
  };

  it('signs the same string as the processed callback, with the order id from `order`', () => {
    expect(paymobHmacMessage('RESPONSE', query)).toBe(VECTOR_1_MESSAGE);
  });

  it('falls back to `order_id` when `order` is absent', async () => {
    const { order, ...rest } = query;
    const withOrderId = { ...rest, order_id: order };
    expect(paymobHmacMessage('RESPONSE', withOrderId)).toBe(VECTOR_1_MESSAGE);
    expect(await verifyPaymobHmac(SECRET, 'RESPONSE', withOrderId, sign(SECRET, VECTOR_1_MESSAGE))).toBe(
      true,
    );
  });

  it('does not read dotted keys as nested objects for the processed callback', () => {
    expect(paymobHmacMessage('TRANSACTION', query)).not.toBe(VECTOR_1_MESSAGE);
  });
});

describe('malformed signatures are simply invalid', () => {
  const valid = sign(SECRET, VECTOR_1_MESSAGE);

  it.each<[string, unknown]>([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['too short', valid.slice(0, 127)],
    ['too long', `${valid}0`],
    ['not hex', `${valid.slice(0, 126)}zz`],
    ['SHA-256 sized', valid.slice(0, 64)],
    ['a number', 123],
  ])('%s', async (_name, received) => {
    expect(await verifyPaymobHmac(SECRET, 'TRANSACTION', VECTOR_1_OBJ, received as string)).toBe(false);
  });

  it('the valid one passes and an empty secret never does', async () => {
    expect(await verifyPaymobHmac(SECRET, 'TRANSACTION', VECTOR_1_OBJ, valid)).toBe(true);
    expect(await verifyPaymobHmac('', 'TRANSACTION', VECTOR_1_OBJ, sign('', VECTOR_1_MESSAGE))).toBe(false);
  });
});
