#!/usr/bin/env node
/**
 * The CPU of one PBKDF2-SHA256 derivation at 100,000 iterations (what `POST users/login/` does to check a
 * password, src/lib/password.ts) on workerd itself, so that login's workerd CPU per request can be split into
 * the derivation and the rest (issue 18's target: login = one PBKDF2-100k + ≤ 2 ms; docs/benchmarks.md §8).
 * Serves a two-route Worker on one bare workerd through Miniflare, sends N sequential requests to each route
 * and divides workerd's /proc CPU delta by N: `/kdf` derives (same parameters as src/lib/password.ts),
 * `/noop` answers at once; the difference is the derivation.
 *
 * usage: node tools/bench/pbkdf2-workerd.mjs [N=200]   (Node 22, as `npm run bench` uses)
 */

import { serveScript } from './workerd-script.mjs';

const N = Number(process.argv[2] ?? 200);

const script = `
const enc = new TextEncoder();
export default {
  async fetch(request) {
    if (new URL(request.url).pathname !== '/kdf') return new Response('ok');
    const key = await crypto.subtle.importKey('raw', enc.encode('Quartz-Harbor-71!'), 'PBKDF2', false, ['deriveBits']);
    const bits = await crypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt: enc.encode('c2FsdHNhbHRzYWx0c2FsdA=='), iterations: 100000 },
      key,
      256,
    );
    return new Response(String(new Uint8Array(bits)[0]));
  },
};`;

const worker = await serveScript(script);
try {
  const noop = await worker.measure('/noop', N);
  const kdf = await worker.measure('/kdf', N);
  console.log(
    `workerd CPU per request over ${N} sequential requests: /noop ${noop.toFixed(2)} ms, /kdf ${kdf.toFixed(2)} ms; ` +
      `one PBKDF2-SHA256 100k derivation ≈ ${(kdf - noop).toFixed(2)} ms`,
  );
} finally {
  await worker.dispose();
}
