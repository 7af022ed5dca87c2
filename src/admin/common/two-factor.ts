import type { Config } from '../../env';
import { AppError } from '../../lib/errors';
import { isStepUpFresh, verifyTotp } from '../../users/totp';
import { type AdminSession, markSecondFactor } from '../session/queries';
import type { AdminContext } from './http';

/**
 * The admin's two-factor rules (docs/accounts.md §3), decided from what the one session query loads (the
 * session's `second_factor_at` and the user's `user_totp.confirmed_at`):
 * - a session of a user with two-factor on is *pending* until it has accepted a code at or after the moment
 *   two-factor was turned on: it grants no page but the code page, and only for 10 minutes;
 * - with ADMIN_REQUIRE_2FA, an ADMIN without two-factor may only enrol (and sign out);
 * - refunds and voids need a code accepted by this session in the last 5 minutes (step-up).
 */
export const PENDING_SECOND_FACTOR_SECONDS = 10 * 60;

/** Where the sign-in code is asked for, and where staff enrol. */
export const CODE_PAGE = '/admin/sign-in/code';
export const ACCOUNT_PAGE = '/admin/account';

/**
 * The development admin seeded by tools/seed-admin.mjs (`npm run dev`): exempt from ADMIN_REQUIRE_2FA only
 * when APP_ENV is development, so a local stack works with its password alone. Production never has this user.
 */
export const DEV_ADMIN = { username: 'admin', email: 'admin@stackpay.local' } as const;

/** True while the session still owes its second factor. */
export function isSecondFactorPending(session: AdminSession): boolean {
  if (!session.totpConfirmedAt) return false;
  return !session.secondFactorAt || session.secondFactorAt < session.totpConfirmedAt;
}

/** A pending session older than 10 minutes is dead: sign in again. */
export function isPendingExpired(session: AdminSession, now: Date): boolean {
  return now.getTime() - session.createdAt.getTime() > PENDING_SECOND_FACTOR_SECONDS * 1000;
}

export function isDevAdminExempt(config: Pick<Config, 'APP_ENV'>, session: AdminSession): boolean {
  return (
    config.APP_ENV === 'development' &&
    session.user.username === DEV_ADMIN.username &&
    session.user.email === DEV_ADMIN.email
  );
}

/** ADMIN_REQUIRE_2FA: an ADMIN without two-factor may use nothing but enrolment (and sign-out). */
export function mustEnrol(
  config: Pick<Config, 'APP_ENV' | 'ADMIN_REQUIRE_2FA'>,
  session: AdminSession,
): boolean {
  return (
    config.ADMIN_REQUIRE_2FA &&
    session.user.role === 'ADMIN' &&
    !session.totpConfirmedAt &&
    !isDevAdminExempt(config, session)
  );
}

/**
 * Whether a refund or void must ask for a code first: for users with two-factor on, unless this session
 * accepted one in the last 5 minutes. (An ADMIN who must enrol never reaches these pages.)
 */
export function needsStepUp(session: AdminSession, now: Date): boolean {
  return Boolean(session.totpConfirmedAt) && !isStepUpFresh(session.secondFactorAt, now);
}

/**
 * Checks a step-up code (TOTP or recovery code) through the core — rate-limited, replays refused — and
 * records it on the session, so the next 5 minutes need none. Refusals are AppErrors (400, 409, 429, 503).
 */
export async function acceptStepUp(c: AdminContext, session: AdminSession, code: string): Promise<void> {
  if (code.trim() === '') throw new AppError(400, 'invalid_totp_code', 'Enter the code from your app.');
  const { verifiedAt } = await verifyTotp(c.var.ctx, { userId: session.user.id, code });
  await markSecondFactor(c.var.db, session.sessionId, verifiedAt);
  session.secondFactorAt = verifiedAt;
}
