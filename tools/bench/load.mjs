// One measurement: autocannon (programmatic API) against one scenario at one concurrency, plus what
// autocannon cannot see — database round trips per request (the simulator counts queries per X-Request-Id)
// and the CPU time the workerd processes spent over the run (/proc utime + stime).

import autocannon from 'autocannon';
import { cpuSnapshot, cpuSpent } from './procs.mjs';

const REQUEST_TIMEOUT_S = 10;
const ROUND_TRIP_SAMPLE = 40;
const ERROR_SAMPLES = 3;
const MIN_RESPONSES_PER_CONNECTION = 3;
const HARD_LIMIT_S = 30;
const UNLIMITED = 1_000_000_000;

/**
 * @typedef {object} RequestSpec
 * @property {string} method
 * @property {string} path
 * @property {Record<string, string>} [headers]
 * @property {string} [body]
 */

/**
 * @typedef {object} Measurement
 * @property {number} requests responses received
 * @property {number} rps
 * @property {number} p50 ms
 * @property {number} p95 ms
 * @property {number} p99 ms
 * @property {number} errors unexpected statuses + connection errors + timeouts
 * @property {number} timeouts
 * @property {Record<string, number>} statuses
 * @property {string[]} errorSamples
 * @property {number | null} dbTripsPerRequest mean over a sample of request ids
 * @property {string[] | null} statements the SQL of one sampled request
 * @property {number | null} dbTripsTotalPerRequest every query the simulator saw during the run / requests
 * @property {number | null} cpuMsPerRequest
 * @property {number} seconds
 * @property {boolean} completedAmount stopped because it sent `amount` requests, not because of the clock
 */

/**
 * @param {object} options
 * @param {string} options.baseUrl
 * @param {() => RequestSpec} options.next builds the next request (picks user, address, payload)
 * @param {(status: number) => boolean} options.expected
 * @param {number} options.connections
 * @param {number} options.durationSeconds how long a row runs (longer if it has too few answers yet)
 * @param {number} [options.amount] stop after this many requests (rate-limited scenarios)
 * @param {string} options.idPrefix
 * @param {string | undefined} options.simulatorAdminUrl
 * @param {() => number[]} options.workerdPids
 * @param {(status: number, body: string) => void} [options.onBody] sees every response body
 * @returns {Promise<Measurement>}
 */
