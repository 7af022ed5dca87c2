import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type ApiKeyScope, apiKeys, auditLog } from '../../src/db/schema';
import { sha256Hex } from '../../src/lib/crypto';
import type { TransactionView } from '../../src/transactions/schemas';
import { signedIn, textOf } from './admin-helpers';
import { ALL_SCOPES, API_KEYS, type CreatedKey, createKey, keyAdmin, revokeKey } from './api-keys-support';
import { review, staffKyc, staffKycFile } from './customers-fixtures';
import {
  api,
  apiWithEnv,
  createUser,
  type Problem,
  readJson,
  roomInMinuteWindow,
  roundTrips,
  testDb,
  uniqueRequestId,
} from './helpers';
import { auditRows, succeededPayment } from './lifecycle-support';
import { createPayer, createPendingPayment, TXN } from './transactions-support';

const SECRET = /^sk_test_[A-Za-z0-9_-]{43}$/;

async function keyRow(id: number) {
  const [row] = await testDb().select().from(apiKeys).where(eq(apiKeys.id, id));
  return row;
}

/** POST txn/ with `customer_id`, as a key or a user (`token`). */
function payFor(token: string, customerId: number | undefined, amount = '1.00'): Promise<Response> {
  return api(TXN, { method: 'POST', token, json: { amount, customer_id: customerId } });
}

async function expectProblem(response: Response, status: number, code: string): Promise<Problem> {
  const body = await readJson<Problem>(response);
  expect({ status: response.status, code: body.code }).toEqual({ status, code });
  expect(response.headers.get('Content-Type')).toBe('application/problem+json');
  return body;
}

describe('managing keys through the API (ADMIN only)', () => {
  it('creates a key whose secret is shown once and stored only as its SHA-256', async () => {
    const admin = await keyAdmin();
    const created = await createKey(['payments:read', 'refunds:write'], 'Shop backend');
    expect(created.secret).toMatch(SECRET);
    expect(created.prefix).toBe(created.secret.slice(0, 12));
    expect(created).toMatchObject({
      name: 'Shop backend',
      scopes: ['payments:read', 'refunds:write'],
      created_by: admin.id,
      revoked_at: null,
      last_used_at: null,
    });
    const row = await keyRow(created.id);
    expect(row?.secretHash).toBe(await sha256Hex(created.secret));
    // Nowhere in the row is the secret (or its random part).
    expect(JSON.stringify(row)).not.toContain(created.secret.slice(8));

    const list = await api(API_KEYS, { token: admin.access });
    expect(list.status).toBe(200);
    const text = await list.text();
    expect(text).not.toContain(created.secret.slice(8));
    const listed = (JSON.parse(text) as { results: Array<Record<string, unknown>> }).results.find(
      (k) => k.id === created.id,
    );
    expect(listed).toMatchObject({ prefix: created.prefix, scopes: created.scopes });
    expect(listed).not.toHaveProperty('secret');

    const [audit] = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'api_key.create'), eq(auditLog.targetId, String(created.id))));
    expect(audit?.actorUserId).toBe(admin.id);
    expect(JSON.stringify(audit?.details)).not.toContain(created.secret.slice(8));
  });

  it('refuses STAFF, customers, anonymous callers and keys themselves', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const customer = await createUser();
    const body = { name: 'x', scopes: ['payments:read'] };
    await expectProblem(
      await api(API_KEYS, { method: 'POST', token: staff.access, json: body }),
      403,
      'forbidden',
    );
    await expectProblem(
      await api(API_KEYS, { method: 'POST', token: customer.access, json: body }),
      403,
      'forbidden',
    );
    await expectProblem(await api(API_KEYS, { method: 'POST', json: body }), 401, 'not_authenticated');
    const key = await createKey(ALL_SCOPES);
    await expectProblem(
      await api(API_KEYS, { method: 'POST', token: key.secret, json: body }),
      403,
      'api_key_not_allowed',
    );
    await expectProblem(await api(API_KEYS, { token: key.secret }), 403, 'api_key_not_allowed');
    await expectProblem(await revokeKey(key.id, key.secret), 403, 'api_key_not_allowed');
    expect((await keyRow(key.id))?.revokedAt).toBeNull();
  });

  it('validates the body: a name and at least one known scope', async () => {
    const admin = await keyAdmin();
    for (const json of [
      { name: '', scopes: ['payments:read'] },
      { name: 'x', scopes: [] },
      { name: 'x', scopes: ['payments:delete'] },
      { name: 'x'.repeat(101), scopes: ['payments:read'] },
    ]) {
      await expectProblem(
        await api(API_KEYS, { method: 'POST', token: admin.access, json }),
        400,
        'validation_error',
      );
    }
  });

  it('revokes: the key gets 401 at once, a second revoke changes nothing, an unknown id is 404', async () => {
    const admin = await keyAdmin();
    const key = await createKey(['payments:read']);
    expect((await api(TXN, { token: key.secret })).status).toBe(200);
    const revoked = await revokeKey(key.id, admin.access);
    expect(revoked.status).toBe(200);
    const first = await readJson<CreatedKey>(revoked);
    expect(first.revoked_at).not.toBeNull();
    await expectProblem(await api(TXN, { token: key.secret }), 401, 'api_key_not_valid');
    const again = await readJson<CreatedKey>(await revokeKey(key.id, admin.access));
    expect(again.revoked_at).toBe(first.revoked_at);
    const audits = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'api_key.revoke'), eq(auditLog.targetId, String(key.id))));
    expect(audits).toHaveLength(1);
    await expectProblem(await revokeKey(999_999_999, admin.access), 404, 'api_key_not_found');
    await expectProblem(await revokeKey(Number.NaN, admin.access), 404, 'api_key_not_found');
  });
});

