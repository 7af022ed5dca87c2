// The benchmark's pure logic (docs/benchmarks.md): /proc stat parsing and CPU per process group, the
// bench-only binding counters (run here in Node against fake bindings of the same shape as workerd's),
// their aggregation, the wrangler config checks and the run list of latest.md.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRuns, pickRun } from '../../tools/bench/compare.mjs';
import { countsPerRequest, meanCounts } from '../../tools/bench/load.mjs';
import { cpuPerRequest, cpuSpent, parseStat } from '../../tools/bench/procs.mjs';
import { runLines } from '../../tools/bench/report.mjs';
import { counterEntrySource, startWorkerd } from '../../tools/bench/runtime.mjs';
import { hasEnvironment } from '../../tools/bench/stack.mjs';
import {
  bindingKind,
  COUNTERS_PATH,
  emptyCounts,
  rateLimitStandIn,
  withCounters,
} from '../../tools/bench/worker-counters.js';

// A real line from `cat /proc/self/stat` (Linux 6.x), with utime 1234 and stime 56.
const STAT =
  '4242 (workerd) S 4200 4242 4200 0 -1 4194560 12345 0 0 0 1234 56 0 0 20 0 9 0 987654 ' +
  '1234567890 23456 18446744073709551615 1 1 0 0 0 0 0 4096 1260 0 0 0 17 1 0 0 0 0 0';

describe('parseStat', () => {
  it('reads the parent, the name and utime + stime', () => {
    expect(parseStat(STAT)).toEqual({ ppid: 4200, comm: 'workerd', ticks: 1290 });
  });

  it('reads a name with spaces and parentheses up to the last ")"', () => {
    const line = STAT.replace('(workerd)', '(node (bench) x)');
    expect(parseStat(line)).toEqual({ ppid: 4200, comm: 'node (bench) x', ticks: 1290 });
  });

  it('refuses text that is not a stat line', () => {
    expect(parseStat('')).toBeUndefined();
    expect(parseStat('4242 workerd S 1 2 3')).toBeUndefined();
    expect(parseStat('4242 (workerd) S')).toBeUndefined();
  });
});

describe('CPU per process group', () => {
  it('divides each group’s CPU delta by the requests', () => {
    const before = { workerd: new Map([[10, 100]]), simulator: new Map([[20, 50]]), mariadb: new Map() };
    const after = { workerd: new Map([[10, 300]]), simulator: new Map([[20, 90]]), mariadb: new Map() };
    expect(cpuPerRequest(before, after, 100)).toEqual({ workerd: 2, simulator: 0.4, mariadb: null });
  });

  it('leaves out a process that started or exited during the row', () => {
    const before = new Map([
      [1, 100],
      [2, 500],
    ]);
    const after = new Map([
      [1, 150],
      [3, 9000],
    ]);
    expect(cpuSpent(before, after)).toBe(50);
  });

  it('gives null for every group when there were no requests', () => {
    expect(cpuPerRequest({ workerd: new Map([[1, 1]]) }, { workerd: new Map([[1, 5]]) }, 0)).toEqual({
      workerd: null,
    });
  });
});

/** Fake bindings with the methods workerd's have (the counters recognise bindings by shape). */
function fakeEnv() {
  const calls: string[] = [];
  const stub = {
    id: 'stub-id',
    consume: async (limit: number) => {
      calls.push(`consume:${limit}`);
      return { allowed: true };
    },
    fetch: async () => new Response('ok'),
  };
  const env = {
    APP_ENV: 'development',
    RATE_LIMITER: { idFromName: (name: string) => `id:${name}`, get: (_id: string) => stub },
    PAYMOB_CACHE: {
      get: async (key: string) => {
        calls.push(`kv:${key}`);
        return null;
      },
      getWithMetadata: async () => ({ value: null, metadata: null }),
      put: async () => undefined,
      delete: async () => undefined,
      list: async () => ({ keys: [] }),
    },
    NOTIFICATIONS: { send: async () => undefined, sendBatch: async () => undefined },
  };
  return { env, calls };
}

