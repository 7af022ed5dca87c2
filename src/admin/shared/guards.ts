import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { Role } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { describeError } from '../../lib/logger';
import {
  type AdminSession,
  loadAdminSession,
  needsTouch,
  SESSION_COOKIE,
  touchAdminSession,
} from '../session/queries';
import { CSRF_FIELD, csrfTokenFor, isCrossOrigin, isValidCsrfToken } from './csrf';
import { type AdminContext, type AdminEnv, readForm, takeFlash } from './http';

// --- Sessions ---------------------------------------------------------------------------------------------

/** Runs a write after the response when the platform allows it, otherwise now. */
function inBackground(c: AdminContext, work: Promise<unknown>): void {
  const guarded = work.catch((err) => c.var.logger.warn('admin background write failed', describeError(err)));
  try {
    c.executionCtx.waitUntil(guarded);
  } catch {
    // No execution context (some test harnesses): the promise still runs to completion on its own.
  }
}

/** Loads the session named by the cookie (if any) and what pages need from it. One query. */
export async function resolveSession(c: AdminContext): Promise<AdminSession | undefined> {
  const now = new Date();
  const session = await loadAdminSession(c.var.db, getCookie(c, SESSION_COOKIE), now);
  if (!session) return undefined;
  c.set('adminSession', session);
  // The staff member acts through the same service context as an API caller (docs/design.md, "Services").
  c.var.ctx.actor = session.user;
  c.set('csrfToken', await csrfTokenFor(session.csrfSecret));
  if (needsTouch(session, now)) inBackground(c, touchAdminSession(c.var.db, session.sessionId, now));
  return session;
}

/** Where a sign-in may send the browser afterwards: only a page of the admin itself. */
export function safeNext(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 500) return undefined;
  if (!/^\/admin\/[A-Za-z0-9/_.~%?=&+@,:-]*$/.test(value) || value.startsWith('/admin//')) return undefined;
  if (value.startsWith('/admin/logout') || value.startsWith('/admin/static/')) return undefined;
  return value;
}

/**
 * Pages need a live session: without one a GET goes to sign-in (and comes back afterwards); any other
 * method gets a 403 page, since the action cannot be replayed after signing in.
 */
export const requireSession = createMiddleware<AdminEnv>(async (c, next) => {
  const session = await resolveSession(c);
  if (!session) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') {
      const url = new URL(c.req.url);
      const next = safeNext(`${url.pathname}${url.search}`);
      return c.redirect(next ? `/admin/?next=${encodeURIComponent(next)}` : '/admin/', 303);
    }
    throw new AppError(
      403,
      'session_required',
      'Your session has ended. Sign in again, then repeat the action.',
    );
  }
  c.set('flash', takeFlash(c));
  await next();
});

/** Parses a form POST and refuses it (403 page) unless it is same-origin and carries the session's token. */
export const requireCsrf = createMiddleware<AdminEnv>(async (c, next) => {
  const session = c.var.adminSession;
  const refused = () =>
    new AppError(
      403,
      'csrf_failed',
      'This form could not be verified (missing or wrong security token). Reload the page and try again.',
    );
  if (!session || isCrossOrigin(c.req.header('Origin'), c.req.url)) throw refused();
  const form = await readForm(c);
  if (!(await isValidCsrfToken(session.csrfSecret, form[CSRF_FIELD]))) throw refused();
  c.set('form', form);
  await next();
});

/** 403 page unless the signed-in user has one of the roles (least privilege per action). */
export function requireRole(roles: readonly Role[], what: string) {
  return createMiddleware<AdminEnv>(async (c, next) => {
    const role = c.var.adminSession?.user.role;
    if (!role || !roles.includes(role)) {
      throw new AppError(403, 'forbidden', `Only ${roles.join(' or ')} users can ${what}.`);
    }
    await next();
  });
}
