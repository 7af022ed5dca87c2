// Private MySQL-compatible server for local development and tests.
//
// Either uses the server named by MYSQL_URL (or a mysql:// DATABASE_URL), or runs a private MariaDB
// instance with its data in <repo>/.local/mariadb/ (see docs/design.md §4). Also creates/drops databases and
// applies the drizzle-kit migrations in <repo>/drizzle.
//
// CLI: npx node tools/db.mjs start|stop|status|migrate [database]

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/mysql2';
import { migrate as drizzleMigrate } from 'drizzle-orm/mysql2/migrator';
import mysql from 'mysql2/promise';
import { lastAppliedAt, pendingMigrations } from './migration-journal.mjs';
import { ensureMysqlServerInstalled } from './prereqs.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BASE_DIR = path.join(REPO_ROOT, '.local', 'mariadb');
const DATA_DIR = path.join(BASE_DIR, 'data');
const INIT_MARKER = path.join(BASE_DIR, 'initialised');
const PID_FILE = path.join(BASE_DIR, 'mariadbd.pid');
const ERROR_LOG = path.join(BASE_DIR, 'mariadbd.err');
const START_LOCK = path.join(BASE_DIR, 'start.lock');
const DEFAULT_PORT = 3406;
const READY_TIMEOUT_MS = 30_000;
const SEARCH_DIRS = ['/usr/sbin', '/usr/libexec', '/usr/local/sbin', '/usr/local/bin', '/usr/bin'];
const INSTALL_HINT =
  'Install MariaDB with `apt-get update && apt-get install -y mariadb-server` ' +
  '(or set MYSQL_URL to an existing MySQL/MariaDB server, e.g. mysql://root@127.0.0.1:3306).';

/**
 * @typedef {object} MysqlHandle
 * @property {string} url mysql://user[:password]@host:port
 * @property {string} host
 * @property {number} port
 * @property {string} user
 * @property {string} password
 * @property {boolean} startedHere true when this call started the server (then stop() stops it)
 * @property {() => Promise<void>} stop
 */

/** @typedef {(message: string) => void} Log */

/**
 * Returns a reachable MySQL-compatible server, starting the private MariaDB instance if needed.
 * @param {{ log?: Log, detach?: boolean }} [options] detach: let the server outlive this process (CLI use)
 * @returns {Promise<MysqlHandle>}
 */
export async function ensureMysql({ log = () => {}, detach = false } = {}) {
  const external = externalUrl();
  if (external) {
    const parsed = parseMysqlUrl(external);
    const problem = await connectProblem(external);
    if (problem) throw new Error(`MySQL server at ${redact(external)} is not reachable: ${problem}`);
    log(`using MySQL server ${redact(external)}`);
    return handle(parsed, false, async () => {});
  }
  const port = Number(process.env.STACKPAY_MYSQL_PORT ?? DEFAULT_PORT);
  const url = `mysql://root@127.0.0.1:${port}`;
  if (!(await connectProblem(url))) {
    log(`reusing MySQL-compatible server on 127.0.0.1:${port}`);
    return handle(parseMysqlUrl(url), false, async () => {});
  }
  return startPrivateServer(port, log, detach);
}

/** @returns {string | undefined} */
function externalUrl() {
  if (process.env.MYSQL_URL) return process.env.MYSQL_URL;
  const databaseUrl = process.env.DATABASE_URL;
  return databaseUrl?.startsWith('mysql://') ? databaseUrl : undefined;
}

/**
 * @param {ReturnType<typeof parseMysqlUrl>} parsed
 * @param {boolean} startedHere
 * @param {() => Promise<void>} stop
 * @returns {MysqlHandle}
 */
function handle(parsed, startedHere, stop) {
  const { host, port, user, password } = parsed;
  const auth = password
    ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}`
    : encodeURIComponent(user);
  return { url: `mysql://${auth}@${host}:${port}`, host, port, user, password, startedHere, stop };
}

/**
 * @param {number} port
 * @param {Log} log
 * @param {boolean} detach
 * @returns {Promise<MysqlHandle>}
 */
