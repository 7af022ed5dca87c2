// A small JSON client for setting the benchmark up through the public API, and the client addresses it
// sends as CF-Connecting-IP (the header the Worker keys its per-IP limits on; docs/api.md §1, §7).

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Client addresses from 198.18.0.0/15, the range RFC 2544 reserves for benchmarking; each call gives the
 * next one, starting at a random offset so repeated runs against one long-running stack do not collide.
 */
export function addressPool() {
  let next = Math.floor(Math.random() * 65_536);
  return () => {
    const n = next % 131_072;
    next += 1;
    return `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
  };
}

export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {number} status
   * @param {unknown} body
   */
  constructor(message, status, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

/**
 * @typedef {object} CallOptions
 * @property {string} [token] bearer access token
 * @property {unknown} [json] JSON body
 * @property {FormData} [form] multipart body
 * @property {string} [ip] CF-Connecting-IP (a fresh benchmark address when omitted)
 * @property {number[]} [expect] statuses that count as success (default: any 2xx)
 * @property {Record<string, string>} [headers]
 */

/**
 * @param {string} baseUrl
 * @param {() => string} nextAddress
 * @param {string} requestIdPrefix
 */
export function createApi(baseUrl, nextAddress, requestIdPrefix) {
  let sequence = 0;
  /**
   * @param {string} method
   * @param {string} path
   * @param {CallOptions} [options]
   * @returns {Promise<{ status: number, body: any, headers: Headers }>}
   */
  async function call(method, path, options = {}) {
    const headers = new Headers(options.headers);
    headers.set('CF-Connecting-IP', options.ip ?? nextAddress());
    sequence += 1;
    headers.set('X-Request-Id', `${requestIdPrefix}-setup-${sequence}`);
    if (options.token) headers.set('Authorization', `Bearer ${options.token}`);
    /** @type {BodyInit | undefined} */
    let body;
    if (options.json !== undefined) {
      headers.set('Content-Type', 'application/json');
      body = JSON.stringify(options.json);
    } else if (options.form) {
      body = options.form;
    }
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let parsed = /** @type {unknown} */ (text);
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    const ok = options.expect ? options.expect.includes(res.status) : res.ok;
    if (!ok) {
      const detail =
        parsed && typeof parsed === 'object'
          ? JSON.stringify(parsed).slice(0, 400)
          : String(parsed).slice(0, 200);
      throw new ApiError(`${method} ${path} → ${res.status} ${detail}`, res.status, parsed);
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }
  return call;
}

/**
 * True when a route does not exist yet (404 `not_found` from the router, or 405): reported as "not
 * available" rather than failing. A 404 with another code (e.g. customer_profile_not_found) is a real answer.
 * @param {number} status
 * @param {unknown} body
 */
export function isMissingRoute(status, body) {
  if (status === 405) return true;
  if (status !== 404) return false;
  const code = body && typeof body === 'object' ? /** @type {{ code?: unknown }} */ (body).code : undefined;
  return code === 'not_found' || code === undefined;
}

/**
 * Runs `task` over `items` with at most `limit` in flight; collects every result or error.
 * @template T, R
 * @param {T[]} items
 * @param {number} limit
 * @param {(item: T, index: number) => Promise<R>} task
 * @returns {Promise<Array<{ ok: true, value: R } | { ok: false, error: unknown }>>}
 */
export async function mapLimited(items, limit, task) {
  /** @type {Array<{ ok: true, value: R } | { ok: false, error: unknown }>} */
  const results = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = { ok: true, value: await task(/** @type {T} */ (items[index]), index) };
      } catch (error) {
        results[index] = { ok: false, error };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
