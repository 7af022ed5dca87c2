import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ulid } from '../../src/lib/crypto';
import { signToken, TokenError, type TokenSettings, verifyToken } from '../../src/lib/tokens';

// verifyToken checks the JWS itself with WebCrypto and a cached key (docs/benchmarks.md, "Where the CPU goes"):
// these are the cases jose's jwtVerify refused for us before, plus the edges of the hand-written checks.
const settings: TokenSettings = {
  JWT_SECRET: 'unit-test-jwt-secret-0123456789abcdef0123456789',
  JWT_ISSUER: 'stackpay',
  JWT_AUDIENCE: 'stackpay-api',
  ACCESS_TOKEN_TTL_SECONDS: 900,
  REFRESH_TOKEN_TTL_SECONDS: 86_400,
};
const now = new Date('2026-01-15T10:00:00.000Z');
const nowSeconds = now.getTime() / 1000;
const key = new TextEncoder().encode(settings.JWT_SECRET);

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TokenError) return err.reason;
    throw err;
  }
  throw new Error('the token was accepted');
}

/** A token with our claims, then `edit` applied to the payload, signed HS256 with the right secret. */
function token(
  edit: (claims: Record<string, unknown>) => void = () => {},
  header: Record<string, unknown> = {},
) {
  const claims: Record<string, unknown> = {
    user_id: 42,
    token_type: 'access',
    sub: '42',
    jti: ulid(),
    iat: nowSeconds,
    exp: nowSeconds + 900,
    iss: settings.JWT_ISSUER,
    aud: settings.JWT_AUDIENCE,
  };
  edit(claims);
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', ...header }).sign(key);
}

describe('verifyToken (WebCrypto, cached key)', () => {
  it('accepts a token up to the second before exp, and refuses it at exp', async () => {
    const t = await token();
    const before = new Date((nowSeconds + 899) * 1000 + 999);
    expect((await verifyToken(settings, t, 'access', before)).userId).toBe(42);
    expect(await reason(verifyToken(settings, t, 'access', new Date((nowSeconds + 900) * 1000)))).toBe(
      'ERR_JWT_EXPIRED',
    );
  });

  it('refuses a token used before its nbf', async () => {
    const t = await token((c) => {
      c.nbf = nowSeconds + 60;
    });
    expect(await reason(verifyToken(settings, t, 'access', now))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('accepts an audience array that names us, refuses one that does not', async () => {
    const ours = await token((c) => {
      c.aud = ['other', settings.JWT_AUDIENCE];
    });
    expect((await verifyToken(settings, ours, 'access', now)).userId).toBe(42);
    const theirs = await token((c) => {
      c.aud = ['other'];
    });
    expect(await reason(verifyToken(settings, theirs, 'access', now))).toBe(
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
    );
  });

  it.each(['iss', 'aud', 'sub', 'jti', 'iat', 'exp'])('refuses a token without %s', async (claim) => {
    const t = await token((c) => {
      delete c[claim];
    });
    await expect(verifyToken(settings, t, 'access', now)).rejects.toBeInstanceOf(TokenError);
  });

  it('refuses a non-numeric iat or exp', async () => {
    for (const claim of ['iat', 'exp']) {
      const t = await token((c) => {
        c[claim] = String(c[claim]);
      });
      expect(await reason(verifyToken(settings, t, 'access', now))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    }
  });

  it('refuses a header with a crit extension, correctly signed', async () => {
    const t = await token();
    const [, payload] = t.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', crit: ['exp'] })).toString('base64url');
    const signature = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url');
    expect(await reason(verifyToken(settings, `${header}.${payload}.${signature}`, 'access', now))).toBe(
      'ERR_JOSE_NOT_SUPPORTED',
    );
  });

  it('refuses every single-character change of the signature', async () => {
    const t = await token();
    const [header, payload, signature = ''] = t.split('.');
    for (let i = 0; i < signature.length; i += 7) {
      const flipped = signature[i] === 'A' ? 'B' : 'A';
      const forged = `${header}.${payload}.${signature.slice(0, i)}${flipped}${signature.slice(i + 1)}`;
      await expect(verifyToken(settings, forged, 'access', now)).rejects.toBeInstanceOf(TokenError);
    }
  });

  it('refuses a signature of the wrong length and segments that are not base64url', async () => {
    const t = await token();
    const [header, payload, signature = ''] = t.split('.');
    for (const forged of [
      `${header}.${payload}.${signature.slice(0, -2)}`,
      `${header}.${payload}.${signature}AA`,
      `${header}.${payload}.${signature.replace(/^./, '+')}`,
      `${header}=.${payload}.${signature}`,
      `${header}.${payload}`,
      `${header}.${payload}.${signature}.x`,
    ]) {
      await expect(verifyToken(settings, forged, 'access', now)).rejects.toBeInstanceOf(TokenError);
    }
  });

  it('verifies with the key of the secret in use when the secret changes (keys cached per secret)', async () => {
    const t = await token();
    expect((await verifyToken(settings, t, 'access', now)).userId).toBe(42);
    const rotated = { ...settings, JWT_SECRET: 'rotated-secret-0123456789abcdef0123456789abc' };
    expect(await reason(verifyToken(rotated, t, 'access', now))).toBe(
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    );
    const reissued = await signToken(rotated, 42, 'access', now);
    expect((await verifyToken(rotated, reissued.token, 'access', now)).userId).toBe(42);
  });
});
