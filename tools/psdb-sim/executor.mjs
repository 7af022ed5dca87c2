// Runs Execute calls against MySQL with PlanetScale's session semantics.
//
// A session carries no server state unless it is inside a transaction: then one MySQL connection is
// pinned to it from BEGIN until COMMIT/ROLLBACK, like vttablet's transaction pool. Everything else runs
// on a shared pool. Idle transactions are rolled back after idleTimeoutMs (PlanetScale: 20 s) and the
// session is told so on its next statement, as vttablet's transaction killer does.

import { createHmac, randomBytes } from 'node:crypto';
import {
  encodeRows,
  sqlError,
  statementKind,
  toVitessField,
  unavailableError,
  vttabletError,
} from './vitess.mjs';

/**
 * @typedef {object} Transaction
 * @property {string} id
 * @property {import('mysql2/promise').PoolConnection} connection
 * @property {boolean} busy a statement is running; vttablet refuses concurrent use of one transaction
 * @property {NodeJS.Timeout | undefined} idleTimer
 */

/** @typedef {{ id: string, reason: string }} EndedTransaction */

/**
 * @typedef {object} ExecuteOutcome
 * @property {string} sessionId
 * @property {Record<string, unknown>} body the JSON answer ({ session, result | error, timing })
 */

const MAX_ENDED = 10_000;

/**
 * @param {object} options
 * @param {import('mysql2/promise').Pool} options.pool
 * @param {string} options.database
 * @param {string} options.username
 * @param {number} options.idleTimeoutMs
 * @param {(message: string) => void} options.log
 */
