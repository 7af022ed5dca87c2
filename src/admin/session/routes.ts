import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { byIp, clientIp, limitSubject, rateLimit } from '../../middleware/rate-limit';
import type { Flash } from '../common/components';
import { CSRF_FIELD, isCrossOrigin, isValidLoginCsrf, newLoginCsrfToken } from '../common/csrf';
import { requireCsrf, requireSessionToEnrol, safeNext } from '../common/guards';
import {
  type AdminContext,
  type AdminEnv,
  COOKIE_BASE,
  page,
  readForm,
  sessionOf,
  setFlash,
  takeFlash,
} from '../common/http';
import {
  authenticateStaff,
  createAdminSession,
  revokeAdminSession,
  SESSION_ABSOLUTE_SECONDS,
  SESSION_COOKIE,
} from './queries';
import { SignInPage } from './views';

/** Signing in and out of the admin (docs/api.md §8); GET /admin/ shows sign-in without a session. */
export const sessionRoutes = new Hono<AdminEnv>();

const LOGIN_CSRF_COOKIE = 'stackpay_admin_login';
const LOGIN_CSRF_MAX_AGE_SECONDS = 2 * 60 * 60; // a sign-in page left open this long must be reloaded

/** The sign-in form with a double-submit token: the cookie is reused while it is valid. */
export function signInPage(
  c: AdminContext,
  options: { status?: 200 | 400 | 401 | 403; flash?: Flash; username?: string; next?: string } = {},
) {
  let token = getCookie(c, LOGIN_CSRF_COOKIE);
  if (!token || !/^[0-9a-f]{64}$/.test(token)) {
    token = newLoginCsrfToken();
    setCookie(c, LOGIN_CSRF_COOKIE, token, { ...COOKIE_BASE, maxAge: LOGIN_CSRF_MAX_AGE_SECONDS });
  }
  return page(
    c,
    SignInPage({
      csrfToken: token,
      next: options.next,
      username: options.username,
      flash: options.flash ?? takeFlash(c),
    }),
    options.status ?? 200,
  );
}

const SIGN_IN_FAILED = 'Wrong username or password, or this account may not use the admin.';

sessionRoutes.post('/', rateLimit('admin_login', byIp), async (c) => {
  const form = await readForm(c);
  const next = safeNext(form.next);
  const username = (form.username ?? '').trim().slice(0, 150);
  if (
    isCrossOrigin(c.req.header('Origin'), c.req.url) ||
    !isValidLoginCsrf(getCookie(c, LOGIN_CSRF_COOKIE), form[CSRF_FIELD])
  ) {
    return signInPage(c, {
      status: 403,
      username,
      next,
      flash: {
        kind: 'error',
        message: 'The sign-in form expired or was not sent from this site. Try again.',
      },
    });
  }
  const password = form.password ?? '';
  if (username === '' || password === '') {
    return signInPage(c, {
      status: 400,
      username,
      next,
      flash: { kind: 'error', message: 'Enter your username and password.' },
    });
  }
  // docs/security.md §1: per address (the middleware) and per account, as the API login.
  const user = await authenticateStaff(c.var.db, username, password, (subject) =>
    limitSubject(c, 'admin_login', 'account', subject),
  );
  if (!user) {
    c.var.logger.info('admin sign-in refused');
    return signInPage(c, { status: 401, username, next, flash: { kind: 'error', message: SIGN_IN_FAILED } });
  }
  const session = await createAdminSession(
    c.var.db,
    user.id,
    { ip: clientIp(c), userAgent: c.req.header('User-Agent') },
    new Date(),
  );
  setCookie(c, SESSION_COOKIE, session.token, { ...COOKIE_BASE, maxAge: SESSION_ABSOLUTE_SECONDS });
  deleteCookie(c, LOGIN_CSRF_COOKIE, COOKIE_BASE);
  c.var.logger.info('admin signed in', { user_id: user.id, role: user.role });
  return c.redirect(next ?? '/admin/', 303);
});

sessionRoutes.post('/logout', requireSessionToEnrol, requireCsrf, async (c) => {
  await revokeAdminSession(c.var.db, sessionOf(c).sessionId, new Date());
  deleteCookie(c, SESSION_COOKIE, COOKIE_BASE);
  setFlash(c, { kind: 'info', message: 'You have signed out.' });
  return c.redirect('/admin/', 303);
});
