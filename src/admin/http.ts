import type { Context, ErrorHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { isDatabaseUnavailable, isRetryableConflict } from '../db/client';
import type { Role } from '../db/schema';
import type { AppEnv, Variables } from '../env';
import { toBase64Url } from '../lib/crypto';
import { AppError, type FieldErrors } from '../lib/errors';
import { describeError } from '../lib/logger';
import { CSRF_FIELD, csrfTokenFor, isCrossOrigin, isValidCsrfToken } from './csrf';
import {
  type AdminSession,
  loadAdminSession,
  needsTouch,
  SESSION_COOKIE,
  touchAdminSession,
} from './session';
import type { Flash } from './views/components';
import { ErrorPage } from './views/error';
import type { PageContext } from './views/layout';

/** Per-request values of the admin sub-app, on top of the app's own. */
export interface AdminEnv {
  Bindings: AppEnv['Bindings'];
  Variables: Variables & {
    adminSession?: AdminSession;
    csrfToken?: string;
    flash?: Flash;
    form?: Record<string, string>;
  };
}
export type AdminContext = Context<AdminEnv>;

/** Every admin cookie lives under /admin, is invisible to scripts, HTTPS-only and never sent cross-site. */
export const COOKIE_BASE = { path: '/admin', httpOnly: true, secure: true, sameSite: 'Strict' } as const;

// The CSP of every page: our stylesheet and same-origin images (the KYC preview) only; nothing inline.
export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
// A streamed KYC document opened directly: the browser's own viewer must be able to show it (Chromium's PDF
// viewer is a plugin, hence object-src), and nothing in it may run scripts, submit forms or be framed.
// Images are also sandboxed; a sandbox would stop the PDF viewer, so PDFs go without it.
export function documentCsp(contentType: string): string {
  const base =
    "default-src 'none'; img-src 'self'; object-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
  return contentType.startsWith('image/') ? `${base}; sandbox` : base;
}

/** Headers on every admin response; pages are never cached (they show personal data and CSRF tokens). */
export function applySecurityHeaders(headers: Headers): void {
  if (!headers.has('Content-Security-Policy')) headers.set('Content-Security-Policy', PAGE_CSP);
  headers.set('X-Frame-Options', 'DENY');
  // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form posts, and the
  // origin check needs the real one.
  headers.set('Referrer-Policy', 'same-origin');
  headers.set('X-Content-Type-Options', 'nosniff');
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store');
}

export const securityHeaders = createMiddleware<AdminEnv>(async (c, next) => {
  await next();
  applySecurityHeaders(c.res.headers);
});

// --- Flash messages ---------------------------------------------------------------------------------------

const FLASH_COOKIE = 'stackpay_admin_flash';
const FLASH_MAX_AGE_SECONDS = 60; // survives one redirect, not a later visit
const FLASH_MAX_TEXT = 500;

function encodeFlash(flash: Flash): string {
  const json = JSON.stringify({
    kind: flash.kind,
    message: flash.message.slice(0, FLASH_MAX_TEXT),
    details: flash.details?.slice(0, 10).map((d) => d.slice(0, FLASH_MAX_TEXT)),
  });
  return toBase64Url(new TextEncoder().encode(json));
}

function decodeFlash(value: string): Flash | undefined {
  try {
    const binary = atob(value.replaceAll('-', '+').replaceAll('_', '/'));
    const parsed: unknown = JSON.parse(
      new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0))),
    );
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { kind, message, details } = parsed as Record<string, unknown>;
    if ((kind !== 'success' && kind !== 'error' && kind !== 'info') || typeof message !== 'string')
      return undefined;
    const list = Array.isArray(details)
      ? details.filter((d): d is string => typeof d === 'string')
      : undefined;
    return { kind, message: message.slice(0, FLASH_MAX_TEXT), details: list };
  } catch {
    return undefined;
  }
}

/** Queues a message for the next page the browser shows (after the redirect that follows an action). */
export function setFlash(c: AdminContext, flash: Flash): void {
  setCookie(c, FLASH_COOKIE, encodeFlash(flash), { ...COOKIE_BASE, maxAge: FLASH_MAX_AGE_SECONDS });
}

