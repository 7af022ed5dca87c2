import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { limiterFor } from '../durable/limiter-shards';
import type { RateLimitDecision } from '../durable/rate-limiter';
import type { AppEnv, Env } from '../env';
import { AppError } from '../lib/errors';
import { describeError } from '../lib/logger';

/**
 * docs/api.md §7. The security scopes are exact: fixed windows in a fixed pool of Durable Objects per scope,
 * each key owned by one of them (`limiterFor`, src/durable/limiter-shards.ts; docs/security.md §1). The general
 * throttles (`default`, `profile`, `payments`) use Cloudflare's Rate Limiting binding instead (see
 * BINDING_SCOPES): approximate, per Cloudflare location, no Durable Object round trip.
 */
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

/**
 * The scopes on the Rate Limiting binding (wrangler.toml `[[ratelimits]]`, one binding per scope: the binding
 * carries its own limit and period, which must equal RATE_LIMITS'). The binding answers only allowed or not:
 * no remaining count and no window end (docs/api.md §7).
 */
export const BINDING_SCOPES = {
  default: 'RATE_LIMIT_DEFAULT',
  profile: 'RATE_LIMIT_PROFILE',
  payments: 'RATE_LIMIT_PAYMENTS',
} as const satisfies Partial<Record<RateLimitScope, keyof Env>>;
type BindingScope = keyof typeof BINDING_SCOPES;

function isBindingScope(scope: RateLimitScope): scope is BindingScope {
  return scope in BINDING_SCOPES;
}

/**
 * One key's answer. `remaining` is undefined for a binding scope (the binding does not say); then
 * `resetSeconds` is the scope's whole period, the longest a refused caller may have to wait.
 */
export interface Decision {
  allowed: boolean;
  remaining: number | undefined;
  resetSeconds: number;
}

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
  const counter = limiterFor(namespace, scope, key);
  return counter.stub.consume(counter.key, limit, windowSeconds);
}

/** One unit for (scope, counter): the scope's binding for the general throttles, else the Durable Object. */
async function consume(env: Env, scope: RateLimitScope, counter: string): Promise<Decision> {
  if (isBindingScope(scope)) {
    // One binding per scope, so the counter alone is the key (e.g. `user:42`).
    const { success } = await env[BINDING_SCOPES[scope]].limit({ key: counter });
    return { allowed: success, remaining: undefined, resetSeconds: RATE_LIMITS[scope].windowSeconds };
  }
  return consumeRateLimit(env.RATE_LIMITER, scope, counter);
}

/**
 * The 429 for an exhausted key: its policy, zero remaining, and when to try again (the window's end for an
 * exact scope, the whole period for a binding scope).
 */
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

interface Named {
  name: string;
  counter: string;
}
interface Charged {
  name: string;
  counter: string;
  decision: Decision;
}

/**
 * Charges every key at once (one concurrent round trip, not one per key). Throws the 503 of a fail-closed
 * scope when the limiter fails; answers undefined when a fail-open scope's limiter fails (logged).
 */
async function chargeKeys(
  c: Context<AppEnv>,
  scope: RateLimitScope,
  named: Named[],
): Promise<Charged[] | undefined> {
  const env = c.env;
  try {
    return await Promise.all(
      named.map(async (key) => ({ ...key, decision: await consume(env, scope, key.counter) })),
    );
  } catch (err) {
    c.get('logger').error('rate limiter failed', { scope, ...describeError(err) });
    if (FAIL_CLOSED.has(scope)) throw limiterUnavailable();
    return undefined;
  }
}

/**
 * Throws the 429 when any charged key refused. The exact keys that allowed the request first get their unit
 * back, so a refused request costs the other keys nothing (an attacker who exhausted their address cannot use
 * up a victim's account budget); a binding scope's unit cannot be returned.
 */
async function settle(c: Context<AppEnv>, scope: RateLimitScope, charged: Charged[]): Promise<void> {
  const denied = charged.find((k) => !k.decision.allowed);
  if (!denied) return;
  if (!isBindingScope(scope)) {
    const env = c.env;
    const { windowSeconds } = RATE_LIMITS[scope];
    await Promise.all(
      charged
        .filter((k) => k.decision.allowed)
        .map(async (k) => {
          try {
            const counter = limiterFor(env.RATE_LIMITER, scope, k.counter);
            await counter.stub.refund(counter.key, windowSeconds);
          } catch (err) {
            c.get('logger').error('rate limiter refund failed', { scope, ...describeError(err) });
          }
        }),
    );
  }
  throw rateLimited(policyOf(scope, charged), denied.name, denied.decision.resetSeconds);
}

function policyOf(scope: RateLimitScope, keys: ReadonlyArray<{ name: string }>): string {
  const { limit, windowSeconds } = RATE_LIMITS[scope];
  return keys.map((k) => `"${k.name}";q=${limit};w=${windowSeconds}`).join(', ');
}