async function startPrivateServer(port, log, detach) {
  const url = `mysql://root@127.0.0.1:${port}`;
  const reuse = () => handle(parseMysqlUrl(url), false, async () => {});
  // A fresh machine: apt-get install mariadb-server as root on Debian/Ubuntu, else the command to type.
  await ensureMysqlServerInstalled();
  mkdirSync(BASE_DIR, { recursive: true });
  // Parallel test workers may all find no server; only one may start it, the others wait for it.
  if (!tryLock(START_LOCK)) {
    log('another process is starting the private MariaDB; waiting for it');
    await waitUntilReady(url, () => undefined);
    return reuse();
  }
  try {
    if (!(await connectProblem(url))) return reuse();
    const server = findServerBinary();
    initialiseDataDir(server, log);
    log(`starting ${server.flavour} on 127.0.0.1:${port} (data in ${path.relative(REPO_ROOT, BASE_DIR)})`);
    const child = spawnServer(server, port, detach);
    let exited = /** @type {string | undefined} */ (undefined);
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? `code ${code}`}`;
    });
    await waitUntilReady(url, () => exited);
    if (detach) {
      child.unref();
      return reuse();
    }
    return handle(parseMysqlUrl(url), true, () => stopChild(child));
  } finally {
    rmSync(START_LOCK, { recursive: true, force: true });
  }
}

/**
 * mkdir is atomic, so it doubles as a cross-process lock; a lock older than a minute is stale.
 * @param {string} dir
 * @returns {boolean}
 */
function tryLock(dir) {
  try {
    mkdirSync(dir);
    return true;
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
    if (Date.now() - statSync(dir).mtimeMs < 60_000) return false;
    rmSync(dir, { recursive: true, force: true });
    return tryLock(dir);
  }
}

/** @typedef {{ binary: string, flavour: 'mariadb' | 'mysql', installDb?: string }} ServerBinary */

/** @returns {ServerBinary} */
function findServerBinary() {
  const mariadbd = findExecutable('mariadbd');
  if (mariadbd) return { binary: mariadbd, flavour: 'mariadb', installDb: findInstallDb() };
  const mysqld = findExecutable('mysqld');
  if (!mysqld) throw new Error(`No MySQL-compatible server (mariadbd or mysqld) found. ${INSTALL_HINT}`);
  const version = spawnSync(mysqld, ['--version'], { encoding: 'utf8' }).stdout ?? '';
  if (/mariadb/i.test(version)) return { binary: mysqld, flavour: 'mariadb', installDb: findInstallDb() };
  return { binary: mysqld, flavour: 'mysql' };
}

/** @returns {string} */
function findInstallDb() {
  const installDb = findExecutable('mariadb-install-db') ?? findExecutable('mysql_install_db');
  if (!installDb) throw new Error(`mariadb-install-db not found. ${INSTALL_HINT}`);
  return installDb;
}

/**
 * @param {string} name
 * @returns {string | undefined}
 */
function findExecutable(name) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SEARCH_DIRS];
  return dirs.map((dir) => path.join(dir, name)).find((candidate) => existsSync(candidate));
}

/**
 * Initialises the data directory once; a marker file tells a finished initialisation from a broken one.
 * @param {ServerBinary} server
 * @param {Log} log
 */
function initialiseDataDir(server, log) {
  if (existsSync(INIT_MARKER)) return;
  log(`initialising ${path.relative(REPO_ROOT, DATA_DIR)}`);
  rmSync(DATA_DIR, { recursive: true, force: true });
  const user = os.userInfo().username;
  const [command, args] =
    server.flavour === 'mariadb'
      ? [
          /** @type {string} */ (server.installDb),
          [
            '--no-defaults',
            `--user=${user}`,
            `--datadir=${DATA_DIR}`,
            '--auth-root-authentication-method=normal',
            '--skip-test-db',
          ],
        ]
      : [
          server.binary,
          ['--no-defaults', '--initialize-insecure', `--user=${user}`, `--datadir=${DATA_DIR}`],
        ];
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}`;
    throw new Error(`${path.basename(command)} failed (status ${result.status}):\n${tail(output, 20)}`);
  }
  writeFileSync(INIT_MARKER, `${new Date().toISOString()}\n`);
}

