#!/usr/bin/env node
/**
 * What one rate-limit check costs workerd, split into the Durable Object call and its storage work, so that
 * login's CPU above its PBKDF2 (docs/benchmarks.md §10) can be attributed without the inspector. Serves a Worker
 * with SQLite-backed Durable Objects on one bare workerd through Miniflare and sends N requests (4 at a time)
 * per route, dividing workerd's /proc CPU delta by N:
 * - `/noop`: answers at once;
 * - `/empty/fresh`, `/empty/warm`: one RPC to an object whose method touches no storage, on a new object name
 *   per request (a new object) or on one name (an object already in memory);
 * - `/perkey/fresh`, `/perkey/warm`: the limiter's layout before issue 18's pool — one object per (scope, key)
 *   with its window in the key-value storage API (copied below, as it was in src/durable/rate-limiter.ts at
 *   1419e63) — on a new key per request (as login's per-address key mostly is) or on one key;
 * - `/pool/fresh`, `/pool/warm`: the real src/durable/rate-limiter.ts class reached through
 *   src/durable/limiter-shards.ts `limiterFor` (a fixed pool of objects per scope, many keys per object; bundled
 *   from the source with esbuild, so it cannot drift), on a new key per request or on one key.
 * Two rounds; compare rows of the same round.
 *
 * usage: node tools/bench/limiter-workerd.mjs [N=300]   (Node 22, as `npm run bench` uses)
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../dev-vars.mjs';
import { serveScript } from './workerd-script.mjs';

const N = Number(process.argv[2] ?? 300);
const CONNECTIONS = 4;

// esbuild comes with wrangler; the repository's own class and shard function, as the Worker bundle has them.
const esbuild = createRequire(join(REPO_ROOT, 'package.json'))('esbuild');
const { outputFiles } = await esbuild.build({
  stdin: {
    contents: `export { RateLimiter } from './src/durable/rate-limiter.ts';
export { limiterFor } from './src/durable/limiter-shards.ts';`,
    resolveDir: REPO_ROOT,
    loader: 'ts',
  },
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  external: ['cloudflare:workers'],
  write: false,
});
const limiterModule = outputFiles[0].text;

const script = `
${limiterModule}
import { DurableObject as PerKeyBase } from 'cloudflare:workers';
const STATE_KEY = 'window';
// The per-key layout's consume at 1419e63, verbatim but for the types.
export class PerKey extends PerKeyBase {
  async consume(limit, windowSeconds) {
    const now = Date.now();
    const windowMs = windowSeconds * 1000;
    const start = Math.floor(now / windowMs) * windowMs;
    const stored = await this.ctx.storage.get(STATE_KEY);
    const state = stored && stored.start === start ? stored : { start, count: 0 };
    const resetSeconds = Math.max(1, Math.ceil((start + windowMs - now) / 1000));
    if (state.count >= limit) return { allowed: false, limit, remaining: 0, resetSeconds };
    state.count += 1;
    await this.ctx.storage.put(STATE_KEY, state);
    if (!stored || stored.start !== start) await this.ctx.storage.setAlarm(start + windowMs);
    return { allowed: true, limit, remaining: limit - state.count, resetSeconds };
  }
  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}
export class Empty extends PerKeyBase {
  consume(limit, windowSeconds) {
    return { allowed: true, limit, remaining: limit, resetSeconds: windowSeconds };
  }
}
let fresh = 0;
export default {
  async fetch(request, env) {
    const [, kind, which] = new URL(request.url).pathname.split('/');
    if (kind === 'noop') return new Response('ok');
    const key = which === 'fresh' ? 'ip:' + (fresh++) + ':' + Math.random() : 'ip:warm';
    let decision;
    if (kind === 'pool') {
      const counter = limiterFor(env.LIMITER, 'login', key);
      decision = await counter.stub.consume(counter.key, 1000000, 60);
    } else {
      const namespace = kind === 'empty' ? env.EMPTY : env.PERKEY;
      decision = await namespace.get(namespace.idFromName('login:' + key)).consume(1000000, 60);
    }
    return new Response(String(decision.remaining));
  },
};`;

const persist = mkdtempSync(join(tmpdir(), 'limiter-workerd-'));
const worker = await serveScript(script, {
  durableObjects: {
    LIMITER: { className: 'RateLimiter', useSQLite: true },
    PERKEY: { className: 'PerKey', useSQLite: true },
    EMPTY: { className: 'Empty', useSQLite: true },
  },
  durableObjectsPersist: persist,
});
try {
  for (const round of [1, 2]) {
    const row = [];
    for (const path of [
      '/noop',
      '/empty/fresh',
      '/empty/warm',
      '/perkey/fresh',
      '/perkey/warm',
      '/pool/fresh',
      '/pool/warm',
    ]) {
      row.push(`${path} ${(await worker.measure(path, N, CONNECTIONS)).toFixed(2)}`);
    }
    console.log(`round ${round}, workerd CPU ms per request over ${N}: ${row.join(', ')}`);
  }
} finally {
  await worker.dispose();
  rmSync(persist, { recursive: true, force: true });
}
