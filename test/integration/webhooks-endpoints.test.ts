import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { webhookEndpoints } from '../../src/db/schema';
import { AppError } from '../../src/lib/errors';
import { createEndpoint } from '../../src/webhooks/endpoints';
import { recordEvent } from '../../src/webhooks/events';
import { openSecret } from '../../src/webhooks/secrets';
import {
  api,
  createUser,
  describeAuthorization,
  type Problem,
  readJson,
  type TestUser,
  testConfig,
  testDb,
} from './helpers';
import { WebhookHarness } from './webhooks-support';

const ENDPOINTS = '/api/v1/webhook-endpoints/';
const EVENTS = '/api/v1/events/';
// `.invalid` never resolves (RFC 2606): nothing is ever delivered to these endpoints.
const SHOP_URL = 'https://shop.example.invalid/webhooks';
// Used only in refused requests: a row with it would mean a refused request wrote something.
const NEVER_STORED = 'https://never-stored.example.invalid/hook';

interface Endpoint {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  secret?: string;
  disabled_reason: string | null;
}

const created: string[] = [];
afterAll(async () => {
  // Other test files fan events out to every enabled endpoint: leave none of these behind.
  for (const id of created) await testDb().delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
});

async function admin(): Promise<TestUser> {
  return createUser({ role: 'ADMIN' });
}

async function create(token: string, body: unknown): Promise<Response> {
  const response = await api(ENDPOINTS, { method: 'POST', token, json: body });
  if (response.status === 201) {
    const clone = (await response.clone().json()) as Endpoint;
    created.push(clone.id);
  }
  return response;
}

describe('webhook endpoints: create, read, update, delete, rotate (docs/webhooks.md)', () => {
  it('creates with defaults, returns the secret once, and reads it back without the secret', async () => {
    const { access } = await admin();
    const response = await create(access, { url: SHOP_URL, description: 'Shop' });
    expect(response.status).toBe(201);
    const endpoint = await readJson<Endpoint>(response);
    expect(endpoint.id).toMatch(/^we_[0-9A-Z]{26}$/);
    expect(response.headers.get('Location')).toBe(`/api/v1/webhook-endpoints/${endpoint.id}/`);
    expect(endpoint).toMatchObject({ url: SHOP_URL, description: 'Shop', events: ['*'], enabled: true });
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    // The secret is usable by a receiver's library as is.
    expect(() => new Webhook(endpoint.secret as string)).not.toThrow();

    const read = await readJson<Endpoint>(await api(`${ENDPOINTS}${endpoint.id}/`, { token: access }));
    expect(read.id).toBe(endpoint.id);
    expect(read).not.toHaveProperty('secret');

    const list = await readJson<{ count: number; results: Endpoint[] }>(
      await api(`${ENDPOINTS}?page_size=100`, { token: access }),
    );
    expect(list.results.some((e) => e.id === endpoint.id)).toBe(true);
    expect(list.results.every((e) => !('secret' in e))).toBe(true);
  });

  it('keeps the secret sealed at rest: not in the row, opened only with the key and for its own endpoint', async () => {
    const { access } = await admin();
    const endpoint = await readJson<Endpoint>(await create(access, { url: SHOP_URL }));
    const [row] = await testDb().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));
    if (!row) throw new Error('row missing');
    expect(row.secretSealed).not.toContain((endpoint.secret as string).slice(6));
    const key = testConfig().JWT_SECRET;
    expect(await openSecret(key, endpoint.id, row.secretSealed)).toBe(endpoint.secret);
    expect(await openSecret(key, 'we_00000000000000000000000000', row.secretSealed)).toBeUndefined();
    expect(await openSecret(`${key}-other`, endpoint.id, row.secretSealed)).toBeUndefined();
  });

  it('updates fields; re-enabling clears the failure record', async () => {
    const { access } = await admin();
    const endpoint = await readJson<Endpoint>(await create(access, { url: SHOP_URL }));
    await testDb()
      .update(webhookEndpoints)
      .set({
        enabled: false,
        disabledReason: 'Every delivery failed for three days.',
        failingSince: new Date(),
      })
      .where(eq(webhookEndpoints.id, endpoint.id));
    const response = await api(`${ENDPOINTS}${endpoint.id}/`, {
      method: 'PATCH',
      token: access,
      json: { events: ['payment.succeeded', 'payment.refunded'], description: 'Orders', enabled: true },
    });
    expect(response.status).toBe(200);
    const updated = await readJson<Endpoint & { failing_since: string | null }>(response);
    expect(updated).toMatchObject({
      events: ['payment.succeeded', 'payment.refunded'],
      description: 'Orders',
      enabled: true,
      disabled_reason: null,
      failing_since: null,
    });
    const reread = await readJson<Endpoint>(await api(`${ENDPOINTS}${endpoint.id}/`, { token: access }));
    expect(reread).toMatchObject({ events: ['payment.succeeded', 'payment.refunded'], enabled: true });
  });

  it('rotates the secret: a new one, and the old one no longer opens from the row', async () => {
    const { access } = await admin();
    const endpoint = await readJson<Endpoint>(await create(access, { url: SHOP_URL }));
    const response = await api(`${ENDPOINTS}${endpoint.id}/rotate-secret/`, {
      method: 'POST',
      token: access,
    });
    expect(response.status).toBe(200);
    const rotated = await readJson<Endpoint>(response);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    const [row] = await testDb().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpoint.id));
    expect(await openSecret(testConfig().JWT_SECRET, endpoint.id, row?.secretSealed ?? '')).toBe(
      rotated.secret,
    );
  });

  it('deletes: 204, then 404', async () => {
    const { access } = await admin();
    const endpoint = await readJson<Endpoint>(await create(access, { url: SHOP_URL }));
    const response = await api(`${ENDPOINTS}${endpoint.id}/`, { method: 'DELETE', token: access });
    expect(response.status).toBe(204);
    const again = await api(`${ENDPOINTS}${endpoint.id}/`, { token: access });
    expect(again.status).toBe(404);
    expect((await readJson<Problem>(again)).code).toBe('not_found');
  });
});

