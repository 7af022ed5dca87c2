import { Hono } from 'hono';
import { sendPasswordResetFor } from '../../users/password-reset';
import { getProfile } from '../../users/profiles';
import { resetTotp, totpStatus } from '../../users/totp';
import { formRefusal, idParam, refuseWithFlash } from '../common/forms';
import { requireCsrf, requireRole, requireSession } from '../common/guards';
import { type AdminEnv, page, pageContext, setFlash } from '../common/http';
import { UserSecurityPage } from './security-views';

/**
 * ADMIN only: a user's sign-in security — reset their two-factor (audited `user.totp_reset`) and send them a
 * password-reset e-mail (audited `user.password_reset_sent`); docs/accounts.md §1 and §3.
 */
export const userSecurityRoutes = new Hono<AdminEnv>();

const ADMIN_ONLY = requireRole(['ADMIN'], 'manage other users’ sign-in security');
const securityPage = (id: number) => `/admin/users/${id}/security`;

userSecurityRoutes.get('/users/:id{[0-9]+}/security', requireSession, ADMIN_ONLY, async (c) => {
  const id = idParam(c, 'id');
  const [user, totp] = await Promise.all([getProfile(c.var.ctx, id), totpStatus(c.var.ctx, id)]);
  return page(c, UserSecurityPage({ ctx: pageContext(c), user, totp }));
});

userSecurityRoutes.post(
  '/users/:id{[0-9]+}/totp-reset',
  requireSession,
  requireCsrf,
  ADMIN_ONLY,
  async (c) => {
    const id = idParam(c, 'id');
    const removed = await resetTotp(c.var.ctx, { userId: id });
    setFlash(
      c,
      removed
        ? { kind: 'success', message: 'Two-factor authentication was reset; the user sets it up again.' }
        : { kind: 'info', message: 'This user had no two-factor authentication: nothing was changed.' },
    );
    return c.redirect(securityPage(id), 303);
  },
);

userSecurityRoutes.post(
  '/users/:id{[0-9]+}/password-reset',
  requireSession,
  requireCsrf,
  ADMIN_ONLY,
  async (c) => {
    const id = idParam(c, 'id');
    const outcome = await formRefusal(
      () => sendPasswordResetFor(c.var.ctx, { userId: id, origin: new URL(c.req.url).origin }),
      [404],
    );
    if ('refused' in outcome) return refuseWithFlash(c, outcome.refused, {}, securityPage(id));
    setFlash(c, { kind: 'success', message: 'A password-reset e-mail is on its way to the user.' });
    return c.redirect(securityPage(id), 303);
  },
);
