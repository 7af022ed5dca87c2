import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { type Executor, ensureCustomerProfile } from '../customers/bootstrap';
import type { Database } from '../db/client';
import { customers, refreshTokens, users } from '../db/schema';
import { sha256Hex, ulid } from '../lib/crypto';
import { AppError, invalidToken } from '../lib/errors';
import { normaliseIdentifier } from '../lib/identity';
import { verifyDummyPassword, verifyPassword } from '../lib/password';
import { issueTokenPair, TokenError, type TokenSettings, verifyToken } from '../lib/tokens';
import { authenticatedUserColumns } from './columns';

/**
 * Login, refresh-token rotation and logout (docs/api.md §2.3). Refresh tokens are stored only as the SHA-256 of their
 * `jti`; every rotation of one login shares a `family_id`, so presenting a revoked token again revokes the
 * whole family.
 */
export interface TokenPair {
  access: string;
  refresh: string;
}

const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Bearer realm="stackpay", error="invalid_token"' };

export const SESSION_MESSAGES = {
  noActiveAccount: 'No active account found with the given credentials',
  invalidRefresh: 'Token is invalid or expired.',
} as const;

const noActiveAccount = () =>
  new AppError(401, 'no_active_account', SESSION_MESSAGES.noActiveAccount, { headers: WWW_AUTHENTICATE });
const invalidRefresh = () => invalidToken(SESSION_MESSAGES.invalidRefresh);

/**
 * Signs a token pair and stores the refresh token (a new family, whose id is the ULID of `now`). With
 * `login`, the row also records the login (`login_at`): that is the user's `last_login` from now on
 * (src/users/columns.ts `LAST_LOGIN_SQL`), so a login writes one row, one statement (docs/round-trips.md).
 */
export async function issueSession(
  db: Executor,
  settings: TokenSettings,
  userId: number,
  now: Date,
  options: { login?: boolean } = {},
): Promise<TokenPair> {
  const { access, refresh } = await issueTokenPair(settings, userId, now);
  await db.insert(refreshTokens).values({
    userId,
    familyId: ulid(now.getTime()),
    tokenHash: await sha256Hex(refresh.claims.jti),
    expiresAt: new Date(refresh.claims.expiresAt * 1000),
    loginAt: options.login ? now : null,
    createdAt: now,
  });
  return { access: access.token, refresh: refresh.token };
}

/**
 * Who a login attempt is against, for the per-account limit (docs/security.md §1): the account the name
 * resolved to (however it was spelled: the collation found it), or the normalised name when it resolves to
 * none. Known and unknown names are charged alike, so the limiter does not reveal who exists.
 */
export function loginSubject(identifier: string, userId: number | undefined): string {
  return userId === undefined ? `name:${normaliseIdentifier(identifier)}` : `user:${userId}`;
}

export interface LoginInput {
  /** A username or an e-mail address. */
  identifier: string;
  password: string;
  /** The per-account rate limit, charged once the name has resolved (see checkCredentials). */
  beforeVerify?: (subject: string) => Promise<void>;
}

/**
 * Checks a username-or-e-mail and password, the one credential check behind the API login and the admin
 * sign-in. Unknown users cost a dummy PBKDF2 so timing does not reveal who exists; a wrong password, an
 * unknown and an inactive user all give `undefined`. One query. `input.beforeVerify` runs between the lookup and
 * the password check with the attempt's subject (see loginSubject): the per-account rate limit, which may
 * throw so that an exhausted account's password is never tried.
 */
export async function checkCredentials(ctx: Pick<ServiceContext, 'db'>, input: LoginInput) {
  const { identifier, password, beforeVerify } = input;
  const lowered = identifier.toLowerCase();
  const candidates = await ctx.db
    .select({ ...authenticatedUserColumns, passwordHash: users.passwordHash, customerId: customers.id })
    .from(users)
    .leftJoin(customers, eq(customers.userId, users.id))
    .where(or(eq(users.username, identifier), eq(users.email, lowered)))
    .limit(2);
  // A username may look like someone else's e-mail address: the username match wins.
  const user =
    candidates.find((u) => u.username.toLowerCase() === lowered) ??
    candidates.find((u) => u.email === lowered) ??
    candidates[0];
  await beforeVerify?.(loginSubject(identifier, user?.id));
  if (!user) {
    await verifyDummyPassword(password);
    return undefined;
  }
  const valid = await verifyPassword(password, user.passwordHash);
  if (!valid || !user.isActive) return undefined;
  const { passwordHash: _hash, ...checked } = user;
  return checked;
}

