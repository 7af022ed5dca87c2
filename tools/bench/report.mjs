// Results: the console table, bench/results/latest.md, an SVG bar chart (latest.svg, no external fonts)
// and bench/results/history.jsonl (the last HISTORY_KEEP runs, one JSON object per line).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../dev-vars.mjs';

export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
const HISTORY_KEEP = 20;

/**
 * @typedef {object} Row
 * @property {string} scenario
 * @property {string} title
 * @property {number} connections
 * @property {import('./load.mjs').Measurement | undefined} result
 * @property {string | undefined} skipped why the row was not measured
 * @property {string | undefined} capped why the request count is bounded (rate limits, data)
 * @property {{ p50: number, cpuMsPerRequest: number | null }} [floor] GET /health/live measured just before
 */

/** Machine and toolchain facts recorded with every run. */
export function machineInfo() {
  const cpus = os.cpus();
  let cpuModel = cpus[0]?.model?.trim() || 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) cpuModel = line.split(':')[1]?.trim() || cpuModel;
  } catch {
    // not Linux
  }
  const requireFromRepo = createRequire(join(REPO_ROOT, 'package.json'));
  const version = (/** @type {string} */ pkg, from = requireFromRepo) => {
    try {
      return /** @type {{ version: string }} */ (from(`${pkg}/package.json`)).version;
    } catch {
      return 'unknown';
    }
  };
  let workerd = 'unknown';
  try {
    // The workerd that wrangler's own miniflare runs (there may be another one at the top level).
    const fromWrangler = createRequire(requireFromRepo.resolve('wrangler/package.json'));
    const fromMiniflare = createRequire(fromWrangler.resolve('miniflare/package.json'));
    workerd = version('workerd', fromMiniflare);
  } catch {
    // keep unknown
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpuModel,
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    wrangler: version('wrangler'),
    workerd,
    autocannon: version('autocannon'),
    commit,
  };
}

const fmt = (/** @type {number | null | undefined} */ value, digits = 1) =>
  value === null || value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
const fmtRps = (/** @type {number} */ value) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return null;
  return sorted.length % 2
    ? /** @type {number} */ (sorted[mid])
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

// Floor samples either side of a row that its ratios use (see floorRatios).
const FLOOR_WINDOW = 2;

/**
 * Ratios to the floor (GET /health/live) at the same concurrency in the same run. The floor is sampled
 * right before every row; a row is compared with the median of the samples taken before it and the
 * FLOOR_WINDOW rows either side, so neither a slow change in what else the machine does nor a momentary
 * burst (say, rate-limiter alarms firing at a minute boundary) skews a ratio.
 * @param {Row[]} rows
 */
function floorRatios(rows) {
  /** @type {Map<number, Array<{ index: number, p50: number, cpu: number | null }>>} */
  const samples = new Map();
  rows.forEach((row, index) => {
    const sample =
      row.scenario === 'live' && row.result
        ? { p50: row.result.p50, cpu: row.result.cpuMsPerRequest }
        : row.floor
          ? { p50: row.floor.p50, cpu: row.floor.cpuMsPerRequest }
          : undefined;
    if (!sample) return;
    const list = samples.get(row.connections) ?? [];
    list.push({ index, ...sample });
    samples.set(row.connections, list);
  });
  return (/** @type {Row} */ row) => {
    const list = samples.get(row.connections) ?? [];
    const index = rows.indexOf(row);
    const at = list.findIndex((sample) => sample.index >= index);
    const centre = at === -1 ? list.length - 1 : at;
    const window = list.slice(Math.max(0, centre - FLOOR_WINDOW), centre + FLOOR_WINDOW + 1);
    const p50 = median(window.map((sample) => sample.p50));
    const cpu = median(window.flatMap((sample) => (sample.cpu === null ? [] : [sample.cpu])));
    if (!row.result || p50 === null) return { latency: null, cpu: null };
    return {
      latency: p50 > 0 ? row.result.p50 / p50 : null,
      cpu: cpu && row.result.cpuMsPerRequest !== null ? row.result.cpuMsPerRequest / cpu : null,
    };
  };
}