export function createExecutor({ pool, database, username, idleTimeoutMs, log }) {
  /** @type {Map<string, Transaction>} open transactions by session id */
  const transactions = new Map();
  /** @type {Map<string, EndedTransaction>} transactions ended behind the client's back, by session id */
  const ended = new Map();
  const signingKey = randomBytes(32);
  let nextTransactionId = BigInt(Date.now()) * 1000n;
  const context = { database, username };

  /**
   * The session object handed to the driver, shaped like PlanetScale's (the driver treats it as opaque
   * and sends it back with the next statement). SessionUUID is its id.
   * @param {string} id
   * @param {string | undefined} transactionId
   */
  function sessionObject(id, transactionId) {
    const vitessSession = {
      ...(transactionId && {
        inTransaction: true,
        shardSessions: [{ target: { keyspace: database, shard: '-', tabletType: 'PRIMARY' }, transactionId }],
      }),
      autocommit: true,
      options: { includedFields: 'ALL', clientFoundRows: true },
      rowCount: '-1',
      DDLStrategy: 'direct',
      SessionUUID: id,
      enableSystemSettings: true,
    };
    const signature = createHmac('sha256', signingKey).update(JSON.stringify(vitessSession)).digest('base64');
    return { signature, vitessSession };
  }

  /** @param {unknown} session */
  function sessionInfo(session) {
    const vitess = /** @type {{ vitessSession?: Record<string, any> } | null} */ (session)?.vitessSession;
    const id =
      typeof vitess?.SessionUUID === 'string' ? vitess.SessionUUID : randomBytes(16).toString('base64url');
    const claimedTransaction =
      vitess?.inTransaction === true ? vitess.shardSessions?.[0]?.transactionId : undefined;
    return {
      id,
      claimedTransaction: claimedTransaction === undefined ? undefined : String(claimedTransaction),
    };
  }

  /**
   * @param {unknown} session the session the driver sent (null on its first statement)
   * @param {string} sql
   * @returns {Promise<ExecuteOutcome>}
   */
  async function execute(session, sql) {
    const started = performance.now();
    const { id, claimedTransaction } = sessionInfo(session);
    const answer = await route(id, claimedTransaction, sql);
    const body = { session: sessionObject(id, answer.transactionId), ...answer.payload };
    return { sessionId: id, body: { ...body, timing: (performance.now() - started) / 1000 } };
  }

  /**
   * @typedef {{ transactionId?: string, payload: { result: object } | { error: { code: string, message: string } } }} Answer
   */

  /**
   * @param {string} id
   * @param {string | undefined} claimedTransaction
   * @param {string} sql
   * @returns {Promise<Answer>}
   */
  async function route(id, claimedTransaction, sql) {
    const kind = statementKind(sql);
    const transaction = transactions.get(id);
    if (transaction) return inTransaction(id, transaction, kind, sql);
    const gone =
      ended.get(id) ?? (claimedTransaction ? { id: claimedTransaction, reason: 'not found' } : undefined);
    if (gone) return afterEnded(id, gone, kind);
    if (kind === 'begin') return begin(id, sql);
    // Vitess treats COMMIT/ROLLBACK outside a transaction as no-ops.
    if (kind === 'commit' || kind === 'rollback') return { payload: { result: {} } };
    return run(pool, sql);
  }

  /**
   * @param {string} id
   * @param {string} sql
   * @returns {Promise<Answer>}
   */
  async function begin(id, sql) {
    let connection;
    try {
      connection = await pool.getConnection();
    } catch (error) {
      return { payload: { error: unavailableError(describe(error), database) } };
    }
    const answer = await run(connection, sql);
    if ('error' in answer.payload) {
      connection.release();
      return answer;
    }
    const transaction = { id: String(nextTransactionId++), connection, busy: false, idleTimer: undefined };
    transactions.set(id, transaction);
    armIdleTimer(id, transaction);
    return { ...answer, transactionId: transaction.id };
  }

  /**
   * @param {string} id
   * @param {Transaction} transaction
   * @param {ReturnType<typeof statementKind>} kind
   * @param {string} sql
   * @returns {Promise<Answer>}
   */
  async function inTransaction(id, transaction, kind, sql) {
    if (transaction.busy) {
      const error = vttabletError('ABORTED', `transaction ${transaction.id}: in use: for query`, context);
      return { transactionId: transaction.id, payload: { error } };
    }
    transaction.busy = true;
    clearTimeout(transaction.idleTimer);
    const answer = await run(transaction.connection, sql);
    transaction.busy = false;
    const connectionLost = 'error' in answer.payload && answer.payload.error.code === 'UNAVAILABLE';
    if (connectionLost) {
      finish(id, transaction, false);
      rememberEnded(id, { id: transaction.id, reason: 'ended (connection to MySQL lost)' });
      return { transactionId: transaction.id, payload: answer.payload };
    }
    if (kind === 'commit' || kind === 'rollback') {
      finish(id, transaction, true);
      return { payload: answer.payload };
    }
    armIdleTimer(id, transaction);
    return { ...answer, transactionId: transaction.id };
  }

  /**
   * A statement on a session whose transaction the simulator already ended: ROLLBACK acknowledges it,
   * anything else (COMMIT included) fails, like PlanetScale after its transaction killer ran.
   * @param {string} id
   * @param {EndedTransaction} gone
   * @param {ReturnType<typeof statementKind>} kind
   * @returns {Answer}
   */
  function afterEnded(id, gone, kind) {
    if (kind === 'rollback' || kind === 'commit') ended.delete(id);
    if (kind === 'rollback') return { payload: { result: {} } };
    const error = vttabletError('ABORTED', `transaction ${gone.id}: ${gone.reason}`, context);
    return { transactionId: kind === 'commit' ? undefined : gone.id, payload: { error } };
  }

  /**
   * @param {string} id
   * @param {Transaction} transaction
   */
  function armIdleTimer(id, transaction) {
    transaction.idleTimer = setTimeout(() => {
      rollbackIdle(id, transaction).catch((error) =>
        log(`psdb-sim: idle rollback failed: ${describe(error)}`),
      );
    }, idleTimeoutMs);
    transaction.idleTimer.unref();
  }

  /**
   * @param {string} id
   * @param {Transaction} transaction
   */
  async function rollbackIdle(id, transaction) {
    if (transactions.get(id) !== transaction || transaction.busy) return;
    transactions.delete(id);
    const endedAt = new Date().toISOString().replace('T', ' ').replace('Z', ' UTC');
    rememberEnded(id, {
      id: transaction.id,
      reason: `ended at ${endedAt} (exceeded timeout: ${idleTimeoutMs / 1000}s)`,
    });
    try {
      await transaction.connection.query('ROLLBACK');
      transaction.connection.release();
    } catch {
      transaction.connection.destroy();
    }
  }

  /**
   * @param {string} id
   * @param {EndedTransaction} gone
   */
  function rememberEnded(id, gone) {
    ended.set(id, gone);
    if (ended.size > MAX_ENDED) ended.delete(/** @type {string} */ (ended.keys().next().value));
  }

  /**
   * @param {string} id
   * @param {Transaction} transaction
   * @param {boolean} reusable false when the connection may be broken
   */
  function finish(id, transaction, reusable) {
    clearTimeout(transaction.idleTimer);
    transactions.delete(id);
    if (reusable) transaction.connection.release();
    else transaction.connection.destroy();
  }

  /**
   * Runs one statement and converts the outcome to a Vitess result or error.
   * @param {import('mysql2/promise').Pool | import('mysql2/promise').PoolConnection} queryable
   * @param {string} sql
   * @returns {Promise<Answer>}
   */
  async function run(queryable, sql) {
    try {
      const [rows, fields] = await queryable.query({ sql, rowsAsArray: true });
      return { payload: { result: toResult(rows, fields) } };
    } catch (error) {
      return { payload: { error: toVitessError(error, sql) } };
    }
  }

  /**
   * @param {unknown} error
   * @param {string} sql
   */
  function toVitessError(error, sql) {
    const mysqlError = /** @type {{ errno?: number, sqlState?: string, fatal?: boolean }} */ (error);
    const fromServer = typeof mysqlError.errno === 'number' && mysqlError.errno > 0 && mysqlError.sqlState;
    if (fromServer && !mysqlError.fatal) {
      return sqlError(/** @type {Parameters<typeof sqlError>[0]} */ (error), { ...context, sql });
    }
    return unavailableError(describe(error), database);
  }

  /** Rolls back and releases every pinned connection (simulator shutdown). */
  async function close() {
    const open = [...transactions.values()];
    transactions.clear();
    await Promise.all(
      open.map(async (transaction) => {
        clearTimeout(transaction.idleTimer);
        await transaction.connection.query('ROLLBACK').catch(() => {});
        transaction.connection.release();
      }),
    );
  }

  /** A session for CreateSession: nothing is stored until it opens a transaction. */
  function newSession() {
    return sessionObject(randomBytes(16).toString('base64url'), undefined);
  }

  return { execute, newSession, close, openTransactions: () => transactions.size };
}

/**
 * @param {unknown} rows
 * @param {unknown} fields
 */
function toResult(rows, fields) {
  if (!Array.isArray(fields)) {
    // An OK packet (INSERT/UPDATE/DDL). Zero values are omitted, as protojson does.
    const header = /** @type {import('mysql2').ResultSetHeader} */ (rows);
    const result = /** @type {Record<string, string>} */ ({});
    if (Number(header.affectedRows)) result.rowsAffected = String(header.affectedRows);
    if (Number(header.insertId)) result.insertId = String(header.insertId);
    return result;
  }
  const result = /** @type {Record<string, unknown>} */ ({ fields: fields.map(toVitessField) });
  const encoded = encodeRows(/** @type {Array<Array<Buffer | null>>} */ (rows));
  if (encoded.length) result.rows = encoded;
  return result;
}

/** @param {unknown} error */
function describe(error) {
  const { code, message } = /** @type {{ code?: string, message?: string }} */ (error ?? {});
  return [code, message].filter(Boolean).join(': ') || String(error);
}
