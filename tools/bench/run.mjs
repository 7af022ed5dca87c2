#!/usr/bin/env node
/**
 * `npm run bench` — the API's performance on this machine, measured the same way every time.
 *
 * Starts its own local stack (tools/bench/stack.mjs; never the dev database) — the built bundle on one bare
 * workerd through Miniflare's API (the production runtime), or under `wrangler dev` with --wrangler-dev —
 * or uses one given by --url, creates its own users, customers and transactions through the public API,
 * then drives a fixed set of scenarios with autocannon at a few concurrency levels and prints, per row:
 * requests/s, p50/p95/p99, errors, database round trips, Durable Object calls and KV reads per request,
 * CPU ms per request of each process group (workerd, simulator, MariaDB, load generator) and the ratio to
 * the floor (GET /health/live). Writes bench/results/latest.md, latest.svg and history.jsonl
 * (docs/benchmarks.md).
 *
 * Exit status: 0 when every available scenario answered as expected; 1 when any request failed (non-2xx,
 * connection error, timeout) or the setup failed. Never fails for being slow.
 *
 * Options: --quick (one concurrency level, short rows: under a minute), --wrangler-dev (serve the bundle
 * with `wrangler dev` instead, for comparison), --no-counters (no binding-call counting wrapper),
 * --url <worker> [--sim-url <admin>]
 * [--sandbox-url <url>] to measure a running stack (e.g. `npm run dev`), --users N, --duration S,
 * --concurrency 1,16,64, --only live,health, --no-write, --keep (keep the database and work directory),
 * --working-tree (measure the checkout with its uncommitted changes instead of the last commit),
 * --commit <ref> (measure that commit instead of HEAD: before/after comparisons), --with-assets (serve the
 * config's `[assets]` too: Miniflare's asset router runs before the Worker on every request; off by default
 * because in production assets are routed outside the Worker's isolate, docs/benchmarks.md §2),
 * --ratelimits emulated|in-isolate (how the Rate Limiting bindings are answered: by an in-isolate stand-in,
 * the default, or by Miniflare's emulation, a service Worker and a Durable Object in the same workerd whose CPU
 * is not the Worker's in production; docs/benchmarks.md §2),
 * --queues emulated|in-isolate (how messages to the Worker's own queues reach its consumer: straight to its
 * `queue` handler, the default, or through Miniflare's queue brokers, JavaScript Durable Objects in the same
 * workerd; docs/benchmarks.md §2),
 * --entry-worker (send requests through Miniflare's entry Worker, as `wrangler dev` does; by default the
 * port is a direct socket to the Worker, as in production; docs/benchmarks.md §2),
 * --profile <dir> (a V8 CPU profile of the isolate per row through workerd's inspector; results not written).
 */

import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RateBudget } from './budget.mjs';
import { createFixtures, refreshOldTokens } from './fixtures.mjs';
import { addressPool, createApi, isMissingRoute } from './http.mjs';
import { measure } from './load.mjs';
import { freePort } from './procs.mjs';
import { startProfile } from './profiler.mjs';
import { consoleTable, historyEntry, machineInfo, markdown, svgChart, writeResults } from './report.mjs';
import { buildScenarios } from './scenarios.mjs';
import { makeWorkDir, prepareSource, readLocalVars, startStack } from './stack.mjs';

const STARTED = performance.now();
const log = (/** @type {string} */ message) =>
  console.log(`[bench +${((performance.now() - STARTED) / 1000).toFixed(1)}s] ${message}`);

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'wrangler-dev': { type: 'boolean', default: false },
    'no-counters': { type: 'boolean', default: false },
    url: { type: 'string' },
    'sim-url': { type: 'string' },
    'sandbox-url': { type: 'string' },
    users: { type: 'string' },
    duration: { type: 'string' },
    concurrency: { type: 'string' },
    only: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'working-tree': { type: 'boolean', default: false },
    commit: { type: 'string' },
    'with-assets': { type: 'boolean', default: false },
    ratelimits: { type: 'string' },
    queues: { type: 'string' },
    'entry-worker': { type: 'boolean', default: false },
    profile: { type: 'string' },
    database: { type: 'string', default: 'stackpay_bench' },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  console.log(`usage: npm run bench -- [--quick] [--wrangler-dev] [--no-counters] [--url http://127.0.0.1:8787 [--sim-url http://127.0.0.1:8790]
       [--sandbox-url http://127.0.0.1:8788]] [--users N] [--duration S] [--concurrency 1,16,64]
       [--only live,health,...] [--no-write] [--keep] [--working-tree | --commit <ref>] [--with-assets]
       [--ratelimits emulated|in-isolate] [--queues emulated|in-isolate] [--entry-worker] [--profile <dir>]`);
  process.exit(0);
}