/** Column titles of the CPU groups, in display order (others follow in the order first seen). */
const GROUP_TITLES = /** @type {Record<string, string>} */ ({
  workerd: 'CPU workerd',
  wrangler: 'CPU wrangler',
  simulator: 'CPU simulator',
  mariadb: 'CPU MariaDB',
  loadgen: 'CPU load gen.',
});

/**
 * The CPU groups measured in these rows.
 * @param {Row[]} rows
 */
export function cpuGroups(rows) {
  const seen = new Set();
  for (const row of rows) for (const name of Object.keys(row.result?.cpu ?? {})) seen.add(name);
  const known = Object.keys(GROUP_TITLES).filter((name) => seen.has(name));
  return [...known, ...[...seen].filter((name) => !known.includes(name))];
}

/** @param {Row[]} rows */
function header(rows) {
  return [
    'Scenario',
    'Conc.',
    'Requests',
    'Req/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'Errors',
    'DB trips/req',
    'DO calls/req',
    'KV reads/req',
    ...cpuGroups(rows).map((name) => `${GROUP_TITLES[name] ?? `CPU ${name}`} ms/req`),
    'p50 × floor',
    'CPU × floor',
  ];
}

/**
 * The table as rows of cells (shared by the console and Markdown).
 * @param {Row[]} rows
 */
export function tableCells(rows) {
  const ratio = floorRatios(rows);
  const groups = cpuGroups(rows);
  const width = header(rows).length;
  return rows.map((row) => {
    if (!row.result) {
      return [
        row.title,
        String(row.connections),
        `not available: ${row.skipped ?? '?'}`,
        ...Array(width - 3).fill(''),
      ];
    }
    const r = row.result;
    const ratios = ratio(row);
    return [
      row.title,
      String(row.connections),
      `${r.requests}${row.capped ? ' †' : ''}`,
      fmtRps(r.rps),
      fmt(r.p50),
      fmt(r.p95),
      fmt(r.p99),
      r.errors > 0 ? `**${r.errors}**` : '0',
      fmt(r.dbTripsPerRequest),
      fmt(r.bindingsPerRequest?.doCalls, 2),
      fmt(r.bindingsPerRequest?.kvReads, 2),
      ...groups.map((name) => fmt(r.cpu?.[name], 2)),
      fmt(ratios.latency),
      fmt(ratios.cpu),
    ];
  });
}