/**
 * @param {ServerBinary} server
 * @param {number} port
 * @param {boolean} detach
 */
function spawnServer(server, port, detach) {
  // A unix socket path must stay under ~108 bytes; fall back to the temp dir for deep checkouts.
  const socketInRepo = path.join(BASE_DIR, 'mysqld.sock');
  const socket =
    socketInRepo.length < 100 ? socketInRepo : path.join(os.tmpdir(), `stackpay-mysqld-${port}.sock`);
  const args = [
    '--no-defaults',
    `--user=${os.userInfo().username}`,
    `--datadir=${DATA_DIR}`,
    `--socket=${socket}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--pid-file=${PID_FILE}`,
    `--log-error=${ERROR_LOG}`,
    '--skip-name-resolve',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    '--default-time-zone=+00:00',
    '--max-connections=500',
    // Local data is disposable: skip the per-commit fsync so tests run fast.
    '--innodb-flush-log-at-trx-commit=2',
  ];
  if (server.flavour === 'mysql') args.push('--mysqlx=OFF');
  rmSync(ERROR_LOG, { force: true });
  return spawn(server.binary, args, { stdio: 'ignore', detached: detach });
}

/**
 * @param {string} url
 * @param {() => string | undefined} exitedEarly reports why the server process died, if it did
 */
async function waitUntilReady(url, exitedEarly) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let problem = await connectProblem(url);
  while (problem) {
    const exited = exitedEarly();
    if (exited || Date.now() > deadline) {
      const why = exited ?? `did not accept connections within ${READY_TIMEOUT_MS / 1000} s (${problem})`;
      throw new Error(`MariaDB ${why}. Last lines of ${ERROR_LOG}:\n${errorLogTail()}`);
    }
    await sleep(150);
    problem = await connectProblem(url);
  }
}

/**
 * @param {import('node:child_process').ChildProcess} child
 * @returns {Promise<void>}
 */
async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), READY_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** @returns {string} */
function errorLogTail() {
  return existsSync(ERROR_LOG) ? tail(readFileSync(ERROR_LOG, 'utf8'), 20) : '(no error log)';
}

/**
 * @param {string} text
 * @param {number} lines
 */
function tail(text, lines) {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * @param {string} mysqlUrl
 * @returns {{ host: string, port: number, user: string, password: string, database: string | undefined }}
 */
export function parseMysqlUrl(mysqlUrl) {
  const url = new URL(mysqlUrl);
  if (url.protocol !== 'mysql:') throw new Error(`Expected a mysql:// URL, got ${redact(mysqlUrl)}`);
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)) || undefined,
  };
}

/** @param {string} mysqlUrl */
function redact(mysqlUrl) {
  return mysqlUrl.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');
}

/**
 * @param {string} mysqlUrl
 * @returns {Promise<string | undefined>} why a connection failed, or undefined when it worked
 */
async function connectProblem(mysqlUrl) {
  try {
    const connection = await connect(mysqlUrl, undefined, { connectTimeout: 2000 });
    await connection.end();
    return undefined;
  } catch (error) {
    return /** @type {Error} */ (error).message || String(error);
  }
}

/**
 * mysql2's options for a connection (or a pool) to `database` on the server of `mysqlUrl`, in utf8mb4.
 * @param {string} mysqlUrl
 * @param {string | undefined} database
 * @returns {import('mysql2').ConnectionOptions}
 */
export function connectionOptions(mysqlUrl, database) {
  const { host, port, user, password } = parseMysqlUrl(mysqlUrl);
  return { host, port, user, password, database, charset: 'UTF8MB4_UNICODE_CI' };
}

/**
 * @param {string} mysqlUrl
 * @param {string | undefined} database
 * @param {Partial<import('mysql2').ConnectionOptions>} [extra]
 */
function connect(mysqlUrl, database, extra = {}) {
  return mysql.createConnection({ ...connectionOptions(mysqlUrl, database), ...extra });
}

