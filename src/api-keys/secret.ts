import type { Config } from '../env';
import { randomBytes, sha256Hex, toBase64Url } from '../lib/crypto';

/** docs/api-keys.md §1: 32 random bytes, base64url (43 characters) after `sk_live_` or `sk_test_`. */
const SECRET_BYTES = 32;
/** What the list shows: `sk_test_` and the first four characters of the random part. */
export const DISPLAY_PREFIX_LENGTH = 12;
/** A key's shape, whatever its environment (an `sk_…` bearer that is not this is a 401 without a query). */
export const SECRET_SHAPE = /^sk_(live|test)_[A-Za-z0-9_-]{43}$/;
/** Anything that looks meant as a key: routes that refuse keys recognise them by this. */
export const LOOKS_LIKE_KEY = /^sk_/;

/** `sk_live_` in production, `sk_test_` everywhere else: a test key can never work against production. */
export function secretPrefix(config: Pick<Config, 'APP_ENV'>): 'sk_live_' | 'sk_test_' {
  return config.APP_ENV === 'production' ? 'sk_live_' : 'sk_test_';
}

export function newSecret(config: Pick<Config, 'APP_ENV'>): string {
  return `${secretPrefix(config)}${toBase64Url(randomBytes(SECRET_BYTES))}`;
}

/** The stored form: hex SHA-256. A 256-bit random secret needs no slow hash; the lookup is by this value. */
export const hashSecret = (secret: string): Promise<string> => sha256Hex(secret);