/** @param {Row[]} rows */
export function consoleTable(rows) {
  const HEADER = header(rows);
  const cells = [HEADER, ...tableCells(rows).map((r) => r.map((c) => c.replaceAll('**', '')))];
  const widths = HEADER.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (/** @type {string[]} */ r) =>
    r.map((c, i) => (i < 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/**
 * @param {Row[]} rows
 * @param {ReturnType<typeof machineInfo>} machine
 * @param {{ date: string, quick: boolean, users: number, durationSeconds: number, levels: number[],
 *   setupSeconds: number, load: { before: number, after: number }, notes: string[], target: string,
 *   floorProbeSeconds: number,
 *   scenarios: Array<{ title: string, what: string }> }} run
 */
export function markdown(rows, machine, run) {
  const HEADER = header(rows);
  const table = [
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map((_, i) => (i < 1 ? '---' : '---:')).join('|')}|`,
    ...tableCells(rows).map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  const capped = rows.filter((row) => row.capped && row.result);
  return `# StackPay benchmark — ${run.date}${run.quick ? ' (quick)' : ''}

${table}

${capped.length > 0 ? `† bounded by the API's own rate limits or by the data available (not by time): ${[...new Set(capped.map((row) => row.capped))].join('; ')}.\n\n` : ''}**Machine**: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, ${machine.os}.
**Versions**: Node ${machine.node}, wrangler ${machine.wrangler}, workerd ${machine.workerd}, autocannon ${machine.autocannon}.
**Run**: ${run.target}; concurrency ${run.levels.join(', ')}; ${run.durationSeconds} s per row (longer while a row has fewer than 3 answers per connection, shorter when †); ${run.users} benchmark users (set up in ${run.setupSeconds.toFixed(0)} s through the public API).
**Load average** (1 min) when the rows started / ended: ${run.load.before.toFixed(2)} / ${run.load.after.toFixed(2)} on ${machine.cores} cores — anything else running on the machine (the load generator, MariaDB and the simulator run here too) slows every row alike.

How to read it:
- **Conc.** = concurrent connections (autocannon, keep-alive, one request in flight per connection).
- **p50/p95/p99** are computed from every response's latency; **Errors** counts non-2xx answers, connection
  errors and timeouts (any error fails \`npm run bench\`).
- **DB trips/req**: mean of the PlanetScale-simulator query counts of ${'~40'} sampled requests (each request
  carries its own \`X-Request-Id\`); every query is one HTTP round trip to the database in production.
- **DO calls/req**, **KV reads/req**: calls to Durable Object stubs and KV reads (get, getWithMetadata,
  list) of the same sampled requests, counted per \`X-Request-Id\` by a bench-only wrapper around the
  bundle's bindings (tools/bench/worker-counters.js; never deployed); \`–\` when the wrapper was off
  (\`--no-counters\`, \`--wrangler-dev\`, \`--url\`). Calls made by queue consumers are not a request's;
  history.jsonl also keeps every counted call of the row divided by its requests.
- **CPU … ms/req**: user+system CPU (/proc/<pid>/stat) of each process group over the row, divided by the
  requests: **workerd** = the Worker's runtime (our isolate, its Durable Objects and queue consumers; under
  \`--wrangler-dev\` also the dev proxy Worker), **wrangler** = wrangler's Node processes (\`--wrangler-dev\`
  only), **simulator** = the PlanetScale simulator and the provider sandbox (one Node process),
  **MariaDB** = the whole database server (on a shared server, other clients' work too), **load gen.** =
  this benchmark's own process (autocannon, and Miniflare's Node side, which relays nothing per request).
  Background work that falls in the row (the rate limiter's alarms at each minute boundary) is included;
  none of it is Cloudflare's billed CPU time.
- **× floor**: the row's p50 latency and CPU per request divided by those of \`GET /health/live\` at the
  same concurrency. The floor is sampled again (${run.floorProbeSeconds} s) right before every row, and a row
  is compared with the median of that sample and the samples of the two rows either side, so neither a
  slow change in what else the machine does nor a momentary burst skews the ratios.
- Latency includes the local database (MariaDB behind the simulator; \`GET /health\` minus the floor is the
  cost of one local round trip) and the PayMob sandbox on loopback. In production each database round trip
  (edge → PlanetScale) and each PayMob call costs milliseconds to tens of milliseconds more, so rows with
  many round trips are slower there than the ratios here suggest.

Scenarios:
${run.scenarios.map((s) => `- \`${s.title}\`: ${s.what}`).join('\n')}

<details><summary>Database statements of one sampled request per scenario (first 200 characters each)</summary>

${statementsSection(rows)}
</details>
${run.notes.length > 0 ? `\nNotes:\n${run.notes.map((n) => `- ${n}`).join('\n')}\n` : ''}`;
}

/**
 * For each scenario, the statements of a request from its highest-concurrency row.
 * @param {Row[]} rows
 */
function statementsSection(rows) {
  /** @type {Map<string, Row>} */
  const last = new Map();
  for (const row of rows) if (row.result?.statements) last.set(row.scenario, row);
  return [...last.values()]
    .map((row) => {
      const statements = /** @type {string[]} */ (row.result?.statements);
      const body = statements.length
        ? statements
            // Double backticks: the SQL itself quotes identifiers with single ones.
            .map((sql, i) => `${i + 1}. \`\` ${sql.replace(/\s+/g, ' ')} \`\``)
            .join('\n')
        : '(none)';
      return `**${row.title}**\n\n${body}\n`;
    })
    .join('\n');
}

/**
 * Horizontal grouped bars (one group per scenario, one bar per concurrency): requests/s and p50 latency,
 * both on log scales. Text uses the generic sans-serif family, so nothing is fetched.
 * @param {Row[]} rows
 * @param {string} title
 */
