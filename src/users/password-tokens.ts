import { and, eq, gt, isNull, like } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { writeAudit } from '../db/audit';
import type { Database } from '../db/client';
import { type PasswordTokenPurpose, passwordTokens, refreshTokens, users } from '../db/schema';
import { randomBytes, sha256Hex, toBase64Url } from '../lib/crypto';
import { AppError, notFound, validationError } from '../lib/errors';
import { hashPassword } from '../lib/password';
import { checkPasswordPolicy } from './password-policy';
import { startOfSecond } from './service';

/**
 * Single-use password tokens (docs/admin.md §1): 32 CSPRNG bytes sent once in a link, only their SHA-256 stored
 * in `password_tokens` with a `purpose`. Issuing a token kills the user's older live tokens of the same purpose;
 * using one consumes it with a guarded UPDATE (unused, unexpired), so it works exactly once even under
 * concurrent submissions. The `reset` purpose is for the forgotten-password flow, which shares the table.
 */
export const SET_PASSWORD_TTL_HOURS = 72;
const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/; // 32 bytes in unpadded base64url
/** The Worker's page that takes a set-password token (src/admin/users/set-password.tsx). */
export const SET_PASSWORD_PATH = '/admin/set-password';

/**
 * The stored "password" of an account nobody has chosen a password for yet: not a PBKDF2 hash, so no password
 * ever verifies against it (lib/password.ts refuses what it cannot parse), and unique per account.
 */
export const UNUSABLE_PASSWORD_PREFIX = '!unusable$';
export function unusablePasswordHash(): string {
  return `${UNUSABLE_PASSWORD_PREFIX}${toBase64Url(randomBytes(16))}`;
}

export const PASSWORD_TOKEN_MESSAGES = {
  alreadySet: 'This account already has a password: the person can sign in (or reset a forgotten password).',
  invalid:
    'This link is invalid, already used, replaced by a newer one, or expired. Ask an administrator for a new one.',
} as const;

const invalidToken = () => new AppError(400, 'invalid_or_expired_token', PASSWORD_TOKEN_MESSAGES.invalid);

/**
 * Stores a new token for the user and purpose, invalidating the older live ones (marked used), and returns the
 * plain token: the only copy, to be sent to the user and forgotten.
 */
export async function issuePasswordToken(
  ctx: Pick<ServiceContext, 'db' | 'now'>,
  { userId, purpose, ttlHours }: { userId: number; purpose: PasswordTokenPurpose; ttlHours: number },
): Promise<string> {
  const token = toBase64Url(randomBytes(TOKEN_BYTES));
  const tokenHash = await sha256Hex(token);
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(passwordTokens)
      .set({ usedAt: ctx.now })
      .where(
        and(
          eq(passwordTokens.userId, userId),
          eq(passwordTokens.purpose, purpose),
          isNull(passwordTokens.usedAt),
        ),
      );
    await tx.insert(passwordTokens).values({
      userId,
      purpose,
      tokenHash,
      expiresAt: new Date(ctx.now.getTime() + ttlHours * 3_600_000),
      createdAt: ctx.now,
    });
  });
  return token;
}

/** Marks every unused token of the user used (deactivation). */
export async function expirePasswordTokens(db: Pick<Database, 'update'>, userId: number, now: Date) {
  await db
    .update(passwordTokens)
    .set({ usedAt: now })
    .where(and(eq(passwordTokens.userId, userId), isNull(passwordTokens.usedAt)));
}

export interface SetPasswordEmailInput {
  userId: number;
  /** The origin links point at when PUBLIC_BASE_URL is not configured (development and tests). */
  origin?: string;
}

/**
 * The one way a "set your password" e-mail is sent: a fresh `set_password` token (older ones die), a link to the
 * Worker's page, queued as a `set_password` notification. Audited as `user.set_password_email` when an actor
 * asks for it. Returns the link's expiry.
 */
