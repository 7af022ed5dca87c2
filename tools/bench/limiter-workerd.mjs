#!/usr/bin/env node
/**
 * What one rate-limit check costs workerd, split into the Durable Object call and its storage work, so that
 * login's CPU above its PBKDF2 (docs/benchmarks.md §10) can be attributed without the inspector. Serves a Worker
 * with SQLite-backed Durable Objects on one bare workerd through Miniflare and sends N requests (4 at a time)
 * per route, dividing workerd's /proc CPU delta by N:
 * - `/noop`: answers at once;
 * - `/empty/fresh`, `/empty/warm`: one RPC to an object whose method touches no storage, on a new object name
 *   per request (a new object, as login's per-IP and per-account keys mostly are) or on one name (an object
 *   already in memory);
 * - `/limiter/fresh`, `/limiter/warm`: the same with src/durable/rate-limiter.ts's `consume` (storage get, put
 *   and, on a new window, setAlarm), copied below because this script runs no build.
 * Two rounds; compare rows of the same round.
 *
 * usage: node tools/bench/limiter-workerd.mjs [N=300]   (Node 22, as `npm run bench` uses)
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveScript } from './workerd-script.mjs';

const N = Number(process.argv[2] ?? 300);
const CONNECTIONS = 4;

const script = `
import { DurableObject } from 'cloudflare:workers';
const STATE_KEY = 'window';
// src/durable/rate-limiter.ts's consume, verbatim but for the types.
export class Limiter extends DurableObject {
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
export class Empty extends DurableObject {
  consume(limit, windowSeconds) {
    return { allowed: true, limit, remaining: limit, resetSeconds: windowSeconds };
  }
}
let fresh = 0;
export default {
  async fetch(request, env) {
    const [, kind, which] = new URL(request.url).pathname.split('/');
    if (kind === 'noop') return new Response('ok');
    const namespace = kind === 'empty' ? env.EMPTY : env.LIMITER;
    const name = which === 'fresh' ? 'login:ip:' + (fresh++) + ':' + Math.random() : 'login:ip:warm';
    const decision = await namespace.get(namespace.idFromName(name)).consume(1000000, 60);
    return new Response(String(decision.remaining));
  },
};`;

const persist = mkdtempSync(join(tmpdir(), 'limiter-workerd-'));
const worker = await serveScript(script, {
  durableObjects: {
    LIMITER: { className: 'Limiter', useSQLite: true },
    EMPTY: { className: 'Empty', useSQLite: true },
  },
  durableObjectsPersist: persist,
});
try {
  for (const round of [1, 2]) {
    const row = [];
    for (const path of ['/noop', '/empty/fresh', '/empty/warm', '/limiter/fresh', '/limiter/warm']) {
      row.push(`${path} ${(await worker.measure(path, N, CONNECTIONS)).toFixed(2)}`);
    }
    console.log(`round ${round}, workerd CPU ms per request over ${N}: ${row.join(', ')}`);
  }
} finally {
  await worker.dispose();
  rmSync(persist, { recursive: true, force: true });
}