// Per request: the keys the middleware charged (or is charging: `pending`, see rateLimitWithSubject), and
// those a handler charged later (limitSubject).
interface RequestLimits {
  charged: Charged[];
  pending?: Promise<Charged[] | undefined>;
}
const requestLimits = new WeakMap<object, RequestLimits>();

/**
 * Charges one unit to a key that only the handler can know, e.g. the account a login name resolves to
 * (docs/security.md §1): the lookup that resolves it is the one the login needs anyway, so this costs no
 * database round trip. Use on a route that already has `rateLimit(scope, …)` or `rateLimitWithSubject`: its
 * RateLimit headers then name this key too, and with the latter both checks run concurrently. Refuses with
 * the same 429 (or 503 for a fail-closed scope) as the middleware.
 */
export async function limitSubject(
  c: Context<AppEnv>,
  scope: RateLimitScope,
  name: string,
  subject: string,
): Promise<void> {
  const limits = requestLimits.get(c);
  const own = chargeKeys(c, scope, [{ name: `${scope}-${name}`, counter: `${name}:${subject}` }]);
  const pending = limits?.pending;
  if (limits) limits.pending = undefined;
  const [earlier, charged] = await Promise.all([pending, own]);
  const all = [...(earlier ?? []), ...(charged ?? [])];
  await settle(c, scope, all);
  limits?.charged.push(...all);
}

/** The named keys of a request; a key that cannot be read (a malformed body) fails as itself. */
async function namedKeys(c: Context<AppEnv>, scope: RateLimitScope, keys: RateLimitKey[]): Promise<Named[]> {
  const named: Named[] = [];
  for (const key of keys) {
    const value = await key.value(c);
    if (value !== undefined)
      named.push({ name: `${scope}-${key.name}`, counter: `${key.name}:${value.toLowerCase()}` });
  }
  return named;
}

/** RateLimit-Policy (every key) and, for the exact scopes, RateLimit of the tightest key (docs/api.md §7). */
function setHeaders(c: Context<AppEnv>, scope: RateLimitScope, charged: Charged[]): void {
  // A 429 from limitSubject carries its own headers.
  if (c.res.status === 429 || charged.length === 0) return;
  const headers = c.res.headers;
  headers.set('RateLimit-Policy', policyOf(scope, charged));
  // The binding does not tell how much is left: no RateLimit header for its scopes.
  if (isBindingScope(scope)) return;
  let tightest = charged[0] as Charged;
  for (const k of charged) {
    if ((k.decision.remaining ?? 0) < (tightest.decision.remaining ?? 0)) tightest = k;
  }
  headers.set(
    'RateLimit',
    `"${tightest.name}";r=${tightest.decision.remaining};t=${tightest.decision.resetSeconds}`,
  );
}

/**
 * Limits a route per scope and one or more keys (e.g. password reset: per IP and per address). Every key's
 * counter is consumed, concurrently, before the handler runs; the request is refused when any is exhausted.
 * Sets the RateLimit headers, and Retry-After on 429 (docs/api.md §7).
 */
export function rateLimit(scope: RateLimitScope, ...keys: RateLimitKey[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    // Keys are read before the limiter is called: a key that cannot be read (e.g. a malformed body for a
    // per-address key) fails as itself, not as a limiter outage that would answer 503.
    const named = await namedKeys(c, scope, keys);
    if (named.length === 0) return next();
    const charged = await chargeKeys(c, scope, named);
    if (!charged) return next();
    await settle(c, scope, charged);
    const limits: RequestLimits = { charged };
    requestLimits.set(c, limits);
    await next();
    setHeaders(c, scope, limits.charged);
  });
}

/**
 * As rateLimit, for a handler that charges a second key with limitSubject before it does anything that
 * matters (login: the account the name resolves to, before the password hash). The middleware's keys are
 * charged while the handler validates the body and resolves the account, and limitSubject waits for both
 * decisions at once (docs/security.md §1): one limiter round trip of latency instead of two. The handler must
 * change nothing before limitSubject. When the handler answers without calling it (a 400), the middleware's
 * decision is applied to the answer: a refused key still gets its 429.
 */
export function rateLimitWithSubject(scope: RateLimitScope, ...keys: RateLimitKey[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const named = await namedKeys(c, scope, keys);
    if (named.length === 0) return next();
    const pending = chargeKeys(c, scope, named);
    // Awaited by limitSubject or below; never left rejected without a handler in the meantime.
    pending.catch(() => undefined);
    const limits: RequestLimits = { charged: [], pending };
    requestLimits.set(c, limits);
    await next();
    if (limits.pending) {
      limits.pending = undefined;
      const charged = await pending;
      if (charged) {
        await settle(c, scope, charged);
        limits.charged = charged;
      }
    }
    setHeaders(c, scope, limits.charged);
  });
}
