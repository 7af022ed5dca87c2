import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index';

const BASE = 'https://stackpay.test';
const call = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`${BASE}${path}`, init));

describe('health', () => {
  it('answers ok when the database is reachable', async () => {
    const res = await call('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', database: 'ok' });
  });

  it('answers 503 naming the database when it cannot be reached', async () => {
    const ctx = createExecutionContext();
    const downEnv = { ...env, DATABASE_URL: 'http://stackpay:stackpay-local@127.0.0.1:9' };
    const res = await worker.fetch(new Request(`${BASE}/health`), downEnv, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable', database: 'unavailable' });
  });

  it('answers 503 when the database refuses the credentials', async () => {
    const ctx = createExecutionContext();
    const url = new URL(env.DATABASE_URL as string);
    url.password = 'wrong-password';
    const res = await worker.fetch(
      new Request(`${BASE}/health`),
      { ...env, DATABASE_URL: url.toString() },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
  });
});

describe('problem responses', () => {
  it('an unknown route is a 404 problem with a request id', async () => {
    const res = await call('/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    const requestId = res.headers.get('X-Request-Id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 404, code: 'not_found', title: 'Not Found', request_id: requestId });
    // The public base URL (PUBLIC_BASE_URL, else the request origin) + the code's anchor on the errors page.
    expect(body.type).toMatch(/^https?:\/\/[^/]+\/docs\/errors#not_found$/);
    expect(typeof body.detail).toBe('string');
  });

  it('keeps a sane caller request id and replaces an unsafe one', async () => {
    const kept = await call('/health', { headers: { 'X-Request-Id': 'client-req-12345' } });
    expect(kept.headers.get('X-Request-Id')).toBe('client-req-12345');
    const replaced = await call('/health', { headers: { 'X-Request-Id': 'bad id <script>' } });
    expect(replaced.headers.get('X-Request-Id')).not.toContain('<');
  });

  it('a wrong method on a known route is 405 with Allow', async () => {
    const res = await call('/health', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toBe('GET, HEAD');
    expect(((await res.json()) as { code: string }).code).toBe('method_not_allowed');
  });

  it('routes work with and without a trailing slash, without redirecting', async () => {
    const res = await call('/health/');
    expect(res.status).toBe(200);
  });

  it('a body with an unsupported media type is 415', async () => {
    const res = await call('/api/v1/anything', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: 'hello',
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { code: string }).code).toBe('unsupported_media_type');
  });

  it('a body over 1 MiB is 413 before it is parsed', async () => {
    const res = await call('/api/v1/anything', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: `{"x":"${'a'.repeat(1024 * 1024)}"}`,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('payload_too_large');
  });

  it('a streamed body over 1 MiB without Content-Length is 413', async () => {
    const chunk = new TextEncoder().encode('a'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 20) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const res = await call('/api/v1/anything', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: stream,
    });
    expect(res.status).toBe(413);
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document generated from the route schemas', async () => {
    const res = await call('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/health']).toBeDefined();
  });

  // /docs is a static asset now (public/docs.html), answered before the Worker runs: test/e2e/docs.test.ts
  // checks it (self-contained, offline, its headers) against `wrangler dev`.
  it('the Worker itself no longer renders /docs', async () => {
    const res = await call('/docs');
    expect(res.status).toBe(404);
    await res.body?.cancel();
  });
});
