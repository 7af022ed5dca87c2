import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { AppEnv, Variables } from '../../env';
import { fromBase64Url, toBase64Url } from '../../lib/crypto';
import { AppError, type FieldErrors } from '../../lib/errors';
import type { AdminSession } from '../session/queries';
import type { Flash } from './components';
import type { PageContext } from './layout';

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
  // A page may tighten it (no-referrer on a page whose address holds a token: users/set-password.tsx).
  if (!headers.has('Referrer-Policy')) headers.set('Referrer-Policy', 'same-origin');
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
    const bytes = fromBase64Url(value);
    if (!bytes) return undefined;
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
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

/** The form's text fields (files are not accepted by any admin form). Repeated fields keep the last value. */
export async function readForm(c: AdminContext): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const form: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) if (typeof value === 'string') form[key] = value;
  return form;
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