describe('webhook endpoints: every bad input is a 4xx problem and changes nothing', () => {
  const BAD_BODIES: Array<[string, unknown, string]> = [
    ['no url', {}, 'url'],
    ['a url that is not a URL', { url: 'not a url' }, 'url'],
    ['an http:// url on a public host', { url: 'http://shop.example.invalid/hook' }, 'url'],
    ['a non-http scheme', { url: 'ftp://shop.example.invalid/hook' }, 'url'],
    ['credentials in the url', { url: 'https://user:pw@shop.example.invalid/hook' }, 'url'],
    ['a url over 2048 characters', { url: `https://shop.example.invalid/${'a'.repeat(2048)}` }, 'url'],
    ['an unknown event type', { url: NEVER_STORED, events: ['payment.exploded'] }, 'events'],
    ['"*" with other types', { url: NEVER_STORED, events: ['*', 'payment.failed'] }, 'events'],
    ['an empty event list', { url: NEVER_STORED, events: [] }, 'events'],
    ['a repeated event type', { url: NEVER_STORED, events: ['payment.failed', 'payment.failed'] }, 'events'],
    ['events not a list', { url: NEVER_STORED, events: 'payment.failed' }, 'events'],
    ['enabled not a boolean', { url: NEVER_STORED, enabled: 'yes' }, 'enabled'],
    ['a description over 255 characters', { url: NEVER_STORED, description: 'x'.repeat(256) }, 'description'],
    ['an unknown field', { url: NEVER_STORED, secret: 'whsec_mine' }, 'non_field_errors'],
  ];

  for (const [label, body, field] of BAD_BODIES) {
    it(`create with ${label} → 400 naming ${field}`, async () => {
      const { access } = await admin();
      const response = await create(access, body);
      expect(response.status).toBe(400);
      expect(response.headers.get('Content-Type')).toBe('application/problem+json');
      const problem = await readJson<Problem>(response);
      expect(Object.keys(problem.errors ?? {})).toContain(field);
      const url = (body as { url?: string }).url ?? NEVER_STORED;
      const stored = await testDb().select().from(webhookEndpoints).where(eq(webhookEndpoints.url, url));
      expect(stored).toEqual([]);
    });
  }

  it('a refused URL has the webhook_url_refused code; PATCH refuses the same URLs and keeps the old one', async () => {
    const { access } = await admin();
    const refused = await create(access, { url: 'http://shop.example.invalid/hook' });
    expect((await readJson<Problem>(refused)).code).toBe('webhook_url_refused');
    const endpoint = await readJson<Endpoint>(await create(access, { url: SHOP_URL }));
    const patch = await api(`${ENDPOINTS}${endpoint.id}/`, {
      method: 'PATCH',
      token: access,
      json: { url: 'ftp://shop.example.invalid/hook' },
    });
    expect(patch.status).toBe(400);
    expect((await readJson<Problem>(patch)).code).toBe('webhook_url_refused');
    const read = await readJson<Endpoint>(await api(`${ENDPOINTS}${endpoint.id}/`, { token: access }));
    expect(read.url).toBe(SHOP_URL);
  });

  it('PATCH with a bad body → 400; malformed JSON → 400 malformed_body; wrong media type → 415', async () => {
    const { access } = await admin();
    const endpoint = await readJson<Endpoint>(await create(access, { url: SHOP_URL }));
    const path = `${ENDPOINTS}${endpoint.id}/`;
    const bad = await api(path, { method: 'PATCH', token: access, json: { events: ['nope'] } });
    expect(bad.status).toBe(400);
    const malformed = await api(path, {
      method: 'PATCH',
      token: access,
      body: '{"url":',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect((await readJson<Problem>(malformed)).code).toBe('malformed_body');
    const form = await api(path, {
      method: 'PATCH',
      token: access,
      body: 'url=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
  });

  for (const id of ['nope', 'we_', 'we_0000000000000000000000000O', '1', 'we_00000000000000000000000000']) {
    it(`unknown or malformed id ${JSON.stringify(id)} → 404 on read, update, delete and rotate`, async () => {
      const { access } = await admin();
      const path = `${ENDPOINTS}${encodeURIComponent(id)}/`;
      for (const [method, suffix, json] of [
        ['GET', '', undefined],
        ['PATCH', '', { description: 'x' }],
        ['DELETE', '', undefined],
        ['POST', 'rotate-secret/', undefined],
      ] as const) {
        const response = await api(`${path}${suffix}`, { method, token: access, json });
        expect(response.status, `${method} ${suffix}`).toBe(404);
      }
    });
  }
});

describe('SSRF: endpoint URLs in production mode (docs/webhooks.md, "SSRF")', () => {
  const REFUSED = [
    'http://hooks.example.com/x',
    'https://127.0.0.1/x',
    'https://localhost:8443/x',
    'https://10.1.2.3/x',
    'https://172.16.0.9/x',
    'https://192.168.1.1/x',
    'https://169.254.169.254/latest/meta-data',
    'https://100.64.0.1/x',
    'https://0.0.0.0/x',
    'https://[::1]/x',
    'https://[fd00::1]/x',
    'https://[fe80::1]/x',
    'https://[::ffff:127.0.0.1]/x',
    'https://intranet/x',
    'https://db.internal/x',
    'https://printer.local/x',
  ];

  async function createInProduction(url: string) {
    const harness = new WebhookHarness();
    const ctx = harness.ctx();
    ctx.config = { ...ctx.config, APP_ENV: 'production' };
    return createEndpoint(ctx, { url });
  }

  for (const url of REFUSED) {
    it(`refuses ${url} with 400 webhook_url_refused and writes nothing`, async () => {
      const before = await testDb()
        .select({ id: webhookEndpoints.id })
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.url, url));
      const error = await createInProduction(url).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).status).toBe(400);
      expect((error as AppError).code).toBe('webhook_url_refused');
      const after = await testDb()
        .select({ id: webhookEndpoints.id })
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.url, url));
      expect(after.length).toBe(before.length);
    });
  }

  it('accepts an https URL on a public name in production', async () => {
    const endpoint = await createInProduction('https://hooks.example.invalid/stackpay');
    created.push(endpoint.id);
    await testDb()
      .update(webhookEndpoints)
      .set({ enabled: false })
      .where(eq(webhookEndpoints.id, endpoint.id));
    expect(endpoint.url).toBe('https://hooks.example.invalid/stackpay');
  });

  it('test mode (like development) accepts http:// on loopback for the local sandbox', async () => {
    const { access } = await admin();
    const response = await create(access, { url: 'http://127.0.0.1:9/hook', enabled: false });
    expect(response.status).toBe(201);
  });
});

