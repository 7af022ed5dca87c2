import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { RateLimitDecision } from '../durable/rate-limiter';
import type { AppEnv } from '../env';
import { AppError } from '../lib/errors';
import { describeError } from '../lib/logger';

/** docs/api.md §7. Windows are fixed; counts are exact (one Durable Object per scope and key). */
export const RATE_LIMITS = {
  sign_up: { limit: 20, windowSeconds: 60 },
  login: { limit: 10, windowSeconds: 60 },
  verify_code: { limit: 10, windowSeconds: 60 },
  resend_code: { limit: 3, windowSeconds: 60 },
  profile: { limit: 30, windowSeconds: 60 },
  new_password: { limit: 10, windowSeconds: 86_400 },
  payments: { limit: 30, windowSeconds: 60 },
  default: { limit: 100, windowSeconds: 60 },
  admin_login: { limit: 10, windowSeconds: 60 },
  // docs/accounts.md: reset requests per IP and per address; confirmations per IP; TOTP codes per user.
  password_reset: { limit: 5, windowSeconds: 900 },
  password_reset_confirm: { limit: 10, windowSeconds: 60 },
  totp: { limit: 5, windowSeconds: 60 },
} as const;
export type RateLimitScope = keyof typeof RATE_LIMITS;

// Guessing passwords and codes must never become unlimited because the limiter is down.
const FAIL_CLOSED: ReadonlySet<RateLimitScope> = new Set(['login', 'verify_code', 'admin_login', 'totp']);

/** A named key: `name` appears in the RateLimit headers (e.g. "login-ip"), `value` picks the counter. */
export interface RateLimitKey {
  name: string;
  value: (c: Context<AppEnv>) => string | undefined | Promise<string | undefined>;
}

/** The client address as Cloudflare reports it; X-Forwarded-For is client-controlled and never trusted. */
export function clientIp(c: Context<AppEnv>): string {
  return c.req.header('CF-Connecting-IP') ?? 'unknown';
}

export const byIp: RateLimitKey = { name: 'ip', value: clientIp };
export const byUser: RateLimitKey = {
  name: 'user',
  value: (c) => (c.var.ctx.actor ? String(c.var.ctx.actor.id) : undefined),
};

/** Consumes one unit for (scope, key) in the Durable Object. */
export async function consumeRateLimit(
  namespace: AppEnv['Bindings']['RATE_LIMITER'],
  scope: RateLimitScope,
  key: string,
): Promise<RateLimitDecision> {
  const { limit, windowSeconds } = RATE_LIMITS[scope];
  const stub = namespace.get(namespace.idFromName(`${scope}:${key}`));
  return stub.consume(limit, windowSeconds);
}

/** The 429 for an exhausted key: its policy, zero remaining, and when the window ends. */
function rateLimited(policy: string, keyName: string, resetSeconds: number): AppError {
  return new AppError(429, 'rate_limited', 'Too many requests. Try again later.', {
    headers: {
      'RateLimit-Policy': policy,
      RateLimit: `"${keyName}";r=0;t=${resetSeconds}`,
      'Retry-After': String(resetSeconds),
    },
  });
}

function limiterUnavailable(): AppError {
  return new AppError(503, 'rate_limiter_unavailable', 'Please try again in a moment.', {
    headers: { 'Retry-After': '5' },
  });
}

// Keys charged by a handler once it knows them (see limitSubject); the middleware adds them to its headers.
const lateDecisions = new WeakMap<object, Array<{ name: string; decision: RateLimitDecision }>>();

/**
 * Charges one unit to a key that only the handler can know, e.g. the account a login name resolves to
 * (docs/security.md §1): the lookup that resolves it is the one the login needs anyway, so this costs no
 * database round trip. Use on a route that already has `rateLimit(scope, …)`: its RateLimit headers then
 * name this key too. Refuses with the same 429 (or 503 for a fail-closed scope) as the middleware.
 */
export async function limitSubject(
  c: Context<AppEnv>,
  scope: RateLimitScope,
  name: string,
  subject: string,
): Promise<void> {
  const { limit, windowSeconds } = RATE_LIMITS[scope];
  const keyName = `${scope}-${name}`;
  let decision: RateLimitDecision;
  try {
    decision = await consumeRateLimit(c.env.RATE_LIMITER, scope, `${name}:${subject}`);
  } catch (err) {
    c.var.logger.error('rate limiter failed', { scope, ...describeError(err) });
    if (FAIL_CLOSED.has(scope)) throw limiterUnavailable();
    return;
  }
  if (!decision.allowed) {
    throw rateLimited(`"${keyName}";q=${limit};w=${windowSeconds}`, keyName, decision.resetSeconds);
  }
  const list = lateDecisions.get(c) ?? [];
  list.push({ name: keyName, decision });
  lateDecisions.set(c, list);
}

/**
 * Limits a route per scope and one or more keys (e.g. login: per IP and per username). Every key's counter
 * is consumed; the request is refused when any is exhausted. Sets the IETF RateLimit-Policy / RateLimit
 * headers of the tightest key, and Retry-After on 429.
 */
export function rateLimit(scope: RateLimitScope, ...keys: RateLimitKey[]) {
  const { limit, windowSeconds } = RATE_LIMITS[scope];
  return createMiddleware<AppEnv>(async (c, next) => {
    // Keys are read before the limiter is called: a key that cannot be read (e.g. a malformed body for a
    // per-username key) fails as itself, not as a limiter outage that would answer 503.
    const named: Array<{ name: string; counter: string }> = [];
    for (const key of keys) {
      const value = await key.value(c);
      if (value !== undefined)
        named.push({ name: `${scope}-${key.name}`, counter: `${key.name}:${value.toLowerCase()}` });
    }
    const decisions: Array<{ name: string; decision: RateLimitDecision }> = [];
    try {
      for (const { name, counter } of named) {
        const decision = await consumeRateLimit(c.env.RATE_LIMITER, scope, counter);
        decisions.push({ name, decision });
        // Once one key refuses, the others are not charged for a request that will not run.
        if (!decision.allowed) break;
      }
    } catch (err) {
      c.var.logger.error('rate limiter failed', { scope, ...describeError(err) });
      if (FAIL_CLOSED.has(scope)) throw limiterUnavailable();
      return next();
    }
    if (decisions.length === 0) return next();
    const policyOf = (names: string[]) => names.map((n) => `"${n}";q=${limit};w=${windowSeconds}`).join(', ');
    const policy = policyOf(named.map((k) => k.name));
    const denied = decisions.find((d) => !d.decision.allowed);
    if (denied) throw rateLimited(policy, denied.name, denied.decision.resetSeconds);
    await next();
    // A 429 from limitSubject carries its own headers.
    if (c.res.status === 429) return;
    const all = [...decisions, ...(lateDecisions.get(c) ?? [])];
    const tightest = all.reduce((a, b) => (b.decision.remaining < a.decision.remaining ? b : a));
    c.res.headers.set('RateLimit-Policy', policyOf(all.map((d) => d.name)));
    c.res.headers.set(
      'RateLimit',
      `"${tightest.name}";r=${tightest.decision.remaining};t=${tightest.decision.resetSeconds}`,
    );
  });
}
