import { eq, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { authenticateApiKey } from '../api-keys/service';
import type { Database } from '../db/client';
import { preparedSelect } from '../db/prepared';
import { addresses, customers, kycRecords, type Role, users } from '../db/schema';
import type { AppEnv } from '../env';
import { AppError, forbidden, invalidToken, unauthorized } from '../lib/errors';
import { TokenError, verifyToken } from '../lib/tokens';

import { type AuthenticatedUser, actingUser } from '../users/actor';
import { authQueryColumns, toAuthenticatedUser } from '../users/columns';
import { presentedApiKey } from './api-key';

export type { AuthenticatedUser } from '../users/actor';

const BEARER = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]+)[ \t]*$/i;

/** True when a token issued at `issuedAt` (seconds) predates the user's `tokens_valid_after`. */
export function issuedBeforeCutoff(issuedAt: number, tokensValidAfter: Date | null): boolean {
  // tokens_valid_after is stored truncated to the second (see users/sessions.ts), and JWT `iat` has second
  // precision: a token issued in the same second as a password change stays valid, one issued before does not.
  return tokensValidAfter !== null && issuedAt * 1000 < tokensValidAfter.getTime();
}

/**
 * One query: the user a verified access token names, with their customer profile, KYC status and main address
 * (left joins on unique keys; docs/round-trips.md), so customer routes need no lookup of their own. Built once
 * per isolate (src/db/prepared.ts): it runs on every authenticated request.
 */
export const authQuery = preparedSelect(authQueryColumns, (select) =>
  select
    .from(users)
    .leftJoin(customers, eq(customers.userId, users.id))
    .leftJoin(kycRecords, eq(kycRecords.customerId, customers.id))
    .leftJoin(addresses, eq(addresses.mainOf, customers.id))
    .where(eq(users.id, sql.placeholder('userId')))
    .limit(1),
);

async function loadUser(db: Database, userId: number): Promise<AuthenticatedUser | undefined> {
  const [row] = await authQuery.run(db, { userId });
  return row && toAuthenticatedUser(row);
}

/**
 * A server API key on a route that does not admit keys (no `requireScope`): 401 when the key itself is not
 * valid, 403 `api_key_not_allowed` when it is (docs/api-keys.md §3).
 */
async function refuseApiKey(c: Context<AppEnv>, secret: string): Promise<never> {
  const key = await authenticateApiKey(c.var.ctx, secret);
  c.var.logger.info('api key refused', { reason: 'route_refuses_keys', api_key_id: key.id });
  throw new AppError(403, 'api_key_not_allowed', 'This route does not accept API keys.');
}

async function authenticate(c: Context<AppEnv>, header: string): Promise<void> {
  const secret = presentedApiKey(header);
  if (secret !== undefined) await refuseApiKey(c, secret);
  const match = BEARER.exec(header);
  if (!match?.[1]) throw invalidToken('The access token is invalid or expired.');
  let claims: Awaited<ReturnType<typeof verifyToken>>;
  try {
    claims = await verifyToken(c.var.config, match[1], 'access');
  } catch (err) {
    if (err instanceof TokenError) {
      c.var.logger.info('access token refused', { reason: err.reason });
      throw invalidToken('The access token is invalid or expired.');
    }
    throw err;
  }
  const user = await loadUser(c.var.db, claims.userId);
  let refusal: string | undefined;
  if (!user) refusal = 'unknown_user';
  else if (!user.isActive) refusal = 'inactive_user';
  else if (issuedBeforeCutoff(claims.issuedAt, user.tokensValidAfter)) refusal = 'issued_before_cutoff';
  if (refusal || !user) {
    c.var.logger.info('access token refused', { reason: refusal, user_id: claims.userId });
    throw invalidToken('The access token is invalid or expired.');
  }
  c.var.ctx.actor = user;
}

/**
 * Requires a valid access token (`Authorization: Bearer <jwt>`) for an active user whose tokens were not
 * revoked after it was issued; sets `c.var.ctx.actor`. One database query. Anything else is a 401 problem.
 * A server API key passes only when the route's `requireScope` admitted it (`ctx.apiKey`); elsewhere it is
 * refused (see refuseApiKey).
 */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  if (c.var.ctx.apiKey) return next();
  const header = c.req.header('Authorization');
  if (header === undefined || header.trim() === '') {
    throw unauthorized('Authentication credentials were not provided.');
  }
  await authenticate(c, header);
  await next();
});

/**
 * Authenticates when an Authorization header is present (then an invalid token is still a 401, as in the
 * original API); otherwise the request goes on anonymously.
 */
export const optionalAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('Authorization');
  if (header !== undefined && header.trim() !== '') await authenticate(c, header);
  await next();
});

/**
 * 403 unless the authenticated user has one of `roles`. Use after requireAuth. A server API key admitted by
 * the route's `requireScope` passes: its scope is the route's rule for keys.
 */
export function requireRole(...roles: Role[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.var.ctx.apiKey) return next();
    const actor = c.var.ctx.actor;
    if (!actor) throw unauthorized('Authentication credentials were not provided.');
    if (!roles.includes(actor.role)) throw forbidden();
    await next();
  });
}

/** The authenticated actor; only for handlers behind requireAuth. */
export function actorOf(c: Context<AppEnv>): AuthenticatedUser {
  return actingUser(c.var.ctx);
}
