import { fromBase64Url, hmacKey, toBase64Url, ulid, utf8 } from './crypto';

/**
 * Access and refresh tokens: HS256 JWTs signed with JWT_SECRET (docs/api.md §2.3). Verification pins the algorithm,
 * issuer and audience, so an `alg: none` token, a token for another service or one signed with another key
 * is refused. The settings are the parsed configuration's (a structural type keeps this file free of Worker
 * types, so Node unit tests can import it).
 */
export interface TokenSettings {
  JWT_SECRET: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  ACCESS_TOKEN_TTL_SECONDS: number;
  REFRESH_TOKEN_TTL_SECONDS: number;
}

export type TokenType = 'access' | 'refresh';

export interface TokenClaims {
  userId: number;
  type: TokenType;
  jti: string;
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
}

export interface IssuedToken {
  token: string;
  claims: TokenClaims;
}

/** Why a token was refused; logged, never sent to the client. */
export class TokenError extends Error {
  constructor(readonly reason: string) {
    super(`token refused: ${reason}`);
    this.name = 'TokenError';
  }
}

const ALGORITHM = 'HS256';

const segment = (value: object) => toBase64Url(utf8(JSON.stringify(value)));
// The protected header of every token: the same bytes jose's SignJWT wrote.
const HEADER = segment({ alg: ALGORITHM, typ: 'JWT' });

function lifetime(settings: TokenSettings, type: TokenType): number {
  return type === 'access' ? settings.ACCESS_TOKEN_TTL_SECONDS : settings.REFRESH_TOKEN_TTL_SECONDS;
}

export async function signToken(
  settings: TokenSettings,
  userId: number,
  type: TokenType,
  now: Date,
  jti: string = ulid(now.getTime()),
): Promise<IssuedToken> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresAt = issuedAt + lifetime(settings, type);
  // The claims in the order jose's SignJWT wrote them (test/unit/tokens.test.ts compares the two).
  const payload = segment({
    user_id: userId,
    token_type: type,
    sub: String(userId),
    jti,
    iat: issuedAt,
    exp: expiresAt,
    iss: settings.JWT_ISSUER,
    aud: settings.JWT_AUDIENCE,
  });
  const signingInput = `${HEADER}.${payload}`;
  const signature = await crypto.subtle.sign('HMAC', await hmacKey(settings.JWT_SECRET), utf8(signingInput));
  const token = `${signingInput}.${toBase64Url(new Uint8Array(signature))}`;
  return { token, claims: { userId, type, jti, issuedAt, expiresAt } };
}

/** An access token and a refresh token issued at the same instant. */
export async function issueTokenPair(settings: TokenSettings, userId: number, now: Date) {
  const [access, refresh] = await Promise.all([
    signToken(settings, userId, 'access', now),
    signToken(settings, userId, 'refresh', now),
  ]);
  return { access, refresh };
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** One segment as a JSON object, or undefined. */
function segmentObject(segment: string): Record<string, unknown> | undefined {
  const bytes = fromBase64Url(segment);
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The JWS checks jose's `jwtVerify` makes for our tokens, with WebCrypto and a cached key (docs/benchmarks.md,
 * "Where the CPU goes"): compact serialisation, `alg` pinned to HS256, no `crit` extension, the HMAC (compared
 * in constant time by `crypto.subtle.verify`), then the claims: `iss`, `aud`, `sub`, `jti`, `iat`, `exp`
 * present, issuer and audience ours, `nbf` and `exp` against `now`. Refusals carry jose's error codes.
 */
async function verifiedPayload(
  settings: TokenSettings,
  token: string,
  now: Date,
): Promise<Record<string, unknown>> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('ERR_JWS_INVALID');
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  const header = segmentObject(headerPart);
  if (!header) throw new TokenError('ERR_JWS_INVALID');
  if (header.alg !== ALGORITHM) {
    throw new TokenError(typeof header.alg === 'string' ? 'ERR_JOSE_ALG_NOT_ALLOWED' : 'ERR_JWS_INVALID');
  }
  if (header.crit !== undefined || header.b64 !== undefined) throw new TokenError('ERR_JOSE_NOT_SUPPORTED');
  const signature = fromBase64Url(signaturePart);
  if (!signature || signature.length === 0) throw new TokenError('ERR_JWS_INVALID');
  const signed = utf8(`${headerPart}.${payloadPart}`);
  if (!(await crypto.subtle.verify('HMAC', await hmacKey(settings.JWT_SECRET), signature, signed))) {
    throw new TokenError('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  }
  const payload = segmentObject(payloadPart);
  if (!payload) throw new TokenError('ERR_JWT_INVALID');
  for (const claim of ['iss', 'aud', 'sub', 'jti', 'iat', 'exp']) {
    if (payload[claim] === undefined) throw new TokenError('ERR_JWT_CLAIM_VALIDATION_FAILED');
  }
  const { iss, aud, iat, nbf, exp } = payload;
  if (iss !== settings.JWT_ISSUER) throw new TokenError('ERR_JWT_CLAIM_VALIDATION_FAILED');
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(settings.JWT_AUDIENCE)) throw new TokenError('ERR_JWT_CLAIM_VALIDATION_FAILED');
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (typeof iat !== 'number') throw new TokenError('ERR_JWT_CLAIM_VALIDATION_FAILED');
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds)) {
    throw new TokenError('ERR_JWT_CLAIM_VALIDATION_FAILED');
  }
  if (typeof exp !== 'number') throw new TokenError('ERR_JWT_CLAIM_VALIDATION_FAILED');
  if (exp <= nowSeconds) throw new TokenError('ERR_JWT_EXPIRED');
  return payload;
}

/** Verifies signature, algorithm, issuer, audience, expiry and the expected token type. */
export async function verifyToken(
  settings: TokenSettings,
  token: string,
  expectedType: TokenType,
  now: Date = new Date(),
): Promise<TokenClaims> {
  const payload = await verifiedPayload(settings, token, now);
  const { sub, user_id: userId, token_type: type, jti, iat, exp } = payload;
  if (type !== expectedType) throw new TokenError('wrong_token_type');
  if (typeof userId !== 'number' || !Number.isSafeInteger(userId) || userId <= 0 || sub !== String(userId)) {
    throw new TokenError('bad_subject');
  }
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 64) throw new TokenError('bad_jti');
  if (typeof iat !== 'number' || typeof exp !== 'number') throw new TokenError('bad_times');
  return { userId, type: expectedType, jti, issuedAt: iat, expiresAt: exp };
}
