/**
 * The domain-free parts of the TOTP core (docs/accounts.md §2): RFC 6238's published SHA-1 vectors through
 * matchingStep, the window of one step, the AES-GCM sealing of secrets and the recovery-code spelling rules.
 */
import { describe, expect, it } from 'vitest';
import { matchingStep } from '../../src/users/totp';
import {
  decryptTotpSecret,
  encryptTotpSecret,
  hashRecoveryCode,
  newRecoveryCode,
  normaliseRecoveryCode,
} from '../../src/users/totp-secret';

// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890" (base32 below), 8-digit codes; the 6-digit
// codes are their last six digits (RFC 4226 truncation modulo 10^6).
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
];
const config = { ADMIN_TOTP_KEY: 'dGVzdC10b3RwLWtleS0zMi1ieXRlcy1vZi10ZXN0ISE=' };

describe('matchingStep', () => {
  it('accepts RFC 6238 vectors at their own step and one step either side, not two', () => {
    for (const [seconds, code8] of RFC_VECTORS) {
      const code = code8.slice(2);
      const step = Math.floor(seconds / 30);
      expect(matchingStep(RFC_SECRET, code, new Date(seconds * 1000))).toBe(step);
      expect(matchingStep(RFC_SECRET, code, new Date((seconds + 30) * 1000))).toBe(step);
      expect(matchingStep(RFC_SECRET, code, new Date((seconds - 30) * 1000))).toBe(step);
      expect(matchingStep(RFC_SECRET, code, new Date((seconds + 61) * 1000))).toBeUndefined();
    }
  });

  it('refuses anything but six digits', () => {
    for (const code of ['', '12345', '1234567', 'abcdef', ' 287082', '287082\n']) {
      expect(matchingStep(RFC_SECRET, code, new Date(59_000))).toBeUndefined();
    }
  });
});

describe('TOTP secret at rest', () => {
  it('round-trips, differs from the plaintext and between encryptions, and is bound to the user', async () => {
    const a = await encryptTotpSecret(config, 7, RFC_SECRET);
    const b = await encryptTotpSecret(config, 7, RFC_SECRET);
    expect(a).toMatch(/^v1:[A-Za-z0-9+/]+=*$/);
    expect(a).not.toContain(RFC_SECRET);
    expect(a).not.toBe(b);
    expect(await decryptTotpSecret(config, 7, a)).toBe(RFC_SECRET);
    await expect(decryptTotpSecret(config, 8, a)).rejects.toThrow();
    const other = { ADMIN_TOTP_KEY: 'b3RoZXIta2V5LW9mLTMyLWJ5dGVzLWZvci10aGUtdGVzdA==' };
    await expect(decryptTotpSecret(other, 7, a)).rejects.toThrow();
  });

  it('refuses to work without ADMIN_TOTP_KEY (a configuration error, answered 503)', async () => {
    await expect(encryptTotpSecret({ ADMIN_TOTP_KEY: undefined }, 1, RFC_SECRET)).rejects.toThrow(
      /ADMIN_TOTP_KEY/,
    );
  });
});

describe('recovery codes', () => {
  it('are XXXXX-XXXXX in Crockford base 32 and hash the same in any spelling', async () => {
    const code = newRecoveryCode();
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    expect(normaliseRecoveryCode(' ab1o0-il23x ')).toBe('AB1001123X');
    const hash = await hashRecoveryCode(config, 3, code);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await hashRecoveryCode(config, 3, code.toLowerCase().replace('-', ' '))).toBe(hash);
    expect(await hashRecoveryCode(config, 4, code)).not.toBe(hash);
  });
});
