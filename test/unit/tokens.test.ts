import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ulid } from '../../src/lib/crypto';
import { issueTokenPair, signToken, TokenError, type TokenSettings, verifyToken } from '../../src/lib/tokens';

const settings: TokenSettings = {
  JWT_SECRET: 'unit-test-jwt-secret-0123456789abcdef0123456789',
  JWT_ISSUER: 'stackpay',
  JWT_AUDIENCE: 'stackpay-api',
  ACCESS_TOKEN_TTL_SECONDS: 900,
  REFRESH_TOKEN_TTL_SECONDS: 86_400,
};
const now = new Date('2026-01-15T10:00:00.000Z');
const nowSeconds = now.getTime() / 1000;

async function refused(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TokenError) return err.reason;
    throw err;
  }
  throw new Error('the token was accepted');
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('access and refresh tokens (docs/api.md §2.3)', () => {
  it('carry sub/user_id, token_type, jti, iat, exp, iss and aud, signed HS256', async () => {
    const { token } = await signToken(settings, 42, 'access', now);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      sub: '42',
      user_id: 42,
      token_type: 'access',
      iat: nowSeconds,
      exp: nowSeconds + 900,
      iss: 'stackpay',
      aud: 'stackpay-api',
    });
    expect(claims.jti).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('take their lifetimes from the configuration: access 15 minutes, refresh 1 day by default', async () => {
    const { access, refresh } = await issueTokenPair(settings, 7, now);
    expect(access.claims.expiresAt - access.claims.issuedAt).toBe(900);
    expect(refresh.claims.expiresAt - refresh.claims.issuedAt).toBe(86_400);
    const short = await signToken({ ...settings, ACCESS_TOKEN_TTL_SECONDS: 60 }, 7, 'access', now);
    expect(short.claims.expiresAt - short.claims.issuedAt).toBe(60);
  });

  it('give every token its own jti', async () => {
    const { access, refresh } = await issueTokenPair(settings, 7, now);
    expect(access.claims.jti).not.toBe(refresh.claims.jti);
  });

  it('verify back to their claims', async () => {
    const { token, claims } = await signToken(settings, 42, 'refresh', now);
    expect(await verifyToken(settings, token, 'refresh', now)).toEqual(claims);
  });

  it('are refused once expired', async () => {
    const { token } = await signToken(settings, 42, 'access', now);
    expect(await refused(verifyToken(settings, token, 'access', new Date(now.getTime() + 901_000)))).toBe(
      'ERR_JWT_EXPIRED',
    );
  });

  it('are refused when used as the other type (a refresh token is not an access token)', async () => {
    const { token } = await signToken(settings, 42, 'refresh', now);
    expect(await refused(verifyToken(settings, token, 'access', now))).toBe('wrong_token_type');
  });

  it.each([
    ['another secret', { JWT_SECRET: 'another-secret-0123456789abcdef0123456789' }],
    ['another issuer', { JWT_ISSUER: 'someone-else' }],
    ['another audience', { JWT_AUDIENCE: 'another-api' }],
  ])('are refused when signed with %s', async (_case, override) => {
    const { token } = await signToken({ ...settings, ...override }, 42, 'access', now);
    await expect(verifyToken(settings, token, 'access', now)).rejects.toBeInstanceOf(TokenError);
  });

  it('refuse an unsigned "alg: none" token', async () => {
    const { token } = await signToken(settings, 42, 'access', now);
    const payload = token.split('.')[1];
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    await expect(verifyToken(settings, unsigned, 'access', now)).rejects.toBeInstanceOf(TokenError);
  });

  it('refuse another HMAC algorithm even with the right secret (the algorithm is pinned)', async () => {
    const token = await new SignJWT({ user_id: 42, token_type: 'access' })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject('42')
      .setJti(ulid())
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + 900)
      .setIssuer(settings.JWT_ISSUER)
      .setAudience(settings.JWT_AUDIENCE)
      .sign(new TextEncoder().encode(settings.JWT_SECRET));
    expect(await refused(verifyToken(settings, token, 'access', now))).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('refuse a token whose payload was changed after signing', async () => {
    const { token } = await signToken(settings, 42, 'access', now);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
    const forged = `${header}.${base64url({ ...claims, sub: '1', user_id: 1 })}.${signature}`;
    await expect(verifyToken(settings, forged, 'access', now)).rejects.toBeInstanceOf(TokenError);
  });

  it('refuse a token whose user_id and sub disagree', async () => {
    const token = await new SignJWT({ user_id: 2, token_type: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('1')
      .setJti(ulid())
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + 900)
      .setIssuer(settings.JWT_ISSUER)
      .setAudience(settings.JWT_AUDIENCE)
      .sign(new TextEncoder().encode(settings.JWT_SECRET));
    expect(await refused(verifyToken(settings, token, 'access', now))).toBe('bad_subject');
  });

  it.each(['', 'not-a-jwt', 'a.b.c', '....'])('refuse garbage %j', async (garbage) => {
    await expect(verifyToken(settings, garbage, 'access', now)).rejects.toBeInstanceOf(TokenError);
  });
});

describe('ULIDs (token ids and refresh-token families)', () => {
  it('are 26 Crockford base-32 characters that sort by time', () => {
    const earlier = ulid(1_700_000_000_000);
    const later = ulid(1_700_000_000_001);
    expect(earlier).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(earlier < later).toBe(true);
    expect(earlier.slice(0, 10)).toBe('01HF7YAT00');
  });
});
