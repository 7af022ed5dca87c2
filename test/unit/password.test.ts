import { describe, expect, it } from 'vitest';
import { fromBase64, randomDigits, timingSafeEqual } from '../../src/lib/crypto';
import { hashPassword, PBKDF2_ITERATIONS, verifyDummyPassword, verifyPassword } from '../../src/lib/password';
import { hashPasswordForSeed } from '../../tools/seed-admin.mjs';

describe('password hashing (docs/api.md §2.2)', () => {
  it('uses at most 100,000 PBKDF2 iterations, the Workers production maximum', () => {
    expect(PBKDF2_ITERATIONS).toBeLessThanOrEqual(100_000);
    expect(PBKDF2_ITERATIONS).toBe(100_000);
  });

  it("stores Django's self-describing format with a 16-byte salt and a 32-byte hash", async () => {
    const encoded = await hashPassword('Correct-Horse1!');
    const [algorithm, iterations, salt, hash] = encoded.split('$');
    expect(algorithm).toBe('pbkdf2_sha256');
    expect(iterations).toBe('100000');
    expect(fromBase64(salt ?? '')).toHaveLength(16);
    expect(fromBase64(hash ?? '')).toHaveLength(32);
  });

  it('uses a new random salt for every hash', async () => {
    const first = await hashPassword('Same-Password1!');
    const second = await hashPassword('Same-Password1!');
    expect(first).not.toBe(second);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const encoded = await hashPassword('Right-Password1!');
    expect(await verifyPassword('Right-Password1!', encoded)).toBe(true);
    expect(await verifyPassword('Wrong-Password1!', encoded)).toBe(false);
    expect(await verifyPassword('right-password1!', encoded)).toBe(false);
  });

  it('verifies hashes made by Django (hashlib.pbkdf2_hmac), including a different stored iteration count', async () => {
    const django = 'pbkdf2_sha256$100000$seasalt123$xyX9rjXoUGz1UgQ/i8SA5/FRrGYBUeCmEffPJTWT11I=';
    expect(await verifyPassword('Django-Pass1!', django)).toBe(true);
    const fewerIterations = 'pbkdf2_sha256$1000$abcDEF123xyz$RVa9QqgUnhRuJWCS6qZTKoyB8vEEQhTEpB4Z3hTlLTo=';
    expect(await verifyPassword('Ünïcode-Pässwörd1!', fewerIterations)).toBe(true);
  });

  it('verifies what tools/seed-admin.mjs writes', async () => {
    const seeded: string = hashPasswordForSeed('Admin-Pass1!');
    expect(await verifyPassword('Admin-Pass1!', seeded)).toBe(true);
    expect(await verifyPassword('Admin-Pass2!', seeded)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['another algorithm', 'argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA'],
    ['missing parts', 'pbkdf2_sha256$100000$salt'],
    ['a non-numeric count', 'pbkdf2_sha256$abc$seasalt123$xyX9rjXoUGz1UgQ/i8SA5/FRrGYBUeCmEffPJTWT11I='],
    [
      'a count above the platform maximum',
      'pbkdf2_sha256$600000$seasalt123$xyX9rjXoUGz1UgQ/i8SA5/FRrGYBUeCmEffPJTWT11I=',
    ],
    ['a hash that is not base64', 'pbkdf2_sha256$100000$seasalt123$not*base64'],
    ['an unusable hash', '!unusable'],
  ])('never verifies a stored value with %s', async (_case, encoded) => {
    expect(await verifyPassword('Django-Pass1!', encoded)).toBe(false);
  });

  it('the dummy check for unknown users takes a real PBKDF2 and always fails', async () => {
    const encoded = await hashPassword('Timing-Test1!');
    const time = async (check: () => Promise<boolean>) => {
      const started = performance.now();
      await check();
      return performance.now() - started;
    };
    // Interleaved, median of three each: one preempted sample on a loaded machine must not decide it.
    const real: number[] = [];
    const dummy: number[] = [];
    for (let i = 0; i < 3; i++) {
      real.push(await time(() => verifyPassword('Timing-Test1!', encoded)));
      dummy.push(await time(() => verifyDummyPassword('Timing-Test1!')));
    }
    expect(await verifyDummyPassword('Timing-Test1!')).toBe(false);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[1] ?? 0;
    expect(median(dummy)).toBeGreaterThan(median(real) / 4);
  });
});

describe('constant-time comparison', () => {
  it.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'abcd', false],
    ['', '', true],
  ])('%j vs %j → %s', (a, b, equal) => {
    expect(timingSafeEqual(a, b)).toBe(equal);
  });

  it('compares bytes too', () => {
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
  });
});

describe('verification code digits', () => {
  it('are exactly the requested number of decimal digits', () => {
    for (let i = 0; i < 200; i++) expect(randomDigits(6)).toMatch(/^[0-9]{6}$/);
  });

  it('use every digit in every position (no fixed or missing digits)', () => {
    const seen = Array.from({ length: 6 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) {
      [...randomDigits(6)].forEach((digit, position) => {
        seen[position]?.add(digit);
      });
    }
    for (const digits of seen) expect(digits.size).toBe(10);
  });
});
