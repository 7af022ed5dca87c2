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

/** Decodes standard base64; undefined when the input is not valid base64. */
export function fromBase64(value: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  const binary = atob(value);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

export async function sha256Hex(value: string): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', utf8(value)));
}

export async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return toHex(await crypto.subtle.sign('HMAC', key, utf8(message)));
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
