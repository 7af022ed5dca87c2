import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { addresses, customers, kycRecords, transactions, users } from '../../src/db/schema';
import { MAX_JSON_DEPTH } from '../../src/lib/json-depth';
import { api, createUser, type TestUser, testDb } from './helpers';
import { createPayer, insertTransaction, type Payer } from './transactions-support';

/**
 * docs/security.md §3 (issue 13 items 8 and "what to build"): a depth and size fuzz of every JSON route of the
 * OpenAPI document, as an authenticated caller with an Idempotency-Key, so the deepest code (validators,
 * idempotency canonicalisation, services) sees each body. No answer may be a 5xx, and a refused body changes
 * nothing. The PayMob webhook has its own fuzz (transactions-webhook tests).
 */

type Operation = { requestBody?: { content?: Record<string, { schema?: Schema }> } };
type Schema = { $ref?: string; properties?: Record<string, unknown> };
type OpenApi = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

const EXCLUDED = new Set(['/api/v1/transactions/webhook']);
const STAFF_ONLY = /\{customer_id\}|\/refund$|\/void$|\/profiles\/\{id\}$/;

interface JsonRoute {
  method: string;
  path: string;
  fields: string[];
}

async function jsonRoutes(): Promise<JsonRoute[]> {
  const doc = (await (await api('/openapi.json')).json()) as OpenApi;
  const routes: JsonRoute[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (EXCLUDED.has(path)) continue;
    for (const [method, op] of Object.entries(methods)) {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      if (!schema) continue;
      const resolved = schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop() ?? ''] : schema;
      routes.push({ method: method.toUpperCase(), path, fields: Object.keys(resolved?.properties ?? {}) });
    }
  }
  return routes;
}

const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const eachField = (fields: string[], value: string) =>
  `{${(fields.length ? fields : ['x']).map((f) => `${JSON.stringify(f)}:${value}`).join(',')}}`;

/** Bodies that every route must refuse (4xx) without changing anything. */
function refusedBodies(fields: string[]): Array<[string, string]> {
  return [
    ['arrays nested 5000 deep', nestedArrays(5000)],
    ['objects nested 1500 deep', nestedObjects(1500)],
    [`objects nested ${MAX_JSON_DEPTH + 1} deep`, nestedObjects(MAX_JSON_DEPTH + 1)],
    ['every field nested 1000 deep', eachField(fields, nestedArrays(1000))],
    ['every field a deep object', eachField(fields, nestedObjects(200))],
    ['an array of 300,000 numbers', `[${Array(300_000).fill('0').join(',')}]`],
    ['every field a 900 KB string', eachField(fields.slice(0, 1), JSON.stringify('A'.repeat(900_000)))],
    ['a body over 1 MiB', eachField(fields, JSON.stringify('B'.repeat(1_100_000)))],
    ['every field an array of 10,000 strings', eachField(fields, JSON.stringify(Array(10_000).fill('x')))],
    ['malformed JSON', '{"a": [1, 2'],
    ['a lone string', '"just a string"'],
    ['null', 'null'],
  ];
}

/** Bodies with odd but well-formed values: any 2xx or 4xx is fine, a 5xx is not. */
function oddBodies(fields: string[]): Array<[string, string]> {
  const odd = [
    '"\\u0000"',
    '"\\ud800"',
    '"\\udfff\\ud800"',
    '"\\u202e\\u200b\\ufeff"',
    JSON.stringify('𝕏🏳️‍🌈e\u0301\u0627\u0644'),
    JSON.stringify(' '),
    '1e308',
    '-0',
    '123456789012345678901234567890',
    'true',
    '{}',
    '[]',
    JSON.stringify('x'.repeat(5000)),
  ];
  return [
    ...odd.map((v): [string, string] => [`every field = ${v.slice(0, 30)}`, eachField(fields, v)]),
    [
      '__proto__ and constructor keys',
      '{"__proto__":{"role_management":"ADMIN"},"constructor":{"prototype":{}}}',
    ],
    ['duplicate keys', `{${fields.map((f) => `"${f}":1,"${f}":"2"`).join(',') || '"a":1,"a":2'}}`],
  ];
}

