import { hmacSha256Hex, randomBytes, timingSafeEqual, toHex } from '../../lib/crypto';

/**
 * CSRF protection for the admin's forms. Signed-in forms carry a token derived from the session's secret
 * (HMAC, so the secret itself never reaches the page); the sign-in form, which has no session yet, uses a
 * double-submit cookie. Both are compared in constant time. The SameSite=Strict cookies already keep
 * cross-site POSTs from carrying a session; the token is the second, independent lock.
 */
export const CSRF_FIELD = 'csrf_token';

// Fixed label mixed into the HMAC: the token is useless for anything but this purpose.
const CSRF_PURPOSE = 'stackpay-admin-csrf-v1';

/** The token every form of a session carries. */
export function csrfTokenFor(csrfSecret: string): Promise<string> {
  return hmacSha256Hex(csrfSecret, CSRF_PURPOSE);
}

/** True when `submitted` is the session's token. */
export async function isValidCsrfToken(csrfSecret: string, submitted: unknown): Promise<boolean> {
  if (typeof submitted !== 'string' || submitted.length === 0) return false;
  return timingSafeEqual(await csrfTokenFor(csrfSecret), submitted);
}

/** A fresh random value for the sign-in form's double-submit cookie (32 bytes, hex). */
export function newLoginCsrfToken(): string {
  return toHex(randomBytes(32));
}

/** The sign-in form's token must equal its cookie; both must look like ours. */
export function isValidLoginCsrf(cookie: string | undefined, submitted: unknown): boolean {
  if (!cookie || typeof submitted !== 'string' || !/^[0-9a-f]{64}$/.test(cookie)) return false;
  return timingSafeEqual(cookie, submitted);
}

/**
 * A cross-origin POST is refused outright when the browser names its origin (all current browsers do on
 * POST). An absent Origin is left to the token check: some privacy tools strip it.
 */
export function isCrossOrigin(originHeader: string | undefined, requestUrl: string): boolean {
  if (originHeader === undefined) return false;
  return originHeader !== new URL(requestUrl).origin;
}
