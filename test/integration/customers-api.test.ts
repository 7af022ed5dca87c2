import { describe, expect, it } from 'vitest';
import { as, expectProblem, KYC, newCustomer, PROFILE } from './customers-fixtures';
import { api, readJson } from './helpers';

type Operation = {
  tags?: string[];
  security?: Array<Record<string, unknown>>;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, unknown>;
};

describe('OpenAPI: every customers route is documented', () => {
  const expected: Array<[string, string]> = [
    ['/api/v1/customers/profile', 'get'],
    ['/api/v1/customers/profile', 'put'],
    ['/api/v1/customers/profile', 'patch'],
    ['/api/v1/customers/profile', 'delete'],
    ['/api/v1/customers/address', 'get'],
    ['/api/v1/customers/address', 'post'],
    ['/api/v1/customers/address/{id}', 'get'],
    ['/api/v1/customers/address/{id}', 'put'],
    ['/api/v1/customers/address/{id}', 'patch'],
    ['/api/v1/customers/address/{id}', 'delete'],
    ['/api/v1/customers/profile/upload-docs', 'get'],
    ['/api/v1/customers/profile/upload-docs', 'put'],
    ['/api/v1/customers/profile/upload-docs', 'patch'],
    ['/api/v1/customers/profile/upload-docs/file', 'get'],
    ['/api/v1/customers/{customer_id}/kyc', 'get'],
    ['/api/v1/customers/{customer_id}/kyc/file', 'get'],
    ['/api/v1/customers/{customer_id}/kyc/review', 'post'],
  ];

  it.each(expected)('%s %s: tag Customers, bearer security, problem responses', async (path, method) => {
    const doc = await readJson<{ paths: Record<string, Record<string, Operation>> }>(
      await api('/openapi.json'),
    );
    const operation = doc.paths[path]?.[method];
    expect(operation, `${method} ${path}`).toBeDefined();
    expect(operation?.tags).toEqual(['Customers']);
    // The staff reads also admit a server API key with customers:read (docs/api-keys.md).
    const staffRead = path.startsWith('/api/v1/customers/{customer_id}/kyc') && method === 'get';
    expect(operation?.security).toEqual(
      staffRead ? [{ bearerAuth: [] }, { apiKeyAuth: ['customers:read'] }] : [{ bearerAuth: [] }],
    );
    expect(operation?.responses['401']).toBeDefined();
  });

  it('the KYC upload documents both JSON and a multipart body with a binary document_file', async () => {
    const doc = await readJson<{
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, { properties: Record<string, { format?: string }> }> };
    }>(await api('/openapi.json'));
    for (const method of ['put', 'patch']) {
      const content =
        doc.paths['/api/v1/customers/profile/upload-docs']?.[method]?.requestBody?.content ?? {};
      expect(Object.keys(content).sort()).toEqual(['application/json', 'multipart/form-data']);
    }
    expect(doc.components.schemas.KycUpdateMultipart?.properties.document_file?.format).toBe('binary');
  });
});

describe('rate limit: scope default, 100 per minute per user, after authentication', () => {
  it('the 101st request in a minute is 429 with Retry-After; another user is unaffected', async () => {
    const [user, other] = await Promise.all([newCustomer(), newCustomer()]);
    const first = await as(user, PROFILE);
    expect(first.headers.get('RateLimit-Policy')).toBe('"default-user";q=100;w=60');
    // `default` is on the Rate Limiting binding: it says no remaining count (docs/api.md §7).
    expect(first.headers.get('RateLimit')).toBeNull();
    await first.body?.cancel();
    for (let i = 2; i <= 100; i++) {
      const res = await as(user, i % 2 ? KYC : PROFILE);
      expect(res.status, `request ${i}`).toBe(200);
      await res.body?.cancel();
    }
    const limited = await as(user, '/api/v1/customers/address/');
    const problem = await expectProblem(limited, 429, 'rate_limited');
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(problem.detail).toBeTruthy();
    expect((await as(other, PROFILE)).status).toBe(200);
  });

  it('anonymous requests are refused by authentication (401), not counted', async () => {
    const res = await api(PROFILE);
    expect(res.status).toBe(401);
    expect(res.headers.get('RateLimit')).toBeNull();
    await res.body?.cancel();
  });
});

describe('profile: no input produces a 5xx', () => {
  it.each([
    ['malformed JSON', '{"first_name": '],
    ['a JSON list', '[]'],
    ['JSON null', 'null'],
    ['a JSON string', '"Mona"'],
    ['an empty body', ''],
    ['nulls everywhere', '{"first_name": null, "last_name": null, "phone_number": null, "dob": null}'],
    [
      'wrong types',
      '{"first_name": ["Mona"], "last_name": {"x": 1}, "phone_number": 201001234567, "dob": 19900101}',
    ],
    [
      'huge strings',
      JSON.stringify({
        first_name: `M${'a'.repeat(300_000)}`,
        phone_number: `+${'2'.repeat(300_000)}`,
        dob: '1'.repeat(300_000),
      }),
    ],
    ['odd unicode', JSON.stringify({ first_name: '\u202eMona', last_name: '\ud800', dob: '１９９０-01-01' })],
  ])('%s', async (_case, body) => {
    const user = await newCustomer();
    for (const method of ['PUT', 'PATCH']) {
      const res = await as(user, PROFILE, { method, body, headers: { 'Content-Type': 'application/json' } });
      expect(res.status, `${method}: ${await res.clone().text()}`).toBeLessThan(500);
      await res.body?.cancel();
    }
  });
});