type FakeEnv = ReturnType<typeof fakeEnv>['env'];

describe('bench-only binding counters', () => {
  const envsSeen: unknown[] = [];
  const worker = {
    async fetch(request: Request, env: FakeEnv) {
      envsSeen.push(env);
      const url = new URL(request.url);
      const n = Number(url.searchParams.get('do') ?? 0);
      const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName('x'));
      void stub.id;
      for (let i = 0; i < n; i += 1) {
        // A pause between calls, so concurrent requests interleave.
        await new Promise((resolve) => setTimeout(resolve, 1));
        await stub.consume(i);
      }
      await env.PAYMOB_CACHE.get('a');
      if (url.searchParams.has('write')) await env.PAYMOB_CACHE.put();
      return new Response(env.APP_ENV);
    },
    async queue(_batch: unknown, env: FakeEnv) {
      await env.NOTIFICATIONS.send();
      await env.PAYMOB_CACHE.getWithMetadata();
    },
  };

  type Handler = (event: unknown, env: FakeEnv, ctx: unknown) => Promise<Response>;
  type Wrapped = Record<string, Handler>;
  const call = (wrapped: Wrapped, env: FakeEnv, path: string, id?: string, init: RequestInit = {}) =>
    (wrapped.fetch as Handler)(
      new Request(`http://w${path}`, { ...init, headers: id ? { 'x-request-id': id } : {} }),
      env,
      {},
    ) as Promise<Response>;

  it('recognises bindings by shape', () => {
    const { env } = fakeEnv();
    expect(bindingKind(env.RATE_LIMITER)).toBe('durableObject');
    expect(bindingKind(env.PAYMOB_CACHE)).toBe('kv');
    expect(bindingKind(env.NOTIFICATIONS)).toBe('queue');
    expect(bindingKind(env.APP_ENV)).toBeUndefined();
  });

  it('counts per request id, apart for concurrent requests, and in totals (queue consumers included)', async () => {
    const { env, calls } = fakeEnv();
    const wrapped = withCounters(worker) as Wrapped;
    const answers = await Promise.all([
      call(wrapped, env, '/a?do=3', 'req-aaaaaaaa'),
      call(wrapped, env, '/b?do=1&write', 'req-bbbbbbbb'),
      call(wrapped, env, '/c?do=2'),
    ]);
    expect(await Promise.all(answers.map((r) => r.text()))).toEqual([
      'development',
      'development',
      'development',
    ]);
    // The real bindings were called with their arguments.
    expect(calls.filter((c) => c.startsWith('consume')).sort()).toEqual(
      ['consume:0', 'consume:0', 'consume:0', 'consume:1', 'consume:1', 'consume:2'].sort(),
    );
    await (wrapped.queue as Handler)({}, env, {});

    const lookup = await call(wrapped, env, COUNTERS_PATH, undefined, {
      method: 'POST',
      body: JSON.stringify(['req-aaaaaaaa', 'req-bbbbbbbb', 'never-seen-1']),
    });
    expect(await lookup.json()).toEqual([
      { doCalls: 3, kvReads: 1, kvWrites: 0, queueSends: 0 },
      { doCalls: 1, kvReads: 1, kvWrites: 1, queueSends: 0 },
      null,
    ]);
    const totals = await call(wrapped, env, COUNTERS_PATH);
    expect(await totals.json()).toEqual({ doCalls: 6, kvReads: 4, kvWrites: 1, queueSends: 1 });
  });

  it('hands the app the same env object on every request (per-env caches keep working)', async () => {
    const { env } = fakeEnv();
    const wrapped = withCounters(worker) as Wrapped;
    envsSeen.length = 0;
    await call(wrapped, env, '/x', 'req-11111111');
    await call(wrapped, env, '/y', 'req-22222222');
    expect(envsSeen).toHaveLength(2);
    expect(envsSeen[0]).toBe(envsSeen[1]);
    expect(envsSeen[0]).not.toBe(env);
  });

  it('generates an entry module that re-exports the bundle and wraps its default export', () => {
    const source = counterEntrySource('index.js');
    expect(source).toContain('import worker from "./index.js";');
    expect(source).toContain('export * from "./index.js";');
    expect(source).toContain('export default withCounters(worker);');
  });

  it('passes the Rate Limiting stand-ins to the wrapper when asked (--ratelimits in-isolate)', () => {
    const source = counterEntrySource('index.js', { RATE_LIMIT_PROFILE: { limit: 30, period: 60 } });
    expect(source).toContain(
      'export default withCounters(worker, {"rateLimits":{"RATE_LIMIT_PROFILE":{"limit":30,"period":60}}});',
    );
  });

  it('answers a named Rate Limiting binding in the isolate, one window per key, shared by every env', async () => {
    const seen: Array<{ success: boolean }> = [];
    const limited = {
      async fetch(_request: Request, env: { RATE_LIMIT_PROFILE: ReturnType<typeof rateLimitStandIn> }) {
        seen.push(await env.RATE_LIMIT_PROFILE.limit({ key: 'user:1' }));
        return new Response('ok');
      },
    };
    const wrapped = withCounters(limited, {
      rateLimits: { RATE_LIMIT_PROFILE: { limit: 2, period: 60 } },
    }) as unknown as Wrapped;
    // Two different env objects: the windows are the isolate's, not the env's.
    for (let i = 0; i < 3; i += 1) await call(wrapped, fakeEnv().env, '/p', `req-rl-${i}-0000`);
    expect(seen.map((d) => d.success)).toEqual([true, true, false]);
  });

  describe('queue stand-ins (--queues in-isolate)', () => {
    type Message = {
      id: string;
      body: unknown;
      attempts: number;
      ack: () => void;
      retry: (o?: { delaySeconds?: number }) => void;
    };
    type Batch = { queue: string; messages: Message[] };
    /** A Worker whose request sends `body` and whose consumer does what the message body says. */
    function queued() {
      const batches: Batch[] = [];
      const realSends: Array<{ body: unknown; options: unknown }> = [];
      const realBatches: unknown[] = [];
      const waited: Promise<unknown>[] = [];
      const env = {
        ...fakeEnv().env,
        NOTIFICATIONS: {
          send: async (body: unknown, options: unknown) => {
            realSends.push({ body, options });
          },
          sendBatch: async (items: unknown) => {
            realBatches.push(items);
          },
        },
      };
      const app = {
        async fetch(request: Request, e: typeof env) {
          const body = (await request.json()) as { do: string; delay?: number };
          await e.NOTIFICATIONS.send(body, body.delay ? { delaySeconds: body.delay } : undefined);
          return new Response('sent');
        },
        async queue(batch: Batch, e: typeof env) {
          batches.push(batch);
          // The consumer's own calls are counted in the totals, not under the sending request.
          await e.PAYMOB_CACHE.get('consumer');
          for (const message of batch.messages) {
            const what = (message.body as { do: string }).do;
            if (what === 'throw') throw new Error('consumer failed');
            if (what === 'retry') message.retry({ delaySeconds: 30 });
            else message.ack();
          }
        },
      };
      const wrapped = withCounters(app, { queues: { NOTIFICATIONS: 'notifications' } }) as unknown as Wrapped;
      const ctx = { waitUntil: (promise: Promise<unknown>) => waited.push(promise) };
      const send = async (body: object, id = `req-q-${Math.random().toString(16).slice(2, 10)}`) => {
        const response = await (wrapped.fetch as Handler)(
          new Request('http://w/send', {
            method: 'POST',
            body: JSON.stringify(body),
            headers: { 'x-request-id': id },
          }),
          env as unknown as FakeEnv,
          ctx,
        );
        await Promise.all(waited.splice(0));
        return { status: response.status, id };
      };
      return { wrapped, env, send, batches, realSends, realBatches };
    }

    it('hands a message to the Worker’s own queue handler in the sender’s waitUntil, as a copy', async () => {
      const q = queued();
      const sent = { do: 'ack', nested: { n: 1 } };
      const { status, id } = await q.send(sent);
      expect(status).toBe(200);
      expect(q.batches).toHaveLength(1);
      const [batch] = q.batches as [Batch];
      expect(batch.queue).toBe('notifications');
      expect(batch.messages).toHaveLength(1);
      expect(batch.messages[0]?.body).toEqual({ do: 'ack', nested: { n: 1 } });
      expect(batch.messages[0]?.attempts).toBe(1);
      expect(batch.messages[0]?.id).toMatch(/^[0-9a-f]{32}$/);
      // Nothing went through the real (emulated) queue.
      expect(q.realSends).toEqual([]);
      expect(q.realBatches).toEqual([]);
      // The send is the request's; the consumer's KV read is in the totals only.
      const lookup = await call(q.wrapped, q.env as unknown as FakeEnv, COUNTERS_PATH, undefined, {
        method: 'POST',
        body: JSON.stringify([id]),
      });
      expect(await lookup.json()).toEqual([{ doCalls: 0, kvReads: 0, kvWrites: 0, queueSends: 1 }]);
      const totals = await call(q.wrapped, q.env as unknown as FakeEnv, COUNTERS_PATH);
      expect(await totals.json()).toEqual({ doCalls: 0, kvReads: 1, kvWrites: 0, queueSends: 1 });
    });

    it('gives a retried message, or those of a batch whose handler threw, to the real queue', async () => {
      const q = queued();
      await q.send({ do: 'retry' });
      await q.send({ do: 'throw' });
      expect(q.batches).toHaveLength(2);
      expect(q.realSends).toEqual([
        { body: { do: 'retry' }, options: { delaySeconds: 30 } },
        { body: { do: 'throw' }, options: {} },
      ]);
    });

    it('leaves a delayed message to the real queue', async () => {
      const q = queued();
      await q.send({ do: 'ack', delay: 5 });
      expect(q.batches).toEqual([]);
      expect(q.realBatches).toEqual([[{ body: { do: 'ack', delay: 5 }, delaySeconds: 5 }]]);
    });

    it('names the queues in the generated entry module', () => {
      expect(counterEntrySource('index.js', undefined, { NOTIFICATIONS: 'notifications' })).toContain(
        'export default withCounters(worker, {"queues":{"NOTIFICATIONS":"notifications"}});',
      );
    });
  });

  it('keeps a fixed window per key in the stand-in', async () => {
    const standIn = rateLimitStandIn({ limit: 1, period: 60 });
    expect(await standIn.limit({ key: 'a' })).toEqual({ success: true });
    expect(await standIn.limit({ key: 'b' })).toEqual({ success: true });
    expect(await standIn.limit({ key: 'a' })).toEqual({ success: false });
  });
});