/** Takes the pending message, if any, and clears it so it shows once. */
export function takeFlash(c: AdminContext): Flash | undefined {
  const value = getCookie(c, FLASH_COOKIE);
  if (value === undefined) return undefined;
  deleteCookie(c, FLASH_COOKIE, COOKIE_BASE);
  return decodeFlash(value);
}

/** "Field: message" lines for a flash, in the order the form shows the fields. */
export function describeFieldErrors(
  errors: FieldErrors | undefined,
  labels: Record<string, string> = {},
): string[] {
  if (!errors) return [];
  return Object.entries(errors).flatMap(([field, messages]) => {
    const label = labels[field];
    return messages.map((m) => (label ? `${label}: ${m}` : m));
  });
}

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

/** The form's text fields (files are not accepted by any admin form). Repeated fields keep the last value. */
export async function readForm(c: AdminContext): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const form: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) if (typeof value === 'string') form[key] = value;
  return form;
}

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

/** The page context of a signed-in request (behind requireSession). */
export function pageContext(c: AdminContext): PageContext {
  const session = c.var.adminSession;
  if (!session || !c.var.csrfToken) throw new AppError(403, 'session_required', 'Sign in first.');
  return {
    username: session.user.username,
    role: session.user.role,
    csrfToken: c.var.csrfToken,
    flash: c.var.flash,
  };
}

export function sessionOf(c: AdminContext): AdminSession {
  const session = c.var.adminSession;
  if (!session) throw new AppError(403, 'session_required', 'Sign in first.');
  return session;
}

/** An HTML page with the given status. */
export function page(c: AdminContext, element: JSX.Element, status: 200 | 400 | 401 | 403 | 404 | 409 = 200) {
  return c.html(element, status);
}

// --- Errors -----------------------------------------------------------------------------------------------

function errorContext(c: AdminContext): PageContext | undefined {
  const session = c.var.adminSession;
  if (!session || !c.var.csrfToken) return undefined;
  return { username: session.user.username, role: session.user.role, csrfToken: c.var.csrfToken };
}

/** Renders an error as an HTML page (the API's problem+json would be unreadable in a browser). */
export async function errorResponse(
  c: AdminContext,
  status: number,
  title: string,
  detail: string,
  extraHeaders?: Record<string, string>,
) {
  const html = await ErrorPage({
    status,
    title,
    detail,
    requestId: c.var.requestId,
    ctx: errorContext(c),
  }).toString();
  const headers = new Headers({ 'Content-Type': 'text/html; charset=UTF-8' });
  for (const [name, value] of Object.entries(extraHeaders ?? {})) headers.set(name, value);
  applySecurityHeaders(headers);
  return new Response(html, { status, headers });
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad request',
  403: 'Not allowed',
  404: 'Page not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Form too large',
  415: 'Unsupported form',
  429: 'Too many attempts',
  502: 'Upstream error',
  503: 'Temporarily unavailable',
};

/** The admin's error handler: the same classification as the app's, answered as HTML. */
export const renderError: ErrorHandler<AdminEnv> = (err, c) => {
  if (err instanceof AppError) {
    return errorResponse(c, err.status, STATUS_TITLES[err.status] ?? err.title, err.message, err.headers);
  }
  if (err instanceof HTTPException) {
    return errorResponse(c, 400, STATUS_TITLES[400] as string, 'The form could not be read.');
  }
  if (isDatabaseUnavailable(err)) {
    c.var.logger.error('database unavailable', describeError(err));
    return errorResponse(
      c,
      503,
      'Temporarily unavailable',
      'The database is unavailable. Try again shortly.',
      {
        'Retry-After': '5',
      },
    );
  }
  // docs/security.md §4: a lost lock race changed nothing; the form can simply be sent again.
  if (isRetryableConflict(err)) {
    c.var.logger.warn('concurrent update conflict', describeError(err));
    return errorResponse(
      c,
      409,
      STATUS_TITLES[409] ?? 'Conflict',
      'Someone changed the same data at once. Try again.',
      {
        'Retry-After': '1',
      },
    );
  }
  c.var.logger.error('unhandled error', describeError(err));
  return errorResponse(c, 500, 'Something went wrong', 'An unexpected error occurred. It has been logged.');
};
