#!/usr/bin/env node
/**
 * `npm run dev`: the whole product on loopback (docs/api.md §10). Starts (or reuses) the private MariaDB, applies
 * pending migrations, runs the PlanetScale simulator and the provider sandbox in this process, seeds the
 * development admin, then `wrangler dev` with scheduled handlers callable. Ctrl-C stops what it started.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureDatabase, ensureMysql, migrate } from './db.mjs';
import { loadDevVars, REPO_ROOT } from './dev-vars.mjs';
import { startSimulator } from './psdb-sim/server.mjs';
import { accountOptions, startSandbox } from './sandbox/server.mjs';
import { seedDevAdmin } from './seed-admin.mjs';

const WORKER_PORT = Number(process.env.STACKPAY_PORT ?? 8787);
const DATABASE = process.env.STACKPAY_DATABASE ?? 'stackpay';
/** @param {string} msg */
const log = (msg) => console.log(`[dev] ${msg}`);

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `[dev] Node ${process.versions.node} is too old: wrangler and vitest need Node >= 22.12. Run through npm ` +
      "(`npm run dev`), which uses the project's node@22 devDependency, after `npm ci`.",
  );
  process.exit(1);
}

/** @param {string} url */
async function answers(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** @type {(() => unknown)[]} */
const cleanups = [];
let stopping = false;
async function stopAll(code = 0) {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (err) {
      console.error(`[dev] cleanup failed: ${/** @type {Error} */ (err).message}`);
    }
  }
  process.exit(code);
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

async function main() {
  const vars = loadDevVars({ log });
  // .dev.vars.example sets DATABASE_URL; a missing one fails here as an invalid URL, as before.
  const dbUrl = new URL(/** @type {string} */ (vars.DATABASE_URL));
  const simulatorPort = Number(dbUrl.port || 8790);
  const sandboxPort = Number(new URL(vars.PAYMOB_BASE_URL ?? 'http://127.0.0.1:8788').port || 8788);
  // The sandbox's 3-D Secure issuer page, on its own origin (docs/checkout.md §2).
  const acsUrl = `http://127.0.0.1:${sandboxPort + 1}`;

  if (await answers(`http://127.0.0.1:${WORKER_PORT}/health`)) {
    log(
      `StackPay is already running at http://127.0.0.1:${WORKER_PORT} (another npm run dev). Nothing to do.`,
    );
    process.exit(0);
  }

  const mysql = await ensureMysql({ log });
  cleanups.push(() => mysql.stop());
  await ensureDatabase(mysql.url, DATABASE);
  const applied = await migrate(mysql.url, DATABASE);
  log(
    `database ${DATABASE} on ${mysql.host}:${mysql.port}: ${applied.length ? `applied ${applied.join(', ')}` : 'migrations up to date'}`,
  );

  if (await answers(`http://127.0.0.1:${simulatorPort}/_sim/health`)) {
    log(`reusing the PlanetScale simulator already on port ${simulatorPort}`);
  } else {
    const simulator = await startSimulator({
      port: simulatorPort,
      mysqlUrl: mysql.url,
      database: DATABASE,
      username: decodeURIComponent(dbUrl.username),
      password: decodeURIComponent(dbUrl.password),
    });
    cleanups.push(() => simulator.close());
  }

  if (await answers(`http://127.0.0.1:${sandboxPort}/health`)) {
    log(`reusing the provider sandbox already on port ${sandboxPort}`);
  } else {
    const sandbox = await startSandbox({
      port: sandboxPort,
      acsPort: sandboxPort + 1,
      ...accountOptions(vars),
      workerBaseUrl: `http://127.0.0.1:${WORKER_PORT}`,
    });
    cleanups.push(() => sandbox.close());
  }

  const admin = await seedDevAdmin(mysql.url, DATABASE, vars.DEV_ADMIN_PASSWORD || 'Admin-Pass1!');

  const wrangler = spawn(
    join(REPO_ROOT, 'node_modules/.bin/wrangler'),
    [
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(WORKER_PORT),
      '--test-scheduled',
      '--show-interactive-dev-session=false',
      // The legacy iframe may show the sandbox's issuer page (production: `https:`, docs/checkout.md §3).
      '--var',
      `PAYMOB_ACS_FRAME_SRC:${acsUrl}`,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' } },
  );
  cleanups.push(
    () =>
      /** @type {Promise<void>} */ (
        new Promise((resolve) => {
          if (wrangler.exitCode !== null) return resolve();
          wrangler.once('exit', resolve);
          // SIGINT is wrangler's own graceful stop (what Ctrl-C sends); SIGTERM leaves esbuild dumping goroutines.
          wrangler.kill('SIGINT');
        })
      ),
  );
  wrangler.once('exit', (code) => {
    if (!stopping) {
      console.error(`[dev] wrangler exited (${code}); stopping the rest.`);
      stopAll(code ?? 1);
    }
  });

  const deadline = Date.now() + 90_000;
  while (!(await answers(`http://127.0.0.1:${WORKER_PORT}/health`))) {
    if (Date.now() > deadline) {
      console.error('[dev] the Worker did not answer /health within 90 s');
      return stopAll(1);
    }
    await new Promise((r) => setTimeout(r, 500));
  }

  const api = `http://127.0.0.1:${WORKER_PORT}`;
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  console.log(`
  StackPay is running (Ctrl-C stops everything started here)

  API            ${api}/api/v1/
  Health         ${api}/health
  API reference  ${api}/docs   (OpenAPI: ${api}/openapi.json)
  Admin          ${api}/admin/   user "${admin.username}", password "${admin.password}"
  Pay page       ${api}/api/v1/transactions/testpay-view/
  Cron jobs      ${api}/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*   (also */10 * * * * and 0 3 * * *)
  Sandbox        ${sandboxUrl}   mailbox: ${sandboxUrl}/mailbox   3-D Secure issuer: ${acsUrl}
  DB simulator   http://127.0.0.1:${simulatorPort}/_sim/stats   (query counts per request)
  MariaDB        ${mysql.url}/${DATABASE}
`);
}

main().catch((err) => {
  console.error(`[dev] ${err.message}`);
  stopAll(1);
});
