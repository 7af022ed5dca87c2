/**
 * PayMob callback signatures (docs/design.md §5): HMAC-SHA512 with the account's HMAC secret, lowercase hex,
 * over the concatenation (no separators) of a fixed list of fields in PayMob's order. Values are taken from
 * the parsed callback exactly as received: never from a re-serialised or schema-transformed copy.
 */

import { fromHex, hmacKey, toHex } from '../lib/crypto';

export const TRANSACTION_HMAC_FIELDS = [
  'amount_cents',
  'created_at',
  'currency',
  'error_occured', // sic: PayMob's spelling
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
] as const;

export const TOKEN_HMAC_FIELDS = [
  'card_subtype',
  'created_at',
  'email',
  'id',
  'masked_pan',
  'merchant_id',
  'order_id',
  'token',
] as const;

/**
 * What is signed:
 * - `TRANSACTION`: the processed callback's `obj` (nested objects, JSON values);
 * - `TOKEN`: a saved-card callback's `obj`;
 * - `RESPONSE`: the browser redirect's flattened query (`source_data.pan` as a literal key, every value a
 *   string); PayMob names the order field `order` there, some accounts `order_id`.
 */
export type PaymobHmacKind = 'TRANSACTION' | 'TOKEN' | 'RESPONSE';

// SHA-512 output is 64 bytes; anything else cannot be a PayMob signature.
const HMAC_HEX_LENGTH = 128;

/** PayMob's rendering of one value: booleans as true/false, a missing value (or an object) as "". */
export function renderHmacValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'string') return value;
  return '';
}

function lookup(source: Record<string, unknown>, path: string): unknown {
  let current: unknown = source;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function responseValue(query: Record<string, unknown>, field: string): unknown {
  if (field === 'order.id') return query.order ?? query.order_id;
  return query[field];
}

/** The exact string PayMob signs for this callback. */
export function paymobHmacMessage(kind: PaymobHmacKind, data: Record<string, unknown>): string {
  if (kind === 'TOKEN') return TOKEN_HMAC_FIELDS.map((f) => renderHmacValue(lookup(data, f))).join('');
  if (kind === 'RESPONSE') {
    return TRANSACTION_HMAC_FIELDS.map((f) => renderHmacValue(responseValue(data, f))).join('');
  }
  return TRANSACTION_HMAC_FIELDS.map((f) => renderHmacValue(lookup(data, f))).join('');
}

const encoder = new TextEncoder();
const paymobKey = (secret: string) => hmacKey(secret, { hash: 'SHA-512' });

// An HMAC-SHA512 signature is exactly 128 hex characters; anything else is not one.
const signatureBytes = (hex: string) => (hex.length === HMAC_HEX_LENGTH ? fromHex(hex) : undefined);

/** Lowercase hex HMAC-SHA512 of `message` (used by tests and by anything that must sign like PayMob). */
export async function paymobHmacHex(secret: string, message: string): Promise<string> {
  const signature = await crypto.subtle.sign('HMAC', await paymobKey(secret), encoder.encode(message));
  return toHex(signature);
}

/**
 * True when `received` is the valid signature of `data`. The comparison is WebCrypto's HMAC verify,
 * which compares in constant time (BoringSSL's CRYPTO_memcmp in workerd, timingSafeEqual in Node): no
 * string `===` on signatures. A missing or malformed signature is simply not valid.
 */
export async function verifyPaymobHmac(
  secret: string,
  kind: PaymobHmacKind,
  data: Record<string, unknown>,
  received: string | null | undefined,
): Promise<boolean> {
  if (!secret || typeof received !== 'string') return false;
  const signature = signatureBytes(received.trim());
  if (!signature) return false;
  const message = encoder.encode(paymobHmacMessage(kind, data));
  return crypto.subtle.verify('HMAC', await paymobKey(secret), signature, message);
}