/**
 * docs/benchmarks.md §2: the Rate Limiting bindings and the Worker's own queues are answered in the isolate
 * unless asked otherwise (`--ratelimits`, `--queues`). The stand-ins live in the counting wrapper, so without it
 * Miniflare's emulations answer.
 * @param {'ratelimits' | 'queues'} option
 * @returns {'emulated' | 'in-isolate'}
 */
function emulationMode(option) {
  const requested = args[option] ?? (args['no-counters'] ? 'emulated' : 'in-isolate');
  if (requested !== 'emulated' && requested !== 'in-isolate') {
    console.error(`[bench] --${option} must be emulated or in-isolate, not ${requested}`);
    process.exit(2);
  }
  return requested;
}
const RATE_LIMITS_MODE = emulationMode('ratelimits');
const QUEUES_MODE = emulationMode('queues');

const [major] = process.versions.node.split('.').map(Number);
if ((major ?? 0) < 22) {
  console.error(`[bench] Node ${process.versions.node} is too old: run it through npm (\`npm run bench\`).`);
  process.exit(1);
}

if (args.commit && args['working-tree']) {
  console.error('[bench] --commit and --working-tree exclude each other.');
  process.exit(1);
}

const QUICK = args.quick;
const LEVELS = (args.concurrency ?? (QUICK ? '16' : '1,16,64'))
  .split(',')
  .map((v) => Number(v.trim()))
  .filter((v) => Number.isInteger(v) && v > 0);
const DURATION_S = Number(args.duration ?? (QUICK ? 2 : 8));
// The floor measured again right before every other row, for its ratios.
const FLOOR_PROBE_S = QUICK ? 0.75 : 2;
// Admin reviews count against the admin's `default` limit (100/min): up to ~95 users need no waiting.
const USERS = Number(args.users ?? (QUICK ? 8 : 90));
// A whole run may take this long before everything is stopped and the run fails (hang protection).
const WATCHDOG_MS = (QUICK ? 4 : 20) * 60_000 + LEVELS.length * DURATION_S * 9 * 1000;

/** @type {Array<() => Promise<void> | void>} */
const stops = [];
/** @type {Array<Promise<void>>} */
const lateStops = [];
// The work directory (wrangler's log, the bundle) is kept when a run fails, for the post-mortem.
let keepWorkDir = args.keep;
/** @type {Promise<void> | undefined} */
let cleaning;
let interrupted = false;
const quietly = async (/** @type {() => Promise<void> | void} */ fn) => {
  try {
    await fn();
  } catch (error) {
    console.error(`[bench] cleanup: ${error instanceof Error ? error.message : error}`);
  }
};
/** Where every started piece registers its stop; one registered after cleanup began is stopped at once. */
const cleanups = {
  push(/** @type {() => Promise<void> | void} */ fn) {
    if (cleaning) lateStops.push(quietly(fn));
    else stops.push(fn);
  },
};
/** Runs every stop once, newest first; every caller waits for the same run (and any late stops). */
function cleanup() {
  cleaning ??= (async () => {
    for (const fn of stops.reverse()) await quietly(fn);
    for (let done = 0; done < lateStops.length; done = lateStops.length) {
      await Promise.all(lateStops.slice(done));
    }
  })();
  return cleaning;
}
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`[bench] ${signal}: stopping everything this run started…`);
    cleanup().finally(() => process.exit(130));
  });
}
const watchdog = setTimeout(() => {
  interrupted = true;
  console.error(
    `[bench] the run exceeded ${Math.round(WATCHDOG_MS / 60_000)} min; stopping (this is a hang, not slowness).`,
  );
  cleanup().finally(() => process.exit(1));
}, WATCHDOG_MS);
watchdog.unref();

