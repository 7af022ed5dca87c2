// PayMob's HMAC signatures, as the sandbox produces them (docs/design.md §5). Written independently of the
// Worker's verifier on purpose: the two must agree because both follow PayMob's documentation, never
// because they share code.
//
// Every signature is HMAC-SHA512 (key: the account's HMAC secret), lowercase hex, over the values of a
// fixed field list concatenated in order with no separators. Booleans are `true`/`false`, a missing or
// null value is the empty string and strings (created_at above all) are used exactly as sent.

import { createHmac } from 'node:crypto';

// TRANSACTION callbacks: paths into the callback's `obj`.
export const TRANSACTION_HMAC_FIELDS = Object.freeze([
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
]);

// The transaction-response redirect carries the same 20 values as flat query keys: dotted names stay
// literal (`source_data.pan`) and the order id arrives as `order`.
export const FLATTENED_HMAC_KEYS = Object.freeze(
  TRANSACTION_HMAC_FIELDS.map((field) => (field === 'order.id' ? 'order' : field)),
);

// TOKEN callbacks (a card saved for later use): keys of the callback's `obj`.
export const TOKEN_HMAC_FIELDS = Object.freeze([
  'card_subtype',
  'created_at',
  'email',
  'id',
  'masked_pan',
  'merchant_id',
  'order_id',
  'token',
]);

/** @typedef {URLSearchParams | Record<string, string | undefined>} FlattenedQuery */

/** @param {unknown} value */
export function hmacValue(value) {
  if (value === undefined || value === null) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'object') return '';
  return String(value);
}

// `order` is an object in callbacks but PayMob sends a bare id in a few places; accept both.
/**
 * @param {object} obj
 * @param {string} field
 * @returns {unknown}
 */
function transactionField(obj, field) {
  if (field === 'order.id') {
    const order = /** @type {Record<string, unknown>} */ (obj)?.order;
    return order !== null && typeof order === 'object' ? /** @type {{ id?: unknown }} */ (order).id : order;
  }
  /** @type {unknown} */
  let value = obj;
  for (const part of field.split('.'))
    value = /** @type {Record<string, unknown> | undefined} */ (value)?.[part];
  return value;
}

/** @param {object} obj */
export function transactionHmacMessage(obj) {
  return TRANSACTION_HMAC_FIELDS.map((field) => hmacValue(transactionField(obj, field))).join('');
}

// query: URLSearchParams or a plain object of strings. Falls back to `order_id` when `order` is absent.
/** @param {FlattenedQuery} query */
export function flattenedHmacMessage(query) {
  const read =
    query instanceof URLSearchParams
      ? (/** @type {string} */ key) => query.get(key)
      : (/** @type {string} */ key) => query?.[key] ?? null;
  return FLATTENED_HMAC_KEYS.map((key) => {
    const value = read(key) ?? (key === 'order' ? read('order_id') : null);
    return hmacValue(value);
  }).join('');
}

/** @param {object} obj */
export function tokenHmacMessage(obj) {
  return TOKEN_HMAC_FIELDS.map((field) =>
    hmacValue(/** @type {Record<string, unknown>} */ (obj)?.[field]),
  ).join('');
}

/**
 * @param {string} message
 * @param {string | undefined} secret
 */
export function hmacSha512(message, secret) {
  return createHmac('sha512', secret ?? '')
    .update(message, 'utf8')
    .digest('hex');
}

/**
 * @param {object} obj
 * @param {string | undefined} secret
 */
export function signTransaction(obj, secret) {
  return hmacSha512(transactionHmacMessage(obj), secret);
}

/**
 * @param {FlattenedQuery} query
 * @param {string | undefined} secret
 */
export function signFlattened(query, secret) {
  return hmacSha512(flattenedHmacMessage(query), secret);
}

/**
 * @param {object} obj
 * @param {string | undefined} secret
 */
export function signToken(obj, secret) {
  return hmacSha512(tokenHmacMessage(obj), secret);
}
