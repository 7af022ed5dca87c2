import { and, count, eq, isNotNull, isNull, lt, or } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import { renderSVG } from 'uqr';
import type { ServiceContext } from '../context';
import { writeAudit } from '../db/audit';
import { isDuplicateKey } from '../db/client';
import { totpRecoveryCodes, userTotp } from '../db/schema';
import { AppError, forbidden } from '../lib/errors';
import { describeError } from '../lib/logger';
import { consumeRateLimit } from '../middleware/rate-limit';
import {
  decryptTotpSecret,
  encryptTotpSecret,
  hashRecoveryCode,
  newRecoveryCode,
  RECOVERY_CODE_COUNT,
} from './totp-secret';

/**
 * Two-factor authentication by TOTP (RFC 6238; docs/accounts.md §2), the core the admin's enrolment, sign-in
 * and step-up pages call: SHA-1, 6 digits, 30-second steps, one step of clock drift either way (what every
 * authenticator app supports). A code is accepted at most once: the time step of the last accepted code is
 * stored and a guarded UPDATE accepts only a later one, so a code seen over someone's shoulder is dead.
 * Every check goes through the per-user `totp` rate limit first (fail-closed).
 */
export const TOTP_ISSUER = 'StackPay';
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
export const TOTP_WINDOW = 1;
/** Refunds and voids need a code no older than this (step-up). */
export const STEP_UP_SECONDS = 5 * 60;

export const TOTP_MESSAGES = {
  invalidCode: 'The code is wrong, expired or already used.',
  notEnrolled: 'Two-factor authentication is not set up for this account.',
  noPendingEnrolment: 'Start the two-factor set-up first.',
  alreadyEnabled: 'Two-factor authentication is already on. Reset it first to enrol again.',
} as const;

const invalidCode = () => new AppError(400, 'invalid_totp_code', TOTP_MESSAGES.invalidCode);

function totpFor(secretBase32: string, label: string): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** The time step a 6-digit code belongs to (now ± one step), or undefined when it matches none. */
export function matchingStep(secretBase32: string, code: string, now: Date): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const timestamp = now.getTime();
  const delta = totpFor(secretBase32, 'check').validate({ token: code, timestamp, window: TOTP_WINDOW });
  if (delta === null) return undefined;
  return TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp }) + delta;
}

/** Whether a second factor checked at `verifiedAt` is fresh enough for a step-up action at `now`. */
export function isStepUpFresh(verifiedAt: Date | null | undefined, now: Date): boolean {
  if (!verifiedAt) return false;
  const age = now.getTime() - verifiedAt.getTime();
  return age >= 0 && age <= STEP_UP_SECONDS * 1000;
}

/**
 * The rate-limit hook: one unit of the user's `totp` budget per check (5 a minute). Fail-closed: guessing codes
 * must never become unlimited because the limiter is down.
 */
async function chargeAttempt(ctx: ServiceContext, userId: number): Promise<void> {
  let decision: Awaited<ReturnType<typeof consumeRateLimit>>;
  try {
    decision = await consumeRateLimit(ctx.env.RATE_LIMITER, 'totp', `user:${userId}`);
  } catch (err) {
    ctx.logger.error('rate limiter failed', { scope: 'totp', ...describeError(err) });
    throw new AppError(503, 'rate_limiter_unavailable', 'Please try again in a moment.', {
      headers: { 'Retry-After': '5' },
    });
  }
  if (!decision.allowed) {
    throw new AppError(429, 'rate_limited', 'Too many requests. Try again later.', {
      headers: { 'Retry-After': String(decision.resetSeconds) },
    });
  }
}

function actorOf(ctx: ServiceContext) {
  if (!ctx.actor) throw new AppError(401, 'not_authenticated', 'Sign in first.');
  return ctx.actor;
}

export interface TotpEnrolment {
  /** Base32, for typing into an app by hand. */
  secret: string;
  otpauth_uri: string;
  /** The URI as a QR code: an inline SVG document (no external service). */
  qr_svg: string;
}

function enrolmentOf(secret: string, username: string): TotpEnrolment {
  const uri = totpFor(secret, username).toString();
  return { secret, otpauth_uri: uri, qr_svg: renderSVG(uri, { border: 2, pixelSize: 6 }) };
}

