// Bench-only counters of binding calls, installed around the built bundle by tools/bench/runtime.mjs (never
// part of the bundle `wrangler deploy` uploads, so it cannot run in production). See docs/benchmarks.md §3.
//
// `withCounters(worker)` returns a Worker whose `env` is the real one behind a counting proxy: every method
// call on a Durable Object stub (an RPC or fetch to the object), every KV read (get, getWithMetadata, list)
// and write (put, delete), and every queue send is counted, in isolate-wide totals and, for calls made while
// a request with an X-Request-Id is handled, under that id (AsyncLocalStorage follows the request across
// awaits). The proxy is created once per env object, so code that caches per env (src/env.ts) still does.
// Two bench routes answer before the app: GET /__bench/counters (totals) and POST /__bench/counters
// (body: JSON array of request ids → their counts). Bindings are recognised by shape, not by name.

import { AsyncLocalStorage } from 'node:async_hooks';

export const COUNTERS_PATH = '/__bench/counters';
/** Request ids kept (oldest dropped first), like the simulator's per-request query log. */
export const KEEP_REQUESTS = 20_000;

const KV_READS = new Set(['get', 'getWithMetadata', 'list']);
const KV_WRITES = new Set(['put', 'delete']);
const QUEUE_SENDS = new Set(['send', 'sendBatch']);
// Properties of a Durable Object stub that are not calls to the object.
const STUB_LOCAL = new Set(['id', 'name', 'then', 'constructor', 'toJSON']);

/** @typedef {{ doCalls: number, kvReads: number, kvWrites: number, queueSends: number }} Counts */

/**
 * An in-isolate stand-in for one Cloudflare Rate Limiting binding (`npm run bench -- --ratelimits in-isolate`,
 * docs/benchmarks.md §6): the binding's documented call, `limit({ key })` → `{ success }`, answered from a
 * fixed window per key in this isolate's memory, with the binding's own `limit` and `period`. Locally Miniflare
 * emulates the binding with a service Worker and a Durable Object of its own, reached by an HTTP request per
 * call (miniflare/dist/src/workers/ratelimit/), which costs as much CPU in the same workerd as our code; in
 * production the call is answered by Cloudflare's rate-limiting service at the location. Bench only: the
 * default runs keep Miniflare's emulation.
 * @param {{ limit: number, period: number }} config
 */
export function rateLimitStandIn({ limit, period }) {
  const periodMs = period * 1000;
  /** @type {Map<string, { start: number, count: number }>} */
  const windows = new Map();
  return {
    async limit(/** @type {{ key: string }} */ { key }) {
      const now = Date.now();
      const start = now - (now % periodMs);
      let window = windows.get(key);
      if (!window || window.start !== start) {
        if (windows.size >= 50_000) windows.clear();
        window = { start, count: 0 };
        windows.set(key, window);
      }
      window.count += 1;
      return { success: window.count <= limit };
    },
  };
}

/** @returns {Counts} */
export function emptyCounts() {
  return { doCalls: 0, kvReads: 0, kvWrites: 0, queueSends: 0 };
}

/** What kind of binding `value` is, by the methods it has. */
export function bindingKind(/** @type {unknown} */ value) {
  if (value === null || typeof value !== 'object') return undefined;
  const v = /** @type {Record<string, unknown>} */ (value);
  if (typeof v.idFromName === 'function' && typeof v.get === 'function') return 'durableObject';
  if (typeof v.getWithMetadata === 'function' && typeof v.put === 'function') return 'kv';
  if (typeof v.send === 'function' && typeof v.sendBatch === 'function') return 'queue';
  return undefined;
}

/**
 * @param {{ rateLimits?: Record<string, { limit: number, period: number }> }} [options] `rateLimits`: the
 *   Rate Limiting bindings (by name) to answer in the isolate instead (rateLimitStandIn)
 */
