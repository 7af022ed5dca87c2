#!/usr/bin/env node
/**
 * Where a row's isolate CPU went: reads the profiles `npm run bench -- --profile <dir>` wrote and prints, per
 * profile, the share of the busy samples (idle left out) by owner — the package or `src/` folder of the
 * innermost frame through the bundle's source map, or V8's own work — self and inclusive, and the functions
 * with the most self time (docs/benchmarks.md §6).
 *
 * usage: node tools/bench/profile-owners.mjs <dir> [top=15]
 */

import { readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';

const [dir, topArg] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node tools/bench/profile-owners.mjs <dir> [top]');
  process.exit(2);
}
const TOP = Number(topArg ?? 15);
const map = new SourceMap(JSON.parse(readFileSync(join(dir, 'index.js.map'), 'utf8')));

/** @param {string} source */
function ownerOf(source) {
  // drizzle-orm's own source maps name its files `src/…`, which the bundle's map resolves under node_modules.
  if (/node_modules\/src\//.test(source)) return 'drizzle-orm';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (pkg) return /** @type {string} */ (pkg[1]);
  const src = /(?:^|\/)(src\/.+)$/.exec(source);
  return src ? /** @type {string} */ (src[1]) : source || '(unmapped)';
}

/**
 * @typedef {{ id: number, children?: number[], callFrame: { functionName: string, url: string,
 *   lineNumber: number, columnNumber: number } }} ProfileNode
 */

for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .sort()) {
  /** @type {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[] }} */
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  /** @type {Map<number, { owner: string, fn: string }>} */
  const info = new Map();
  /** @type {Map<number, number>} */
  const parent = new Map();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    let owner = `(${functionName.replace(/^\(|\)$/g, '') || 'anonymous'})`;
    let fn = owner;
    if (url && lineNumber >= 0 && !/(^|\/)index\.js$/.test(url)) {
      // Not the bundle (index.js, whose map this is): another module of the run, e.g. the bench's counting
      // wrapper bench-counters.js, whose frame calling a Durable Object stub carries the call's own cost.
      owner = fn = `(${url.split('/').pop()}:${lineNumber + 1})`;
    } else if (url && lineNumber >= 0) {
      const entry = map.findEntry(lineNumber, columnNumber);
      const source = 'originalSource' in entry ? entry.originalSource : '';
      owner = ownerOf(source);
      const name = 'name' in entry && entry.name ? entry.name : functionName || 'anonymous';
      fn = `${name} (${owner}:${'originalLine' in entry ? entry.originalLine + 1 : '?'})`;
    } else if (url) owner = fn = '(compile)';
    info.set(node.id, { owner, fn });
  }
  /** @type {Map<string, number>} */
  const selfByOwner = new Map();
  /** @type {Map<string, number>} */
  const inclusiveByOwner = new Map();
  /** @type {Map<string, number>} */
  const selfByFn = new Map();
  let busy = 0;
  profile.samples.forEach((id, index) => {
    const us = profile.timeDeltas[index + 1] ?? 0;
    const own = info.get(id);
    if (!own || own.owner === '(idle)') return;
    busy += us;
    selfByOwner.set(own.owner, (selfByOwner.get(own.owner) ?? 0) + us);
    selfByFn.set(own.fn, (selfByFn.get(own.fn) ?? 0) + us);
    // Inclusive: every owner on the stack once.
    const seen = new Set();
    for (let at = /** @type {number | undefined} */ (id); at !== undefined; at = parent.get(at)) {
      const o = info.get(at)?.owner;
      if (o && !seen.has(o)) {
        seen.add(o);
        inclusiveByOwner.set(o, (inclusiveByOwner.get(o) ?? 0) + us);
      }
    }
  });
  const pct = (/** @type {number} */ us) => `${((us / busy) * 100).toFixed(1).padStart(5)} %`;
  const sorted = (/** @type {Map<string, number>} */ m) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  console.log(`\n## ${file}: ${(busy / 1000).toFixed(0)} ms busy (inspector attached: shares only)`);
  console.log('Self time by owner                              self      inclusive');
  for (const [owner, us] of sorted(selfByOwner).slice(0, TOP))
    console.log(`  ${owner.padEnd(44)} ${pct(us)}  ${pct(inclusiveByOwner.get(owner) ?? 0)}`);
  console.log('Functions with the most self time');
  for (const [fn, us] of sorted(selfByFn).slice(0, TOP)) console.log(`  ${pct(us)}  ${fn}`);
}