/**
 * Starts (or restarts) the signed-in user's enrolment: a fresh 160-bit secret, stored encrypted and pending
 * until a code confirms it. Refused while two-factor is on (reset first). Two statements: the pending row is
 * replaced, and the insert fails on the primary key when a confirmed row exists.
 */
export async function beginTotpEnrolment(ctx: ServiceContext): Promise<TotpEnrolment> {
  const actor = actorOf(ctx);
  const secret = new Secret({ size: 20 }).base32;
  const secretCiphertext = await encryptTotpSecret(ctx.config, actor.id, secret);
  await ctx.db.delete(userTotp).where(and(eq(userTotp.userId, actor.id), isNull(userTotp.confirmedAt)));
  try {
    await ctx.db.insert(userTotp).values({ userId: actor.id, secretCiphertext, createdAt: ctx.now });
  } catch (err) {
    const [row] = await ctx.db
      .select({ confirmedAt: userTotp.confirmedAt })
      .from(userTotp)
      .where(eq(userTotp.userId, actor.id));
    if (row?.confirmedAt) throw new AppError(409, 'totp_already_enabled', TOTP_MESSAGES.alreadyEnabled);
    // A concurrent restart inserted its pending row first: that one stands.
    if (isDuplicateKey(err)) {
      throw new AppError(409, 'concurrent_update', 'A concurrent request changed the same data. Try again.', {
        headers: { 'Retry-After': '1' },
      });
    }
    throw err;
  }
  return enrolmentOf(secret, actor.username);
}

/**
 * The signed-in user's pending enrolment again (its QR code and secret), for the page that asks for the
 * confirming code after a wrong one; undefined when nothing is pending.
 */
export async function pendingTotpEnrolment(ctx: ServiceContext): Promise<TotpEnrolment | undefined> {
  const actor = actorOf(ctx);
  const [row] = await ctx.db
    .select({ secretCiphertext: userTotp.secretCiphertext })
    .from(userTotp)
    .where(and(eq(userTotp.userId, actor.id), isNull(userTotp.confirmedAt)));
  if (!row) return undefined;
  const secret = await decryptTotpSecret(ctx.config, actor.id, row.secretCiphertext);
  return enrolmentOf(secret, actor.username);
}

/**
 * Confirms the pending enrolment with a code from the app: two-factor is on from here, the code's step counts
 * as used, and 10 fresh recovery codes are returned — shown once, stored only as HMACs.
 */
export async function confirmTotpEnrolment(
  ctx: ServiceContext,
  input: { code: string },
): Promise<{ recovery_codes: string[] }> {
  const actor = actorOf(ctx);
  const [row] = await ctx.db
    .select({ secretCiphertext: userTotp.secretCiphertext })
    .from(userTotp)
    .where(and(eq(userTotp.userId, actor.id), isNull(userTotp.confirmedAt)));
  if (!row) throw new AppError(409, 'totp_not_enrolled', TOTP_MESSAGES.noPendingEnrolment);
  await chargeAttempt(ctx, actor.id);
  const secret = await decryptTotpSecret(ctx.config, actor.id, row.secretCiphertext);
  const step = matchingStep(secret, input.code.trim(), ctx.now);
  if (step === undefined) throw invalidCode();
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const hashes = await Promise.all(codes.map((code) => hashRecoveryCode(ctx.config, actor.id, code)));
  await ctx.db.transaction(async (tx) => {
    const confirmed = await tx
      .update(userTotp)
      .set({ confirmedAt: ctx.now, lastUsedStep: step })
      .where(
        and(
          eq(userTotp.userId, actor.id),
          isNull(userTotp.confirmedAt),
          eq(userTotp.secretCiphertext, row.secretCiphertext),
        ),
      );
    // A concurrent restart replaced the secret, or a concurrent confirmation won.
    if (confirmed.rowsAffected !== 1) throw invalidCode();
    await tx.delete(totpRecoveryCodes).where(eq(totpRecoveryCodes.userId, actor.id));
    await tx
      .insert(totpRecoveryCodes)
      .values(hashes.map((codeHash) => ({ userId: actor.id, codeHash, createdAt: ctx.now })));
  });
  ctx.logger.info('two-factor enabled', { user_id: actor.id });
  return { recovery_codes: codes };
}

