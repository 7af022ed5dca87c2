// Query counters: every statement is a network round trip in production, so tests and benchmarks
// read these to see how many a request costs.

const MAX_REQUESTS = 10_000;
const MAX_SESSIONS = 10_000;
const MAX_STATEMENTS_PER_REQUEST = 1_000;
const STATEMENT_PREVIEW = 200;

/**
 * @typedef {{ queries: number, statements: string[] }} RequestStats
 */

export function createStats() {
  let total = 0;
  /** @type {Map<string, RequestStats>} insertion order = least recently active first */
  const requests = new Map();
  /** @type {Map<string, number>} */
  const sessions = new Map();

  /**
   * @param {string | undefined} requestId the caller's X-Request-Id, if any
   * @param {string} sessionId
   * @param {string} sql
   */
  function record(requestId, sessionId, sql) {
    total += 1;
    touch(sessions, sessionId, (sessions.get(sessionId) ?? 0) + 1, MAX_SESSIONS);
    if (requestId === undefined) return;
    const stats = requests.get(requestId) ?? { queries: 0, statements: [] };
    stats.queries += 1;
    if (stats.statements.length < MAX_STATEMENTS_PER_REQUEST)
      stats.statements.push(sql.slice(0, STATEMENT_PREVIEW));
    touch(requests, requestId, stats, MAX_REQUESTS);
  }

  function summary() {
    const counts = Object.fromEntries([...requests].map(([id, stats]) => [id, stats.queries]));
    return { total, requests: counts };
  }

  /** @param {string} requestId */
  function request(requestId) {
    const stats = requests.get(requestId) ?? { queries: 0, statements: [] };
    return { request_id: requestId, queries: stats.queries, statements: stats.statements };
  }

  /** @param {string} sessionId */
  function session(sessionId) {
    return { session_id: sessionId, queries: sessions.get(sessionId) ?? 0 };
  }

  function reset() {
    total = 0;
    requests.clear();
    sessions.clear();
  }

  return { record, summary, request, session, reset };
}

/**
 * Sets a key as most recently used and evicts the oldest beyond `max`.
 * @template V
 * @param {Map<string, V>} map
 * @param {string} key
 * @param {V} value
 * @param {number} max
 */
function touch(map, key, value, max) {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(/** @type {string} */ (map.keys().next().value));
}
