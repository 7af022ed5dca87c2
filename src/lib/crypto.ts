/**
 * Small WebCrypto helpers shared by passwords, tokens and verification codes. Everything here runs in the
 * Worker and in Node 22 alike (both expose `crypto.subtle` and `crypto.getRandomValues`).
 */
const encoder = new TextEncoder();

export function utf8(value: string): Uint8Array<ArrayBuffer> {
  // encode() always returns a fresh ArrayBuffer-backed array; the cast only narrows Workers' wider type.
  return encoder.encode(value) as Uint8Array<ArrayBuffer>;
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = '';
  for (const byte of view) out += byte.toString(16).padStart(2, '0');
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Decodes hex (either case); undefined when the input is not an even-length hex string. */
export function fromHex(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** Unpadded base64url (RFC 4648 §5), safe in cookies and URLs. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
}

/** A binary string (one character per byte, as `atob` and the database driver give) as its bytes. */
export function binaryToBytes(binary: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Decodes standard base64; undefined when the input is not valid base64. Unlike `fromBase64Url` it accepts a
 * non-canonical last character: its inputs are keys an operator generated and values this code stored, not
 * something an attacker spells.
 */
export function fromBase64(value: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  return binaryToBytes(atob(value));
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Decodes unpadded base64url (what `toBase64Url` writes: JWT segments, cookies); undefined when the input is
 * not base64url, has a length no encoding gives (4n + 1), or is not canonical: a last character that carries
 * 2 (length 4n + 3) or 4 (length 4n + 2) unused bits must have them zero. `atob` ignores those bits, so
 * without this check several spellings decode to the same bytes and a token's signature could be altered in
 * its last character and still verify (docs/api.md "Tokens").
 */
export function fromBase64Url(value: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) return undefined;
  const tail = value.length % 4;
  if (tail === 1) return undefined;
  if (tail !== 0 && BASE64URL_ALPHABET.indexOf(value.charAt(value.length - 1)) & (tail === 2 ? 0b1111 : 0b11))
    return undefined;
  return binaryToBytes(atob(value.replaceAll('-', '+').replaceAll('_', '/')));
}

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

export async function sha256Hex(value: string): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', utf8(value)));
}

// Past this many secrets (rotations in a long-lived isolate) the key cache starts again.
const MAX_HMAC_KEYS = 64;
const hmacKeys = new Map<string, Promise<CryptoKey>>();

/**
 * The HMAC key of `secret`, imported once per (hash, secret) and isolate for signing and verifying: importing
 * on every call was a measurable part of hot paths (docs/benchmarks.md §6, §10). The key's bytes are the
 * secret's UTF-8, or, with `base64`, the bytes it encodes (a `whsec_` webhook secret's). A secret that is not
 * base64 throws; a failed import is not kept.
 */
export function hmacKey(
  secret: string,
  {
    hash = 'SHA-256',
    encoding = 'utf8',
  }: { hash?: 'SHA-256' | 'SHA-512'; encoding?: 'utf8' | 'base64' } = {},
): Promise<CryptoKey> {
  const cacheKey = `${hash}:${encoding}:${secret}`;
  const cached = hmacKeys.get(cacheKey);
  if (cached) return cached;
  const raw = encoding === 'utf8' ? utf8(secret) : fromBase64(secret);
  if (!raw || raw.length === 0) throw new Error('the HMAC secret is not base64');
  const key = crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash }, false, ['sign', 'verify']);
  if (hmacKeys.size >= MAX_HMAC_KEYS) hmacKeys.clear();
  hmacKeys.set(cacheKey, key);
  key.catch(() => hmacKeys.delete(cacheKey));
  return key;
}

export async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  return toHex(await crypto.subtle.sign('HMAC', await hmacKey(secret), utf8(message)));
}

/**
 * Equality whose running time depends only on the length, never on where the inputs differ. A manual loop
 * rather than `crypto.subtle.timingSafeEqual`, which only workerd has (unit tests run in Node).
 */
export function timingSafeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  const left = typeof a === 'string' ? utf8(a) : a;
  const right = typeof b === 'string' ? utf8(b) : b;
  if (left.length !== right.length) return false;
  let difference = 0;
  for (let i = 0; i < left.length; i++) difference |= (left[i] as number) ^ (right[i] as number);
  return difference === 0;
}

/** `count` decimal digits from the CSPRNG, without modulo bias (bytes of 250 and above are redrawn). */
export function randomDigits(count: number): string {
  let out = '';
  while (out.length < count) {
    for (const byte of randomBytes(count * 2)) {
      if (byte < 250 && out.length < count) out += String(byte % 10);
    }
  }
  return out;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID: 48-bit millisecond time + 80 random bits, 26 Crockford base-32 characters, sortable by time. */
export function ulid(now: number = Date.now()): string {
  let time = '';
  let ms = Math.max(0, Math.floor(now));
  for (let i = 0; i < 10; i++) {
    time = (CROCKFORD[ms % 32] as string) + time;
    ms = Math.floor(ms / 32);
  }
  let random = '';
  for (const byte of randomBytes(16)) random += CROCKFORD[byte % 32];
  return time + random;
}

const SEALED_VERSION = 'v1:';
const SEALED_IV_BYTES = 12;
const aesKeys = new Map<string, Promise<CryptoKey>>();

function aesGcmKey(keyBase64: string): Promise<CryptoKey> {
  let key = aesKeys.get(keyBase64);
  if (!key) {
    const raw = fromBase64(keyBase64);
    if (raw?.length !== 32) throw new Error('AES-256-GCM key: not 32 bytes of base64');
    key = crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    aesKeys.set(keyBase64, key);
  }
  return key;
}

/**
 * A secret at rest (the TOTP secrets, saved-card tokens): AES-256-GCM under a base64 32-byte key, with a fresh
 * 96-bit IV per encryption and `context` as additional data (a ciphertext moved to another row, whose context
 * differs, does not decrypt). Stored as `v1:` + base64(IV ‖ ciphertext ‖ tag); the prefix leaves room for key
 * rotation.
 */
export async function sealText(keyBase64: string, context: string, plain: string): Promise<string> {
  const iv = randomBytes(SEALED_IV_BYTES);
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: utf8(context) },
    await aesGcmKey(keyBase64),
    utf8(plain),
  );
  const out = new Uint8Array(SEALED_IV_BYTES + sealed.byteLength);
  out.set(iv, 0);
  out.set(new Uint8Array(sealed), SEALED_IV_BYTES);
  return SEALED_VERSION + toBase64(out);
}

/** The plain text of `sealText`; throws when it was not sealed under this key with this context. */
export async function openText(keyBase64: string, context: string, stored: string): Promise<string> {
  const bytes = stored.startsWith(SEALED_VERSION)
    ? fromBase64(stored.slice(SEALED_VERSION.length))
    : undefined;
  if (!bytes || bytes.length <= SEALED_IV_BYTES) throw new Error('sealed text: unreadable ciphertext');
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: bytes.slice(0, SEALED_IV_BYTES), additionalData: utf8(context) },
    await aesGcmKey(keyBase64),
    bytes.slice(SEALED_IV_BYTES),
  );
  return new TextDecoder().decode(plain);
}
