import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { bootstrapCustomer } from '../customers/bootstrap';
import { writeAudit } from '../db/audit';
import { adminSessions, passwordResetTokens, users } from '../db/schema';
import { randomBytes, sha256Hex, toBase64Url } from '../lib/crypto';
import { AppError, notFound, validationError } from '../lib/errors';
import { describeError } from '../lib/logger';
import { hashPassword } from '../lib/password';
import { lastLoginColumn } from './columns';
import { checkPasswordPolicy } from './password-policy';
import { startOfSecond } from './service';
import { revokeAllRefreshTokens } from './sessions';

/**
 * Password reset by e-mail (docs/accounts.md §1, after OWASP's Forgot Password cheat sheet): a request answers
 * the same whether or not the address has an account and does the same database work either way; the mailed
 * token is 32 CSPRNG bytes (base64url), stored only as its SHA-256, valid 30 minutes, replaced by a newer
 * request (one row per user) and deleted by its use. A successful reset revokes every refresh-token family,
 * every access token (tokens_valid_after) and every admin session, activates a user who never verified their
 * e-mail (the reset proved they control it), and mails a "your password was changed" notice.
 */
export const RESET_TOKEN_BYTES = 32;
export const RESET_TOKEN_TTL_MINUTES = 30;
/** The Worker's reset page; the token travels in the fragment, which browsers never send to a server. */
export const RESET_PAGE_PATH = '/reset-password';
/** 32 bytes as unpadded base64url. */
export const RESET_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const PASSWORD_RESET_MESSAGES = {
  requested: 'If an account uses this e-mail address, a password-reset link has been sent to it.',
  invalidToken: 'This password-reset link is invalid, used or expired. Ask for a new one.',
  done: 'Your password has been reset. Sign in with the new password.',
} as const;

const invalidResetToken = () =>
  new AppError(400, 'invalid_or_expired_reset_token', PASSWORD_RESET_MESSAGES.invalidToken);

/**
 * Who may reset: active users, and users who never verified their e-mail (inactive, never signed in — the
 * derived `last_login`, which counts logins whose refresh-token row is still stored — tokens never revoked). An account an admin deactivated (which sets tokens_valid_after) stays closed: no e-mail
 * and no reset, so a reset can never undo a deactivation.
 */
const mayReset = or(
  eq(users.isActive, true),
  and(isNull(users.tokensValidAfter), isNull(lastLoginColumn)),
) as ReturnType<typeof and>;

/** Where the reset link points: PUBLIC_BASE_URL, required in production (never the request's Host header). */
export interface ResetLinkInput {
  /** The request's origin, used only where PUBLIC_BASE_URL is not configured (development and tests). */
  origin?: string;
}

function resetUrl(ctx: ServiceContext, input: ResetLinkInput, token: string): string {
  const base = (ctx.config.PUBLIC_BASE_URL ?? input.origin ?? '').replace(/\/+$/, '');
  return `${base}${RESET_PAGE_PATH}#token=${token}`;
}

/**
 * Stores a fresh token for whoever `where` selects (nobody, for an unknown address) and returns it. One
 * statement of the same shape on every path — INSERT … SELECT from users, replacing the user's older token —
 * so neither the timing nor the database work tells whether the address has an account.
 */
async function storeToken(ctx: ServiceContext, where: ReturnType<typeof and>): Promise<string> {
  const token = toBase64Url(randomBytes(RESET_TOKEN_BYTES));
  const tokenHash = await sha256Hex(token);
  const expiresAt = new Date(ctx.now.getTime() + RESET_TOKEN_TTL_MINUTES * 60_000);
  const t = passwordResetTokens;
  await ctx.db.execute(sql`insert into ${t} (${t.userId}, ${t.tokenHash}, ${t.expiresAt}, ${t.createdAt})
    select ${users.id}, ${tokenHash}, ${expiresAt}, ${ctx.now} from ${users} where ${where}
    on duplicate key update ${t.tokenHash} = ${tokenHash}, ${t.expiresAt} = ${expiresAt}, ${t.createdAt} = ${ctx.now}`);
  return token;
}

interface ResetRecipient {
  id: number;
  username: string;
  email: string;
}

/**
 * Queues an account e-mail after the response (`ctx.defer`: the reset request's timing must not depend on the
 * account existing). The idempotency key is fresh per e-mail and never holds the token (email_events is
 * readable by staff). A queue failure is logged, never raised: the user can ask again.
 */
async function queueAccountMail(
  ctx: ServiceContext,
  user: ResetRecipient,
  mail:
    | { type: 'password_reset'; reset_url: string; token: string; valid_minutes: number }
    | { type: 'password_changed' },
) {
  const queued = ctx.notify({
    ...mail,
    idempotency_key: `${mail.type}:${user.id}:${ctx.now.getTime()}:${crypto.randomUUID()}`,
    to: user.email,
    user_id: user.id,
    username: user.username,
  });
  await ctx.defer(
    queued.catch((err: unknown) => {
      ctx.logger.error('account e-mail not queued', {
        kind: mail.type,
        user_id: user.id,
        ...describeError(err),
      });
    }),
  );
}

