import type { Config } from '../env';
import { ConfigError } from '../env';
import { fromBase64, hmacSha256Hex, randomBytes, toBase64, utf8 } from '../lib/crypto';

/**
 * A saved card's PayMob token at rest (docs/security.md "Saved cards"): AES-256-GCM under CARD_TOKEN_KEY with
 * a fresh 96-bit IV per encryption and the customer id as additional data, so a ciphertext copied onto
 * another customer's row does not decrypt. Stored as `v1:` + base64(IV ‖ ciphertext ‖ tag), like the TOTP
 * secrets (src/users/totp-secret.ts); the prefix leaves room for key rotation.
 */
const VERSION = 'v1:';
const IV_BYTES = 12;

type KeyConfig = Pick<Config, 'CARD_TOKEN_KEY'>;

function keyText(config: KeyConfig): string {
  if (!config.CARD_TOKEN_KEY) throw new ConfigError(['CARD_TOKEN_KEY is required for saved cards']);
  return config.CARD_TOKEN_KEY;
}

const keys = new Map<string, Promise<CryptoKey>>();
function aesKey(config: KeyConfig): Promise<CryptoKey> {
  const text = keyText(config);
  let key = keys.get(text);
  if (!key) {
    // The config schema guarantees 32 bytes of base64.
    const raw = fromBase64(text) as Uint8Array<ArrayBuffer>;
    key = crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    keys.set(text, key);
  }
  return key;
}

const boundTo = (customerId: number) => utf8(`stackpay-card:${customerId}`);

/** Throws a ConfigError (answered 503) when saved cards cannot work: checked before anything is written. */
export function requireCardKey(config: KeyConfig): void {
  keyText(config);
}

export async function sealCardToken(config: KeyConfig, customerId: number, token: string): Promise<string> {
  const iv = randomBytes(IV_BYTES);
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: boundTo(customerId) },
    await aesKey(config),
    utf8(token),
  );
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv, 0);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return VERSION + toBase64(out);
}

/** The token; throws when the value was not sealed under this key for this customer. */
export async function openCardToken(config: KeyConfig, customerId: number, stored: string): Promise<string> {
  const bytes = stored.startsWith(VERSION) ? fromBase64(stored.slice(VERSION.length)) : undefined;
  if (!bytes || bytes.length <= IV_BYTES) throw new Error('card token: unreadable ciphertext');
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: bytes.slice(0, IV_BYTES), additionalData: boundTo(customerId) },
    await aesKey(config),
    bytes.slice(IV_BYTES),
  );
  return new TextDecoder().decode(plain);
}

/**
 * Which card this is for this customer, without storing the masked PAN (it may carry the BIN): an HMAC of the
 * customer, PayMob's card_subtype and masked_pan — the key PayMob's own WooCommerce plugin dedupes saved cards
 * on (`saveCardToken`: user_id, card_subtype, masked_pan).
 */
export function cardFingerprint(
  config: KeyConfig,
  customerId: number,
  brand: string,
  maskedPan: string,
): Promise<string> {
  return hmacSha256Hex(keyText(config), `card-fingerprint:${customerId}:${brand}:${maskedPan}`);
}