export function svgChart(rows, title) {
  const scenarios = [...new Set(rows.map((row) => row.scenario))];
  const levels = [...new Set(rows.map((row) => row.connections))].sort((a, b) => a - b);
  const colors = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#e45756'];
  const barH = 9;
  const groupH = levels.length * (barH + 2) + 12;
  const labelW = 300;
  const panelW = 330;
  const top = 64;
  const height = top + scenarios.length * groupH + 40;
  const width = labelW + 2 * panelW + 60;
  const measured = rows.filter((row) => row.result);
  const esc = (/** @type {string} */ s) =>
    s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

  /**
   * @param {number} x0
   * @param {string} label
   * @param {(row: Row) => number} value
   * @param {(v: number) => string} text
   */
  const panel = (x0, label, value, text) => {
    const values = measured.map(value).filter((v) => v > 0);
    if (values.length === 0) return '';
    const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
    const span = Math.log10(hi) - Math.log10(lo) || 1;
    const x = (/** @type {number} */ v) =>
      x0 + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * (panelW - 70);
    const parts = [`<text x="${x0}" y="${top - 24}" font-weight="bold">${esc(label)}</text>`];
    for (let decade = lo; decade <= hi; decade *= 10) {
      const gx = x(decade).toFixed(1);
      parts.push(
        `<line x1="${gx}" y1="${top - 10}" x2="${gx}" y2="${height - 36}" stroke="#ddd"/>`,
        `<text x="${gx}" y="${height - 22}" text-anchor="middle" fill="#666">${decade >= 1 ? decade : decade.toFixed(2)}</text>`,
      );
    }
    scenarios.forEach((scenario, si) => {
      levels.forEach((level, li) => {
        const row = rows.find((r) => r.scenario === scenario && r.connections === level);
        const y = top + si * groupH + li * (barH + 2);
        if (!row?.result) return;
        const v = value(row);
        const w = Math.max(1, x(v) - x0);
        parts.push(
          `<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${colors[li % colors.length]}"${row.result.errors > 0 ? ' stroke="#d00" stroke-width="1.5"' : ''}/>`,
          `<text x="${(x0 + w + 4).toFixed(1)}" y="${y + barH - 1}" font-size="9" fill="#333">${esc(text(v))}</text>`,
        );
      });
    });
    return parts.join('\n');
  };

  const labels = scenarios.map((scenario, si) => {
    const row = rows.find((r) => r.scenario === scenario);
    const y = top + si * groupH + (levels.length * (barH + 2)) / 2 + 3;
    const available = rows.some((r) => r.scenario === scenario && r.result);
    return `<text x="${labelW - 10}" y="${y}" text-anchor="end"${available ? '' : ' fill="#999"'}>${esc(row?.title ?? scenario)}${available ? '' : ' (n/a)'}</text>`;
  });
  const legend = levels.map(
    (level, li) =>
      `<rect x="${labelW + li * 90}" y="${height - 14}" width="10" height="10" fill="${colors[li % colors.length]}"/><text x="${labelW + li * 90 + 14}" y="${height - 5}">${level} conn.</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>
${labels.join('\n')}
${panel(
  labelW,
  'Requests/s (log scale, more is better)',
  (row) => row.result?.rps ?? 0,
  (v) => fmtRps(v),
)}
${panel(
  labelW + panelW + 30,
  'p50 latency, ms (log scale, less is better)',
  (row) => row.result?.p50 ?? 0,
  (v) => fmt(v),
)}
${legend.join('\n')}
</svg>
`;
}

/**
 * Writes latest.md, latest.svg and appends to history.jsonl (keeping the last HISTORY_KEEP runs).
 * @param {{ markdown: string, svg: string, entry: Record<string, unknown> }} output
 */
export function writeResults(output) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'latest.svg'), output.svg);
  const historyFile = join(RESULTS_DIR, 'history.jsonl');
  const previous = existsSync(historyFile)
    ? readFileSync(historyFile, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
    : [];
  const lines = [...previous, JSON.stringify(output.entry)].slice(-HISTORY_KEEP);
  writeFileSync(historyFile, `${lines.join('\n')}\n`);
  /** @type {Array<Record<string, any>>} */
  const entries = [];
  for (const line of lines) {
    try {
      entries.push(JSON.parse(line));
    } catch {
      // a damaged line is skipped, not fatal
    }
  }
  writeFileSync(
    join(RESULTS_DIR, 'latest.md'),
    `${output.markdown}\n## Runs (history.jsonl, newest first)\n\n${runLines(entries).join('\n')}\n`,
  );
}

