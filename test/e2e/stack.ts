/**
 * A real running StackPay for browser tests: `wrangler dev` on a free loopback port (its own persistence
 * directory, settings from a generated env file, never the developer's .dev.vars) and a PayMob sandbox of
 * its own whose callbacks go to that Worker, so the processed callback really arrives over HTTP. The
 * database is the run's test database behind the PlanetScale simulator (started by test/global-setup.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accountOptions, startSandbox } from '../../tools/sandbox/server.mjs';
import { TEST_SECRETS } from '../test-env';

const REPO_ROOT = new URL('../..', import.meta.url).pathname;
// Bundling and starting workerd takes a few seconds; a cold machine needs more.
const WORKER_START_TIMEOUT_MS = 90_000;

export interface Stack {
  workerUrl: string;
  sandboxUrl: string;
  /** The sandbox's 3-D Secure issuer page, a third origin (docs/checkout.md §2). */
  acsUrl: string;
  apiMode: 'legacy' | 'intention';
  logs: () => string;
  stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(url: string, child: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + WORKER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${logs()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not answer ${url} within ${WORKER_START_TIMEOUT_MS} ms:\n${logs()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    // wrangler dev shuts workerd down cleanly on SIGINT (as tools/dev.mjs does).
    child.kill('SIGINT');
  });
}

export interface StackOptions {
  /** PayMob flow of this Worker; always explicit, never the configuration default. */
  apiMode?: 'legacy' | 'intention';
  /** Extra settings for this Worker (e.g. CORS_ALLOWED_ORIGINS). */
  vars?: Record<string, string>;
}

/** How often a start is retried when another process took one of the chosen ports first. */
const PORT_RACE_ATTEMPTS = 3;

/**
 * Starts the stack. The ports are chosen free and then handed to `wrangler dev`, which binds them a moment
 * later; another process (a parallel test file's workerd, a socket bound to port 0) can take one in between.
 * wrangler then exits with "Address already in use": only that failure is retried, with new ports.
 */
export async function startStack(databaseUrl: string, options: StackOptions = {}): Promise<Stack> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startStackOnce(databaseUrl, options);
    } catch (err) {
      const portTaken = err instanceof Error && err.message.includes('Address already in use');
      if (!portTaken || attempt >= PORT_RACE_ATTEMPTS) throw err;
    }
  }
}

async function startStackOnce(databaseUrl: string, options: StackOptions): Promise<Stack> {
  const apiMode = options.apiMode ?? 'legacy';
  const workerPort = await freePort();
  const inspectorPort = await freePort();
  const workerUrl = `http://127.0.0.1:${workerPort}`;
  const sandbox = await startSandbox({
    port: 0,
    // The Worker's extra settings describe the sandbox account too (e.g. PAYMOB_INTEGRATIONS' wallet).
    ...accountOptions({ ...TEST_SECRETS, ...options.vars }),
    workerBaseUrl: workerUrl,
  });

  const dir = mkdtempSync(join(tmpdir(), 'stackpay-e2e-'));
  const settings: Record<string, string> = {
    ...TEST_SECRETS,
    APP_ENV: 'test',
    // wrangler.toml requires two-factor for ADMINs; the browser tests' admins enrol only where they test it.
    ADMIN_REQUIRE_2FA: 'false',
    LOG_LEVEL: 'warn',
    PUBLIC_BASE_URL: workerUrl,
    DATABASE_URL: databaseUrl,
    PAYMOB_BASE_URL: sandbox.url,
    MAILGUN_BASE_URL: sandbox.url,
    PAYMOB_API_MODE: apiMode,
    // The issuer pages the legacy iframe may show: exactly the sandbox's ACS (production: `https:`).
    PAYMOB_ACS_FRAME_SRC: sandbox.acsUrl,
    ...options.vars,
    // A payment's return_url may point back at this Worker (a stand-in shop page, docs/api.md §4.9).
    RETURN_URL_ALLOWED_ORIGINS: workerUrl,
  };
  const envFile = join(dir, 'e2e.env');
  writeFileSync(
    envFile,
    Object.entries(settings)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );

  let output = '';
  const child = spawn(
    join(REPO_ROOT, 'node_modules/.bin/wrangler'),
    [
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(workerPort),
      '--inspector-port',
      String(inspectorPort),
      '--persist-to',
      join(dir, 'state'),
      '--env-file',
      envFile,
      '--show-interactive-dev-session=false',
      '--log-level',
      'warn',
    ],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0', WRANGLER_SEND_METRICS: 'false' },
    },
  );
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const logs = () => output;

  const stop = async () => {
    await stopChild(child);
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(`${workerUrl}/health/live`, child, logs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { workerUrl, sandboxUrl: sandbox.url, acsUrl: sandbox.acsUrl, apiMode, logs, stop };
}
