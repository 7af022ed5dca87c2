// Small node:http helpers shared by the sandbox's provider modules.

// Mailgun accepts messages up to 25 MB; leave room for multipart overhead.
export const MAX_BODY_BYTES = 30 * 1024 * 1024;

// Thrown by handlers to answer with a given status and body; the server turns it into the response.
export class HttpError extends Error {
  constructor(status, body) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
    this.status = status;
    this.body = body;
  }
}

export function sendJson(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

export function sendText(res, status, text, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}

export function sendHtml(res, status, html, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
  res.end(html);
}

export function sendError(res, error) {
  if (typeof error.body === 'string') sendText(res, error.status, error.body);
  else sendJson(res, error.status, error.body);
}

export function methodNotAllowed(allowed) {
  return new HttpError(405, { message: 'Method Not Allowed', allowed });
}

export async function readBody(req, limit = MAX_BODY_BYTES) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, { message: 'Request entity too large' });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function readJson(req) {
  const body = await readBody(req);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, { message: 'Body is not valid JSON' });
  }
}

export function escapeHtml(value) {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