describe('authentication with a key', () => {
  it('refuses unknown, malformed and other-environment keys with 401', async () => {
    const key = await createKey(['payments:read']);
    const unknown = `sk_test_${'A'.repeat(43)}`;
    const live = `sk_live_${key.secret.slice(8)}`;
    for (const token of [unknown, 'sk_test_short', 'sk_', live, `${key.secret}x`]) {
      const response = await api(TXN, { token });
      await expectProblem(response, 401, 'api_key_not_valid');
      expect(response.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
    }
    // The same refusals on a route that does not admit keys at all.
    await expectProblem(
      await api('/api/v1/users/profiles/mine/', { token: unknown }),
      401,
      'api_key_not_valid',
    );
  });

  it('records when a key was last used (after the response, at most once a minute)', async () => {
    const key = await createKey(['payments:read']);
    // apiWithEnv waits for the request's waitUntil work, where the write happens.
    expect((await apiWithEnv(TXN, { token: key.secret }, {})).status).toBe(200);
    const first = (await keyRow(key.id))?.lastUsedAt;
    expect(first).toBeInstanceOf(Date);
    expect((await apiWithEnv(TXN, { token: key.secret }, {})).status).toBe(200);
    expect((await keyRow(key.id))?.lastUsedAt?.getTime()).toBe(first?.getTime());
  });

  it('costs one query, like a user token: a read by a key is as many round trips as by staff', async () => {
    const key = await createKey(['payments:read']);
    const staff = await createUser({ role: 'STAFF' });
    const txn = await createPendingPayment(await createPayer());
    // The first use writes last_used_at (after the response); the next ones within a minute write nothing.
    expect((await apiWithEnv(`${TXN}${txn.id}/`, { token: key.secret }, {})).status).toBe(200);
    const byKey = uniqueRequestId('key-read');
    const byStaff = uniqueRequestId('staff-read');
    expect((await apiWithEnv(`${TXN}${txn.id}/`, { token: key.secret, requestId: byKey }, {})).status).toBe(
      200,
    );
    expect((await api(`${TXN}${txn.id}/`, { token: staff.access, requestId: byStaff })).status).toBe(200);
    expect(await roundTrips(byKey)).toBe(await roundTrips(byStaff));
    expect(await roundTrips(byKey)).toBe(2);
  });

  it('refuses a valid key on every route that does not admit keys (403 api_key_not_allowed)', async () => {
    const key = await createKey(ALL_SCOPES);
    const payer = await createPayer();
    for (const [method, path, json] of [
      ['GET', '/api/v1/users/profiles/mine/', undefined],
      ['GET', '/api/v1/users/profiles/', undefined],
      ['GET', '/api/v1/customers/profile/', undefined],
      ['GET', '/api/v1/customers/address/', undefined],
      ['POST', review(payer.customerId), { status: 'approved' }],
    ] as const) {
      await expectProblem(await api(path, { method, token: key.secret, json }), 403, 'api_key_not_allowed');
    }
  });
});

// --- Every scope on every key-accessible route --------------------------------------------------------

interface KeyRoute {
  name: string;
  scope: ApiKeyScope;
  /** Sets up what the call needs and returns it; `expectOk` checks the admitted call's answer. */
  request: () => Promise<{ method: 'GET' | 'POST'; path: string; json?: unknown }>;
  ok: number;
}

const KEY_ROUTES: KeyRoute[] = [
  { name: 'GET txn/', scope: 'payments:read', ok: 200, request: async () => ({ method: 'GET', path: TXN }) },
  {
    name: 'GET events/',
    scope: 'payments:read',
    ok: 200,
    request: async () => ({ method: 'GET', path: '/api/v1/events/' }),
  },
  {
    name: 'GET txn/{id}/',
    scope: 'payments:read',
    ok: 200,
    request: async () => {
      const txn = await createPendingPayment(await createPayer());
      return { method: 'GET', path: `${TXN}${txn.id}/` };
    },
  },
  {
    name: 'POST txn/',
    scope: 'payments:write',
    ok: 201,
    request: async () => ({
      method: 'POST',
      path: TXN,
      json: { amount: '20.00', customer_id: (await createPayer()).customerId },
    }),
  },
  {
    name: 'POST txn/{id}/refund/',
    scope: 'refunds:write',
    ok: 200,
    request: async () => ({ method: 'POST', path: `${TXN}${(await succeededPayment()).txn.id}/refund/` }),
  },
  {
    name: 'POST txn/{id}/void/',
    scope: 'refunds:write',
    ok: 200,
    request: async () => ({ method: 'POST', path: `${TXN}${(await succeededPayment()).txn.id}/void/` }),
  },
  {
    name: 'GET customers/{id}/kyc/',
    scope: 'customers:read',
    ok: 200,
    request: async () => ({ method: 'GET', path: staffKyc((await createPayer()).customerId) }),
  },
  {
    // The payer has no stored file: being admitted shows as the route's own 404, not a 401/403.
    name: 'GET customers/{id}/kyc/file/',
    scope: 'customers:read',
    ok: 404,
    request: async () => ({ method: 'GET', path: staffKycFile((await createPayer()).customerId) }),
  },
];

describe('every scope on every key-accessible route', () => {
  it.each(KEY_ROUTES)('$name: admitted with $scope, 403 with every other scope', async (route) => {
    const withScope = await createKey([route.scope]);
    const without = await createKey(ALL_SCOPES.filter((s) => s !== route.scope));
    // The refused call first: it must change nothing (a refund or void would otherwise already be done).
    const request = await route.request();
    const refused = await api(request.path, {
      method: request.method,
      token: without.secret,
      json: request.json,
    });
    const problem = await expectProblem(refused, 403, 'insufficient_scope');
    expect(problem).toMatchObject({ required_scope: route.scope });
    const admitted = await api(request.path, {
      method: request.method,
      token: withScope.secret,
      json: request.json,
    });
    expect(admitted.status, await admitted.clone().text()).toBe(route.ok);
    if (route.ok === 404) expect((await readJson<Problem>(admitted)).code).toBe('document_not_found');
  });
});

describe('payments created by a key', () => {
  it('pays for the named customer, with the same checks as the customer', async () => {
    const key = await createKey(['payments:write', 'payments:read']);
    const payer = await createPayer();
    const created = await payFor(key.secret, payer.customerId, '42.00');
    expect(created.status).toBe(201);
    const txn = await readJson<TransactionView>(created);
    expect(txn).toMatchObject({ customer: payer.customerId, amount: '42.00', status: 'pending' });
    // The customer sees it as their own.
    expect((await api(`${TXN}${txn.id}/`, { token: payer.access })).status).toBe(200);

    await expectProblem(
      await api(TXN, { method: 'POST', token: key.secret, json: { amount: '42.00' } }),
      400,
      'validation_error',
    );
    await expectProblem(await payFor(key.secret, 999_999_999, '1.00'), 404, 'customer_not_found');
    const unapproved = await createPayer({ kyc: 'pending' });
    await expectProblem(await payFor(key.secret, unapproved.customerId, '1.00'), 403, 'kyc_not_approved');
  });

  it('keeps Idempotency-Key answers per key', async () => {
    const key = await createKey(['payments:write']);
    const other = await createKey(['payments:write']);
    const payer = await createPayer();
    const headers = { 'Idempotency-Key': `order-${crypto.randomUUID()}` };
    const json = { amount: '10.00', customer_id: payer.customerId };
    const first = await api(TXN, { method: 'POST', token: key.secret, json, headers });
    expect(first.status).toBe(201);
    const replay = await api(TXN, { method: 'POST', token: key.secret, json, headers });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    const firstId = (await readJson<TransactionView>(first)).id;
    expect((await readJson<TransactionView>(replay)).id).toBe(firstId);
    // Another key with the same Idempotency-Key is its own request.
    const separate = await api(TXN, { method: 'POST', token: other.secret, json, headers });
    expect(separate.status).toBe(201);
    expect(separate.headers.get('Idempotent-Replayed')).toBeNull();
    expect((await readJson<TransactionView>(separate)).id).not.toBe(firstId);
  });

  it('lets a customer name only themselves', async () => {
    const payer = await createPayer();
    const other = await createPayer();
    await expectProblem(await payFor(payer.access, other.customerId, '5.00'), 403, 'forbidden');
    const list = await readJson<{ count: number }>(await api(TXN, { token: other.access }));
    expect(list.count).toBe(0);
    const own = await payFor(payer.access, payer.customerId, '5.00');
    expect(own.status).toBe(201);
  });

  it('audits a refund made with a key: no user, the key named in the details', async () => {
    const key = await createKey(['refunds:write'], 'Refund bot');
    const { txn } = await succeededPayment('80.00');
    const response = await api(`${TXN}${txn.id}/refund/`, {
      method: 'POST',
      token: key.secret,
      json: { amount: '30.00' },
    });
    expect(response.status).toBe(200);
    expect(await readJson<TransactionView>(response)).toMatchObject({
      refunded_cents: 3000,
      status: 'succeeded',
    });
    const [row] = (await auditRows(txn.id)).filter((r) => r.action === 'transaction.refund');
    expect(row?.actorUserId).toBeNull();
    expect(row?.details).toMatchObject({
      api_key_id: key.id,
      api_key_name: 'Refund bot',
      amount_cents: 3000,
      outcome: 'accepted',
    });
    // The admin's timeline names the key, not "the system".
    const browser = await signedIn(await keyAdmin());
    expect(textOf(await browser.page(`/admin/transactions/${txn.id}`))).toContain(
      `transaction.refund by API key #${key.id} (Refund bot)`,
    );
  });
});

describe('rate limits per key', () => {
  it('counts each key on its own: the 31st payment request in a minute is 429', async () => {
    await roomInMinuteWindow(30_000);
    const busy = await createKey(['payments:write']);
    const idle = await createKey(['payments:write']);
    // Invalid bodies: the limiter runs first, and nothing reaches PayMob.
    for (let i = 0; i < 30; i++) {
      const response = await api(TXN, { method: 'POST', token: busy.secret, json: {} });
      expect(response.status).toBe(400);
    }
    const limited = await api(TXN, { method: 'POST', token: busy.secret, json: {} });
    await expectProblem(limited, 429, 'rate_limited');
    expect(limited.headers.get('RateLimit')).toContain('"payments-key"');
    expect(limited.headers.get('Retry-After')).toMatch(/^\d+$/);
    expect((await api(TXN, { method: 'POST', token: idle.secret, json: {} })).status).toBe(400);
  }, 60_000);
});

describe('OpenAPI', () => {
  it('documents the sk_ bearer scheme and the scope of each key-accessible route', async () => {
    const doc = await readJson<{
      components: { securitySchemes: Record<string, { scheme: string }> };
      paths: Record<string, Record<string, { security?: Array<Record<string, string[]>> }>>;
    }>(await api('/openapi.json'));
    expect(doc.components.securitySchemes.apiKeyAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const scopeOf = (path: string, method: string) =>
      doc.paths[path]?.[method]?.security?.find((s) => 'apiKeyAuth' in s)?.apiKeyAuth;
    expect(scopeOf('/api/v1/transactions/txn', 'post')).toEqual(['payments:write']);
    expect(scopeOf('/api/v1/transactions/txn', 'get')).toEqual(['payments:read']);
    expect(scopeOf('/api/v1/transactions/txn/{id}/refund', 'post')).toEqual(['refunds:write']);
    expect(scopeOf('/api/v1/customers/{customer_id}/kyc', 'get')).toEqual(['customers:read']);
    expect(scopeOf('/api/v1/users/profiles/mine', 'get')).toBeUndefined();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/api-keys'))).toEqual([
      '/api/v1/api-keys',
      '/api/v1/api-keys/{id}',
    ]);
  });
});