/**
 * Checks a second factor for `userId`: a 6-digit code from the app, or one of the recovery codes. Takes the
 * user id rather than `ctx.actor` because at sign-in the password has been checked but nobody is signed in
 * yet. Returns what was used and when, for the caller's session (step-up freshness: isStepUpFresh).
 */
export async function verifyTotp(
  ctx: ServiceContext,
  input: { userId: number; code: string },
): Promise<{ method: 'totp' | 'recovery_code'; verifiedAt: Date }> {
  const [row] = await ctx.db
    .select({ secretCiphertext: userTotp.secretCiphertext })
    .from(userTotp)
    .where(and(eq(userTotp.userId, input.userId), isNotNull(userTotp.confirmedAt)));
  if (!row) throw new AppError(409, 'totp_not_enrolled', TOTP_MESSAGES.notEnrolled);
  await chargeAttempt(ctx, input.userId);
  const code = input.code.trim();
  if (/^\d{6}$/.test(code)) {
    const secret = await decryptTotpSecret(ctx.config, input.userId, row.secretCiphertext);
    const step = matchingStep(secret, code, ctx.now);
    if (step === undefined) throw invalidCode();
    // Only a step later than the last accepted one: the same code (or an older one) twice is a replay.
    const accepted = await ctx.db
      .update(userTotp)
      .set({ lastUsedStep: step })
      .where(
        and(
          eq(userTotp.userId, input.userId),
          isNotNull(userTotp.confirmedAt),
          or(isNull(userTotp.lastUsedStep), lt(userTotp.lastUsedStep, step)),
        ),
      );
    if (accepted.rowsAffected !== 1) {
      ctx.logger.warn('two-factor code replayed', { user_id: input.userId });
      throw invalidCode();
    }
    return { method: 'totp', verifiedAt: ctx.now };
  }
  if (code.length > 32) throw invalidCode();
  const spent = await ctx.db
    .update(totpRecoveryCodes)
    .set({ usedAt: ctx.now })
    .where(
      and(
        eq(totpRecoveryCodes.userId, input.userId),
        eq(totpRecoveryCodes.codeHash, await hashRecoveryCode(ctx.config, input.userId, code)),
        isNull(totpRecoveryCodes.usedAt),
      ),
    );
  if (spent.rowsAffected !== 1) throw invalidCode();
  ctx.logger.info('recovery code used', { user_id: input.userId });
  return { method: 'recovery_code', verifiedAt: ctx.now };
}

export interface TotpStatus {
  enabled: boolean;
  pending: boolean;
  recovery_codes_left: number;
}

/** Whether a user has two-factor on (for sign-in and the profile page). */
export async function totpStatus(ctx: ServiceContext, userId: number): Promise<TotpStatus> {
  const [[row], [left]] = await Promise.all([
    ctx.db.select({ confirmedAt: userTotp.confirmedAt }).from(userTotp).where(eq(userTotp.userId, userId)),
    ctx.db
      .select({ n: count() })
      .from(totpRecoveryCodes)
      .where(and(eq(totpRecoveryCodes.userId, userId), isNull(totpRecoveryCodes.usedAt))),
  ]);
  return {
    enabled: Boolean(row?.confirmedAt),
    pending: row !== undefined && !row.confirmedAt,
    recovery_codes_left: row?.confirmedAt ? (left?.n ?? 0) : 0,
  };
}

/**
 * "ADMIN can reset another user's 2FA" (audited): deletes the secret and the recovery codes, so the user
 * enrols again. Acts for another user on purpose: `ctx.actor` must be an ADMIN.
 */
export async function resetTotp(ctx: ServiceContext, input: { userId: number }): Promise<boolean> {
  const actor = actorOf(ctx);
  if (actor.role !== 'ADMIN') throw forbidden('Only admins can reset two-factor authentication.');
  return ctx.db.transaction(async (tx) => {
    const removed = await tx.delete(userTotp).where(eq(userTotp.userId, input.userId));
    await tx.delete(totpRecoveryCodes).where(eq(totpRecoveryCodes.userId, input.userId));
    if (removed.rowsAffected === 0) return false;
    await writeAudit(tx, {
      actorUserId: actor.id,
      action: 'user.totp_reset',
      targetType: 'user',
      targetId: input.userId,
      requestId: ctx.requestId,
    });
    return true;
  });
}
