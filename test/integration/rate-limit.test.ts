import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import { limiterFor, shardOf } from '../../src/durable/limiter-shards';
import type { RateLimiter } from '../../src/durable/rate-limiter';
import type { AppEnv } from '../../src/env';
import { AppError } from '../../src/lib/errors';
import { createLogger } from '../../src/lib/logger';
import { problemResponse } from '../../src/lib/problem';
import {
  BINDING_SCOPES,
  byIp,
  byUser,
  limitSubject,
  RATE_LIMITS,
  type RateLimitKey,
  type RateLimitScope,
  rateLimit,
  rateLimitWithSubject,
} from '../../src/middleware/rate-limit';

/** A counter of its own: a fresh key in the `test` scope's pool (src/durable/limiter-shards.ts). */
const counter = (key = `key:${crypto.randomUUID()}`) => limiterFor(env.RATE_LIMITER, 'test', key);
// An hour-long window keeps a window boundary from falling inside a test.
const HOUR = 3600;

type Stub = ReturnType<typeof counter>['stub'];
/** The rows of the object's `windows` table, by key. */
const rowsOf = (stub: Stub, keys: string[]) =>
  runInDurableObject(stub, (_instance: RateLimiter, state) => {
    const rows = state.storage.sql
      .exec<{ key: string; start: number; ends: number; count: number }>(
        'SELECT key, start, ends, count FROM windows',
      )
      .toArray();
    return new Map(rows.filter((r) => keys.includes(r.key)).map((r) => [r.key, r]));
  });
/** Keys that all hash to the same object as `first` (a shard holds many keys). */
function sameShardKeys(first: string, n: number): string[] {
  const keys = [first];
  for (let i = 0; keys.length < n; i++) {
    const candidate = `${first}:${i}`;
    if (shardOf(candidate) === shardOf(first)) keys.push(candidate);
  }
  return keys;
}

