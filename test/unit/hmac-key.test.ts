import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacKey, hmacSha256Hex, toHex, utf8 } from '../../src/lib/crypto';

// The one per-secret HMAC key cache (src/lib/crypto.ts): tokens, PayMob's HMAC, webhook and Mailgun signatures.
describe('hmacKey', () => {
  const sign = async (key: Promise<CryptoKey>, message: string) =>
    toHex(await crypto.subtle.sign('HMAC', await key, utf8(message)));

  it('keeps hashes and encodings of the same secret apart, each as node:crypto computes it', async () => {
    // A secret that is also valid base64, so the utf8 and base64 keys of the same text both exist.
    const secret = 'c2VjcmV0LWJ5dGVzLWZvci10ZXN0';
    const message = 'evt_1.1700000000.{}';
    const bytes = Buffer.from(secret, 'base64');
    for (let round = 0; round < 2; round++) {
      // Twice: the second round reads every key from the cache.
      expect(await sign(hmacKey(secret), message)).toBe(
        createHmac('sha256', secret).update(message).digest('hex'),
      );
      expect(await sign(hmacKey(secret, { hash: 'SHA-512' }), message)).toBe(
        createHmac('sha512', secret).update(message).digest('hex'),
      );
      expect(await sign(hmacKey(secret, { encoding: 'base64' }), message)).toBe(
        createHmac('sha256', bytes).update(message).digest('hex'),
      );
    }
    expect(hmacKey(secret)).toBe(hmacKey(secret));
    expect(await hmacSha256Hex(secret, message)).toBe(
      createHmac('sha256', secret).update(message).digest('hex'),
    );
  });

  it('refuses a base64 secret that is not base64, and does not keep it', () => {
    expect(() => hmacKey('not base64!', { encoding: 'base64' })).toThrow('not base64');
    expect(() => hmacKey('not base64!', { encoding: 'base64' })).toThrow('not base64');
  });
});
