import { describe, expect, it } from 'vitest';
import { fromBase64Url, randomBytes, toBase64Url } from '../../src/lib/crypto';

// RFC 4648 §5, in value order.
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// The one base64url decoder (JWT segments in src/lib/tokens.ts, the admin flash cookie).
describe('fromBase64Url', () => {
  it('reads back every length toBase64Url writes', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = randomBytes(length);
      expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
    }
  });

  it('refuses a non-canonical last character (unused low bits set) instead of decoding it like the canonical one', () => {
    // 32 bytes (an HS256 signature) are 43 characters: the last carries 4 data bits and 2 unused ones.
    // 31 bytes are 42 characters, the last with 2 unused bits; 30 bytes need none.
    for (const [length, unusedBits] of [
      [32, 2],
      [31, 4],
    ] as const) {
      const canonical = toBase64Url(new Uint8Array(length).fill(0xa5));
      const last = alphabet.indexOf(canonical.at(-1) ?? '');
      expect(fromBase64Url(canonical)).toEqual(new Uint8Array(length).fill(0xa5));
      for (let extra = 1; extra < 1 << unusedBits; extra++) {
        const variant = canonical.slice(0, -1) + alphabet[last | extra];
        expect(fromBase64Url(variant), variant).toBeUndefined();
      }
    }
  });

  it('gives every byte string exactly one spelling: no other last character decodes to the same bytes', () => {
    for (let length = 1; length < 40; length++) {
      const bytes = randomBytes(length);
      const canonical = toBase64Url(bytes);
      for (const other of alphabet) {
        if (other === canonical.at(-1)) continue;
        const decoded = fromBase64Url(canonical.slice(0, -1) + other);
        expect(decoded === undefined || !decoded.every((b, i) => b === bytes[i])).toBe(true);
      }
    }
  });

  it('refuses what no unpadded base64url encoding gives', () => {
    for (const value of ['a', 'abcde', 'ab+c', 'ab/c', 'ab==', 'ab c', 'ab\nc', 'ä']) {
      expect(fromBase64Url(value), value).toBeUndefined();
    }
  });
});
