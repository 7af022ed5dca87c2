// The local stack the benchmark measures, built from the same pieces as `npm run dev` (tools/dev.mjs) but
// fully separate from it: its own database (`stackpay_bench`, recreated per run), simulator and sandbox on
// free ports in a child process, and `wrangler dev` on a free port with its own --persist-to directory.
// The Worker is served from a bundle built once at the start (`wrangler deploy --dry-run`), so edits to
// src/ during a run cannot reload it mid-measurement, and what is measured is what `wrangler deploy` uploads.

import { execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropDatabase, ensureDatabase, ensureMysql, migrate } from '../db.mjs';
import { parseDevVars, REPO_ROOT } from '../dev-vars.mjs';
import { seedDevAdmin } from '../seed-admin.mjs';
import { freePort, killLeftovers, runCommand, stopChild, workerdPids } from './procs.mjs';

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

/** Runs wrangler with this Node (the project's node@22 under `npm run`). */
export function wranglerArgs(/** @type {string[]} */ args) {
  return [process.execPath, ['--no-warnings', WRANGLER_CLI, ...args]];
}

/** .dev.vars when present, else the committed example (never created or changed here). */
export function readLocalVars() {
  const devVars = join(REPO_ROOT, '.dev.vars');
  const file = existsSync(devVars) ? devVars : join(REPO_ROOT, '.dev.vars.example');
  return parseDevVars(readFileSync(file, 'utf8'));
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
 * @returns {Source}
 */
export function prepareSource(workDir, workingTree) {
  const git = (/** @type {string[]} */ args) =>
    execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 }).trim();
  const commit = git(['rev-parse', '--short', 'HEAD']);
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
  const root = join(workDir, 'source');
  mkdirSync(root, { recursive: true });
  const archive = execFileSync('git', ['archive', '--format=tar', 'HEAD'], {
    cwd: REPO_ROOT,
    maxBuffer: 512 * 2 ** 20,
  });
  const untar = spawnSync('tar', ['-x', '-C', root], { input: archive });
  if (untar.status !== 0) throw new Error(`could not export HEAD: ${untar.stderr}`);
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
 * @property {string | undefined} mysqlUrl set when the benchmark owns the database (direct inserts allowed)
 * @property {string | undefined} database
 * @property {string} logFile wrangler's output
 */

/**
 * Starts everything; every started piece registers its own stop in `cleanups` (run in reverse order).
 * @param {{ log: (message: string) => void, cleanups: { push: (stop: () => Promise<void> | void) => void }, database: string,
 *   workDir: string, keepDatabase: boolean, workerLogLevel: string, source: Source }} options
 * @returns {Promise<Stack>}
 */
export async function startStack({ log, cleanups, database, workDir, keepDatabase, workerLogLevel, source }) {
  const vars = readLocalVars();
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
  const inspectorPort = await freePort();
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
  const envFile = join(workDir, 'bench.env');
  writeFileSync(
    envFile,
    Object.entries(workerVars)
      .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
      .join('\n'),
    { mode: 0o600 },
  );

  const logFile = join(workDir, 'wrangler.log');
  const out = createWriteStream(logFile);
  const [command, args] = wranglerArgs([
    'dev',
    entry,
    '--config',
    join(source.root, 'wrangler.toml'),
    '--no-bundle',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--inspector-port',
    String(inspectorPort),
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

  return {
    workerUrl,
    simulatorAdminUrl: services.simulatorAdminUrl,
    sandboxUrl: services.sandboxUrl,
    vars: workerVars,
    workerdPids: () => {
      const pids = workerdPids(rootPid);
      seenWorkerd = [...new Set([...seenWorkerd, ...pids])];
      return pids;
    },
    mysqlUrl: mysql.url,
    database,
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
