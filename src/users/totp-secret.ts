import type { Config } from '../env';
import { ConfigError } from '../env';
import { fromBase64, hmacSha256Hex, randomBytes, toBase64, utf8 } from '../lib/crypto';

/**
 * The TOTP secret at rest (docs/accounts.md §2): AES-256-GCM under ADMIN_TOTP_KEY with a fresh 96-bit IV per
 * encryption and the user id as additional data, so a ciphertext copied onto another user's row does not
 * decrypt. Stored as `v1:` + base64(IV ‖ ciphertext ‖ tag); the version prefix leaves room for key rotation.
 * Recovery codes are stored as HMAC-SHA-256 under the same key: 50 random bits each is too little to survive
 * an offline search of a plain hash if the table leaks.
 */
const VERSION = 'v1:';
const IV_BYTES = 12;

function keyText(config: Pick<Config, 'ADMIN_TOTP_KEY'>): string {
  if (!config.ADMIN_TOTP_KEY) {
    throw new ConfigError(['ADMIN_TOTP_KEY is required for two-factor authentication']);
  }
  return config.ADMIN_TOTP_KEY;
}

const keys = new Map<string, Promise<CryptoKey>>();
function aesKey(config: Pick<Config, 'ADMIN_TOTP_KEY'>): Promise<CryptoKey> {
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

const additionalData = (userId: number) => utf8(`stackpay-totp:${userId}`);

export async function encryptTotpSecret(
  config: Pick<Config, 'ADMIN_TOTP_KEY'>,
  userId: number,
  secretBase32: string,
): Promise<string> {
  const iv = randomBytes(IV_BYTES);
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: additionalData(userId) },
    await aesKey(config),
    utf8(secretBase32),
  );
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv, 0);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return VERSION + toBase64(out);
}

/** The base32 secret; throws when the value was not sealed under this key for this user. */
export async function decryptTotpSecret(
  config: Pick<Config, 'ADMIN_TOTP_KEY'>,
  userId: number,
  stored: string,
): Promise<string> {
  const bytes = stored.startsWith(VERSION) ? fromBase64(stored.slice(VERSION.length)) : undefined;
  if (!bytes || bytes.length <= IV_BYTES) throw new Error('TOTP secret: unreadable ciphertext');
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: bytes.slice(0, IV_BYTES), additionalData: additionalData(userId) },
    await aesKey(config),
    bytes.slice(IV_BYTES),
  );
  return new TextDecoder().decode(plain);
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const RECOVERY_CODE_COUNT = 10;

/** A recovery code: 10 Crockford base-32 characters (50 bits), shown as `XXXXX-XXXXX`. */
export function newRecoveryCode(): string {
  let out = '';
  for (const byte of randomBytes(10)) out += CROCKFORD[byte % 32];
  return `${out.slice(0, 5)}-${out.slice(5)}`;
}

/** Upper-cased, without spaces and dashes, with the letters Crockford reads as digits (O→0, I/L→1). */
export function normaliseRecoveryCode(code: string): string {
  return code
    .toUpperCase()
    .replace(/[\s-]+/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
}

export function hashRecoveryCode(
  config: Pick<Config, 'ADMIN_TOTP_KEY'>,
  userId: number,
  code: string,
): Promise<string> {
  return hmacSha256Hex(keyText(config), `totp-recovery:${userId}:${normaliseRecoveryCode(code)}`);
}