export async function sendSetPasswordEmail(
  ctx: ServiceContext,
  { userId, origin }: SetPasswordEmailInput,
): Promise<{ expiresAt: Date }> {
  const [user] = await ctx.db
    .select({ id: users.id, username: users.username, email: users.email, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  if (!user) throw notFound('No user matches the given id.', 'profile_not_found');
  if (!user.passwordHash.startsWith(UNUSABLE_PASSWORD_PREFIX)) {
    throw new AppError(409, 'password_already_set', PASSWORD_TOKEN_MESSAGES.alreadySet);
  }
  const token = await issuePasswordToken(ctx, {
    userId,
    purpose: 'set_password',
    ttlHours: SET_PASSWORD_TTL_HOURS,
  });
  const base = (ctx.config.PUBLIC_BASE_URL ?? origin ?? '').replace(/\/+$/, '');
  if (!base) throw new Error('sendSetPasswordEmail needs PUBLIC_BASE_URL or the request origin');
  await ctx.notify({
    type: 'set_password',
    // One e-mail per token: the token's hash prefix names it (the hash is public knowledge of no value).
    idempotency_key: `set_password:${userId}:${(await sha256Hex(token)).slice(0, 32)}`,
    to: user.email,
    user_id: userId,
    username: user.username,
    link: `${base}${SET_PASSWORD_PATH}?token=${token}`,
    valid_hours: SET_PASSWORD_TTL_HOURS,
  });
  if (ctx.actor) {
    await writeAudit(ctx.db, {
      actorUserId: ctx.actor.id,
      action: 'user.set_password_email',
      targetType: 'user',
      targetId: userId,
      details: { valid_hours: SET_PASSWORD_TTL_HOURS },
      requestId: ctx.requestId,
      createdAt: ctx.now,
    });
  }
  ctx.logger.info('set-password e-mail queued', { user_id: userId });
  return { expiresAt: new Date(ctx.now.getTime() + SET_PASSWORD_TTL_HOURS * 3_600_000) };
}

function liveToken(tokenHash: string, purpose: PasswordTokenPurpose, now: Date) {
  return and(
    eq(passwordTokens.tokenHash, tokenHash),
    eq(passwordTokens.purpose, purpose),
    isNull(passwordTokens.usedAt),
    gt(passwordTokens.expiresAt, now),
  );
}

/** Whose live token this is (for the page's greeting), or the one 400 for every kind of bad token. */
export async function checkPasswordToken(
  ctx: Pick<ServiceContext, 'db' | 'now'>,
  { token, purpose }: { token: string; purpose: PasswordTokenPurpose },
): Promise<{ userId: number; username: string; email: string }> {
  if (!TOKEN_SHAPE.test(token)) throw invalidToken();
  const [row] = await ctx.db
    .select({ userId: users.id, username: users.username, email: users.email })
    .from(passwordTokens)
    .innerJoin(users, eq(users.id, passwordTokens.userId))
    .where(liveToken(await sha256Hex(token), purpose, ctx.now))
    .limit(1);
  if (!row) throw invalidToken();
  return row;
}

/**
 * Sets the password a live `set_password` token allows: the password policy first (a refused password leaves
 * the token usable), then in one transaction the token is consumed (guarded: a second use or a concurrent one
 * finds nothing), the password stored on the still-active, still-passwordless account (which proves the
 * owner reads the mailbox the account was created with) and every earlier token invalidated
 * (`tokens_valid_after`, refresh families). Audited as `user.set_password` with the user as the actor.
 */
export async function setPasswordWithToken(
  ctx: ServiceContext,
  { token, password }: { token: string; password: string },
): Promise<{ userId: number; username: string }> {
  const owner = await checkPasswordToken(ctx, { token, purpose: 'set_password' });
  const problems = await checkPasswordPolicy(ctx.env, password, {
    username: owner.username,
    email: owner.email,
  });
  if (problems.length > 0) throw validationError({ password: problems });
  const passwordHash = await hashPassword(password);
  const tokenHash = await sha256Hex(token);
  await ctx.db.transaction(async (tx) => {
    const consumed = await tx
      .update(passwordTokens)
      .set({ usedAt: ctx.now })
      .where(and(liveToken(tokenHash, 'set_password', ctx.now), eq(passwordTokens.userId, owner.userId)));
    if (consumed.rowsAffected !== 1) throw invalidToken();
    // Only the first password of an active account: one that has a password, or was deactivated (which also
    // expires its links), is never opened through a link.
    const updated = await tx
      .update(users)
      .set({ passwordHash, tokensValidAfter: startOfSecond(ctx.now) })
      .where(
        and(
          eq(users.id, owner.userId),
          eq(users.isActive, true),
          like(users.passwordHash, `${UNUSABLE_PASSWORD_PREFIX}%`),
        ),
      );
    if (updated.rowsAffected !== 1) throw invalidToken();
    await tx
      .update(refreshTokens)
      .set({ revokedAt: ctx.now })
      .where(and(eq(refreshTokens.userId, owner.userId), isNull(refreshTokens.revokedAt)));
    await writeAudit(tx, {
      actorUserId: owner.userId,
      action: 'user.set_password',
      targetType: 'user',
      targetId: owner.userId,
      details: { purpose: 'set_password' },
      requestId: ctx.requestId,
      createdAt: ctx.now,
    });
  });
  ctx.logger.info('password set through a link', { user_id: owner.userId });
  return { userId: owner.userId, username: owner.username };
}