export async function measure(options) {
  const { connections } = options;
  /** @type {number[]} */
  const latencies = [];
  /** @type {Record<string, number>} */
  const statuses = {};
  /** @type {string[]} */
  const errorSamples = [];
  /** @type {string[]} */
  const completedIds = [];
  let sequence = 0;
  let unexpected = 0;

  const request = {
    setupRequest: (/** @type {any} */ req) => {
      const spec = options.next();
      sequence += 1;
      return {
        ...req,
        method: spec.method,
        path: spec.path,
        headers: { ...spec.headers, 'x-request-id': `${options.idPrefix}-${sequence}` },
        body: spec.body ?? '',
      };
    },
    onResponse: (
      /** @type {number} */ status,
      /** @type {string} */ body,
      /** @type {unknown} */ _context,
      /** @type {Record<string, string>} */ headers,
    ) => {
      const id = headers?.['x-request-id'] ?? headers?.['X-Request-Id'];
      if (id) completedIds.push(id);
      if (!options.expected(status)) {
        unexpected += 1;
        if (errorSamples.length < ERROR_SAMPLES) errorSamples.push(`${status} ${String(body).slice(0, 300)}`);
      }
      options.onBody?.(status, body);
    },
  };

  const pids = options.workerdPids();
  const cpuBefore = cpuSnapshot(pids);
  const queriesBefore = await simulatorTotal(options.simulatorAdminUrl);
  const started = performance.now();
  let lastResponse = started;

  // autocannon's own `duration` drops a row's slow tail; instead the clock below stops a row after its
  // duration once it has at least MIN_RESPONSES_PER_CONNECTION answers per connection (slow scenarios on a
  // busy machine still get a sample), and in any case after HARD_LIMIT_S more.
  const instance = autocannon({
    url: options.baseUrl,
    connections,
    amount: options.amount ?? UNLIMITED,
    timeout: REQUEST_TIMEOUT_S,
    sampleInt: 100,
    requests: [request],
  });
  instance.on('response', (/** @type {unknown} */ _client, status, _bytes, responseTime) => {
    latencies.push(responseTime);
    statuses[status] = (statuses[status] ?? 0) + 1;
    lastResponse = performance.now();
  });
  let stoppedAt = /** @type {number | undefined} */ (undefined);
  const clock = setInterval(() => {
    const elapsed = performance.now() - started;
    const enough = latencies.length >= connections * MIN_RESPONSES_PER_CONNECTION;
    if (
      (elapsed >= options.durationSeconds * 1000 && enough) ||
      elapsed >= (options.durationSeconds + HARD_LIMIT_S) * 1000
    ) {
      stoppedAt ??= performance.now();
      instance.stop();
    }
  }, 50);
  const result = await instance;
  clearInterval(clock);

  const cpuAfter = cpuSnapshot(pids);
  const queriesAfter = await simulatorTotal(options.simulatorAdminUrl);
  const requests = latencies.length;
  // A row that sent its whole `amount` ended with its last response; any other ran until the clock stopped
  // it (responses still in flight then are dropped by autocannon, not counted).
  const completedAmount = stoppedAt === undefined;
  const seconds = Math.max(((stoppedAt ?? lastResponse) - started) / 1000, 0.001);
  latencies.sort((a, b) => a - b);

  return {
    requests,
    rps: requests / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors: unexpected + result.errors,
    timeouts: result.timeouts,
    statuses,
    errorSamples: [
      ...errorSamples,
      ...(result.errors > 0 ? [`${result.errors} connection errors (${result.timeouts} timeouts)`] : []),
    ],
    dbTripsPerRequest: await sampleRoundTrips(options.simulatorAdminUrl, completedIds),
    statements: await sampleStatements(options.simulatorAdminUrl, completedIds.slice(-5000)),
    dbTripsTotalPerRequest:
      queriesBefore === null || queriesAfter === null || requests === 0
        ? null
        : (queriesAfter - queriesBefore) / requests,
    cpuMsPerRequest: pids.length > 0 && requests > 0 ? cpuSpent(cpuBefore, cpuAfter) / requests : null,
    seconds,
    completedAmount,
  };
}

/**
 * Nearest-rank percentile of an ascending array.
 * @param {number[]} sorted
 * @param {number} p
 */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return /** @type {number} */ (sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]);
}

/** @param {string | undefined} adminUrl */
async function simulatorTotal(adminUrl) {
  if (!adminUrl) return null;
  try {
    const res = await fetch(`${adminUrl}/_sim/stats`, { signal: AbortSignal.timeout(5000) });
    return /** @type {{ total: number }} */ (await res.json()).total;
  } catch {
    return null;
  }
}

/**
 * Mean queries per request over an evenly spread sample of the requests that completed (the simulator keeps
 * the most recent 10,000 request ids, so the sample is taken from the newest ones).
 * @param {string | undefined} adminUrl
 * @param {string[]} ids
 */
async function sampleRoundTrips(adminUrl, ids) {
  if (!adminUrl || ids.length === 0) return null;
  const recent = ids.slice(-5000);
  const step = Math.max(1, Math.floor(recent.length / ROUND_TRIP_SAMPLE));
  const sample = recent.filter((_, i) => i % step === 0).slice(0, ROUND_TRIP_SAMPLE);
  try {
    const counts = await Promise.all(
      sample.map(async (id) => {
        const res = await fetch(`${adminUrl}/_sim/stats/requests/${encodeURIComponent(id)}`, {
          signal: AbortSignal.timeout(5000),
        });
        return /** @type {{ queries: number }} */ (await res.json()).queries;
      }),
    );
    return counts.reduce((a, b) => a + b, 0) / counts.length;
  } catch {
    return null;
  }
}

/**
 * The statements one completed request ran (the simulator keeps each one's first 200 characters), to show
 * where a scenario's round trips go.
 * @param {string | undefined} adminUrl
 * @param {string[]} ids
 * @returns {Promise<string[] | null>}
 */
async function sampleStatements(adminUrl, ids) {
  const id = ids[Math.floor(ids.length / 2)];
  if (!adminUrl || !id) return null;
  try {
    const res = await fetch(`${adminUrl}/_sim/stats/requests/${encodeURIComponent(id)}`, {
      signal: AbortSignal.timeout(5000),
    });
    return /** @type {{ statements: string[] }} */ (await res.json()).statements;
  } catch {
    return null;
  }
}
