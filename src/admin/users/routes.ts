import { Hono } from 'hono';
import { z } from 'zod';
import { validationError } from '../../lib/errors';
import { fieldErrorsFrom } from '../../lib/validation';
import { sendSetPasswordEmail } from '../../users/password-tokens';
import { emailField, usernameField } from '../../users/schemas';
import { changeStaffAccess, createStaffUser } from '../../users/staff';
import { formRefusal, idParam, listWindow, refuseWithFlash, text, yesNo } from '../common/forms';
import { requireCsrf, requireRole, requireSession, safeNext } from '../common/guards';
import { type AdminEnv, page, pageContext, sessionOf, setFlash } from '../common/http';
import { listUsers, parseRole } from './queries';
import { setPasswordRoutes } from './set-password';
import { UsersPage } from './views';

/**
 * Users: the list, and ADMIN's staff management (docs/admin.md §1) through the users service — create a staff
 * account (its owner sets the password from an e-mailed link), re-send that link, change role and activation.
 */
export const usersRoutes = new Hono<AdminEnv>();

usersRoutes.route('/', setPasswordRoutes);

usersRoutes.get('/users', requireSession, async (c) => {
  const filters = {
    search: text(c.req.query('search')),
    role: parseRole(c.req.query('role')),
    active: yesNo(c.req.query('active')),
  };
  const window = listWindow(c);
  const result = await listUsers(c.var.db, filters, window);
  return page(c, UsersPage({ ctx: pageContext(c), filters, result, ...window }));
});

const CREATE_LABELS = { username: 'Username', email: 'E-mail', role_management: 'Role' };
const StaffForm = z.object({
  username: usernameField,
  email: emailField,
  role_management: z.enum(['STAFF', 'ADMIN'], { error: 'Choose STAFF or ADMIN.' }),
});

usersRoutes.post(
  '/users/new',
  requireSession,
  requireCsrf,
  requireRole(['ADMIN'], 'create staff accounts'),
  async (c) => {
    const back = '/admin/users';
    const parsed = StaffForm.safeParse(c.var.form ?? {});
    const outcome = await formRefusal(() => {
      if (!parsed.success) throw validationError(fieldErrorsFrom(parsed.error));
      return createStaffUser(c.var.ctx, {
        username: parsed.data.username,
        email: parsed.data.email,
        role: parsed.data.role_management,
        origin: new URL(c.req.url).origin,
      });
    });
    if ('refused' in outcome) return refuseWithFlash(c, outcome.refused, CREATE_LABELS, back);
    const user = outcome.value;
    setFlash(
      c,
      user.emailQueued
        ? {
            kind: 'success',
            message: `${user.username} (${user.role}) was created. A link to set their password was e-mailed to ${user.email}; it works once, for 72 hours.`,
          }
        : {
            kind: 'error',
            message: `${user.username} (${user.role}) was created, but the e-mail could not be queued: use “Re-send password link”.`,
          },
    );
    return c.redirect(back, 303);
  },
);

usersRoutes.post(
  '/users/:id{[0-9]+}/set-password-link',
  requireSession,
  requireCsrf,
  requireRole(['ADMIN'], 'send set-password links'),
  async (c) => {
    const id = idParam(c, 'id');
    const back = safeNext(c.var.form?.back) ?? '/admin/users';
    const outcome = await formRefusal(
      () => sendSetPasswordEmail(c.var.ctx, { userId: id, origin: new URL(c.req.url).origin }),
      [404, 409],
    );
    if ('refused' in outcome) return refuseWithFlash(c, outcome.refused, {}, back);
    setFlash(c, {
      kind: 'success',
      message: 'A new set-password link was e-mailed; older links stopped working.',
    });
    return c.redirect(back, 303);
  },
);

usersRoutes.post(
  '/users/:id{[0-9]+}',
  requireSession,
  requireCsrf,
  requireRole(['ADMIN'], 'change roles or activation'),
  async (c) => {
    const id = idParam(c, 'id');
    const form = c.var.form ?? {};
    const back = safeNext(form.back) ?? '/admin/users';
    const role = parseRole(form.role_management);
    const isActive = yesNo(form.is_active);
    if (!role || isActive === undefined) {
      setFlash(c, { kind: 'error', message: 'Choose a role and a status.' });
      return c.redirect(back, 303);
    }
    const actor = sessionOf(c).user;
    const outcome = await formRefusal(() => changeStaffAccess(c.var.ctx, { id, role, isActive }));
    if ('refused' in outcome) {
      return refuseWithFlash(c, outcome.refused, { role_management: 'Role', is_active: 'Status' }, back);
    }
    // When access changed, the service ended the user's admin sessions (and, on deactivation, their refresh
    // tokens); each request also re-checks role and activation.
    const { profile, changed, sessionsEnded: ended } = outcome.value;
    setFlash(c, {
      kind: 'success',
      message:
        `${profile.username} is now ${profile.role_management}, ${profile.is_active ? 'active' : 'inactive'}.` +
        (ended > 0 ? ` ${ended} admin session${ended === 1 ? '' : 's'} ended.` : ''),
    });
    return c.redirect(id === actor.id && changed ? '/admin/' : back, 303);
  },
);
