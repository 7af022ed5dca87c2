import { limiterFor } from '../../durable/limiter-shards';
import type { Env } from '../../env';
import { randomBytes, toHex } from '../../lib/crypto';
import { AppError } from '../../lib/errors';

/**
 * One-shot confirmations for actions that move money (refund, void). Each confirmation page carries a fresh
 * nonce; the POST claims it in the RateLimiter Durable Objects (scope `admin_confirm`, src/durable/
 * limiter-shards.ts) with a limit of one, which is exact and atomic, so a double click or a resubmitted form
 * runs the action once. No new table is needed.
 */
// Long enough that a window boundary (when a fixed window restarts) almost never falls between two clicks.
const CLAIM_WINDOW_SECONDS = 24 * 60 * 60;
const NONCE_SHAPE = /^[0-9a-f]{32}$/;

export function newConfirmationNonce(): string {
  return toHex(randomBytes(16));
}

/**
 * True the first time (session, action, nonce) is presented, false after. A limiter outage refuses the
 * action (503) rather than risking a second refund.
 */
export async function claimConfirmation(
  limiter: Env['RATE_LIMITER'],
  sessionId: number,
  action: string,
  nonce: string | undefined,
): Promise<boolean> {
  if (!nonce || !NONCE_SHAPE.test(nonce)) return false;
  try {
    const claim = limiterFor(limiter, 'admin_confirm', `${sessionId}:${action}:${nonce}`);
    return (await claim.stub.consume(claim.key, 1, CLAIM_WINDOW_SECONDS)).allowed;
  } catch (err) {
    throw new AppError(
      503,
      'confirmation_unavailable',
      'The action could not be confirmed. Try again shortly.',
      {
        headers: { 'Retry-After': '5' },
        cause: err,
      },
    );
  }
}
