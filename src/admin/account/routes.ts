import { Hono } from 'hono';
import { beginTotpEnrolment, confirmTotpEnrolment, pendingTotpEnrolment, totpStatus } from '../../users/totp';
import { formRefusal, refuseWithFlash } from '../common/forms';
import { requireCsrf, requireSessionToEnrol } from '../common/guards';
import { type AdminEnv, page, pageContext, sessionOf } from '../common/http';
import { mustEnrol } from '../common/two-factor';
import { markSecondFactor } from '../session/queries';
import { AccountPage, RecoveryCodesPage } from './views';

/**
 * The signed-in staff member's account page: two-factor status and enrolment (docs/accounts.md §3). Open to
 * an ADMIN who must still enrol (ADMIN_REQUIRE_2FA); every POST carries the session's CSRF token.
 */
export const accountRoutes = new Hono<AdminEnv>();

const BACK = '/admin/account';
// Refusals the account page shows as a message: a wrong code (400), a state change (409), the per-user code
// limit (429) and a missing ADMIN_TOTP_KEY or limiter outage (503).
const CODE_REFUSALS = [400, 409, 429, 503] as const;

accountRoutes.get('/account', requireSessionToEnrol, async (c) => {
  const session = sessionOf(c);
  const status = await totpStatus(c.var.ctx, session.user.id);
  const enrolment = status.pending ? await pendingTotpEnrolment(c.var.ctx) : undefined;
  return page(
    c,
    AccountPage({
      ctx: pageContext(c),
      status,
      enrolment,
      mustEnrol: mustEnrol(c.var.ctx.config, session),
    }),
  );
});

accountRoutes.post('/account/2fa/start', requireSessionToEnrol, requireCsrf, async (c) => {
  const outcome = await formRefusal(() => beginTotpEnrolment(c.var.ctx), CODE_REFUSALS);
  if ('refused' in outcome) return refuseWithFlash(c, outcome.refused, {}, BACK);
  return c.redirect(BACK, 303);
});

accountRoutes.post('/account/2fa/confirm', requireSessionToEnrol, requireCsrf, async (c) => {
  const session = sessionOf(c);
  const code = (c.var.form?.code ?? '').trim().slice(0, 16);
  const outcome = await formRefusal(() => confirmTotpEnrolment(c.var.ctx, { code }), CODE_REFUSALS);
  if ('refused' in outcome) return refuseWithFlash(c, outcome.refused, {}, BACK);
  // This session just proved the second factor: it stays complete (not pending) and counts as fresh.
  await markSecondFactor(c.var.db, session.sessionId, c.var.ctx.now);
  c.var.logger.info('admin enrolled two-factor', { user_id: session.user.id });
  return page(c, RecoveryCodesPage({ ctx: pageContext(c), codes: outcome.value.recovery_codes }));
});