describe('aggregating counts', () => {
  it('means over the ids found, leaving out the unknown ones', () => {
    expect(
      meanCounts([
        { doCalls: 1, kvReads: 0, kvWrites: 0, queueSends: 0 },
        null,
        { doCalls: 2, kvReads: 1, kvWrites: 0, queueSends: 1 },
      ]),
    ).toEqual({ doCalls: 1.5, kvReads: 0.5, kvWrites: 0, queueSends: 0.5 });
    expect(meanCounts([null, null])).toBeNull();
  });

  it('divides the totals delta by the requests', () => {
    const before = { ...emptyCounts(), doCalls: 10, kvReads: 4 };
    const after = { doCalls: 30, kvReads: 5, kvWrites: 2, queueSends: 10 };
    expect(countsPerRequest(before, after, 10)).toEqual({
      doCalls: 2,
      kvReads: 0.1,
      kvWrites: 0.2,
      queueSends: 1,
    });
  });
});

describe('wrangler config', () => {
  it('finds an [env.dev] environment in any of its table forms, and no other', () => {
    expect(hasEnvironment('name = "x"\n[env.dev]\nvars = {}', 'dev')).toBe(true);
    expect(hasEnvironment('[env.dev.vars]\nA = "1"', 'dev')).toBe(true);
    expect(hasEnvironment('[[env.dev.kv_namespaces]]\nbinding = "K"', 'dev')).toBe(true);
    expect(hasEnvironment('[env.development]\n[env.staging]\n# [env.dev]', 'dev')).toBe(false);
    expect(hasEnvironment('[vars]\nAPP_ENV = "production"', 'dev')).toBe(false);
  });
});

