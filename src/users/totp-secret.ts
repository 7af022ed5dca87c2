import type { Config } from '../env';
import { ConfigError } from '../env';
import { hmacSha256Hex, openText, randomBytes, sealText } from '../lib/crypto';

/**
 * The TOTP secret at rest (docs/accounts.md §2): AES-256-GCM under ADMIN_TOTP_KEY with a fresh 96-bit IV per
 * encryption and the user id as additional data, so a ciphertext copied onto another user's row does not
 * decrypt (`sealText`, src/lib/crypto.ts: `v1:` + base64(IV ‖ ciphertext ‖ tag)).
 * Recovery codes are stored as HMAC-SHA-256 under the same key: 50 random bits each is too little to survive
 * an offline search of a plain hash if the table leaks.
 */
function keyText(config: Pick<Config, 'ADMIN_TOTP_KEY'>): string {
  if (!config.ADMIN_TOTP_KEY) {
    throw new ConfigError(['ADMIN_TOTP_KEY is required for two-factor authentication']);
  }
  return config.ADMIN_TOTP_KEY;
}

const boundTo = (userId: number) => `stackpay-totp:${userId}`;

export async function encryptTotpSecret(
  config: Pick<Config, 'ADMIN_TOTP_KEY'>,
  userId: number,
  secretBase32: string,
): Promise<string> {
  return sealText(keyText(config), boundTo(userId), secretBase32);
}

/** The base32 secret; throws when the value was not sealed under this key for this user. */
export async function decryptTotpSecret(
  config: Pick<Config, 'ADMIN_TOTP_KEY'>,
  userId: number,
  stored: string,
): Promise<string> {
  return openText(keyText(config), boundTo(userId), stored);
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