describe('GET /api/v1/events/ (staff)', () => {
  it('lists recorded events newest first, filtered by type and by object', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const harness = new WebhookHarness();
    const objectId = String(900_000_000 + Math.floor(Math.random() * 99_999_999));
    const first = await recordEvent(harness.ctx(), {
      type: 'payment.succeeded',
      objectId,
      object: { id: Number(objectId), status: 'succeeded' },
    });
    harness.now = new Date(harness.now.getTime() + 1000);
    const second = await recordEvent(harness.ctx(), {
      type: 'payment.refunded',
      objectId,
      object: { id: Number(objectId), status: 'refunded', refunded_cents: 10000 },
    });
    const byObject = await readJson<{
      count: number;
      results: Array<{ id: string; type: string; data: unknown }>;
    }>(await api(`${EVENTS}?object_type=transaction&object_id=${objectId}`, { token: staff.access }));
    expect(byObject.count).toBe(2);
    expect(byObject.results.map((e) => e.id)).toEqual([second, first]);
    expect(byObject.results[0]?.data).toEqual({
      object: { id: Number(objectId), status: 'refunded', refunded_cents: 10000 },
    });
    const byType = await readJson<{ results: Array<{ id: string }> }>(
      await api(`${EVENTS}?type=payment.refunded&object_type=transaction&object_id=${objectId}`, {
        token: staff.access,
      }),
    );
    expect(byType.results.map((e) => e.id)).toEqual([second]);
  });

  for (const [query, field] of [
    ['type=payment.exploded', 'type'],
    ['object_type=invoice', 'object_type'],
    ['object_id=12', 'object_id'],
    ['object_type=transaction&object_id=%27%20or%201', 'object_id'],
  ] as const) {
    it(`?${query} → 400 naming ${field}`, async () => {
      const staff = await createUser({ role: 'STAFF' });
      const response = await api(`${EVENTS}?${query}`, { token: staff.access });
      expect(response.status).toBe(400);
      expect(Object.keys((await readJson<Problem>(response)).errors ?? {})).toContain(field);
    });
  }

  it('a page past the end → 404 invalid_page', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const response = await api(`${EVENTS}?page=9999999`, { token: staff.access });
    expect(response.status).toBe(404);
    expect((await readJson<Problem>(response)).code).toBe('invalid_page');
  });
});

describeAuthorization(
  'GET /api/v1/webhook-endpoints/',
  { method: 'GET', path: () => ENDPOINTS },
  { customer: 403, otherCustomer: 403, staff: 403, admin: 200 },
);
describeAuthorization(
  'POST /api/v1/webhook-endpoints/',
  { method: 'POST', path: () => ENDPOINTS, body: () => ({ url: SHOP_URL, enabled: false }) },
  { customer: 403, otherCustomer: 403, staff: 403, admin: 201 },
);
describeAuthorization(
  'GET /api/v1/events/',
  { method: 'GET', path: () => EVENTS },
  { customer: 403, otherCustomer: 403, staff: 200, admin: 200 },
);
