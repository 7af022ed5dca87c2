/**
 * A one-file Worker served on one bare workerd through Miniflare, and workerd's CPU per request of one of its
 * routes from /proc: the harness of the micro-measurements next to `npm run bench` (pbkdf2-workerd.mjs,
 * limiter-workerd.mjs; docs/benchmarks.md §8, §10).
 */

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from '../dev-vars.mjs';
import { cpuPerRequest, groupSnapshot, workerdPids } from './procs.mjs';

const require = createRequire(join(REPO_ROOT, 'package.json'));
const { Miniflare, convertV4MiniflareOptions } = require('miniflare');

/**
 * Serves `script` (an ES module) with Miniflare v4-style `options` added (bindings, persistence).
 * @param {string} script
 * @param {Record<string, unknown>} [options]
 */
export async function serveScript(script, options = {}) {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script,
      compatibilityDate: '2026-11-01',
      host: '127.0.0.1',
      port: 0,
      cf: false,
      ...options,
    }),
  );
  const url = (await mf.ready).toString().replace(/\/$/, '');
  const groups = { workerd: () => workerdPids(process.pid) };
  return {
    /**
     * workerd's CPU ms per request of `path`: n requests, `connections` at a time, after 10 unmeasured ones.
     * @param {string} path
     * @param {number} n
     * @param {number} [connections]
     */
    async measure(path, n, connections = 1) {
      for (let i = 0; i < 10; i += 1) await (await fetch(`${url}${path}`)).arrayBuffer();
      const before = groupSnapshot(groups);
      let left = n;
      await Promise.all(
        Array.from({ length: connections }, async () => {
          while (left-- > 0) await (await fetch(`${url}${path}`)).arrayBuffer();
        }),
      );
      return /** @type {number} */ (cpuPerRequest(before, groupSnapshot(groups), n).workerd);
    },
    dispose: () => mf.dispose(),
  };
}
