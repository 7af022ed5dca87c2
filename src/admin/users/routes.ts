import { Hono } from 'hono';
import { updateProfile } from '../../users/profiles';
import { revokeUserAdminSessions } from '../session/queries';
import { formRefusal, idParam, listWindow, refuseWithFlash, text, yesNo } from '../shared/forms';
import { requireCsrf, requireRole, requireSession, safeNext } from '../shared/guards';
import { type AdminEnv, page, pageContext, sessionOf, setFlash } from '../shared/http';
import { listUsers, parseRole } from './queries';
import { UsersPage } from './views';

/** Users: the list, and ADMIN's role and activation changes through the users service (docs/api.md §8). */
export const usersRoutes = new Hono<AdminEnv>();

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
    const outcome = await formRefusal(() =>
      updateProfile(c.var.ctx, { id, changes: { role_management: role, is_active: isActive } }),
    );
    if ('refused' in outcome) {
      return refuseWithFlash(c, outcome.refused, { role_management: 'Role', is_active: 'Status' }, back);
    }
    const profile = outcome.value;
    // The service says what the user is now; the form says what the admin saw before. When access changed,
    // the user's admin sessions end (each request also re-checks role and activation).
    const changed =
      form.was_role !== profile.role_management || form.was_active !== String(profile.is_active);
    const ended = changed ? await revokeUserAdminSessions(c.var.db, id, new Date()) : 0;
    setFlash(c, {
      kind: 'success',
      message:
        `${profile.username} is now ${profile.role_management}, ${profile.is_active ? 'active' : 'inactive'}.` +
        (ended > 0 ? ` ${ended} admin session${ended === 1 ? '' : 's'} ended.` : ''),
    });
    return c.redirect(id === actor.id && changed ? '/admin/' : back, 303);
  },
);