/** @param {string} name */
function quoteDatabaseName(name) {
  // Names come from config and tests; refusing odd characters keeps the DDL below injection-free.
  if (!/^[A-Za-z0-9_$-]{1,64}$/.test(name)) throw new Error(`Invalid database name: ${JSON.stringify(name)}`);
  return `\`${name}\``;
}

/**
 * @param {string} mysqlUrl
 * @param {string} name
 */
export async function ensureDatabase(mysqlUrl, name) {
  const connection = await connect(mysqlUrl, undefined);
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS ${quoteDatabaseName(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await connection.end();
  }
}

/**
 * @param {string} mysqlUrl
 * @param {string} name
 */
export async function dropDatabase(mysqlUrl, name) {
  const connection = await connect(mysqlUrl, undefined);
  try {
    await connection.query(`DROP DATABASE IF EXISTS ${quoteDatabaseName(name)}`);
  } finally {
    await connection.end();
  }
}

/**
 * Applies drizzle-kit generated migrations through drizzle's migrator, which records each one in its
 * journal table (`__drizzle_migrations`), so a later run — here, `npm run db:migrate` or PlanetScale —
 * skips them. Returns the tags it applied (empty: nothing to do).
 * @param {string} mysqlUrl
 * @param {string} database
 * @param {string} [migrationsFolder]
 * @returns {Promise<string[]>}
 */
export async function migrate(mysqlUrl, database, migrationsFolder = path.join(REPO_ROOT, 'drizzle')) {
  if (!existsSync(path.join(migrationsFolder, 'meta', '_journal.json'))) return [];
  const connection = await connect(mysqlUrl, database);
  // Parallel test workers may migrate the same database; DDL auto-commits, so serialise with a named lock.
  const lockName = `stackpay_migrate_${database}`;
  try {
    await connection.query('SELECT GET_LOCK(?, 120)', [lockName]);
    const pending = pendingMigrations(
      migrationsFolder,
      await lastAppliedAt(async (query) => {
        const [rows] = await connection.query(query);
        return /** @type {Record<string, unknown>[]} */ (rows);
      }),
    );
    await drizzleMigrate(drizzle(connection), { migrationsFolder });
    return pending;
  } finally {
    await connection.query('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => {});
    await connection.end();
  }
}

/** Stops the private instance through its pid file (for `db.mjs stop`). */
async function stopPrivateServer() {
  const pid = existsSync(PID_FILE) ? Number(readFileSync(PID_FILE, 'utf8').trim()) : 0;
  if (!pid || !isAlive(pid)) {
    console.log('private MariaDB is not running');
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  console.log(
    isAlive(pid) ? `MariaDB (pid ${pid}) did not stop within 30 s` : `stopped MariaDB (pid ${pid})`,
  );
}

/** @param {number} pid */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function status() {
  const external = externalUrl();
  const url = external ?? `mysql://root@127.0.0.1:${process.env.STACKPAY_MYSQL_PORT ?? DEFAULT_PORT}`;
  const problem = await connectProblem(url);
  console.log(problem ? `${redact(url)}: not reachable (${problem})` : `${redact(url)}: ok`);
  if (!external && existsSync(PID_FILE))
    console.log(`pid file ${PID_FILE}: ${readFileSync(PID_FILE, 'utf8').trim()}`);
  if (problem) process.exitCode = 1;
}

/** @param {string[]} argv */
async function main(argv) {
  const [command, database = 'stackpay'] = argv;
  const log = (/** @type {string} */ message) => console.log(message);
  if (command === 'start') {
    const server = await ensureMysql({ log, detach: true });
    console.log(server.url);
  } else if (command === 'stop') {
    await stopPrivateServer();
  } else if (command === 'status') {
    await status();
  } else if (command === 'migrate') {
    const server = await ensureMysql({ log, detach: true });
    await ensureDatabase(server.url, database);
    const applied = await migrate(server.url, database);
    console.log(
      `${database} on ${redact(server.url)}: ${applied.length ? `applied ${applied.join(', ')}` : 'nothing to do'}`,
    );
  } else {
    console.error('usage: npx node tools/db.mjs start|stop|status|migrate [database]');
    process.exitCode = 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
