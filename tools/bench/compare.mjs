#!/usr/bin/env node
/**
 * Before/after table from bench/results/history.jsonl: two runs of `npm run bench` (e.g. `--commit 1772d78`
 * then HEAD, back to back on the same machine), one row per scenario and concurrency with the workerd CPU
 * per request, DB trips, Durable Object calls and KV reads of each, and the after/before ratio of the CPU.
 * Only ratios taken in one run window mean anything on a shared machine (docs/benchmarks.md §8).
 *
 * usage: node tools/bench/compare.mjs <before> <after>   (each: a commit prefix, matched against the newest
 *        run of that commit, or -N for the N-th run from the end of history.jsonl: -2 -1)
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assetsMode, RESULTS_DIR } from './report.mjs';

/**
 * The run a selector names: `-N` = the N-th run from the end, anything else = the newest run whose commit
 * starts with it.
 * @param {Array<Record<string, any>>} runs
 * @param {string} selector
 */
export function pickRun(runs, selector) {
  if (/^-\d+$/.test(selector)) return runs.at(Number(selector));
  return [...runs].reverse().find((run) => typeof run.commit === 'string' && run.commit.startsWith(selector));
}

const num = (/** @type {unknown} */ v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const fmt = (/** @type {number | null | undefined} */ v, digits = 2) =>
  v === null || v === undefined ? '–' : v.toFixed(digits);

/**
 * One row per (scenario, concurrency) measured in both runs, in the after run's order.
 * @param {Record<string, any>} before
 * @param {Record<string, any>} after
 */
export function compareRuns(before, after) {
  /** @type {Array<Record<string, any>>} */
  const beforeRows = before.results ?? [];
  /** @type {Array<Record<string, any>>} */
  const afterRows = after.results ?? [];
  return afterRows.flatMap((a) => {
    const b = beforeRows.find((r) => r.scenario === a.scenario && r.connections === a.connections);
    if (!b) return [];
    const cpuBefore = num(b.cpu_ms_by_group?.workerd ?? b.cpu_ms);
    const cpuAfter = num(a.cpu_ms_by_group?.workerd ?? a.cpu_ms);
    return [
      {
        scenario: a.scenario,
        connections: a.connections,
        skipped: b.skipped ?? a.skipped ?? null,
        cpu: [cpuBefore, cpuAfter],
        ratio: cpuBefore && cpuAfter !== null ? cpuAfter / cpuBefore : null,
        dbTrips: [num(b.db_trips), num(a.db_trips)],
        doCalls: [num(b.bindings?.doCalls), num(a.bindings?.doCalls)],
        kvReads: [num(b.bindings?.kvReads), num(a.bindings?.kvReads)],
        rps: [num(b.rps), num(a.rps)],
      },
    ];
  });
}

/**
 * The Markdown table.
 * @param {Record<string, any>} before
 * @param {Record<string, any>} after
 */
export function comparisonMarkdown(before, after) {
  const pair = (/** @type {Array<number | null | undefined>} */ [x, y], digits = 2) =>
    `${fmt(x, digits)} → ${fmt(y, digits)}`;
  const rows = compareRuns(before, after).map((row) =>
    row.skipped
      ? `| ${row.scenario} | ${row.connections} | not measured: ${row.skipped} | | | | | |`
      : `| ${row.scenario} | ${row.connections} | ${fmt(row.cpu[0])} | ${fmt(row.cpu[1])} | **${fmt(row.ratio)}** | ${pair(row.dbTrips, 1)} | ${pair(row.doCalls)} | ${pair(row.kvReads)} |`,
  );
  const describe = (/** @type {Record<string, any>} */ run) =>
    `\`${run.commit}\` (${run.date}, ${run.runtime ?? 'wrangler-dev'}${assetsMode(run)}, load average ${(run.load_avg_1m ?? []).join(' / ')})`;
  return [
    `Before ${describe(before)}; after ${describe(after)}.`,
    '',
    '| Scenario | Conc. | workerd CPU ms/req before | after | after/before | DB trips/req | DO calls/req | KV reads/req |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

async function main() {
  const [beforeSel, afterSel] = process.argv.slice(2);
  if (!beforeSel || !afterSel) {
    console.error('usage: node tools/bench/compare.mjs <before commit|-N> <after commit|-N>');
    process.exit(2);
  }
  const runs = readFileSync(join(RESULTS_DIR, 'history.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });
  const before = pickRun(runs, beforeSel);
  const after = pickRun(runs, afterSel);
  if (!before || !after) {
    console.error(`no run in history.jsonl for ${before ? afterSel : beforeSel}`);
    process.exit(1);
  }
  console.log(comparisonMarkdown(before, after));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
