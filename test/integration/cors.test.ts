import { describe, expect, it } from 'vitest';
import { apiWithEnv, createUser, readJson } from './helpers';

/** README, "Calling StackPay from a web app": CORS on /api/v1 for the origins in CORS_ALLOWED_ORIGINS only. */
const SHOP = 'https://shop.example.com';
const ALLOWED = { CORS_ALLOWED_ORIGINS: `${SHOP}, http://127.0.0.1:5173` };
const TXN = '/api/v1/transactions/txn/';

function corsHeadersOf(response: Response): string[] {
  return [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));
}

describe('CORS for /api/v1 (issue 16 item 1)', () => {
  it('an allowed origin gets its origin echoed and the exposed headers on a real request', async () => {
    const customer = await createUser();
    const response = await apiWithEnv(TXN, { token: customer.access, headers: { Origin: SHOP } }, ALLOWED);
    expect(response.status).toBe(200);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe(SHOP);
    expect(response.headers.get('Access-Control-Allow-Credentials')).toBeNull();
    expect(response.headers.get('Access-Control-Expose-Headers')?.split(',')).toEqual([
      'X-Request-Id',
      'Location',
      'Retry-After',
      'RateLimit',
      'RateLimit-Policy',
      'Idempotent-Replayed',
    ]);
    expect(response.headers.get('Vary')).toContain('Origin');
    expect((await readJson<{ results: unknown[] }>(response)).results).toEqual([]);
  });

  it('a problem answer to an allowed origin carries the CORS headers too (the page can read the error)', async () => {
    const response = await apiWithEnv(TXN, { headers: { Origin: SHOP } }, ALLOWED);
    expect(response.status).toBe(401);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe(SHOP);
  });

  it('a preflight from an allowed origin → 204 with methods, headers and max-age, before authentication', async () => {
    const response = await apiWithEnv(
      TXN,
      {
        method: 'OPTIONS',
        headers: {
          Origin: SHOP,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization, content-type, idempotency-key',
        },
      },
      ALLOWED,
    );
    expect(response.status).toBe(204);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe(SHOP);
    expect(response.headers.get('Access-Control-Allow-Methods')).toBe('GET,HEAD,POST,PUT,PATCH,DELETE');
    expect(response.headers.get('Access-Control-Allow-Headers')).toBe(
      'Authorization,Content-Type,Idempotency-Key,X-Request-Id',
    );
    expect(response.headers.get('Access-Control-Max-Age')).toBe('600');
    expect(await response.text()).toBe('');
  });

  it('a disallowed origin gets no CORS header, on a request and on a preflight (405 as before)', async () => {
    const customer = await createUser();
    const request = await apiWithEnv(
      TXN,
      { token: customer.access, headers: { Origin: 'https://evil.example.com' } },
      ALLOWED,
    );
    expect(request.status).toBe(200);
    expect(corsHeadersOf(request)).toEqual([]);
    expect(request.headers.get('Vary')).toContain('Origin');
    const preflight = await apiWithEnv(
      TXN,
      {
        method: 'OPTIONS',
        headers: { Origin: 'https://shop.example.com.evil.example', 'Access-Control-Request-Method': 'POST' },
      },
      ALLOWED,
    );
    expect(preflight.status).toBe(405);
    expect(corsHeadersOf(preflight)).toEqual([]);
  });

  it('with CORS_ALLOWED_ORIGINS empty (the production default) no origin is allowed', async () => {
    const preflight = await apiWithEnv(
      TXN,
      { method: 'OPTIONS', headers: { Origin: SHOP, 'Access-Control-Request-Method': 'GET' } },
      { CORS_ALLOWED_ORIGINS: '' },
    );
    expect(preflight.status).toBe(405);
    expect(corsHeadersOf(preflight)).toEqual([]);
  });

  it('not on the PayMob and Mailgun webhooks, nor on /admin, even for an allowed origin', async () => {
    for (const path of [
      '/api/v1/transactions/webhook/',
      '/api/v1/notifications/mailgun-webhook/',
      '/admin/login',
    ]) {
      const preflight = await apiWithEnv(
        path,
        { method: 'OPTIONS', headers: { Origin: SHOP, 'Access-Control-Request-Method': 'POST' } },
        ALLOWED,
      );
      expect(corsHeadersOf(preflight), path).toEqual([]);
      expect(preflight.status, path).not.toBe(204);
    }
  });

  it('a malformed CORS_ALLOWED_ORIGINS is a configuration error (503), not a silent allow-all', async () => {
    const response = await apiWithEnv(TXN, { headers: { Origin: SHOP } }, { CORS_ALLOWED_ORIGINS: '*' });
    expect(response.status).toBe(503);
    expect(corsHeadersOf(response)).toEqual([]);
  });
});
