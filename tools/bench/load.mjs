// One measurement: autocannon (programmatic API) against one scenario at one concurrency, plus what
// autocannon cannot see — database round trips per request (the simulator counts queries per X-Request-Id),
// Durable Object calls, KV reads and queue sends per request (the bench-only counting wrapper,
// tools/bench/worker-counters.js, counts them per X-Request-Id) and the CPU time each process group spent
// over the run (/proc utime + stime: workerd, simulator, MariaDB, the load generator).

import autocannon from 'autocannon';
import { cpuPerRequest, groupSnapshot } from './procs.mjs';
import { COUNTERS_PATH, emptyCounts } from './worker-counters.js';

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
 * @property {number | null} cpuMsPerRequest the `workerd` group's CPU per request (the Worker's runtime)
 * @property {Record<string, number | null>} cpu CPU ms per request of every process group
 * @property {BindingCounts | null} bindingsPerRequest mean over the sampled request ids
 * @property {BindingCounts | null} bindingsTotalPerRequest every counted call during the run (queue
 *   consumers included) / requests
 * @property {number} seconds
 * @property {boolean} completedAmount stopped because it sent `amount` requests, not because of the clock
 */

/** @typedef {import('./worker-counters.js').Counts} BindingCounts */

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
 * @param {import('./procs.mjs').ProcessGroups} options.groups CPU measured per group (`workerd` feeds
 *   cpuMsPerRequest)
 * @param {string} [options.countersUrl] the Worker's base URL when it runs with the counting wrapper
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

  const queriesBefore = await simulatorTotal(options.simulatorAdminUrl);
  const countsBefore = await bindingTotals(options.countersUrl);
  // Last before the load and first after it, so reading the counters is not in the CPU figures.
  const cpuBefore = groupSnapshot(options.groups);
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

  const cpuAfter = groupSnapshot(options.groups);
  const queriesAfter = await simulatorTotal(options.simulatorAdminUrl);
  const countsAfter = await bindingTotals(options.countersUrl);
  const requests = latencies.length;
  const cpu = cpuPerRequest(cpuBefore, cpuAfter, requests);
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
    cpuMsPerRequest: cpu.workerd ?? null,
    cpu,
    bindingsPerRequest: await sampleBindingCounts(options.countersUrl, completedIds),
    bindingsTotalPerRequest:
      countsBefore && countsAfter && requests > 0
        ? countsPerRequest(countsBefore, countsAfter, requests)
        : null,
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

/**
 * Up to ROUND_TRIP_SAMPLE request ids spread evenly over the newest 5,000 (the simulator keeps the most recent
 * 10,000 request ids).
 * @param {string[]} ids
 */
function evenSample(ids) {
  const recent = ids.slice(-5000);
  const step = Math.max(1, Math.floor(recent.length / ROUND_TRIP_SAMPLE));
  return recent.filter((_, i) => i % step === 0).slice(0, ROUND_TRIP_SAMPLE);
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
 * Mean queries per request over an evenly spread sample of the requests that completed (evenSample).
 * @param {string | undefined} adminUrl
 * @param {string[]} ids
 */
async function sampleRoundTrips(adminUrl, ids) {
  if (!adminUrl || ids.length === 0) return null;
  const sample = evenSample(ids);
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

/** @param {string | undefined} workerUrl */
async function bindingTotals(workerUrl) {
  if (!workerUrl) return null;
  try {
    const res = await fetch(`${workerUrl}${COUNTERS_PATH}`, { signal: AbortSignal.timeout(5000) });
    return /** @type {BindingCounts} */ (await res.json());
  } catch {
    return null;
  }
}

/**
 * (after - before) / requests for every counter.
 * @param {BindingCounts} before
 * @param {BindingCounts} after
 * @param {number} requests
 * @returns {BindingCounts}
 */
export function countsPerRequest(before, after, requests) {
  const result = emptyCounts();
  for (const key of /** @type {(keyof BindingCounts)[]} */ (Object.keys(result)))
    result[key] = ((after[key] ?? 0) - (before[key] ?? 0)) / requests;
  return result;
}

/**
 * Mean of each counter over the requests found (null entries — ids the Worker no longer or never saw — are
 * left out); null when none was found.
 * @param {Array<BindingCounts | null>} counts
 * @returns {BindingCounts | null}
 */
export function meanCounts(counts) {
  const found = /** @type {BindingCounts[]} */ (counts.filter((c) => c !== null && typeof c === 'object'));
  if (found.length === 0) return null;
  const result = emptyCounts();
  for (const key of /** @type {(keyof BindingCounts)[]} */ (Object.keys(result)))
    result[key] = found.reduce((sum, c) => sum + (c[key] ?? 0), 0) / found.length;
  return result;
}

/**
 * Binding calls per request over the same kind of evenly spread sample as the database round trips.
 * @param {string | undefined} workerUrl
 * @param {string[]} ids
 */
async function sampleBindingCounts(workerUrl, ids) {
  if (!workerUrl || ids.length === 0) return null;
  const sample = evenSample(ids);
  try {
    const res = await fetch(`${workerUrl}${COUNTERS_PATH}`, {
      method: 'POST',
      body: JSON.stringify(sample),
      signal: AbortSignal.timeout(5000),
    });
    return meanCounts(/** @type {Array<BindingCounts | null>} */ (await res.json()));
  } catch {
    return null;
  }
}