interface Actors {
  payer: Payer;
  admin: TestUser;
  addressId: number;
  transactionId: number;
}

async function actors(): Promise<Actors> {
  const [payer, admin] = await Promise.all([createPayer(), createUser({ role: 'ADMIN' })]);
  const [address] = await testDb()
    .select({ id: addresses.id })
    .from(addresses)
    .where(eq(addresses.customerId, payer.customerId));
  const transactionId = await insertTransaction(payer.customerId, { status: 'succeeded' });
  return { payer, admin, addressId: address?.id ?? 0, transactionId };
}

function concretePath(route: JsonRoute, a: Actors): string {
  const id = route.path.includes('/address/')
    ? a.addressId
    : route.path.includes('/txn/')
      ? a.transactionId
      : a.payer.id;
  return `${route.path.replace('{customer_id}', String(a.payer.customerId)).replace('{id}', String(id))}/`;
}

/** Everything the fuzzed routes could change for these actors. */
async function snapshot(a: Actors) {
  const db = testDb();
  const strip = <T extends Record<string, unknown>>(rows: T[]) =>
    rows.map(({ updatedAt: _u, lastLogin: _l, ...rest }) => rest);
  return {
    users: strip(await db.select().from(users).where(eq(users.id, a.payer.id))),
    admin: strip(await db.select().from(users).where(eq(users.id, a.admin.id))),
    customer: strip(await db.select().from(customers).where(eq(customers.id, a.payer.customerId))),
    addresses: strip(await db.select().from(addresses).where(eq(addresses.customerId, a.payer.customerId))),
    kyc: strip(await db.select().from(kycRecords).where(eq(kycRecords.customerId, a.payer.customerId))),
    transactions: strip(
      await db.select().from(transactions).where(eq(transactions.customerId, a.payer.customerId)),
    ),
  };
}

async function send(route: JsonRoute, a: Actors, body: string, key: string) {
  const token = STAFF_ONLY.test(route.path) ? a.admin.access : a.payer.access;
  const res = await api(concretePath(route, a), {
    method: route.method,
    token,
    body,
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
  });
  const text = await res.text();
  return { status: res.status, text };
}

const routes = await jsonRoutes();

describe('fuzz: every JSON route of the OpenAPI document', () => {
  it('finds the JSON routes (sign-up, login, profiles, addresses, KYC, review, payments, refunds…)', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    expect(names).toContain('POST /api/v1/users/sign-up');
    expect(names).toContain('POST /api/v1/transactions/txn');
    expect(names).toContain('POST /api/v1/customers/{customer_id}/kyc/review');
    expect(routes.length).toBeGreaterThanOrEqual(15);
  });

  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: deep, huge and malformed bodies are refused with a 4xx and change nothing',
    async (_name, route) => {
      const a = await actors();
      const before = await snapshot(a);
      for (const [label, body] of refusedBodies(route.fields)) {
        const { status, text } = await send(route, a, body, `fuzz-${crypto.randomUUID()}`);
        expect(status, `${label}: ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
        expect(status, `${label}: ${text.slice(0, 200)}`).toBeLessThan(500);
      }
      expect(await snapshot(a)).toEqual(before);
    },
  );

  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: odd but well-formed values never cause a 5xx',
    async (_name, route) => {
      const a = await actors();
      for (const [label, body] of oddBodies(route.fields)) {
        const { status, text } = await send(route, a, body, `fuzz-${crypto.randomUUID()}`);
        expect(status, `${label}: ${text.slice(0, 200)}`).toBeLessThan(500);
      }
    },
  );

  it('a deep body with an Idempotency-Key on payment creation is a 400, not a 500 (issue 13 item 8)', async () => {
    const a = await actors();
    const { status, text } = await send(
      { method: 'POST', path: '/api/v1/transactions/txn', fields: [] },
      a,
      `{"amount":"10.00","x":${nestedArrays(20_000)}}`,
      'deep-body',
    );
    expect(status, text).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ code: 'body_too_deep' });
  });
});
