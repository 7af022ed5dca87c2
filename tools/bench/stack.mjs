// The local stack the benchmark measures, built from the same pieces as `npm run dev` (tools/dev.mjs) but
// fully separate from it: its own database (`stackpay_bench`, recreated per run), simulator and sandbox on
// free ports in a child process, and the Worker on a free port. The Worker is served from a bundle built
// once at the start (`wrangler deploy --dry-run`), so edits to src/ during a run cannot reload it
// mid-measurement, and what is measured is what `wrangler deploy` uploads. By default one bare workerd serves
// it through Miniflare's API (tools/bench/runtime.mjs, the production runtime); with `runtime:
// 'wrangler-dev'`, `wrangler dev` does (its proxy Worker, inspector and log relay included), for comparison.
//
// Settings: the bindings are the ones the wrangler config declares at its top level (what deploys); every
// variable is passed explicitly — the config's `[env.dev]` vars when it has that environment (else its
// top-level [vars]), then .dev.vars (or .dev.vars.example), then the run's own URLs — so the top-level
// [vars] may hold production values (docs/benchmarks.md §4).

import { execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropDatabase, ensureDatabase, ensureMysql, migrate } from '../db.mjs';
import { parseDevVars, REPO_ROOT } from '../dev-vars.mjs';
import { seedDevAdmin } from '../seed-admin.mjs';
import {
  descendantPids,
  freePort,
  killLeftovers,
  listenerPid,
  runCommand,
  stopChild,
  workerdPids,
} from './procs.mjs';
import { startWorkerd } from './runtime.mjs';

export const WRANGLER_CLI = join(REPO_ROOT, 'node_modules/wrangler/wrangler-dist/cli.js');
const READY_TIMEOUT_MS = 90_000;
const SERVICES_TIMEOUT_MS = 30_000;
const BUILD_TIMEOUT_MS = 180_000;

/**
 * Offline and reproducible: no colours, no telemetry, and no download of the `Request.cf` placeholder
 * (offline it costs a 3 s timeout on the first request and a warning).
 */
export const QUIET_WRANGLER_ENV = Object.freeze({
  FORCE_COLOR: '0',
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
});

/**
 * Runs wrangler with this Node (the project's node@22 under `npm run`).
 * @param {string[]} args
 * @returns {[string, string[]]} the command and its arguments
 */
export function wranglerArgs(args) {
  return [process.execPath, ['--no-warnings', WRANGLER_CLI, ...args]];
}

/** .dev.vars when present, else the committed example (never created or changed here). */
export function readLocalVars() {
  const devVars = join(REPO_ROOT, '.dev.vars');
  const file = existsSync(devVars) ? devVars : join(REPO_ROOT, '.dev.vars.example');
  return parseDevVars(readFileSync(file, 'utf8'));
}

/**
 * Writes `vars` as an env file for wrangler (`KEY="value"`, JSON-quoted), readable by its owner only.
 * @param {string} path
 * @param {Record<string, string>} vars
 * @returns {string} the path
 */
export function writeEnvFile(path, vars) {
  const lines = Object.entries(vars).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  writeFileSync(path, lines.join('\n'), { mode: 0o600 });
  return path;
}

