// Small node:http helpers shared by the sandbox's provider modules.

/** @typedef {import('node:http').IncomingMessage} IncomingMessage */
/** @typedef {import('node:http').ServerResponse} ServerResponse */
/** @typedef {import('node:http').OutgoingHttpHeaders} OutgoingHttpHeaders */
/**
 * A route's handler: the request, the response, the parsed URL and the route pattern's first capture.
 * @typedef {(req: IncomingMessage, res: ServerResponse, url: URL, id: string) => unknown} Handler
 */
/** @typedef {[RegExp, Partial<Record<string, Handler>>]} Route a path pattern and its handler per method */

// Mailgun accepts messages up to 25 MB; leave room for multipart overhead.
export const MAX_BODY_BYTES = 30 * 1024 * 1024;

// Thrown by handlers to answer with a given status and body; the server turns it into the response.
export class HttpError extends Error {
  /**
   * @param {number} status
   * @param {unknown} body a string is sent as text, anything else as JSON
   */
  constructor(status, body) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
    this.status = status;
    this.body = body;
  }
}

/**
 * @param {ServerResponse} res
 * @param {number} status
 * @param {unknown} value
 * @param {OutgoingHttpHeaders} [headers]
 */
export function sendJson(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

/**
 * @param {ServerResponse} res
 * @param {number} status
 * @param {string} text
 * @param {OutgoingHttpHeaders} [headers]
 */
export function sendText(res, status, text, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}

/**
 * @param {ServerResponse} res
 * @param {number} status
 * @param {string} html
 * @param {OutgoingHttpHeaders} [headers]
 */
export function sendHtml(res, status, html, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
  res.end(html);
}

/**
 * @param {ServerResponse} res
 * @param {HttpError} error
 */
export function sendError(res, error) {
  if (typeof error.body === 'string') sendText(res, error.status, error.body);
  else sendJson(res, error.status, error.body);
}

/** @param {string[]} allowed */
export function methodNotAllowed(allowed) {
  return new HttpError(405, { message: 'Method Not Allowed', allowed });
}

/**
 * @param {IncomingMessage} req
 * @returns {Promise<Buffer>}
 */
export async function readBody(req, limit = MAX_BODY_BYTES) {
  /** @type {Buffer[]} */
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, { message: 'Request entity too large' });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * @param {IncomingMessage} req
 * @returns {Promise<any>} the parsed body: each handler checks the fields it reads, as the provider does
 */
export async function readJson(req) {
  const body = await readBody(req);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, { message: 'Body is not valid JSON' });
  }
}

/** @param {unknown} value */
export function escapeHtml(value) {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * @param {number} ms
 * @returns {Promise<void>}
 */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * What a provider does later on its own (callbacks, delivery events, a pending payment settling): `later`
 * runs `work` after `ms` unless the provider is closed by then; `cancel` drops everything still waiting (a
 * sandbox reset); `close` cancels and refuses to run anything more.
 */
export function createScheduler() {
  /** @type {Set<ReturnType<typeof setTimeout>>} */
  const timers = new Set();
  let closed = false;
  const cancel = () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  };
  return {
    /**
     * @param {() => unknown} work
     * @param {number} ms
     */
    later(work, ms) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!closed) work();
      }, ms);
      timers.add(timer);
    },
    cancel,
    close() {
      closed = true;
      cancel();
    },
  };
}

/**
 * POSTs `body` as JSON (a callback or webhook to the Worker) and tells how it went: the answer's status, or
 * why there was none — the socket error's code (ECONNREFUSED…) or the timeout.
 * @param {string} url
 * @param {unknown} body
 * @param {number} timeoutMs
 * @returns {Promise<{ status: number } | { error: string }>}
 */
export async function postJson(url, body, timeoutMs) {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return { status: response.status };
  } catch (caught) {
    // fetch rejects with a TypeError whose cause is the socket error (code ECONNREFUSED…), or a timeout.
    const error = /** @type {Error & { cause?: { code?: string; message?: string } }} */ (caught);
    return { error: error.cause?.code ?? error.cause?.message ?? error.message };
  }
}
