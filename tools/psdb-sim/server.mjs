// PlanetScale HTTP API simulator: what @planetscale/database talks to in local development and tests.
//
// Serves POST /psdb.v1alpha1.Database/{CreateSession,Execute} with Basic auth, backed by a real MySQL
// server (MariaDB locally) through mysql2, plus unauthenticated admin endpoints under /_sim/ for query
// counts. Loopback only. See docs/design.md §4.
//
// CLI: npx node tools/psdb-sim/server.mjs [--port 8790] [--mysql mysql://root@127.0.0.1:3406]
//        [--database stackpay] [--username stackpay] [--password stackpay-local] [--idle-timeout-ms 20000]

import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mysql from 'mysql2';
import { connectionOptions, ensureDatabase, ensureMysql } from '../db.mjs';
import { createExecutor } from './executor.mjs';
import { createStats } from './stats.mjs';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);
const MAX_BODY_BYTES = 64 * 1024 * 1024;
// PlanetScale runs MySQL 8 with its default sql_mode. ONLY_FULL_GROUP_BY is left out on purpose:
// MariaDB's version of it rejects queries MySQL 8 accepts (it ignores functional dependencies).
const SQL_MODE =
  'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

/**
 * @typedef {object} SimulatorOptions
 * @property {number} [port] 0 picks a free port
 * @property {string} [host] must be a loopback address
 * @property {string} mysqlUrl mysql://user[:password]@host:port
 * @property {string} database
 * @property {string} [username] Basic-auth user the driver must present
 * @property {string} [password]
 * @property {number} [idleTimeoutMs] idle transactions are rolled back after this long (PlanetScale: 20 s)
 * @property {(message: string) => void} [log]
 */

/**
 * @typedef {object} Simulator
 * @property {string} url http://username:password@127.0.0.1:PORT, ready for the driver's `url` option
 * @property {number} port
 * @property {ReturnType<typeof createStats>} stats the same counters /_sim/stats serves
 * @property {() => Promise<void>} close
 */

/**
 * @param {SimulatorOptions} options
 * @returns {Promise<Simulator>}
 */