describe('RateLimiter Durable Object', () => {
  it('allows exactly the limit under 50 concurrent consumes', async () => {
    const { stub, key } = counter();
    const decisions = await Promise.all(Array.from({ length: 50 }, () => stub.consume(key, 20, HOUR)));

    const allowed = decisions.filter((d) => d.allowed);
    expect(allowed).toHaveLength(20);
    // Each allowed request saw a distinct count: no two read the same state.
    expect(allowed.map((d) => d.remaining).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    for (const denied of decisions.filter((d) => !d.allowed)) expect(denied.remaining).toBe(0);
    for (const d of decisions) {
      expect(d.limit).toBe(20);
      expect(d.resetSeconds).toBeGreaterThanOrEqual(1);
      expect(d.resetSeconds).toBeLessThanOrEqual(HOUR);
    }
  });

  it('keeps refusing once the limit is reached, without counting refusals', async () => {
    const { stub, key } = counter();
    for (let i = 0; i < 3; i++) expect((await stub.consume(key, 3, HOUR)).allowed).toBe(true);
    for (let i = 0; i < 5; i++)
      expect(await stub.consume(key, 3, HOUR)).toMatchObject({ allowed: false, remaining: 0 });
    expect((await rowsOf(stub, [key])).get(key)?.count).toBe(3);
  });

  it('schedules an alarm at the end of the window; the sweep keeps a window that has not ended', async () => {
    const { stub, key } = counter();
    const first = await stub.consume(key, 2, HOUR);
    await stub.consume(key, 2, HOUR);
    expect((await stub.consume(key, 2, HOUR)).allowed).toBe(false);

    const windowEnd = Math.ceil(Date.now() / (HOUR * 1000)) * HOUR * 1000;
    const alarm = await runInDurableObject(stub, (_instance: RateLimiter, state) => state.storage.getAlarm());
    expect(alarm).toBe(windowEnd);
    expect(Math.abs(windowEnd - (Date.now() + first.resetSeconds * 1000))).toBeLessThan(2_000);
    expect((await rowsOf(stub, [key])).get(key)).toMatchObject({ ends: windowEnd, count: 2 });

    // Run early, the sweep deletes nothing of a window still open: the key stays refused.
    await runDurableObjectAlarm(stub);
    expect((await rowsOf(stub, [key])).get(key)?.count).toBe(2);
    expect((await stub.consume(key, 2, HOUR)).allowed).toBe(false);
  });

  it('sweeps only the windows that ended, then waits for the next window end', async () => {
    const scope = `sweep-${crypto.randomUUID()}`;
    const [shortKey, longKey] = sameShardKeys('short', 2) as [string, string];
    const short = limiterFor(env.RATE_LIMITER, scope, shortKey);
    const long = limiterFor(env.RATE_LIMITER, scope, longKey);
    const { stub } = short;
    expect(long.stub.id.equals(stub.id)).toBe(true);
    // A 1-second window ends before the sleep does; an hour-long one does not.
    await stub.consume(short.key, 5, 1);
    await stub.consume(long.key, 5, HOUR);
    await stub.consume(long.key, 5, HOUR);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    // The alarm may already have fired on its own (at the short window's end): either way the sweep ran.
    await runDurableObjectAlarm(stub);

    const rows = await rowsOf(stub, [short.key, long.key]);
    expect(rows.has(short.key)).toBe(false);
    expect(rows.get(long.key)?.count).toBe(2);
    const alarm = await runInDurableObject(stub, (_instance: RateLimiter, state) => state.storage.getAlarm());
    expect(alarm).toBe(rows.get(long.key)?.ends);
    expect(await stub.consume(long.key, 5, HOUR)).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('frees all storage once every window has ended, and counts again from zero afterwards', async () => {
    const { stub, key } = limiterFor(env.RATE_LIMITER, `idle-${crypto.randomUUID()}`, 'only');
    for (let i = 0; i < 3; i++) await stub.consume(key, 3, 1);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await runDurableObjectAlarm(stub);
    const left = await runInDurableObject(stub, async (_instance: RateLimiter, state) => ({
      tables: state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'windows'")
        .toArray(),
      alarm: await state.storage.getAlarm(),
    }));
    expect(left).toEqual({ tables: [], alarm: null });
    expect(await stub.consume(key, 3, HOUR)).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('clears an object of the per-key layout (before issue 18) when its alarm fires', async () => {
    // As the per-key layout left it: the window under the key-value API, an alarm at the window's end.
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`login:ip:${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (_instance: RateLimiter, state) => {
      await state.storage.put('window', { start: Date.now() - 60_000, count: 4 });
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const left = await runInDurableObject(stub, async (_instance: RateLimiter, state) => ({
      keys: [...(await state.storage.list()).keys()],
      tables: state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'windows'")
        .toArray(),
      alarm: await state.storage.getAlarm(),
    }));
    expect(left).toEqual({ keys: [], tables: [], alarm: null });
  });

  it('counts separate keys independently', async () => {
    const a = counter();
    const b = counter();
    await Promise.all(Array.from({ length: 5 }, () => a.stub.consume(a.key, 5, HOUR)));
    expect((await a.stub.consume(a.key, 5, HOUR)).allowed).toBe(false);
    expect(await b.stub.consume(b.key, 5, HOUR)).toMatchObject({ allowed: true, remaining: 4 });
  });

  it('keeps many keys of one object independent: one exhausted key leaves the others untouched', async () => {
    const keys = sameShardKeys(`key:${crypto.randomUUID()}`, 20);
    const counters = keys.map((key) => counter(key));
    const [exhausted, ...others] = counters as [(typeof counters)[0], ...typeof counters];
    for (const other of others) expect(other.stub.id.equals(exhausted.stub.id)).toBe(true);

    // Interleaved: the exhausted key's calls and its neighbours' calls reach the one object concurrently.
    const results = await Promise.all([
      ...Array.from({ length: 8 }, () => exhausted.stub.consume(exhausted.key, 3, HOUR)),
      ...others.map((o) => o.stub.consume(o.key, 3, HOUR)),
    ]);
    expect(results.slice(0, 8).filter((d) => d.allowed)).toHaveLength(3);
    for (const d of results.slice(8)) expect(d).toMatchObject({ allowed: true, remaining: 2 });

    await exhausted.stub.refund(exhausted.key, HOUR);
    const rows = await rowsOf(exhausted.stub, keys);
    expect(rows.get(exhausted.key)?.count).toBe(2);
    for (const o of others) expect(rows.get(o.key)?.count).toBe(1);
  });

  it('refunds one unit of the current window only, never below zero', async () => {
    const { stub, key } = counter();
    for (let i = 0; i < 2; i++) await stub.consume(key, 2, HOUR);
    await stub.refund(key, HOUR);
    expect(await stub.consume(key, 2, HOUR)).toMatchObject({ allowed: true, remaining: 0 });
    // The same count as of the previous window: a refund now does not touch it, and a consume starts afresh.
    await runInDurableObject(stub, (_instance: RateLimiter, state) => {
      state.storage.sql.exec('UPDATE windows SET start = start - ?1 WHERE key = ?2', HOUR * 1000, key);
    });
    await stub.refund(key, HOUR);
    expect((await rowsOf(stub, [key])).get(key)?.count).toBe(2);
    expect(await stub.consume(key, 2, HOUR)).toMatchObject({ allowed: true, remaining: 1 });
    const fresh = counter();
    await fresh.stub.refund(fresh.key, HOUR);
    expect((await rowsOf(fresh.stub, [fresh.key])).has(fresh.key)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------

type Namespace = AppEnv['Bindings']['RATE_LIMITER'];

const byHeaderUser: RateLimitKey = { name: 'username', value: (c) => c.req.header('X-Test-Username') };

/** The middleware on a tiny app, with the same problem rendering as the real one. */
function appWith(scope: RateLimitScope, keys: RateLimitKey[], options: { actorId?: number } = {}) {
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('logger', createLogger({ test: 'rate-limit' }, 'error'));
    // Only the actor is read by the rate limiter: the rest of the service context is not needed here.
    const actor = options.actorId
      ? { id: options.actorId, username: 'u', email: 'u@example.com', role: 'CUSTOMER' as const }
      : undefined;
    c.set('ctx', { actor } as AppEnv['Variables']['ctx']);
    await next();
  });
  app.post('/limited', rateLimit(scope, ...keys), (c) => c.json({ ok: true }));
  app.onError((err) => {
    if (err instanceof AppError) return problemResponse(err, 'test-request');
    throw err;
  });
  return app;
}

function call(
  app: Hono<AppEnv>,
  headers: Record<string, string>,
  namespace: Namespace = env.RATE_LIMITER,
  bindings: Partial<Record<(typeof BINDING_SCOPES)[keyof typeof BINDING_SCOPES], RateLimit>> = {},
) {
  return app.request(
    '/limited',
    { method: 'POST', headers },
    { ...env, RATE_LIMITER: namespace, ...bindings },
  );
}

const uniqueIp = () => `2001:db8::${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`;

const brokenNamespace = {
  idFromName: () => {
    throw new Error('Durable Objects are unavailable');
  },
} as unknown as Namespace;

// Reaches the object but every call fails, as when the Durable Object throws or is overloaded.
const failingNamespace = {
  idFromName: (name: string) => env.RATE_LIMITER.idFromName(name),
  get: () => ({ consume: () => Promise.reject(new Error('Durable Object reset')) }),
} as unknown as Namespace;

// The general throttles' binding, failing as when Cloudflare's rate limiting service is unreachable.
const failingBinding = {
  limit: () => Promise.reject(new Error('rate limiting unavailable')),
} as unknown as RateLimit;
const failingBindings = Object.fromEntries(
  Object.values(BINDING_SCOPES).map((name) => [name, failingBinding]),
);

describe('rateLimit middleware', () => {
  it('answers 429 with Retry-After and the IETF RateLimit headers once the limit is used up', async () => {
    const app = appWith('resend_code', [byIp]);
    const ip = uniqueIp();
    for (let remaining = 2; remaining >= 0; remaining--) {
      const res = await call(app, { 'CF-Connecting-IP': ip });
      expect(res.status).toBe(200);
      expect(res.headers.get('RateLimit-Policy')).toBe('"resend_code-ip";q=3;w=60');
      expect(res.headers.get('RateLimit')).toMatch(new RegExp(`^"resend_code-ip";r=${remaining};t=\\d+$`));
    }

    const res = await call(app, { 'CF-Connecting-IP': ip });
    expect(res.status).toBe(429);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect(((await res.json()) as { code: string }).code).toBe('rate_limited');
    const retryAfter = Number(res.headers.get('Retry-After'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers.get('RateLimit-Policy')).toBe('"resend_code-ip";q=3;w=60');
    expect(res.headers.get('RateLimit')).toBe(`"resend_code-ip";r=0;t=${retryAfter}`);
  });

  it('keys on CF-Connecting-IP and ignores X-Forwarded-For', async () => {
    const app = appWith('resend_code', [byIp]);
    const ip = uniqueIp();
    for (let i = 0; i < 3; i++) {
      await call(app, { 'CF-Connecting-IP': ip, 'X-Forwarded-For': `198.51.100.${i}` });
    }
    const res = await call(app, { 'CF-Connecting-IP': ip, 'X-Forwarded-For': '198.51.100.99' });
    expect(res.status).toBe(429);
    expect((await call(app, { 'CF-Connecting-IP': uniqueIp() })).status).toBe(200);
  });

  it('limits login per IP and per username, naming both in the policy', async () => {
    const app = appWith('login', [byIp, byHeaderUser]);
    const user = `victim-${crypto.randomUUID()}`;
    const first = await call(app, { 'CF-Connecting-IP': uniqueIp(), 'X-Test-Username': user });
    expect(first.headers.get('RateLimit-Policy')).toBe('"login-ip";q=10;w=60, "login-username";q=10;w=60');

    // Nine more attempts from nine addresses use up the username's budget; case does not matter.
    for (let i = 0; i < 9; i++) {
      expect(
        (await call(app, { 'CF-Connecting-IP': uniqueIp(), 'X-Test-Username': user.toUpperCase() })).status,
      ).toBe(200);
    }
    const res = await call(app, { 'CF-Connecting-IP': uniqueIp(), 'X-Test-Username': user });
    expect(res.status).toBe(429);
    expect(res.headers.get('RateLimit')).toMatch(/^"login-username";r=0;t=\d+$/);
  });

  it('does not charge the other keys for a request one key already refused', async () => {
    const app = appWith('login', [byIp, byHeaderUser]);
    const ip = uniqueIp();
    for (let i = 0; i < 10; i++)
      await call(app, { 'CF-Connecting-IP': ip, 'X-Test-Username': crypto.randomUUID() });
    const user = `spared-${crypto.randomUUID()}`;
    for (let i = 0; i < 5; i++) {
      expect((await call(app, { 'CF-Connecting-IP': ip, 'X-Test-Username': user })).status).toBe(429);
    }
    // The username's counter is untouched: its full 10 remain from another address.
    for (let i = 0; i < 10; i++) {
      expect((await call(app, { 'CF-Connecting-IP': uniqueIp(), 'X-Test-Username': user })).status).toBe(200);
    }
  });

  it("uses each scope's own limit and window", async () => {
    const app = appWith('new_password', [byUser], { actorId: 900_000 + Math.floor(Math.random() * 100_000) });
    const res = await call(app, {});
    expect(res.headers.get('RateLimit-Policy')).toBe(
      `"new_password-user";q=${RATE_LIMITS.new_password.limit};w=${RATE_LIMITS.new_password.windowSeconds}`,
    );
    expect(res.headers.get('RateLimit')).toMatch(/^"new_password-user";r=9;t=\d+$/);
  });

  it('skips a key that has no value (no authenticated user) without limiting', async () => {
    const res = await call(appWith('profile', [byUser]), {});
    expect(res.status).toBe(200);
    expect(res.headers.get('RateLimit')).toBeNull();
  });

  it('lets a key that cannot be read fail as itself, not as a limiter outage', async () => {
    const badBody: RateLimitKey = {
      name: 'username',
      value: () => {
        throw new AppError(400, 'malformed_body', 'The request body could not be parsed.');
      },
    };
    const res = await call(appWith('login', [byIp, badBody]), { 'CF-Connecting-IP': uniqueIp() });
    expect(res.status).toBe(400);
  });
});

/** The login shape: the middleware's key per IP, then the handler's key per account (limitSubject). */
function loginLikeApp() {
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('logger', createLogger({ test: 'rate-limit' }, 'error'));
    await next();
  });
  app.post('/limited', rateLimitWithSubject('login', byIp), async (c) => {
    const account = c.req.header('X-Test-Account');
    // No account: the handler answers before it charges one (as a login with a malformed body does).
    if (!account) return c.json({ detail: 'bad body' }, 400);
    await limitSubject(c, 'login', 'account', account);
    return c.json({ ok: true });
  });
  app.onError((err) => {
    if (err instanceof AppError) return problemResponse(err, 'test-request');
    throw err;
  });
  return app;
}

describe('rateLimitWithSubject (login: per IP and per account at once)', () => {
  it('asks for both decisions concurrently: the account check starts while the IP check is in flight', async () => {
    const started: string[] = [];
    let releaseIp: () => void = () => {};
    const ipHeld = new Promise<void>((resolve) => {
      releaseIp = resolve;
    });
    const namespace = {
      idFromName: (name: string) => env.RATE_LIMITER.idFromName(name),
      get: (id: DurableObjectId) => {
        const stub = env.RATE_LIMITER.get(id);
        return {
          consume: async (key: string, limit: number, window: number) => {
            const which = started.length === 0 ? 'ip' : 'account';
            started.push(which);
            // The IP decision is held until the account check has started: in sequence this never ends.
            if (which === 'ip') await ipHeld;
            else releaseIp();
            return stub.consume(key, limit, window);
          },
          refund: (key: string, window: number) => stub.refund(key, window),
        };
      },
    } as unknown as Namespace;
    const res = await call(
      loginLikeApp(),
      { 'CF-Connecting-IP': uniqueIp(), 'X-Test-Account': crypto.randomUUID() },
      namespace,
    );
    expect(res.status).toBe(200);
    expect(started).toEqual(['ip', 'account']);
    expect(res.headers.get('RateLimit-Policy')).toBe('"login-ip";q=10;w=60, "login-account";q=10;w=60');
    expect(res.headers.get('RateLimit')).toMatch(/^"login-(ip|account)";r=9;t=\d+$/);
  });

  it('refuses an exhausted address even when the handler answers before charging the account', async () => {
    const app = loginLikeApp();
    const ip = uniqueIp();
    for (let i = 0; i < 10; i++) expect((await call(app, { 'CF-Connecting-IP': ip })).status).toBe(400);
    const res = await call(app, { 'CF-Connecting-IP': ip });
    expect(res.status).toBe(429);
    expect(res.headers.get('RateLimit')).toMatch(/^"login-ip";r=0;t=\d+$/);
  });

  it('does not charge the account for an attempt the address already refused', async () => {
    const app = loginLikeApp();
    const ip = uniqueIp();
    for (let i = 0; i < 10; i++)
      await call(app, { 'CF-Connecting-IP': ip, 'X-Test-Account': crypto.randomUUID() });
    const account = crypto.randomUUID();
    for (let i = 0; i < 5; i++) {
      expect((await call(app, { 'CF-Connecting-IP': ip, 'X-Test-Account': account })).status).toBe(429);
    }
    for (let i = 0; i < 10; i++) {
      expect((await call(app, { 'CF-Connecting-IP': uniqueIp(), 'X-Test-Account': account })).status).toBe(
        200,
      );
    }
    expect((await call(app, { 'CF-Connecting-IP': uniqueIp(), 'X-Test-Account': account })).status).toBe(429);
  });

  it('fails closed (503) when the limiter fails, whether or not the handler charged the account', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      for (const headers of [{}, { 'X-Test-Account': crypto.randomUUID() }] as Record<string, string>[]) {
        const res = await call(
          loginLikeApp(),
          { 'CF-Connecting-IP': uniqueIp(), ...headers },
          failingNamespace,
        );
        expect(res.status).toBe(503);
      }
    } finally {
      errors.mockRestore();
    }
  });
});

describe('general throttles on the Rate Limiting binding (default, profile, payments)', () => {
  it.each(Object.keys(BINDING_SCOPES) as Array<keyof typeof BINDING_SCOPES>)(
    '%s: never touches the Durable Object',
    async (scope) => {
      const res = await call(appWith(scope, [byIp]), { 'CF-Connecting-IP': uniqueIp() }, brokenNamespace);
      expect(res.status).toBe(200);
      expect(res.headers.get('RateLimit-Policy')).toBe(
        `"${scope}-ip";q=${RATE_LIMITS[scope].limit};w=${RATE_LIMITS[scope].windowSeconds}`,
      );
    },
  );

  it('names the policy but no remaining count, then answers 429 with Retry-After of the whole period', async () => {
    const app = appWith('profile', [byIp]);
    const ip = uniqueIp();
    // Locally (Miniflare) the binding counts exactly per fixed minute; in production it is per location and
    // approximate, so only the policy is promised, never a remaining count (docs/api.md §7).
    const statuses: number[] = [];
    let first: Response | undefined;
    for (let i = 0; i < 31; i++) {
      const res = await call(app, { 'CF-Connecting-IP': ip });
      first ??= res;
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get('Retry-After')).toBe('60');
        expect(res.headers.get('RateLimit')).toBe('"profile-ip";r=0;t=60');
        expect(res.headers.get('RateLimit-Policy')).toBe('"profile-ip";q=30;w=60');
        expect(((await res.json()) as { code: string }).code).toBe('rate_limited');
      }
    }
    expect(first?.headers.get('RateLimit-Policy')).toBe('"profile-ip";q=30;w=60');
    expect(first?.headers.get('RateLimit')).toBeNull();
    // A minute boundary may fall inside the loop: then the 31st still passes, and the next window refuses later.
    expect(statuses.slice(0, 30).every((s) => s === 200) || statuses.includes(429)).toBe(true);
    if (statuses[30] === 200) {
      for (let i = 0; i < 30 && statuses.at(-1) === 200; i++)
        statuses.push((await call(app, { 'CF-Connecting-IP': ip })).status);
    }
    expect(statuses).toContain(429);
  });

  it('counts each key of a scope separately (a binding key per counter)', async () => {
    const app = appWith('payments', [byIp]);
    const busy = uniqueIp();
    for (let i = 0; i < 40; i++) await call(app, { 'CF-Connecting-IP': busy });
    expect((await call(app, { 'CF-Connecting-IP': busy })).status).toBe(429);
    expect((await call(app, { 'CF-Connecting-IP': uniqueIp() })).status).toBe(200);
  });
});

describe('when the limiter itself fails', () => {
  it.each(['sign_up', 'resend_code', 'profile', 'payments', 'default'] as const)(
    'fails open for %s: the request runs and the failure is logged',
    async (scope) => {
      const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
      try {
        for (const namespace of [brokenNamespace, failingNamespace]) {
          const res = await call(
            appWith(scope, [byIp]),
            { 'CF-Connecting-IP': uniqueIp() },
            namespace,
            failingBindings,
          );
          expect(res.status).toBe(200);
          expect(res.headers.get('RateLimit')).toBeNull();
        }
        const logged = errors.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
        expect(logged).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ msg: 'rate limiter failed', scope, level: 'error' }),
          ]),
        );
      } finally {
        errors.mockRestore();
      }
    },
  );

  it.each(['login', 'verify_code'] as const)('fails closed for %s: 503 with Retry-After', async (scope) => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      for (const namespace of [brokenNamespace, failingNamespace]) {
        const res = await call(appWith(scope, [byIp]), { 'CF-Connecting-IP': uniqueIp() }, namespace);
        expect(res.status).toBe(503);
        expect(res.headers.get('Retry-After')).toBe('5');
        expect(((await res.json()) as { code: string }).code).toBe('rate_limiter_unavailable');
      }
    } finally {
      errors.mockRestore();
    }
  });
});
