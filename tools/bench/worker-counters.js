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
// Given the options, it also answers the Rate Limiting bindings and the Worker's own queues with in-isolate
// stand-ins of what production does outside the isolate (rateLimitStandIn, queueStandIns; docs/benchmarks.md §2).

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
 * An in-isolate stand-in for one Cloudflare Rate Limiting binding (`npm run bench`'s default; `--ratelimits
 * emulated` turns it off; docs/benchmarks.md §2 item 6, §11): the binding's documented call, `limit({ key })` → `{ success }`, answered from a
 * fixed window per key in this isolate's memory, with the binding's own `limit` and `period`. Locally Miniflare
 * emulates the binding with a service Worker and a Durable Object of its own, reached by an HTTP request per
 * call (miniflare/dist/src/workers/ratelimit/), which costs as much CPU in the same workerd as our code; in
 * production the call is answered by Cloudflare's rate-limiting service at the location. Bench only.
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

/**
 * In-isolate stand-ins for the Worker's own queues (`npm run bench`'s default; `--queues emulated` turns them
 * off; docs/benchmarks.md §2 item 7). Locally Miniflare runs each queue as a broker Durable Object written in JavaScript, in the same
 * workerd process as our Worker: every `send` is an HTTP request to it (its body checked with zod, a log line
 * per batch sent to Node), and each batch reaches the consumer through a service binding
 * (miniflare/dist/src/workers/queues/broker.worker.js). In production the queue is Cloudflare's service and
 * only the consumer's invocation runs in a Worker isolate. Here a message sent to a queue whose consumer is
 * this Worker is delivered to the Worker's own `queue` handler as a batch of one (the body structured-cloned,
 * as the queue serialises it), inside the sender's `waitUntil`: the consumer's work is counted as before,
 * the broker's is not. Production batches up to `max_batch_size` messages per invocation, so one invocation
 * per message makes the figure, if anything, higher. A message the consumer retries (or a batch whose handler
 * throws) goes to the real binding with its delay, i.e. back through Miniflare (its attempts count restarts
 * there); the bench expects none.
 *
 * @param {Record<string, string>} producers binding name → queue name, for the queues this Worker consumes
 * @param {{ deliver: (batch: object) => Promise<void>, waitUntil: () => ((promise: Promise<unknown>) => void) | undefined }} worker
 *   how to run the Worker's `queue` handler, and the `waitUntil` of the invocation that is sending (none: the
 *   real binding is used)
 */
export function queueStandIns(producers, worker) {
  /** @type {Map<string, (real: any) => object>} */
  const makers = new Map();
  for (const [binding, queueName] of Object.entries(producers)) {
    makers.set(binding, (/** @type {any} */ real) => {
      const deliver = async (/** @type {{ body: unknown, contentType?: string }[]} */ sent) => {
        /** @type {Set<number>} */
        const acked = new Set();
        /** @type {Map<number, number | undefined>} */
        const retried = new Map();
        const messages = sent.map((item, i) => ({
          id: crypto.randomUUID().replaceAll('-', ''),
          timestamp: new Date(),
          body: structuredClone(item.body),
          attempts: 1,
          ack: () => acked.add(i),
          retry: (/** @type {{ delaySeconds?: number }} */ options = {}) =>
            retried.set(i, options.delaySeconds),
        }));
        const batch = {
          queue: queueName,
          messages,
          ackAll: () => {
            for (let i = 0; i < messages.length; i++) acked.add(i);
          },
          retryAll: (/** @type {{ delaySeconds?: number }} */ options = {}) => {
            for (let i = 0; i < messages.length; i++) retried.set(i, options.delaySeconds);
          },
        };
        try {
          await worker.deliver(batch);
        } catch {
          for (let i = 0; i < messages.length; i++) {
            if (!acked.has(i) && !retried.has(i)) retried.set(i, undefined);
          }
        }
        for (const [i, delaySeconds] of retried) {
          if (acked.has(i)) continue;
          const item = /** @type {{ body: unknown, contentType?: string }} */ (sent[i]);
          await real.send(item.body, {
            ...(item.contentType ? { contentType: item.contentType } : {}),
            ...(delaySeconds ? { delaySeconds } : {}),
          });
        }
      };
      const enqueue = (
        /** @type {{ body: unknown, contentType?: string, delaySeconds?: number }[]} */ items,
      ) => {
        const waitUntil = worker.waitUntil();
        // A delayed message, or one sent outside an invocation we know, goes through the real queue.
        if (!waitUntil || items.some((item) => item.delaySeconds)) return real.sendBatch(items);
        waitUntil(deliver(items));
        return Promise.resolve();
      };
      return {
        send: (
          /** @type {unknown} */ body,
          /** @type {{ contentType?: string, delaySeconds?: number }} */ options = {},
        ) => enqueue([{ body, ...options }]),
        sendBatch: (
          /** @type {{ body: unknown, contentType?: string, delaySeconds?: number }[]} */ items,
          /** @type {{ delaySeconds?: number }} */ options = {},
        ) => enqueue(items.map((item) => ({ delaySeconds: options.delaySeconds, ...item }))),
      };
    });
  }
  return makers;
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
 * @typedef {{ rateLimits?: Record<string, { limit: number, period: number }>, queues?: Record<string, string> }} CounterOptions
 * `rateLimits`: the Rate Limiting bindings (by name) to answer in the isolate instead (rateLimitStandIn);
 * `queues`: the producer bindings (name → queue name) whose messages go straight to this Worker's `queue`
 * handler (queueStandIns)
 */

/**
 * @param {CounterOptions} [options]
 * @param {Parameters<typeof queueStandIns>[1]} [worker] the Worker the queue stand-ins deliver to
 */
export function createCounters(options = {}, worker = undefined) {
  // One window map per binding for the isolate, whichever env object a call comes with.
  /** @type {Map<string, ReturnType<typeof rateLimitStandIn>>} */
  const standIns = new Map(
    Object.entries(options.rateLimits ?? {}).map(([name, config]) => [name, rateLimitStandIn(config)]),
  );
  const queueMakers = worker ? queueStandIns(options.queues ?? {}, worker) : new Map();
  const totals = emptyCounts();
  /** @type {Map<string, Counts>} */
  const perRequest = new Map();
  /**
   * The invocation running now: its env and ctx (for the queue stand-ins) and, for a request with an id, its
   * counts. One store, so each request pays for one `AsyncLocalStorage.run`.
   * @type {AsyncLocalStorage<{ counts?: Counts, env?: any, ctx?: any }>}
   */
  const current = new AsyncLocalStorage();

  const count = (/** @type {keyof Counts} */ key) => {
    totals[key] += 1;
    const mine = current.getStore()?.counts;
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
        const makeQueue = kind === 'queue' && typeof prop === 'string' ? queueMakers.get(prop) : undefined;
        const proxy = makeQueue
          ? wrapMethods(makeQueue(value), (name) => (QUEUE_SENDS.has(name) ? 'queueSends' : undefined))
          : kind === 'durableObject'
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

  /**
   * Runs `fn` as the invocation with this env and ctx, its calls counted under `id` when there is one (and
   * always in the totals).
   */
  const track = (
    /** @type {string | null} */ id,
    /** @type {() => any} */ fn,
    /** @type {{ env?: any, ctx?: any }} */ invocation = {},
  ) => {
    let mine;
    if (id) {
      mine = perRequest.get(id);
      if (!mine) {
        mine = emptyCounts();
        perRequest.set(id, mine);
        if (perRequest.size > KEEP_REQUESTS) {
          const oldest = perRequest.keys().next().value;
          if (oldest !== undefined) perRequest.delete(oldest);
        }
      }
    }
    return current.run({ counts: mine, env: invocation.env, ctx: invocation.ctx }, fn);
  };

  /** Runs `fn` with its calls counted in the totals only (a queue consumer run from a request's waitUntil). */
  const untracked = (/** @type {() => any} */ fn) =>
    current.run({ ...current.getStore(), counts: undefined }, fn);

  /** The env and ctx of the invocation running now, if it was started through `track`. */
  const invocation = () => current.getStore();

  const lookup = (/** @type {unknown} */ ids) =>
    Array.isArray(ids) ? ids.map((id) => perRequest.get(String(id)) ?? null) : null;

  return { totals, wrapEnv, track, untracked, invocation, lookup };
}

/**
 * @param {{ fetch?: Function, queue?: Function, scheduled?: Function }} worker the bundle's default export
 * @param {CounterOptions} [options] see createCounters
 */
export function withCounters(worker, options = {}) {
  if (typeof worker !== 'object' || worker === null)
    throw new Error('bench counters: the bundle must export an object of handlers (fetch, queue, scheduled)');
  const counters = createCounters(options, {
    // The consumer's calls are its own, not the sending request's: run it outside the request's counts.
    // Only called when waitUntil() below found the sending invocation.
    deliver: async (batch) => {
      const running = counters.invocation();
      await counters.untracked(() => wrapped.queue?.(batch, running?.env, running?.ctx));
    },
    waitUntil: () => {
      const ctx = counters.invocation()?.ctx;
      return ctx && typeof ctx.waitUntil === 'function'
        ? (/** @type {Promise<unknown>} */ promise) => ctx.waitUntil(promise)
        : undefined;
    },
  });
  /** @type {Record<string, any>} */
  const wrapped = {};
  for (const [name, handler] of Object.entries(worker)) {
    if (typeof handler === 'function' && name !== 'fetch')
      wrapped[name] = (/** @type {any} */ event, /** @type {any} */ env, /** @type {any} */ ctx) =>
        counters.track(null, () => handler.call(worker, event, counters.wrapEnv(env), ctx), { env, ctx });
  }
  wrapped.fetch = async (/** @type {Request} */ request, /** @type {any} */ env, /** @type {any} */ ctx) => {
    // A string test, not a URL parse per request: the harness asks for these two without a query string.
    if (request.url.endsWith(COUNTERS_PATH)) {
      if (request.method === 'POST') return Response.json(counters.lookup(await request.json()));
      return Response.json(counters.totals);
    }
    return counters.track(
      request.headers.get('x-request-id'),
      () => worker.fetch?.call(worker, request, counters.wrapEnv(env), ctx),
      { env, ctx },
    );
  };
  return wrapped;
}