/** @param {Row[]} rows */
export function historyEntry(/** @type {Row[]} */ rows, /** @type {Record<string, unknown>} */ meta) {
  return {
    ...meta,
    results: rows.map((row) => ({
      scenario: row.scenario,
      connections: row.connections,
      ...(row.result
        ? {
            requests: row.result.requests,
            rps: round(row.result.rps),
            p50: round(row.result.p50),
            p95: round(row.result.p95),
            p99: round(row.result.p99),
            errors: row.result.errors,
            db_trips: row.result.dbTripsPerRequest === null ? null : round(row.result.dbTripsPerRequest),
            // Every statement of the row's window (queue consumers included) / requests.
            db_trips_total:
              row.result.dbTripsTotalPerRequest === null ? null : round(row.result.dbTripsTotalPerRequest),
            cpu_ms: row.result.cpuMsPerRequest === null ? null : round(row.result.cpuMsPerRequest, 3),
            cpu_ms_by_group: Object.fromEntries(
              Object.entries(row.result.cpu ?? {}).map(([name, ms]) => [
                name,
                ms === null ? null : round(ms, 3),
              ]),
            ),
            bindings: roundCounts(row.result.bindingsPerRequest),
            bindings_total: roundCounts(row.result.bindingsTotalPerRequest),
            capped: row.capped ?? null,
            floor_p50: row.floor ? round(row.floor.p50) : null,
            floor_cpu_ms: row.floor?.cpuMsPerRequest ? round(row.floor.cpuMsPerRequest, 3) : null,
          }
        : { skipped: row.skipped ?? null }),
    })),
  };
}

const round = (/** @type {number} */ v, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

/** @param {Record<string, number> | null | undefined} counts */
function roundCounts(counts) {
  if (!counts) return null;
  return Object.fromEntries(Object.entries(counts).map(([key, value]) => [key, round(value, 3)]));
}

/**
 * Whether the run served the config's `[assets]` in front of the Worker. Runs recorded before the field
 * existed served them (bare workerd and `wrangler dev` alike); `--url` runs do not know.
 * @param {Record<string, any>} entry
 */
export function assetsMode(entry) {
  if (entry.runtime === 'external' || entry.assets === null) return '';
  const assets = entry.assets === false ? ', without [assets]' : ', with [assets]';
  // Runs without the fields (recorded before they existed) used Miniflare's emulations, as `emulated` runs do,
  // and its entry Worker, as `miniflare` runs do.
  const limits = entry.ratelimits === 'in-isolate' ? ', Rate Limiting bindings in the isolate' : '';
  const queues = entry.queues === 'in-isolate' ? ', queues in the isolate' : '';
  return `${assets}${limits}${queues}${entry.entry === 'direct' ? ', direct socket' : ''}`;
}

/**
 * One line per run recorded in history.jsonl, newest first: date, commit, runtime and assets mode, quick or
 * full, failed,
 * and the floor's workerd CPU per request at each concurrency.
 * @param {Array<Record<string, any>>} entries
 */
export function runLines(entries) {
  return [...entries].reverse().map((entry) => {
    const floor = (entry.results ?? [])
      .filter((/** @type {any} */ r) => r.scenario === 'live' && typeof r.cpu_ms === 'number')
      .map((/** @type {any} */ r) => `${r.cpu_ms} ms @${r.connections}`);
    return (
      `- ${entry.date ?? '?'} — commit \`${entry.commit ?? '?'}\`, ${entry.runtime ?? 'wrangler-dev'}${assetsMode(entry)}` +
      `${entry.quick ? ', quick' : ''}${entry.failed ? ', FAILED' : ''}` +
      (floor.length > 0 ? `; floor CPU (workerd) ${floor.join(', ')}` : '')
    );
  });
}