/** Whether a wrangler.toml text declares the environment `[env.<name>]` (or one of its tables). */
export function hasEnvironment(/** @type {string} */ toml, /** @type {string} */ name) {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\s*\\[\\[?\\s*env\\.${escaped}\\s*[.\\]]`, 'm').test(toml);
}

/**
 * The development variables of a wrangler config: `[env.dev]`'s vars when it has that environment, else
 * the top-level [vars] (wrangler's own reading of the file, inheritance rules included).
 * @param {string} configPath
 * @returns {Record<string, string>}
 */
export function configDevVars(configPath) {
  const { unstable_getMiniflareWorkerOptions } = createRequire(join(REPO_ROOT, 'package.json'))('wrangler');
  const env = hasEnvironment(readFileSync(configPath, 'utf8'), 'dev') ? 'dev' : undefined;
  const { bindings } = unstable_getMiniflareWorkerOptions(configPath, env).workerOptions;
  /** @type {Record<string, string>} */
  const vars = {};
  for (const [key, value] of Object.entries(bindings ?? {})) if (typeof value === 'string') vars[key] = value;
  return vars;
}

/**
 * @typedef {object} Source
 * @property {string} root directory holding wrangler.toml, src/ and drizzle/ to build and migrate from
 * @property {string} label what was measured, for the report
 * @property {string} commit
 */

/**
 * What to measure. By default the last commit, exported with `git archive HEAD` (the repository's
 * node_modules linked in), so results belong to a commit and uncommitted work in progress — other people's
 * included — never leaks into them. With `workingTree`, the checkout as it is now.
 * @param {string} workDir
 * @param {boolean} workingTree
 * @param {string} [ref] the commit to export instead of HEAD (bench:bundle --compare)
 * @returns {Source}
 */
export function prepareSource(workDir, workingTree, ref = 'HEAD') {
  const git = (/** @type {string[]} */ args) =>
    execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 }).trim();
  const commit = git(['rev-parse', '--short', ref]);
  if (workingTree) {
    const dirty = git([
      'status',
      '--porcelain',
      '--untracked-files=all',
      '--',
      'src',
      'drizzle',
      'wrangler.toml',
    ]);
    return {
      root: REPO_ROOT,
      label: `working tree at ${commit}${dirty ? ' with uncommitted changes' : ''}`,
      commit,
    };
  }
  const root = join(workDir, ref === 'HEAD' ? 'source' : `source-${commit}`);
  mkdirSync(root, { recursive: true });
  const archive = execFileSync('git', ['archive', '--format=tar', ref], {
    cwd: REPO_ROOT,
    maxBuffer: 512 * 2 ** 20,
  });
  const untar = spawnSync('tar', ['-x', '-C', root], { input: archive });
  if (untar.status !== 0) throw new Error(`could not export ${ref}: ${untar.stderr}`);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  return { root, label: `commit ${commit}`, commit };
}

/**
 * Bundles the Worker as `wrangler deploy` would, without uploading.
 * @param {string} outdir
 * @param {string} [root] the source directory (see prepareSource)
 * @returns {Promise<{ outdir: string, entry: string, ms: number, output: string }>}
 */
export async function buildWorker(outdir, root = REPO_ROOT) {
  mkdirSync(outdir, { recursive: true });
  const [command, args] = wranglerArgs(['deploy', '--dry-run', '--outdir', outdir, '--metafile']);
  const { stdout, stderr, ms } = await runCommand(command, args, {
    cwd: root,
    timeoutMs: BUILD_TIMEOUT_MS,
    env: { ...process.env, ...QUIET_WRANGLER_ENV },
  });
  return { outdir, entry: join(outdir, 'index.js'), ms, output: `${stdout}\n${stderr}` };
}

/**
 * @typedef {object} Stack
 * @property {string} workerUrl
 * @property {string} simulatorAdminUrl
 * @property {string} sandboxUrl
 * @property {Record<string, string>} vars the settings the Worker runs with
 * @property {() => number[]} workerdPids the workerd processes serving the Worker
 * @property {import('./procs.mjs').ProcessGroups} groups the processes whose CPU each row measures
 * @property {string | undefined} countersUrl set when the Worker runs with the counting wrapper
 * @property {string | undefined} mysqlUrl set when the benchmark owns the database (direct inserts allowed)
 * @property {string | undefined} database
 * @property {string} logFile the Worker's output (workerd's console, or wrangler's)
 */

/**
 * Starts everything; every started piece registers its own stop in `cleanups` (run in reverse order).
 * @param {{ log: (message: string) => void, cleanups: { push: (stop: () => Promise<void> | void) => void }, database: string,
 *   workDir: string, keepDatabase: boolean, workerLogLevel: string, source: Source,
 *   runtime: 'workerd' | 'wrangler-dev', counters: boolean, assets?: boolean,
 *   rateLimits?: 'emulated' | 'in-isolate', queues?: 'emulated' | 'in-isolate', entryWorker?: boolean, inspectorPort?: number }} options
 * @returns {Promise<Stack>}
 */
export async function startStack({
  log,
  cleanups,
  database,
  workDir,
  keepDatabase,
  workerLogLevel,
  source,
  runtime,
  counters,
  assets = false,
  rateLimits = 'emulated',
  queues = 'emulated',
  entryWorker = false,
  inspectorPort,
}) {
  const configPath = join(source.root, 'wrangler.toml');
  /** @type {Record<string, string>} */
  const vars = { ...configDevVars(configPath), APP_ENV: 'development', ...readLocalVars() };
  const dbUrl = new URL(vars.DATABASE_URL ?? 'http://stackpay:stackpay-local@127.0.0.1:8790');

  const build = buildWorker(join(workDir, 'build'), source.root);
  // Keep the build's rejection from going unhandled while the database steps run.
  build.catch(() => {});

  const mysql = await ensureMysql({ log });
  cleanups.push(() => mysql.stop());
  await dropDatabase(mysql.url, database);
  await ensureDatabase(mysql.url, database);
  if (!keepDatabase) cleanups.push(() => dropDatabase(mysql.url, database));

  // The simulator connects lazily, so it can start while the migrations run.
  const servicesStarting = startServices({
    mysqlUrl: mysql.url,
    database,
    dbUsername: decodeURIComponent(dbUrl.username),
    dbPassword: decodeURIComponent(dbUrl.password),
    vars,
  });
  servicesStarting.then(
    (started) => cleanups.push(() => stopChild(started.child, 'SIGTERM', 10_000)),
    () => {},
  );
  await migrate(mysql.url, database, join(source.root, 'drizzle'));
  const adminPassword = vars.DEV_ADMIN_PASSWORD || 'Admin-Pass1!';
  await seedDevAdmin(mysql.url, database, adminPassword);
  log(`database ${database} recreated, migrated and seeded on ${mysql.host}:${mysql.port}`);
  const services = await servicesStarting;
  log(`simulator ${services.simulatorAdminUrl}, sandbox ${services.sandboxUrl}`);

  const { entry, ms } = await build;
  log(`Worker bundled in ${(ms / 1000).toFixed(1)} s`);

  const port = await freePort();
  const workerUrl = `http://127.0.0.1:${port}`;
  const workerVars = {
    ...vars,
    // wrangler.toml's top level is production; the benchmark measures the development configuration.
    APP_ENV: vars.APP_ENV ?? 'development',
    DATABASE_URL: services.simulatorUrl,
    PAYMOB_BASE_URL: services.sandboxUrl,
    MAILGUN_BASE_URL: services.sandboxUrl,
    PUBLIC_BASE_URL: workerUrl,
    LOG_LEVEL: workerLogLevel,
    DEV_ADMIN_PASSWORD: adminPassword,
  };
  const mysqlPid = listenerPid(mysql.port);
  /** @type {import('./procs.mjs').ProcessGroups} */
  const otherGroups = {
    simulator: () => (services.child.pid ? [services.child.pid] : []),
    mariadb: () => (mysqlPid === undefined ? [] : [mysqlPid]),
    loadgen: () => [process.pid],
  };
  const common = {
    workerUrl,
    simulatorAdminUrl: services.simulatorAdminUrl,
    sandboxUrl: services.sandboxUrl,
    vars: workerVars,
    mysqlUrl: mysql.url,
    database,
  };

  if (runtime === 'workerd') {
    const logFile = join(workDir, 'workerd.log');
    const worker = await startWorkerd({
      configPath,
      entry,
      vars: workerVars,
      port,
      counters,
      logFile,
      assets,
      rateLimits,
      queues,
      entryWorker,
      inspectorPort,
    });
    cleanups.push(() => worker.stop());
    log(`Worker ready on ${workerUrl} (one workerd, pid ${worker.workerdPids().join(', ') || 'unknown'})`);
    return {
      ...common,
      workerdPids: worker.workerdPids,
      groups: { workerd: worker.workerdPids, ...otherGroups },
      countersUrl: counters ? workerUrl : undefined,
      logFile,
    };
  }

  const devInspectorPort = await freePort();
  const envFile = writeEnvFile(join(workDir, 'bench.env'), workerVars);

  const logFile = join(workDir, 'wrangler.log');
  const out = createWriteStream(logFile);
  const [command, args] = wranglerArgs([
    'dev',
    entry,
    '--config',
    configPath,
    '--no-bundle',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--inspector-port',
    String(devInspectorPort),
    '--persist-to',
    join(workDir, 'state'),
    '--env-file',
    envFile,
    '--show-interactive-dev-session=false',
    '--log-level',
    'warn',
  ]);
  const wrangler = spawn(command, args, {
    cwd: source.root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...QUIET_WRANGLER_ENV },
  });
  wrangler.stdout.pipe(out);
  wrangler.stderr.pipe(out);
  /** @type {number[]} */
  let seenWorkerd = [];
  const rootPid = /** @type {number} */ (wrangler.pid);
  cleanups.push(async () => {
    seenWorkerd = [...new Set([...seenWorkerd, ...workerdPids(rootPid)])];
    // SIGINT is wrangler's own graceful stop (what Ctrl-C sends), as in tools/dev.mjs.
    await stopChild(wrangler, 'SIGINT', 10_000);
    killLeftovers(seenWorkerd);
  });

  let exited = /** @type {string | undefined} */ (undefined);
  wrangler.once('exit', (code, signal) => {
    exited = signal ?? `exit ${code}`;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answers(`${workerUrl}/health/live`)) && !(await answers(`${workerUrl}/health`))) {
    if (exited) throw new Error(`wrangler dev exited early (${exited}); its log:\n${tail(logFile)}`);
    if (Date.now() > deadline) {
      throw new Error(
        `the Worker did not answer within ${READY_TIMEOUT_MS / 1000} s; log:\n${tail(logFile)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  seenWorkerd = workerdPids(rootPid);
  log(`Worker ready on ${workerUrl} (workerd pids ${seenWorkerd.join(', ') || 'unknown'})`);

  const pidsOfWorkerd = () => {
    const pids = workerdPids(rootPid);
    seenWorkerd = [...new Set([...seenWorkerd, ...pids])];
    return pids;
  };
  return {
    ...common,
    workerdPids: pidsOfWorkerd,
    groups: {
      workerd: pidsOfWorkerd,
      // wrangler's Node processes (the log relay among them), measured apart from the runtimes.
      wrangler: () => [rootPid, ...descendantPids(rootPid, (comm) => !comm.startsWith('workerd'))],
      ...otherGroups,
    },
    countersUrl: undefined,
    logFile,
  };
}

/**
 * @param {import('./services.mjs').ServicesConfig} config
 * @returns {Promise<{ child: import('node:child_process').ChildProcess, simulatorUrl: string,
 *   simulatorAdminUrl: string, sandboxUrl: string }>}
 */
function startServices(config) {
  const child = fork(join(REPO_ROOT, 'tools/bench/services.mjs'), [], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`simulator and sandbox did not start within ${SERVICES_TIMEOUT_MS / 1000} s`));
    }, SERVICES_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the simulator/sandbox process exited (${code}) before it was ready`));
    });
    child.on('message', (/** @type {Record<string, string>} */ message) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve({
          child,
          simulatorUrl: /** @type {string} */ (message.simulatorUrl),
          simulatorAdminUrl: /** @type {string} */ (message.simulatorAdminUrl),
          sandboxUrl: /** @type {string} */ (message.sandboxUrl),
        });
      } else if (message.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`simulator/sandbox failed to start: ${message.message}`));
      }
    });
    child.send({ type: 'start', config });
  });
}

/** @param {string} url */
async function answers(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status < 500;
  } catch {
    return false;
  }
}

/** @param {string} file */
function tail(file) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A fresh working directory for one run (bundle, wrangler state, env file, log), outside the repo. */
export function makeWorkDir() {
  const dir = join(tmpdir(), `stackpay-bench-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
