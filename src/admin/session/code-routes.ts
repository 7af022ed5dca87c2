import { Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { clientIp } from '../../middleware/rate-limit';
import { verifyTotp } from '../../users/totp';
import type { Flash } from '../common/components';
import { CSRF_FIELD, csrfTokenFor, isCrossOrigin, isValidCsrfToken } from '../common/csrf';
import { formRefusal } from '../common/forms';
import { loadSessionState, safeNext } from '../common/guards';
import { type AdminContext, type AdminEnv, COOKIE_BASE, readForm, setFlash, takeFlash } from '../common/http';
import {
  type AdminSession,
  createAdminSession,
  revokeAdminSession,
  SESSION_ABSOLUTE_SECONDS,
  SESSION_COOKIE,
} from './queries';
import { SecondFactorPage } from './views';

/**
 * The second sign-in step (docs/accounts.md §3). The password step created a session that is pending until
 * it accepts a code: the guards give it no page but this one, for 10 minutes. A TOTP code or a recovery code
 * (through the core: per-user rate limit, replays refused) replaces it with a fresh, complete session — a new
 * cookie value, so the token that only proved the password never becomes a full session.
 */
export const codeRoutes = new Hono<AdminEnv>();

const SIGN_IN_AGAIN: Flash = { kind: 'info', message: 'Your sign-in expired. Sign in again.' };

async function codePage(
  c: AdminContext,
  pending: AdminSession,
  options: { status?: 200 | 400 | 403 | 409 | 429 | 503; flash?: Flash; next?: string } = {},
) {
  const csrfToken = await csrfTokenFor(pending.csrfSecret);
  return c.html(
    SecondFactorPage({ csrfToken, next: options.next, flash: options.flash ?? takeFlash(c) }),
    options.status ?? 200,
  );
}

codeRoutes.get('/sign-in/code', async (c) => {
  const next = safeNext(c.req.query('next'));
  const { session, pending } = await loadSessionState(c);
  if (session) return c.redirect(next ?? '/admin/', 303);
  if (!pending) {
    setFlash(c, SIGN_IN_AGAIN);
    return c.redirect('/admin/', 303);
  }
  return codePage(c, pending, { next });
});

/** The pending session the form belongs to, or undefined when the form must not be trusted. */
async function checkedPending(c: AdminContext, form: Record<string, string>) {
  const { pending } = await loadSessionState(c);
  if (!pending || isCrossOrigin(c.req.header('Origin'), c.req.url)) return undefined;
  return (await isValidCsrfToken(pending.csrfSecret, form[CSRF_FIELD])) ? pending : undefined;
}

codeRoutes.post('/sign-in/code', async (c) => {
  const form = await readForm(c);
  const next = safeNext(form.next);
  const pending = await checkedPending(c, form);
  if (!pending) {
    setFlash(c, SIGN_IN_AGAIN);
    return c.redirect('/admin/', 303);
  }
  const code = (form.code ?? '').trim().slice(0, 64);
  const outcome = await formRefusal(
    () => verifyTotp(c.var.ctx, { userId: pending.user.id, code }),
    [400, 409, 429, 503],
  );
  if ('refused' in outcome) {
    const { refused } = outcome;
    c.var.logger.info('admin sign-in code refused', { user_id: pending.user.id, code: refused.code });
    for (const [name, value] of Object.entries(refused.headers ?? {})) c.header(name, value);
    return codePage(c, pending, {
      status: refused.status as 400 | 409 | 429 | 503,
      next,
      flash: { kind: 'error', message: refused.message },
    });
  }
  const now = new Date();
  await revokeAdminSession(c.var.db, pending.sessionId, now);
  const session = await createAdminSession(
    c.var.db,
    pending.user.id,
    { ip: clientIp(c), userAgent: c.req.header('User-Agent') },
    now,
    outcome.value.verifiedAt,
  );
  setCookie(c, SESSION_COOKIE, session.token, { ...COOKIE_BASE, maxAge: SESSION_ABSOLUTE_SECONDS });
  c.var.logger.info('admin signed in with a second factor', {
    user_id: pending.user.id,
    method: outcome.value.method,
  });
  if (outcome.value.method === 'recovery_code') {
    setFlash(c, {
      kind: 'info',
      message:
        'You signed in with a recovery code; it cannot be used again. Your account page shows how many are left.',
    });
  }
  return c.redirect(next ?? '/admin/', 303);
});

codeRoutes.post('/sign-in/cancel', async (c) => {
  const pending = await checkedPending(c, await readForm(c));
  if (pending) await revokeAdminSession(c.var.db, pending.sessionId, new Date());
  deleteCookie(c, SESSION_COOKIE, COOKIE_BASE);
  setFlash(c, { kind: 'info', message: 'You have signed out.' });
  return c.redirect('/admin/', 303);
});
