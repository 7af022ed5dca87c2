import type { Config } from '../env';
import { isPrivateHost } from '../env';

/**
 * Pure rules of outgoing webhooks (docs/webhooks.md): which URLs an endpoint may have (SSRF) and when a
 * failed delivery is tried again.
 */

/** Longest URL an endpoint may have (the column's size). */
export const MAX_URL_LENGTH = 2048;

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Why `value` may not be an endpoint URL, or undefined. Production: https only, and no loopback, private,
 * link-local or unqualified host written in the URL (literal IPv4/IPv6 and names like `localhost`,
 * `*.internal`). A DNS name is not resolved here: Workers cannot resolve names, and their outgoing `fetch`
 * cannot reach private networks anyway (docs/webhooks.md, "SSRF"). Development and test also accept
 * `http://` on loopback hosts, so the local sandbox can receive deliveries.
 */
export function endpointUrlProblem(value: string, appEnv: Config['APP_ENV']): string | undefined {
  if (value.length > MAX_URL_LENGTH)
    return `Ensure this field has no more than ${MAX_URL_LENGTH} characters.`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'Enter a valid URL.';
  }
  if (url.username || url.password) return 'The URL must not contain credentials.';
  const loopback = LOOPBACK.test(url.hostname);
  if (appEnv !== 'production' && loopback && (url.protocol === 'http:' || url.protocol === 'https:')) {
    return undefined;
  }
  if (url.protocol !== 'https:') return 'The URL must use https://.';
  if (appEnv === 'production' && isPrivateHost(url.hostname)) {
    return 'The URL must not point at a loopback, private or link-local address.';
  }
  return undefined;
}

/** A 2xx within this many milliseconds counts as delivered. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** An endpoint failing without a single success for this long is disabled (and ADMIN e-mailed). */
export const DISABLE_AFTER_MS = 3 * 24 * 60 * 60 * 1000;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/**
 * Stripe's schedule: the first attempt immediately, then 5 min, 30 min, 2 h, 5 h, 10 h, 10 h… after each
 * failure (every delay below Queues' 12-hour maximum), until three days after the event.
 */
const RETRY_DELAYS_MS = [5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR];

/**
 * When to try again after failed attempt number `attempts` (1-based) of a delivery created at `createdAt`:
 * the schedule's delay, but never later than three days after the delivery (a last attempt then), and
 * undefined once an attempt at or after that point has failed (the delivery has failed for good).
 */
export function nextAttemptAt(attempts: number, createdAt: Date, now: Date): Date | undefined {
  const deadline = createdAt.getTime() + DISABLE_AFTER_MS;
  if (now.getTime() >= deadline) return undefined;
  const delay = RETRY_DELAYS_MS[Math.min(attempts, RETRY_DELAYS_MS.length) - 1] ?? 0;
  return new Date(Math.min(now.getTime() + delay, deadline));
}