/**
 * docs/api.md §2.3 login: wrong password, unknown and inactive users get the same 401. An active CUSTOMER without a
 * customer profile (they deleted it) gets a new empty one (docs/api.md §3.1).
 */
export async function login(ctx: ServiceContext, input: LoginInput): Promise<TokenPair> {
  const user = await checkCredentials(ctx, input);
  if (!user) throw noActiveAccount();
  if (user.role === 'CUSTOMER' && user.customerId === null) {
    const result = await ensureCustomerProfile(ctx.db, user.id);
    if (result.created) ctx.logger.info('customer profile created at login', { user_id: user.id });
  }
  return issueSession(ctx.db, ctx.config, user.id, ctx.now, { login: true });
}

async function verifiedRefreshToken(ctx: ServiceContext, token: string) {
  try {
    return await verifyToken(ctx.config, token, 'refresh', ctx.now);
  } catch (err) {
    if (err instanceof TokenError) {
      ctx.logger.info('refresh token refused', { reason: err.reason });
      throw invalidRefresh();
    }
    throw err;
  }
}

async function revokeFamilyOf(db: Database, tokenHash: string, now: Date): Promise<number> {
  const [row] = await db
    .select({ familyId: refreshTokens.familyId })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, tokenHash))
    .limit(1);
  if (!row) return 0;
  const result = await db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.familyId, row.familyId), isNull(refreshTokens.revokedAt)));
  return result.rowsAffected;
}

/**
 * Rotation in two statements: a guarded UPDATE revokes the presented token only if it is live and its user is
 * still active and has not revoked tokens since it was issued; then an INSERT … SELECT stores its successor in
 * the same family. When the UPDATE matches nothing the token was already used (or its user was locked out):
 * the whole family is revoked and the answer is 401.
 */
export async function rotateRefreshToken(ctx: ServiceContext, token: string): Promise<TokenPair> {
  const { db, now } = ctx;
  const claims = await verifiedRefreshToken(ctx, token);
  const oldHash = await sha256Hex(claims.jti);
  const issuedAt = new Date(claims.issuedAt * 1000);
  const revoked = await db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(
      and(
        eq(refreshTokens.tokenHash, oldHash),
        eq(refreshTokens.userId, claims.userId),
        isNull(refreshTokens.revokedAt),
        gt(refreshTokens.expiresAt, now),
        sql`exists (select 1 from ${users} where ${users.id} = ${refreshTokens.userId} and ${users.isActive} = true
          and (${users.tokensValidAfter} is null or ${users.tokensValidAfter} <= ${issuedAt}))`,
      ),
    );
  if (revoked.rowsAffected !== 1) {
    const family = await revokeFamilyOf(db, oldHash, now);
    ctx.logger.warn('refresh token reuse or revoked user: family revoked', {
      user_id: claims.userId,
      revoked: family,
    });
    throw invalidRefresh();
  }
  const { access, refresh } = await issueTokenPair(ctx.config, claims.userId, now);
  const newHash = await sha256Hex(refresh.claims.jti);
  const expiresAt = new Date(refresh.claims.expiresAt * 1000);
  await db.execute(sql`insert into ${refreshTokens} (user_id, family_id, token_hash, expires_at, created_at)
    select user_id, family_id, ${newHash}, ${expiresAt}, ${now} from ${refreshTokens} where token_hash = ${oldHash}`);
  return { access: access.token, refresh: refresh.token };
}

/** Revokes one refresh token. An invalid, unknown or already revoked token is a 401. */
export async function logout(ctx: ServiceContext, token: string): Promise<void> {
  const claims = await verifiedRefreshToken(ctx, token);
  const result = await ctx.db
    .update(refreshTokens)
    .set({ revokedAt: ctx.now })
    .where(
      and(
        eq(refreshTokens.tokenHash, await sha256Hex(claims.jti)),
        eq(refreshTokens.userId, claims.userId),
        isNull(refreshTokens.revokedAt),
      ),
    );
  if (result.rowsAffected !== 1) throw invalidRefresh();
}

/** Revokes every live refresh token of a user (password change). */
export async function revokeAllRefreshTokens(db: Database, userId: number, now: Date): Promise<number> {
  const result = await db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
  return result.rowsAffected;
}
