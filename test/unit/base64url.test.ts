import { describe, expect, it } from 'vitest';
import { fromBase64Url, randomBytes, toBase64Url } from '../../src/lib/crypto';

// The one base64url decoder (JWT segments in src/lib/tokens.ts, the admin flash cookie).
describe('fromBase64Url', () => {
  it('reads back every length toBase64Url writes', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = randomBytes(length);
      expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
    }
  });

  it('refuses what no unpadded base64url encoding gives', () => {
    for (const value of ['a', 'abcde', 'ab+c', 'ab/c', 'ab==', 'ab c', 'ab\nc', 'ä']) {
      expect(fromBase64Url(value), value).toBeUndefined();
    }
  });
});
