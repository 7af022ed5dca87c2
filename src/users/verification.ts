import { and, eq, gt, isNull, lt, lte, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { bootstrapCustomer } from '../customers/bootstrap';
import { isDuplicateKey } from '../db/client';
import { users, verificationCodes } from '../db/schema';
import { hmacSha256Hex, randomDigits, timingSafeEqual } from '../lib/crypto';
import { AppError } from '../lib/errors';
import { describeError } from '../lib/logger';
import { userColumns } from './columns';
import { issueSession, type TokenPair } from './sessions';

/**
 * E-mail verification codes (docs/api.md §2.4): six CSPRNG digits, valid 10 minutes, at most one live code per user
 * (unique user_id), stored as an HMAC keyed with JWT_SECRET — a plain hash of a 6-digit code would be
 * reversed in a millisecond by anyone who read the table.
 */
export const CODE_DIGITS = 6;
export const CODE_TTL_MINUTES = 10;
export const MAX_CODE_ATTEMPTS = 5;
// A resend within this many seconds of the last code is refused (429), so the inbox is not flooded.
export const RESEND_INTERVAL_SECONDS = 60;

export const VERIFICATION_MESSAGES = {
  invalidCode: 'Invalid or expired verification code.',
  alreadyVerified: 'This account is already verified.',
  codeSent: 'A new verification code is sent.',
} as const;

// Compared against when there is no stored code, so that path costs the same comparison.
const DUMMY_CODE_HASH = '0'.repeat(64);

const invalidCode = () => new AppError(400, 'invalid_or_expired_code', VERIFICATION_MESSAGES.invalidCode);

export function hashVerificationCode(secret: string, userId: number, code: string): Promise<string> {
  return hmacSha256Hex(secret, `verification-code:${userId}:${code}`);
}

interface CodeOwner {
  id: number;
  username: string;
  email: string;
}

/**
 * Stores a fresh code for a user who has none (sign-up, or resend after the old row was deleted) and queues its
 * e-mail. Queueing failures are logged, never raised: the user can ask for a resend. Returns the code row id,
 * or undefined when another code was created concurrently (unique user_id).
 */
export async function issueVerificationCode(
  ctx: ServiceContext,
  user: CodeOwner,
): Promise<number | undefined> {
  const code = randomDigits(CODE_DIGITS);
  let codeId: number;
  try {
    const inserted = await ctx.db.insert(verificationCodes).values({
      userId: user.id,
      codeHash: await hashVerificationCode(ctx.config.JWT_SECRET, user.id, code),
      attempts: 0,
      expiresAt: new Date(ctx.now.getTime() + CODE_TTL_MINUTES * 60_000),
      createdAt: ctx.now,
    });
    codeId = Number(inserted.insertId);
  } catch (err) {
    if (isDuplicateKey(err, 'verification_codes_user_unique')) return undefined;
    throw err;
  }
  try {
    await ctx.notify({
      type: 'verification_code',
      idempotency_key: `verification:${user.id}:${codeId}`,
      to: user.email,
      user_id: user.id,
      username: user.username,
      code,
      valid_minutes: CODE_TTL_MINUTES,
    });
  } catch (err) {
    ctx.logger.error('verification e-mail not queued', { user_id: user.id, ...describeError(err) });
  }
  return codeId;
}

async function userWithCode(ctx: ServiceContext, email: string) {
  const [row] = await ctx.db
    .select({
      ...userColumns,
      codeId: verificationCodes.id,
      codeHash: verificationCodes.codeHash,
      attempts: verificationCodes.attempts,
      expiresAt: verificationCodes.expiresAt,
      usedAt: verificationCodes.usedAt,
      codeCreatedAt: verificationCodes.createdAt,
    })
    .from(users)
    .leftJoin(verificationCodes, eq(verificationCodes.userId, users.id))
    .where(eq(users.email, email))
    .limit(1);
  return row;
}

/**
 * Checks a code and, when it is right, activates the user, marks the code used, creates the customer profile
 * and issues tokens in one transaction. Every failure is the same 400 (no enumeration of e-mails).
 *
 * Each guess first spends an attempt with a guarded UPDATE (attempts < 5), so even concurrent guesses get at
 * most five chances at a code: a right guess whose UPDATE finds the attempts spent fails like a wrong one.
 */
export async function validateCode(
  ctx: ServiceContext,
  { email, code }: { email: string; code: string },
): Promise<TokenPair> {
  const row = await userWithCode(ctx, email);
  // docs/security.md §6: every refusal does the same work — one HMAC and one guarded UPDATE, which matches
  // no row when there is no live code (unknown e-mail, active user, used, expired or spent code) — so
  // neither the answer nor its timing or round trips tell an unknown e-mail from a pending account.
  const codeId = row?.codeId ?? 0;
  const live = and(
    eq(verificationCodes.id, codeId),
    isNull(verificationCodes.usedAt),
    lt(verificationCodes.attempts, MAX_CODE_ATTEMPTS),
    gt(verificationCodes.expiresAt, ctx.now),
  );
  const submitted = await hashVerificationCode(ctx.config.JWT_SECRET, row?.id ?? 0, code);
  const usable =
    row !== undefined &&
    !row.isActive &&
    row.codeId !== null &&
    row.codeHash !== null &&
    row.usedAt === null &&
    row.expiresAt !== null &&
    row.expiresAt > ctx.now &&
    (row.attempts ?? 0) < MAX_CODE_ATTEMPTS;
  // Compared on every path, so the comparison's cost does not depend on whether there is a code.
  const matches = timingSafeEqual(submitted, row?.codeHash ?? DUMMY_CODE_HASH);
  if (!usable || !matches) {
    await ctx.db
      .update(verificationCodes)
      .set({ attempts: sql`${verificationCodes.attempts} + 1` })
      .where(usable ? live : and(live, sql`false`));
    throw invalidCode();
  }
  return ctx.db.transaction(async (tx) => {
    const spent = await tx
      .update(verificationCodes)
      .set({ attempts: sql`${verificationCodes.attempts} + 1`, usedAt: ctx.now })
      .where(live);
    if (spent.rowsAffected !== 1) throw invalidCode();
    await tx
      .update(users)
      .set({ isActive: true })
      .where(and(eq(users.id, row.id), eq(users.isActive, false)));
    if (row.role === 'CUSTOMER') await bootstrapCustomer(tx, row.id);
    return issueSession(tx, ctx.config, row.id, ctx.now);
  });
}

/**
 * A new code for an inactive user (the old one is burnt), at most one per minute (429 with Retry-After).
 * Unknown e-mails get the same answer as success; an active user is told the account is verified.
 */
export async function resendCode(ctx: ServiceContext, email: string): Promise<void> {
  const row = await userWithCode(ctx, email);
  if (!row) return;
  if (row.isActive) throw new AppError(400, 'already_verified', VERIFICATION_MESSAGES.alreadyVerified);
  const cutoff = new Date(ctx.now.getTime() - RESEND_INTERVAL_SECONDS * 1000);
  if (row.codeCreatedAt !== null && row.codeCreatedAt > cutoff) {
    throw tooSoon(Math.ceil((row.codeCreatedAt.getTime() - cutoff.getTime()) / 1000));
  }
  // Delete then insert, so the new code gets a new row id (and so a new e-mail idempotency key). A concurrent
  // resend loses on the unique user_id and is told to wait.
  await ctx.db
    .delete(verificationCodes)
    .where(and(eq(verificationCodes.userId, row.id), lte(verificationCodes.createdAt, cutoff)));
  const codeId = await issueVerificationCode(ctx, row);
  if (codeId === undefined) throw tooSoon(RESEND_INTERVAL_SECONDS);
}

function tooSoon(seconds: number): AppError {
  const wait = Math.max(1, Math.min(RESEND_INTERVAL_SECONDS, seconds));
  return new AppError(
    429,
    'code_recently_sent',
    `A verification code was sent less than a minute ago. Try again in ${wait} seconds.`,
    { headers: { 'Retry-After': String(wait) } },
  );
}
