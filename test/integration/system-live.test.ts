import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index';

const BASE = 'https://stackpay.test';

describe('GET /health/live', () => {
  it('answers 200 {"status":"ok"} with a request id', async () => {
    const res = await exports.default.fetch(new Request(`${BASE}/health/live`));
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Request-Id')).toBeTruthy();
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('works with a trailing slash', async () => {
    const res = await exports.default.fetch(new Request(`${BASE}/health/live/`));
    expect(res.status).toBe(200);
  });

  it('touches no database: still 200 when the database is unreachable', async () => {
    const ctx = createExecutionContext();
    const downEnv = { ...env, DATABASE_URL: 'http://stackpay:stackpay-local@127.0.0.1:9' };
    const res = await worker.fetch(new Request(`${BASE}/health/live`), downEnv, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('runs no query (the simulator counts none for its request id)', async () => {
    const requestId = `live-${crypto.randomUUID()}`;
    const res = await exports.default.fetch(
      new Request(`${BASE}/health/live`, { headers: { 'X-Request-Id': requestId } }),
    );
    expect(res.status).toBe(200);
    const stats = await fetch(`${env.SIMULATOR_ADMIN_URL}/_sim/stats/requests/${requestId}`);
    expect(((await stats.json()) as { queries: number }).queries).toBe(0);
  });

  it('answers 405 with Allow for other methods', async () => {
    const res = await exports.default.fetch(new Request(`${BASE}/health/live`, { method: 'POST' }));
    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toContain('GET');
  });
});
