import { errors, jwtVerify, SignJWT } from 'jose';
import { ulid, utf8 } from './crypto';

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
const keys = new Map<string, Uint8Array>();

function signingKey(secret: string): Uint8Array {
  let key = keys.get(secret);
  if (!key) {
    key = utf8(secret);
    keys.set(secret, key);
  }
  return key;
}

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
  const token = await new SignJWT({ user_id: userId, token_type: type })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(String(userId))
    .setJti(jti)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .setIssuer(settings.JWT_ISSUER)
    .setAudience(settings.JWT_AUDIENCE)
    .sign(signingKey(settings.JWT_SECRET));
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

/** Verifies signature, algorithm, issuer, audience, expiry and the expected token type. */
export async function verifyToken(
  settings: TokenSettings,
  token: string,
  expectedType: TokenType,
  now: Date = new Date(),
): Promise<TokenClaims> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, signingKey(settings.JWT_SECRET), {
      algorithms: [ALGORITHM],
      issuer: settings.JWT_ISSUER,
      audience: settings.JWT_AUDIENCE,
      currentDate: now,
      requiredClaims: ['sub', 'jti', 'iat', 'exp'],
    }));
  } catch (err) {
    throw new TokenError(err instanceof errors.JOSEError ? err.code : 'malformed');
  }
  const { sub, user_id: userId, token_type: type, jti, iat, exp } = payload;
  if (type !== expectedType) throw new TokenError('wrong_token_type');
  if (typeof userId !== 'number' || !Number.isSafeInteger(userId) || userId <= 0 || sub !== String(userId)) {
    throw new TokenError('bad_subject');
  }
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 64) throw new TokenError('bad_jti');
  if (typeof iat !== 'number' || typeof exp !== 'number') throw new TokenError('bad_times');
  return { userId, type: expectedType, jti, issuedAt: iat, expiresAt: exp };
}