describe('latest.md run list', () => {
  it('gives one line per run, newest first, with the commit and the floor CPU', () => {
    const lines = runLines([
      { date: '2026-11-26T05:25:23Z', commit: 'abc1234', quick: false, results: [] },
      {
        date: '2026-12-06T10:30:00Z',
        commit: 'def5678',
        runtime: 'workerd',
        quick: true,
        failed: false,
        results: [
          { scenario: 'live', connections: 16, cpu_ms: 0.41 },
          { scenario: 'health', connections: 16, cpu_ms: 1.2 },
        ],
      },
    ]);
    // Runs recorded before the `assets` field served the config's [assets] (docs/benchmarks.md §2).
    expect(lines).toEqual([
      '- 2026-12-06T10:30:00Z — commit `def5678`, workerd, with [assets], quick; floor CPU (workerd) 0.41 ms @16',
      '- 2026-11-26T05:25:23Z — commit `abc1234`, wrangler-dev, with [assets]',
    ]);
  });

  it('says whether the asset router ran in front of the Worker and how rate limits were answered', () => {
    const lines = runLines([
      { date: 'a', commit: 'c1', runtime: 'workerd', assets: false, results: [] },
      { date: 'b', commit: 'c2', runtime: 'workerd', assets: true, results: [] },
      { date: 'c', commit: 'c3', runtime: 'external', assets: null, results: [] },
      { date: 'd', commit: 'c4', runtime: 'workerd', assets: false, ratelimits: 'in-isolate', results: [] },
      {
        date: 'e',
        commit: 'c5',
        runtime: 'workerd',
        assets: false,
        ratelimits: 'in-isolate',
        entry: 'direct',
        results: [],
      },
      { date: 'f', commit: 'c6', runtime: 'workerd', assets: false, entry: 'miniflare', results: [] },
    ]);
    expect(lines).toEqual([
      '- f — commit `c6`, workerd, without [assets]',
      '- e — commit `c5`, workerd, without [assets], Rate Limiting bindings in the isolate, direct socket',
      '- d — commit `c4`, workerd, without [assets], Rate Limiting bindings in the isolate',
      '- c — commit `c3`, external',
      '- b — commit `c2`, workerd, with [assets]',
      '- a — commit `c1`, workerd, without [assets]',
    ]);
  });
});

