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
import { ACCOUNT_PAGE, CODE_PAGE, isPendingExpired, isSecondFactorPending, mustEnrol } from './two-factor';

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

/**
 * The session the cookie names, split by its two-factor state (docs/accounts.md §3): `session` is a complete
 * one; `pending` one that still owes the sign-in code (live for 10 minutes) and grants nothing else. One query.
 */
export async function loadSessionState(
  c: AdminContext,
  now = new Date(),
): Promise<{ session?: AdminSession; pending?: AdminSession }> {
  const session = await loadAdminSession(c.var.db, getCookie(c, SESSION_COOKIE), now);
  if (!session) return {};
  if (isSecondFactorPending(session)) return isPendingExpired(session, now) ? {} : { pending: session };
  return { session };
}

/**
 * Loads the session named by the cookie and, for a complete one, what pages need from it (the actor, the
 * CSRF token). A pending one is returned apart and sets nothing. One query.
 */
export async function resolveSessionState(
  c: AdminContext,
): Promise<{ session?: AdminSession; pending?: AdminSession }> {
  const now = new Date();
  const state = await loadSessionState(c, now);
  const session = state.session;
  if (!session) return state;
  c.set('adminSession', session);
  // The staff member acts through the same service context as an API caller (docs/design.md, "Services").
  c.var.ctx.actor = session.user;
  c.set('csrfToken', await csrfTokenFor(session.csrfSecret));
  if (needsTouch(session, now)) inBackground(c, touchAdminSession(c.var.db, session.sessionId, now));
  return state;
}

/** The complete session named by the cookie, if any (see resolveSessionState). */
export async function resolveSession(c: AdminContext): Promise<AdminSession | undefined> {
  return (await resolveSessionState(c)).session;
}

/** Where a sign-in may send the browser afterwards: only a page of the admin itself. */
export function safeNext(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 500) return undefined;
  if (!/^\/admin\/[A-Za-z0-9/_.~%?=&+@,:-]*$/.test(value) || value.startsWith('/admin//')) return undefined;
  if (value.startsWith('/admin/logout') || value.startsWith('/admin/static/')) return undefined;
  return value;
}

/** The page asked for, as a `next` value (a GET can be repeated after signing in or entering the code). */
function requestedPage(c: AdminContext): string | undefined {
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return undefined;
  const url = new URL(c.req.url);
  return safeNext(`${url.pathname}${url.search}`);
}

function sessionGuard(options: { allowUnenrolled: boolean }) {
  return createMiddleware<AdminEnv>(async (c, next) => {
    const isGet = c.req.method === 'GET' || c.req.method === 'HEAD';
    const { session, pending } = await resolveSessionState(c);
    if (!session) {
      if (isGet) {
        const target = requestedPage(c);
        const base = pending ? CODE_PAGE : '/admin/';
        return c.redirect(target ? `${base}?next=${encodeURIComponent(target)}` : base, 303);
      }
      throw new AppError(
        403,
        'session_required',
        'Your session has ended. Sign in again, then repeat the action.',
      );
    }
    // ADMIN_REQUIRE_2FA: an ADMIN without two-factor reaches only enrolment and sign-out.
    if (!options.allowUnenrolled && mustEnrol(c.var.ctx.config, session)) {
      if (isGet) return c.redirect(ACCOUNT_PAGE, 303);
      throw new AppError(
        403,
        'two_factor_required',
        'Set up two-factor authentication on your account page first.',
      );
    }
    c.set('flash', takeFlash(c));
    await next();
  });
}

/**
 * Pages need a live, complete session: without one a GET goes to sign-in (or to the code page while the
 * second factor is pending) and comes back afterwards; any other method gets a 403 page, since the action
 * cannot be replayed after signing in. An ADMIN who must enrol is sent to the account page.
 */
export const requireSession = sessionGuard({ allowUnenrolled: false });

/** The account page and sign-out: open to an ADMIN who must still enrol (ADMIN_REQUIRE_2FA). */
export const requireSessionToEnrol = sessionGuard({ allowUnenrolled: true });

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