function mailToken(ctx: ServiceContext, user: ResetRecipient, token: string, input: ResetLinkInput) {
  return queueAccountMail(ctx, user, {
    type: 'password_reset',
    reset_url: resetUrl(ctx, input, token),
    token,
    valid_minutes: RESET_TOKEN_TTL_MINUTES,
  });
}

/** The user `where` selects (if any) and a fresh token stored for them: the same two statements either way. */
async function issueResetToken(ctx: ServiceContext, where: ReturnType<typeof and>) {
  const [user] = await ctx.db
    .select({ id: users.id, username: users.username, email: users.email })
    .from(users)
    .where(where)
    .limit(1);
  const token = await storeToken(ctx, where);
  return { user: user as ResetRecipient | undefined, token };
}

/**
 * `POST users/password-reset/`: always resolves (the route answers 202 with one sentence). Two statements on
 * every path: the user lookup and the token write (which writes nothing for an unknown address).
 */
export async function requestPasswordReset(
  ctx: ServiceContext,
  input: { email: string } & ResetLinkInput,
): Promise<void> {
  const { user, token } = await issueResetToken(ctx, and(eq(users.email, input.email), mayReset));
  if (user) await mailToken(ctx, user, token, input);
  ctx.logger.info('password reset requested', { user_id: user?.id ?? null });
}

/**
 * "ADMIN can send a reset e-mail" (docs/accounts.md §1): the same token and e-mail for a user chosen by id.
 * Acts for another user on purpose: `ctx.actor` is the admin (audited), `userId` the account. The route or
 * admin page checks the role; the service refuses a missing actor all the same.
 */
export async function sendPasswordResetFor(
  ctx: ServiceContext,
  input: { userId: number } & ResetLinkInput,
): Promise<void> {
  if (ctx.actor?.role !== 'ADMIN')
    throw new AppError(403, 'forbidden', 'Only admins can send reset e-mails.');
  const { user, token } = await issueResetToken(ctx, and(eq(users.id, input.userId), mayReset));
  if (!user) throw notFound('No user that may reset a password has this id.', 'profile_not_found');
  await writeAudit(ctx.db, {
    actorUserId: ctx.actor.id,
    action: 'user.password_reset_sent',
    targetType: 'user',
    targetId: user.id,
    requestId: ctx.requestId,
  });
  await mailToken(ctx, user, token, input);
}

/**
 * `POST users/password-reset/confirm/`: checks the token, then the password policy (a refused password leaves
 * the token usable), then in one transaction spends the token (a guarded DELETE: two concurrent uses, one
 * wins), sets the password, activates an unverified user, and revokes refresh tokens and admin sessions.
 */
export async function confirmPasswordReset(
  ctx: ServiceContext,
  input: { token: string; password: string },
): Promise<void> {
  if (!RESET_TOKEN_PATTERN.test(input.token)) throw invalidResetToken();
  const tokenHash = await sha256Hex(input.token);
  const live = and(eq(passwordResetTokens.tokenHash, tokenHash), gt(passwordResetTokens.expiresAt, ctx.now));
  const [row] = await ctx.db
    .select({
      tokenId: passwordResetTokens.id,
      id: users.id,
      username: users.username,
      email: users.email,
      role: users.role,
      isActive: users.isActive,
    })
    .from(passwordResetTokens)
    .innerJoin(users, eq(users.id, passwordResetTokens.userId))
    .where(and(live, mayReset))
    .limit(1);
  if (!row) throw invalidResetToken();
  const problems = await checkPasswordPolicy(ctx.env, input.password, {
    username: row.username,
    email: row.email,
  });
  if (problems.length > 0) throw validationError({ password: problems });

  const passwordHash = await hashPassword(input.password);
  await ctx.db.transaction(async (tx) => {
    const spent = await tx
      .delete(passwordResetTokens)
      .where(and(eq(passwordResetTokens.id, row.tokenId), live));
    if (spent.rowsAffected !== 1) throw invalidResetToken();
    await tx
      .update(users)
      .set({ passwordHash, isActive: true, tokensValidAfter: startOfSecond(ctx.now) })
      .where(eq(users.id, row.id));
    await tx
      .update(adminSessions)
      .set({ revokedAt: ctx.now })
      .where(and(eq(adminSessions.userId, row.id), isNull(adminSessions.revokedAt)));
    if (!row.isActive && row.role === 'CUSTOMER') await bootstrapCustomer(tx, row.id);
  });
  // After the commit, like a password change: refresh families fail their rotation anyway (tokens_valid_after).
  await revokeAllRefreshTokens(ctx.db, row.id, ctx.now);
  ctx.logger.info('password reset', { user_id: row.id, activated: !row.isActive });
  await queueAccountMail(ctx, row, { type: 'password_changed' });
}