describe('before/after comparison', () => {
  const before = {
    commit: '1772d78',
    results: [
      { scenario: 'live', connections: 16, cpu_ms: 1.5, cpu_ms_by_group: { workerd: 0.5 }, db_trips: 0 },
      {
        scenario: 'profile_mine',
        connections: 16,
        cpu_ms_by_group: { workerd: 4 },
        db_trips: 1,
        bindings: { doCalls: 1, kvReads: 0 },
      },
      { scenario: 'login', connections: 16, skipped: 'route missing (404)' },
    ],
  };
  const after = {
    commit: 'b90836b',
    results: [
      { scenario: 'live', connections: 16, cpu_ms_by_group: { workerd: 0.4 }, db_trips: 0 },
      {
        scenario: 'profile_mine',
        connections: 16,
        cpu_ms_by_group: { workerd: 3 },
        db_trips: 1,
        bindings: { doCalls: 0, kvReads: 0 },
      },
      { scenario: 'profile_mine', connections: 64, cpu_ms_by_group: { workerd: 2 } },
      { scenario: 'login', connections: 16, cpu_ms_by_group: { workerd: 20 } },
    ],
  };

  it('pairs rows by scenario and concurrency, with the workerd CPU ratio and the counters', () => {
    const rows = compareRuns(before, after);
    expect(rows.map((r) => `${r.scenario}@${r.connections}`)).toEqual([
      'live@16',
      'profile_mine@16',
      'login@16',
    ]);
    expect(rows[0]?.cpu).toEqual([0.5, 0.4]);
    expect(rows[0]?.ratio).toBeCloseTo(0.8);
    expect(rows[1]).toMatchObject({ ratio: 0.75, doCalls: [1, 0], kvReads: [0, 0], dbTrips: [1, 1] });
    expect(rows[2]).toMatchObject({ skipped: 'route missing (404)', ratio: null });
  });

  it('picks the newest run of a commit, or the N-th from the end', () => {
    const runs = [
      { commit: 'aaa1111', date: '1' },
      { commit: 'bbb2222', date: '2' },
      { commit: 'aaa1111', date: '3' },
    ];
    expect(pickRun(runs, 'aaa')?.date).toBe('3');
    expect(pickRun(runs, '-2')?.date).toBe('2');
    expect(pickRun(runs, 'ccc')).toBeUndefined();
  });
});

