import { createHmac } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
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

  it('are the exact bytes jose signs for the same claims, and jose verifies them (WebCrypto with a cached key)', async () => {
    for (const type of ['access', 'refresh'] as const) {
      const { token, claims } = await signToken(settings, 42, type, now);
      const byJose = await new SignJWT({ user_id: 42, token_type: type })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject('42')
        .setJti(claims.jti)
        .setIssuedAt(claims.issuedAt)
        .setExpirationTime(claims.expiresAt)
        .setIssuer(settings.JWT_ISSUER)
        .setAudience(settings.JWT_AUDIENCE)
        .sign(new TextEncoder().encode(settings.JWT_SECRET));
      expect(token).toBe(byJose);
      const verified = await jwtVerify(token, new TextEncoder().encode(settings.JWT_SECRET), {
        algorithms: ['HS256'],
        issuer: settings.JWT_ISSUER,
        audience: settings.JWT_AUDIENCE,
        currentDate: now,
      });
      expect(verified.payload.token_type).toBe(type);
    }
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

// verifyToken checks the JWS itself with WebCrypto and a cached key (docs/benchmarks.md §6): the edges of the
// hand-written checks that jose's jwtVerify made for us before.
const key = new TextEncoder().encode(settings.JWT_SECRET);

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
    expect(await refused(verifyToken(settings, t, 'access', new Date((nowSeconds + 900) * 1000)))).toBe(
      'ERR_JWT_EXPIRED',
    );
  });

  it('refuses a token used before its nbf', async () => {
    const t = await token((c) => {
      c.nbf = nowSeconds + 60;
    });
    expect(await refused(verifyToken(settings, t, 'access', now))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('accepts an audience array that names us, refuses one that does not', async () => {
    const ours = await token((c) => {
      c.aud = ['other', settings.JWT_AUDIENCE];
    });
    expect((await verifyToken(settings, ours, 'access', now)).userId).toBe(42);
    const theirs = await token((c) => {
      c.aud = ['other'];
    });
    expect(await refused(verifyToken(settings, theirs, 'access', now))).toBe(
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
      expect(await refused(verifyToken(settings, t, 'access', now))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    }
  });

  it('refuses a header with a crit extension, correctly signed', async () => {
    const t = await token();
    const [, payload] = t.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', crit: ['exp'] })).toString('base64url');
    const signature = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url');
    expect(await refused(verifyToken(settings, `${header}.${payload}.${signature}`, 'access', now))).toBe(
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

  it('refuses the signature with the unused bits of its last character set (same bytes, other spelling)', async () => {
    const t = await token();
    const [header, payload, signature = ''] = t.split('.');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(signature.at(-1) ?? '');
    expect(last & 3).toBe(0); // 43 characters for 32 bytes: the last two bits are padding
    for (let extra = 1; extra < 4; extra++) {
      const forged = `${header}.${payload}.${signature.slice(0, -1)}${alphabet[last | extra]}`;
      expect(await refused(verifyToken(settings, forged, 'access', now))).toBe('ERR_JWS_INVALID');
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
    expect(await refused(verifyToken(rotated, t, 'access', now))).toBe(
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    );
    const reissued = await signToken(rotated, 42, 'access', now);
    expect((await verifyToken(rotated, reissued.token, 'access', now)).userId).toBe(42);
  });
});