export function createCounters(options = {}) {
  // One window map per binding for the isolate, whichever env object a call comes with.
  /** @type {Map<string, ReturnType<typeof rateLimitStandIn>>} */
  const standIns = new Map(
    Object.entries(options.rateLimits ?? {}).map(([name, config]) => [name, rateLimitStandIn(config)]),
  );
  const totals = emptyCounts();
  /** @type {Map<string, Counts>} */
  const perRequest = new Map();
  /** @type {AsyncLocalStorage<Counts>} */
  const current = new AsyncLocalStorage();

  const count = (/** @type {keyof Counts} */ key) => {
    totals[key] += 1;
    const mine = current.getStore();
    if (mine) mine[key] += 1;
  };

  /** Wraps the methods of a binding: `counterFor(name)` says which counter a call to `name` adds to. */
  const wrapMethods = (
    /** @type {any} */ target,
    /** @type {(name: string) => keyof Counts | undefined} */ counterFor,
  ) =>
    new Proxy(target, {
      get(t, prop) {
        const value = Reflect.get(t, prop, t);
        if (typeof prop !== 'string' || typeof value !== 'function') return value;
        if (STUB_LOCAL.has(prop)) return value;
        const key = counterFor(prop);
        // Reflect.apply, not value.apply: on an RPC stub `apply` would be a call to the remote object.
        if (!key) return (/** @type {unknown[]} */ ...args) => Reflect.apply(value, t, args);
        return (/** @type {unknown[]} */ ...args) => {
          count(key);
          return Reflect.apply(value, t, args);
        };
      },
    });

  const wrapNamespace = (/** @type {any} */ namespace) =>
    new Proxy(namespace, {
      get(t, prop) {
        const value = Reflect.get(t, prop, t);
        if (typeof value !== 'function') return value;
        if (prop === 'get' || prop === 'getByName')
          return (/** @type {unknown[]} */ ...args) =>
            wrapMethods(Reflect.apply(value, t, args), () => 'doCalls');
        return (/** @type {unknown[]} */ ...args) => Reflect.apply(value, t, args);
      },
    });

  /** @type {WeakMap<object, object>} */
  const wrappedEnvs = new WeakMap();
  const wrapEnv = (/** @type {Record<string, unknown>} */ env) => {
    const known = wrappedEnvs.get(env);
    if (known) return known;
    /** @type {Map<string | symbol, unknown>} */
    const bindings = new Map();
    const wrapped = new Proxy(env, {
      get(t, prop) {
        if (bindings.has(prop)) return bindings.get(prop);
        const standIn = typeof prop === 'string' ? standIns.get(prop) : undefined;
        if (standIn) return standIn;
        const value = Reflect.get(t, prop, t);
        const kind = bindingKind(value);
        if (!kind) return value;
        const proxy =
          kind === 'durableObject'
            ? wrapNamespace(value)
            : wrapMethods(value, (name) =>
                kind === 'kv'
                  ? KV_READS.has(name)
                    ? 'kvReads'
                    : KV_WRITES.has(name)
                      ? 'kvWrites'
                      : undefined
                  : QUEUE_SENDS.has(name)
                    ? 'queueSends'
                    : undefined,
              );
        bindings.set(prop, proxy);
        return proxy;
      },
    });
    wrappedEnvs.set(env, wrapped);
    return wrapped;
  };

  /** Runs `fn` with calls counted under `id` (and in the totals). */
  const track = (/** @type {string | null} */ id, /** @type {() => any} */ fn) => {
    if (!id) return fn();
    let mine = perRequest.get(id);
    if (!mine) {
      mine = emptyCounts();
      perRequest.set(id, mine);
      if (perRequest.size > KEEP_REQUESTS) {
        const oldest = perRequest.keys().next().value;
        if (oldest !== undefined) perRequest.delete(oldest);
      }
    }
    return current.run(mine, fn);
  };

  const lookup = (/** @type {unknown} */ ids) =>
    Array.isArray(ids) ? ids.map((id) => perRequest.get(String(id)) ?? null) : null;

  return { totals, wrapEnv, track, lookup };
}

/**
 * @param {{ fetch?: Function, queue?: Function, scheduled?: Function }} worker the bundle's default export
 * @param {{ rateLimits?: Record<string, { limit: number, period: number }> }} [options] see createCounters
 */
export function withCounters(worker, options = {}) {
  if (typeof worker !== 'object' || worker === null)
    throw new Error('bench counters: the bundle must export an object of handlers (fetch, queue, scheduled)');
  const counters = createCounters(options);
  /** @type {Record<string, unknown>} */
  const wrapped = {};
  for (const [name, handler] of Object.entries(worker)) {
    if (typeof handler === 'function' && name !== 'fetch')
      wrapped[name] = (/** @type {any} */ event, /** @type {any} */ env, /** @type {any} */ ctx) =>
        handler.call(worker, event, counters.wrapEnv(env), ctx);
  }
  wrapped.fetch = async (/** @type {Request} */ request, /** @type {any} */ env, /** @type {any} */ ctx) => {
    const url = new URL(request.url);
    if (url.pathname === COUNTERS_PATH) {
      if (request.method === 'POST') return Response.json(counters.lookup(await request.json()));
      return Response.json(counters.totals);
    }
    return counters.track(request.headers.get('x-request-id'), () =>
      worker.fetch?.call(worker, request, counters.wrapEnv(env), ctx),
    );
  };
  return wrapped;
}
