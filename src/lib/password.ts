import { fromBase64, randomBytes, timingSafeEqual, toBase64, utf8 } from './crypto';

/**
 * Password hashes in Django's self-describing format, `pbkdf2_sha256$<iterations>$<salt>$<hash b64>`, so users
 * can move between StackPay and a Django installation. Like Django (and tools/seed-admin.mjs), the salt is a
 * string whose UTF-8 bytes are the PBKDF2 salt; ours is 16 random bytes written as base64.
 */
export const PBKDF2_ITERATIONS = 100_000; // Workers' production maximum: WebCrypto refuses more there
const ALGORITHM = 'pbkdf2_sha256';
const SALT_BYTES = 16;
const HASH_BYTES = 32; // SHA-256 output size, as Django stores it

async function pbkdf2(
  password: string,
  salt: string,
  iterations: number,
  length: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', utf8(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: utf8(salt), iterations },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}

export async function hashPassword(
  password: string,
  iterations: number = PBKDF2_ITERATIONS,
): Promise<string> {
  const salt = toBase64(randomBytes(SALT_BYTES));
  const hash = await pbkdf2(password, salt, iterations, HASH_BYTES);
  return `${ALGORITHM}$${iterations}$${salt}$${toBase64(hash)}`;
}

interface ParsedHash {
  iterations: number;
  salt: string;
  hash: Uint8Array;
}

function parseHash(encoded: string): ParsedHash | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 4) return undefined;
  const [algorithm, count, salt, hashB64] = parts as [string, string, string, string];
  if (algorithm !== ALGORITHM || !/^[1-9][0-9]{0,8}$/.test(count) || salt.length === 0) return undefined;
  const iterations = Number(count);
  // A count above the platform's maximum cannot be checked on Workers (deriveBits throws there): such a hash
  // never verifies, everywhere, and its user resets the password.
  if (iterations > PBKDF2_ITERATIONS) return undefined;
  const hash = fromBase64(hashB64);
  if (!hash || hash.length === 0) return undefined;
  return { iterations, salt, hash };
}

/** Checks a password against a stored hash with the hash's own iteration count, in constant time. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parseHash(encoded);
  if (!parsed) return false;
  const derived = await pbkdf2(password, parsed.salt, parsed.iterations, parsed.hash.length);
  return timingSafeEqual(derived, parsed.hash);
}

// Any well-formed hash works: only the time spent matters, and no password derives to 32 zero bytes in practice.
const DUMMY_HASH = `${ALGORITHM}$${PBKDF2_ITERATIONS}$ZHVtbXktc2FsdC1zdGFja3BheQ==$${'A'.repeat(43)}=`;

/**
 * Spends the same time as a real check for a user that does not exist, so response times do not tell which
 * usernames are registered. Always false.
 */
export async function verifyDummyPassword(password: string): Promise<false> {
  await verifyPassword(password, DUMMY_HASH);
  return false;
}