describe('serving the bundle (tools/bench/runtime.mjs)', () => {
  // A real workerd through Miniflare's API, serving a Worker that says what reached it. Miniflare's entry
  // Worker gives every request a `cf` object and rewrites `Accept-Encoding`; nothing does on the direct socket.
  // The config has `[assets]` with a binding, as ours does: without --with-assets no asset router is in front
  // (the request for an asset's path reaches the Worker), and the binding still reads the directory.
  async function reached(entryWorker: boolean) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-runtime-'));
    try {
      writeFileSync(
        join(dir, 'wrangler.toml'),
        'name = "probe"\nmain = "index.js"\ncompatibility_date = "2025-09-01"\n' +
          '[assets]\ndirectory = "public"\nbinding = "ASSETS"\n',
      );
      mkdirSync(join(dir, 'public/data'), { recursive: true });
      writeFileSync(join(dir, 'public/data/list.txt'), 'one\ntwo\n');
      writeFileSync(
        join(dir, 'index.js'),
        `export default {
  async fetch(request, env) {
    const read = async (path) => {
      const response = await env.ASSETS.fetch("https://assets.invalid" + path);
      return [response.status, await response.text()];
    };
    return Response.json({
      cf: request.cf !== undefined,
      encoding: request.headers.get("Accept-Encoding"),
      path: new URL(request.url).pathname,
      asset: await read("/data/list.txt"),
      missing: (await read("/data/none.txt"))[0],
      outside: (await read("/data/..%2F..%2Fwrangler.toml"))[0],
    });
  },
};
`,
      );
      const worker = await startWorkerd({
        configPath: join(dir, 'wrangler.toml'),
        entry: join(dir, 'index.js'),
        vars: {},
        // 0: the socket gets a port from the system when it binds (no race with a port chosen beforehand);
        // startWorkerd answers with the URL actually bound.
        port: 0,
        counters: false,
        logFile: join(dir, 'workerd.log'),
        entryWorker,
      });
      try {
        const response = await fetch(`${worker.url}/data/list.txt?x=1`, {
          headers: { 'Accept-Encoding': 'identity' },
        });
        return { status: response.status, body: await response.json(), pids: worker.workerdPids().length };
      } finally {
        await worker.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const assets = { asset: [200, 'one\ntwo\n'], missing: 404, outside: 404 };

  it('answers on a direct socket to the Worker by default, and through the entry Worker when asked', async () => {
    expect(await reached(false)).toEqual({
      status: 200,
      body: { cf: false, encoding: 'identity', path: '/data/list.txt', ...assets },
      pids: 1,
    });
    expect(await reached(true)).toEqual({
      status: 200,
      body: { cf: true, encoding: 'br, gzip', path: '/data/list.txt', ...assets },
      pids: 1,
    });
  }, 60_000);
});