export async function startSimulator({
  port = 0,
  host = '127.0.0.1',
  mysqlUrl,
  database,
  username = 'stackpay',
  password = 'stackpay-local',
  idleTimeoutMs = 20_000,
  log = () => {},
}) {
  if (!LOOPBACK_HOSTS.has(host)) throw new Error(`psdb-sim only listens on loopback, not ${host}`);
  const pool = createPool(mysqlUrl, database);
  const executor = createExecutor({ pool, database, username, idleTimeoutMs, log });
  const stats = createStats();
  const context = {
    executor,
    stats,
    database,
    username,
    checkAuth: basicAuthChecker(username, password),
    log,
  };
  const server = createServer((request, response) => {
    handle(context, request, response).catch((error) => {
      log(`psdb-sim: ${error instanceof Error ? error.stack : error}`);
      if (!response.headersSent)
        sendJson(response, 500, { error: { code: 'internal', message: 'Internal Server Error' } });
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${urlHost}:${address.port}`;
  log(`psdb-sim listening on http://${urlHost}:${address.port} (database ${database})`);
  return {
    url,
    port: address.port,
    stats,
    async close() {
      const closed = new Promise((resolve) => server.close(() => resolve(undefined)));
      server.closeAllConnections();
      await closed;
      await executor.close();
      await pool.end();
    },
  };
}

/**
 * @param {string} mysqlUrl
 * @param {string} database
 */
function createPool(mysqlUrl, database) {
  const pool = mysql.createPool({
    ...connectionOptions(mysqlUrl, database),
    // Raw text-protocol bytes for every value: the simulator must not reformat dates, decimals or JSON.
    typeCast: false,
    supportBigNumbers: true,
    bigNumberStrings: true,
    // PlanetScale sessions set clientFoundRows: UPDATE reports matched rows, not changed rows.
    flags: ['FOUND_ROWS'],
    connectionLimit: 100,
    maxIdle: 10,
    enableKeepAlive: true,
  });
  // Queued before any statement on the new connection, so every statement sees PlanetScale's settings.
  pool.on('connection', (connection) => {
    connection.query(`SET time_zone = '+00:00', sql_mode = '${SQL_MODE}'`, () => {});
  });
  return pool.promise();
}

/**
 * @param {string} username
 * @param {string} password
 * @returns {(header: string | undefined) => boolean}
 */
function basicAuthChecker(username, password) {
  const digest = (/** @type {string} */ text) => createHash('sha256').update(text).digest();
  const expected = digest(`${username}:${password}`);
  return (header) => {
    const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
    if (!match) return false;
    return timingSafeEqual(digest(Buffer.from(match[1], 'base64').toString('utf8')), expected);
  };
}

/**
 * @typedef {object} Context
 * @property {ReturnType<typeof createExecutor>} executor
 * @property {ReturnType<typeof createStats>} stats
 * @property {string} database
 * @property {string} username
 * @property {(header: string | undefined) => boolean} checkAuth
 * @property {(message: string) => void} log
 */

/**
 * @param {Context} context
 * @param {import('node:http').IncomingMessage} request
 * @param {import('node:http').ServerResponse} response
 */
async function handle(context, request, response) {
  if (!isLoopback(request.socket.remoteAddress)) {
    return sendJson(response, 403, { error: { code: 'permission_denied', message: 'loopback only' } });
  }
  const { pathname } = new URL(request.url ?? '/', 'http://localhost');
  if (pathname.startsWith('/_sim/')) return handleAdmin(context, request, response, pathname);
  if (pathname.startsWith('/psdb.v1alpha1.Database/')) return handleApi(context, request, response, pathname);
  return sendJson(response, 404, { error: { code: 'not_found', message: 'Not Found' } });
}

/** @param {string | undefined} address */
function isLoopback(address) {
  return address === '::1' || /^(::ffff:)?127\./.test(address ?? '');
}

/**
 * @param {Context} context
 * @param {import('node:http').IncomingMessage} request
 * @param {import('node:http').ServerResponse} response
 * @param {string} pathname
 */
function handleAdmin({ stats }, request, response, pathname) {
  const requestMatch = /^\/_sim\/stats\/requests\/(.+)$/.exec(pathname);
  const sessionMatch = /^\/_sim\/stats\/sessions\/(.+)$/.exec(pathname);
  if (request.method === 'GET' && pathname === '/_sim/health')
    return sendJson(response, 200, { status: 'ok' });
  if (request.method === 'GET' && pathname === '/_sim/stats') return sendJson(response, 200, stats.summary());
  if (request.method === 'GET' && requestMatch) {
    return sendJson(
      response,
      200,
      stats.request(decodeURIComponent(/** @type {string} `(.+)` always captures */ (requestMatch[1]))),
    );
  }
  if (request.method === 'GET' && sessionMatch) {
    return sendJson(
      response,
      200,
      stats.session(decodeURIComponent(/** @type {string} */ (sessionMatch[1]))),
    );
  }
  if (request.method === 'POST' && pathname === '/_sim/stats/reset') {
    stats.reset();
    return sendJson(response, 200, { status: 'ok' });
  }
  return sendJson(response, 404, { error: { code: 'not_found', message: 'Not Found' } });
}

/**
 * @param {Context} context
 * @param {import('node:http').IncomingMessage} request
 * @param {import('node:http').ServerResponse} response
 * @param {string} pathname
 */
async function handleApi(context, request, response, pathname) {
  if (request.method !== 'POST') {
    return sendJson(response, 405, { error: { code: 'unimplemented', message: 'Method Not Allowed' } });
  }
  // Same status and body as PlanetScale: the driver turns it into DatabaseError(message, 401).
  if (!context.checkAuth(request.headers.authorization)) {
    return sendJson(response, 401, {
      error: { code: 'unauthenticated', message: 'invalid auth credentials' },
    });
  }
  const body = await readJson(request);
  if (body === undefined) {
    return sendJson(response, 400, {
      error: { code: 'invalid_argument', message: 'request body is not JSON' },
    });
  }
  if (pathname === '/psdb.v1alpha1.Database/CreateSession') return createSession(context, response);
  if (pathname === '/psdb.v1alpha1.Database/Execute') return execute(context, request, response, body);
  return sendJson(response, 404, { error: { code: 'not_found', message: 'Not Found' } });
}

/**
 * @param {Context} context
 * @param {import('node:http').ServerResponse} response
 */
function createSession({ executor, database, username }, response) {
  const user = { username, psid: 'psdb-sim', role: 'admin' };
  return sendJson(response, 200, { branch: database, user, session: executor.newSession() });
}

/**
 * @param {Context} context
 * @param {import('node:http').IncomingMessage} request
 * @param {import('node:http').ServerResponse} response
 * @param {Record<string, unknown>} body
 */
async function execute({ executor, stats }, request, response, body) {
  if (typeof body.query !== 'string') {
    return sendJson(response, 400, { error: { code: 'invalid_argument', message: 'query is required' } });
  }
  const outcome = await executor.execute(body.session ?? null, body.query);
  const requestId = request.headers['x-request-id'];
  stats.record(Array.isArray(requestId) ? requestId[0] : requestId, outcome.sessionId, body.query);
  // SQL errors and an unreachable MySQL are both HTTP 200 + { error }, as Vitess errors are on
  // PlanetScale; the driver throws DatabaseError(error.message, 400, error) for them.
  return sendJson(response, 200, outcome.body);
}

/**
 * @param {import('node:http').IncomingMessage} request
 * @returns {Promise<Record<string, unknown> | undefined>} undefined when the body is not a JSON object
 */
async function readJson(request) {
  const chunks = [];
  let size = 0;
  for await (const chunk of request) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    const parsed = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @param {import('node:http').ServerResponse} response
 * @param {number} status
 * @param {unknown} payload
 */
function sendJson(response, status, payload) {
  const text = JSON.stringify(payload);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.PSDB_SIM_PORT ?? '8790' },
      host: { type: 'string', default: '127.0.0.1' },
      mysql: { type: 'string' },
      database: { type: 'string', default: 'stackpay' },
      username: { type: 'string', default: 'stackpay' },
      password: { type: 'string', default: 'stackpay-local' },
      'idle-timeout-ms': { type: 'string', default: '20000' },
    },
  });
  const log = (/** @type {string} */ message) => console.log(message);
  // Without --mysql, use (or start) the private MariaDB, detached so it outlives this process.
  const mysqlUrl = values.mysql ?? (await ensureMysql({ log, detach: true })).url;
  await ensureDatabase(mysqlUrl, values.database);
  const simulator = await startSimulator({
    port: Number(values.port),
    host: values.host,
    mysqlUrl,
    database: values.database,
    username: values.username,
    password: values.password,
    idleTimeoutMs: Number(values['idle-timeout-ms']),
    log,
  });
  console.log(`DATABASE_URL=${simulator.url}`);
  const shutdown = () => {
    simulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