// --profile: V8 CPU profiles of the isolate per row (tools/bench/profiler.mjs); never written to the results.
const profileDir = args.profile ? resolve(args.profile) : undefined;
/** @type {number | undefined} */
let inspectorPort;

async function main() {
  const runStarted = Date.now();
  const tag = Date.now().toString(36).slice(-5) + Math.floor(Math.random() * 36 ** 2).toString(36);
  const workDir = makeWorkDir();
  cleanups.push(() => {
    if (!keepWorkDir) rmSync(workDir, { recursive: true, force: true });
    else log(`work directory kept: ${workDir}`);
  });

  /** @type {{ workerUrl: string, simulatorAdminUrl: string | undefined, sandboxUrl: string,
   *   vars: Record<string, string>, workerdPids: () => number[], mysqlUrl?: string, database?: string,
   *   logFile?: string, target: string, commit?: string, groups: import('./procs.mjs').ProcessGroups,
   *   countersUrl?: string, runtime: string, assets?: boolean }} */
  let stack;
  if (args.url) {
    const vars = readLocalVars();
    const { workerdPidsForPort } = await import('./procs.mjs');
    const port = Number(new URL(args.url).port || 80);
    const found = workerdPidsForPort(port);
    stack = {
      workerUrl: args.url.replace(/\/$/, ''),
      simulatorAdminUrl: args['sim-url'] ?? 'http://127.0.0.1:8790',
      sandboxUrl: args['sandbox-url'] ?? vars.PAYMOB_BASE_URL ?? 'http://127.0.0.1:8788',
      vars,
      // Not our processes: their CPU time is only read, never signalled.
      workerdPids: () => found,
      groups: { workerd: () => found },
      runtime: 'external',
      target: `the running stack at ${args.url}${found.length ? '' : ' (its workerd processes were not found: no CPU figures)'}`,
    };
    log(`measuring ${stack.workerUrl}`);
  } else {
    const source = prepareSource(workDir, args['working-tree'], args.commit ?? 'HEAD');
    inspectorPort = profileDir ? await freePort() : undefined;
    log(
      `starting a private stack for ${source.label} (database ${args.database}, work directory ${workDir})`,
    );
    const started = await startStack({
      log: (m) => log(m),
      cleanups,
      database: args.database,
      workDir,
      keepDatabase: args.keep,
      workerLogLevel: 'warn',
      source,
      runtime: args['wrangler-dev'] ? 'wrangler-dev' : 'workerd',
      counters: !args['no-counters'],
      assets: args['with-assets'],
      rateLimits: RATE_LIMITS_MODE,
      queues: QUEUES_MODE,
      entryWorker: args['entry-worker'],
      inspectorPort,
    });
    if (profileDir) {
      mkdirSync(profileDir, { recursive: true });
      copyFileSync(join(workDir, 'build', 'index.js.map'), join(profileDir, 'index.js.map'));
    }
    const server = args['wrangler-dev']
      ? '`wrangler dev` (its proxy Worker, inspector, log relay and `[assets]` router included)'
      : `one bare workerd through Miniflare's API, ${args['with-assets'] ? 'with' : 'without'} the config's \`[assets]\`${started.countersUrl ? ', with the bench-only binding counters' : ''}${RATE_LIMITS_MODE === 'in-isolate' ? ', Rate Limiting bindings answered in the isolate' : ", Miniflare's Rate Limiting emulation"}${QUEUES_MODE === 'in-isolate' ? ', queue messages handed to the consumer in the isolate' : ", Miniflare's queue brokers"}${args['entry-worker'] ? ", requests through Miniflare's entry Worker" : ', requests on a direct socket to the Worker'}`;
    stack = {
      ...started,
      commit: source.commit,
      runtime: args['wrangler-dev'] ? 'wrangler-dev' : 'workerd',
      assets: args['wrangler-dev'] || args['with-assets'],
      target: `${source.label}: the \`wrangler deploy --dry-run\` bundle on ${server}, private stack (database \`${args.database}\`)`,
    };
  }

  const nextAddress = addressPool();
  const api = createApi(stack.workerUrl, nextAddress, `bench-${tag}`);
  const budget = new RateBudget();

  // Warm-up (not measured): the isolate compiles the hot paths, the simulator opens its MySQL pool.
  await measure({
    baseUrl: stack.workerUrl,
    next: () => ({ method: 'GET', path: '/health' }),
    expected: () => true,
    connections: 4,
    durationSeconds: 1,
    idPrefix: `bench-${tag}-warmup`,
    simulatorAdminUrl: undefined,
    groups: {},
  });

  log(`creating ${USERS} users, customers and transactions through the public API…`);
  const setupStarted = Date.now();
  const fixtures = await createFixtures({
    api,
    budget,
    sandboxUrl: stack.sandboxUrl,
    count: USERS,
    adminUsername: 'admin',
    adminPassword: stack.vars.DEV_ADMIN_PASSWORD || 'Admin-Pass1!',
    tag,
    mysqlUrl: stack.mysqlUrl,
    database: stack.database,
    log,
  });
  const setupSeconds = (Date.now() - setupStarted) / 1000;
  log(
    `setup: ${fixtures.users.length} users (${fixtures.users.filter((u) => u.paymentsReady).length} KYC-approved), ` +
      `${fixtures.transactions.length} pending transactions in ${setupSeconds.toFixed(1)} s`,
  );
  /** @type {string[]} */
  const notes = [];
  const problems = [...fixtures.problems];
  for (const problem of fixtures.problems.slice(0, 5)) console.error(`[bench] setup failed: ${problem}`);
  for (const [feature, on] of Object.entries(fixtures.features)) {
    if (!on) notes.push(`${feature}: route not available when this run was made.`);
  }

  // The rate limiter keeps one Durable Object per (scope, key), each cleared by an alarm when its minute
  // ends: the hundreds the setup created would fire inside the first rows. Let them fire first.
  if (!QUICK) {
    const wait = 60_000 - (Date.now() % 60_000) + 3_000;
    log(`waiting ${(wait / 1000).toFixed(0)} s for the setup's rate-limit windows to close`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }

  const scenarios = buildScenarios({
    users: fixtures.users,
    features: fixtures.features,
    transactions: fixtures.transactions,
    budget,
    nextAddress,
    hmacSecret: stack.vars.PAYMOB_HMAC_SECRET ?? '',
    integrationId: Number((stack.vars.PAYMOB_INTEGRATION_ID ?? '0').split(',')[0]),
  });
  const only = args.only?.split(',').map((s) => s.trim());
  const selected = only ? scenarios.filter((s) => only.includes(s.id)) : scenarios;

  /** @type {import('./report.mjs').Row[]} */
  const rows = [];
  const loadBefore = os.loadavg()[0] ?? 0;
  const send = async (/** @type {import('./load.mjs').RequestSpec} */ spec) => {
    const res = await fetch(`${stack.workerUrl}${spec.path}`, {
      method: spec.method,
      headers: { ...spec.headers, 'x-request-id': `bench-${tag}-probe-${Date.now()}` },
      body: spec.body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let body = /** @type {unknown} */ (text);
    try {
      body = JSON.parse(text);
    } catch {
      // keep text
    }
    return { status: res.status, body };
  };

  // Rows still to run per scope, so runs sharing a limit (customers and transactions share `default`)
  // share its budget fairly.
  /** @type {Map<string, number>} */
  const pendingRuns = new Map();
  for (const scenario of selected) {
    if (scenario.scope && !scenario.unavailable)
      pendingRuns.set(scenario.scope, (pendingRuns.get(scenario.scope) ?? 0) + LEVELS.length);
  }

  for (const scenario of selected) {
    const skip = (/** @type {string} */ why) => {
      for (const connections of LEVELS)
        rows.push({
          scenario: scenario.id,
          title: scenario.title,
          connections,
          result: undefined,
          skipped: why,
          capped: undefined,
        });
      if (scenario.scope)
        pendingRuns.set(scenario.scope, (pendingRuns.get(scenario.scope) ?? 0) - LEVELS.length);
      log(`${scenario.title}: not available (${why})`);
    };
    if (scenario.unavailable) {
      skip(scenario.unavailable);
      continue;
    }
    if (scenario.scope) await refreshOldTokens(fixtures.users, api);
    const prepared = await scenario.prepare?.(async (spec) => (await send(spec)).status);
    if (prepared) {
      skip(prepared);
      continue;
    }
    // One probe: a missing route is "not available"; any other answer is measured (errors included).
    const probe = await send(scenario.next());
    if (isMissingRoute(probe.status, probe.body)) {
      skip(`route missing (${probe.status})`);
      continue;
    }
    if (!scenario.expected(probe.status)) {
      console.error(
        `[bench] ${scenario.title}: probe answered ${probe.status} ${JSON.stringify(probe.body).slice(0, 300)}`,
      );
    }
    scenario.onBody?.(probe.status, typeof probe.body === 'string' ? probe.body : JSON.stringify(probe.body));

    for (const [index, connections] of LEVELS.entries()) {
      /** @type {number | undefined} */
      let amount;
      /** @type {string | undefined} */
      let capped;
      if (scenario.scope) {
        const pool =
          scenario.id === 'txn_create' ? fixtures.users.filter((u) => u.paymentsReady) : fixtures.users;
        const runsLeft = Math.max(1, pendingRuns.get(scenario.scope) ?? 1);
        const available = budget.available(
          scenario.scope,
          pool.map((u) => u.key),
        );
        // autocannon builds one request per connection that it never sends: keep that much in reserve.
        amount = Math.floor(available / runsLeft) - connections;
        capped = `\`${scenario.scope}\` limit, ${pool.length} users`;
        pendingRuns.set(scenario.scope, runsLeft - 1);
      } else if (scenario.supply) {
        amount = Math.floor(scenario.supply() / (LEVELS.length - index)) - connections;
        capped = 'one first delivery per pending transaction';
      }
      // autocannon needs at least one request per connection.
      if (amount !== undefined && amount < connections) {
        rows.push({
          scenario: scenario.id,
          title: scenario.title,
          connections,
          result: undefined,
          skipped: `${capped ?? 'budget'} leaves only ${Math.max(0, amount)} requests`,
          capped: undefined,
        });
        log(`${scenario.title} @${connections}: skipped (${capped} leaves ${Math.max(0, amount)} requests)`);
        continue;
      }
      // The floor again, just before the row at the same concurrency: the row's ratios use it, so a change
      // in what else the machine is doing between the floor rows and this one does not skew them.
      const floor =
        scenario.id === 'live'
          ? undefined
          : await measure({
              baseUrl: stack.workerUrl,
              next: () => ({ method: 'GET', path: '/health/live' }),
              expected: (status) => status === 200,
              connections,
              durationSeconds: FLOOR_PROBE_S,
              idPrefix: `bench-${tag}-floor-${scenario.id}-c${connections}`,
              simulatorAdminUrl: undefined,
              groups: { workerd: stack.groups.workerd ?? (() => []) },
            });
      const stopProfile = inspectorPort ? await startProfile(inspectorPort, 'stackpay') : undefined;
      const result = await measure({
        baseUrl: stack.workerUrl,
        next: scenario.next,
        expected: scenario.expected,
        connections,
        durationSeconds: DURATION_S,
        amount,
        idPrefix: `bench-${tag}-${scenario.id}-c${connections}`,
        simulatorAdminUrl: stack.simulatorAdminUrl,
        groups: stack.groups,
        countersUrl: stack.countersUrl,
        onBody: scenario.onBody,
      });
      if (stopProfile && profileDir) {
        const file = join(profileDir, `${scenario.id}-c${connections}.cpuprofile`);
        writeFileSync(file, JSON.stringify(await stopProfile()));
        log(`CPU profile written: ${file}`);
      }
      // Only rows that stopped because of the cap (not the clock) are marked.
      const hitCap = result.completedAmount;
      rows.push({
        scenario: scenario.id,
        title: scenario.title,
        connections,
        result,
        floor:
          floor && floor.errors === 0
            ? { p50: floor.p50, cpuMsPerRequest: floor.cpuMsPerRequest }
            : undefined,
        skipped: undefined,
        capped: hitCap ? capped : undefined,
      });
      log(
        `${scenario.title} @${connections}: ${result.requests} req, ${result.rps.toFixed(1)} req/s, ` +
          `p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, errors ${result.errors}, CPU ms/req ` +
          Object.entries(result.cpu)
            .map(([name, ms]) => `${name} ${ms === null ? '–' : ms.toFixed(2)}`)
            .join(', ') +
          (result.bindingsPerRequest
            ? `, DO ${result.bindingsPerRequest.doCalls.toFixed(2)}, KV reads ${result.bindingsPerRequest.kvReads.toFixed(2)}`
            : '') +
          // Every statement the simulator answered during the row (queue consumers included) per request.
          (result.dbTripsTotalPerRequest === null
            ? ''
            : `, DB statements in the window ${result.dbTripsTotalPerRequest.toFixed(2)}`) +
          (result.errors > 0 ? ` — e.g. ${result.errorSamples[0]}` : ''),
      );
    }
  }

  const machine = machineInfo();
  const load = { before: loadBefore, after: os.loadavg()[0] ?? 0 };
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  console.log(`\n${consoleTable(rows)}\n`);
  const failed = rows.filter((row) => row.result && row.result.errors > 0);

  // A partial run (--only) never replaces the full results; a profiled one (slowed by the inspector) neither.
  if (args['no-write'] || only || profileDir) {
    log('results not written (--no-write or --only)');
  } else {
    writeResults({
      markdown: markdown(rows, machine, {
        date,
        quick: QUICK,
        users: fixtures.users.length,
        durationSeconds: DURATION_S,
        levels: LEVELS,
        setupSeconds,
        floorProbeSeconds: FLOOR_PROBE_S,
        load,
        notes,
        target: stack.target,
        scenarios: selected.map((s) => ({ title: s.title, what: s.what })),
      }),
      svg: svgChart(
        rows,
        `StackPay benchmark ${date}${QUICK ? ' (quick)' : ''} — ${machine.cpu}, ${machine.cores} cores`,
      ),
      entry: historyEntry(rows, {
        date,
        quick: QUICK,
        commit: stack.commit ?? machine.commit,
        runtime: stack.runtime,
        // Whether Miniflare's asset router ran in front of the Worker (unknown for --url).
        assets: stack.assets ?? null,
        ratelimits: stack.runtime === 'workerd' ? RATE_LIMITS_MODE : null,
        queues: stack.runtime === 'workerd' ? QUEUES_MODE : null,
        // Whether requests went through Miniflare's entry Worker or straight to ours (docs/benchmarks.md §2).
        entry: stack.runtime === 'workerd' ? (args['entry-worker'] ? 'miniflare' : 'direct') : null,
        measured: stack.target,
        machine: { cpu: machine.cpu, cores: machine.cores, memory_gib: machine.memoryGiB },
        versions: { node: machine.node, wrangler: machine.wrangler, workerd: machine.workerd },
        levels: LEVELS,
        duration_s: DURATION_S,
        users: fixtures.users.length,
        load_avg_1m: [Math.round(load.before * 100) / 100, Math.round(load.after * 100) / 100],
        failed: failed.length > 0 || problems.length > 0,
      }),
    });
    log('wrote bench/results/latest.md, latest.svg and history.jsonl');
  }
  log(`finished in ${((Date.now() - runStarted) / 1000).toFixed(0)} s`);

  if (failed.length > 0 || problems.length > 0) {
    keepWorkDir = true;
    console.error('\n[bench] FAILED: requests that should have succeeded did not.');
    for (const row of failed) {
      const r = /** @type {import('./load.mjs').Measurement} */ (row.result);
      console.error(
        `  ${row.title} @${row.connections}: ${r.errors} errors in ${r.requests} responses ` +
          `(statuses ${JSON.stringify(r.statuses)}): ${r.errorSamples.join(' | ')}`,
      );
    }
    for (const problem of problems.slice(0, 10)) console.error(`  setup: ${problem}`);
    if (stack.logFile) console.error(`  Worker log: ${stack.logFile}`);
    return 1;
  }
  return 0;
}

main()
  .then(async (code) => {
    if (interrupted) return;
    await cleanup();
    process.exit(code);
  })
  .catch(async (error) => {
    // Interrupted: the signal handler is already cleaning up and exits when it is done.
    if (interrupted) return;
    keepWorkDir = true;
    console.error(`[bench] ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    await cleanup();
    process.exit(1);
  });
