/**
 * The published OpenAPI document (docs/openapi.md) as a spec-driven client sees it: JSON Schema validation with
 * ajv (draft 2020-12, formats) of real request bodies against the document's own schemas, and the structural
 * promises a code generator relies on (operation ids, tags, typed ids and pages, headers, time formats).
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../src/app';
import { buildOpenApiDocument } from '../../src/lib/openapi-document';
import { PROBLEM_CODES } from '../../src/lib/problem-codes';

// biome-ignore lint/suspicious/noExplicitAny: the document is walked as plain JSON
type Json = any;
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

let doc: Json;
let ajv: Ajv2020;

function operations(): Array<[string, string, Json]> {
  const out: Array<[string, string, Json]> = [];
  for (const [path, item] of Object.entries<Json>(doc.paths))
    for (const [method, op] of Object.entries<Json>(item))
      if (METHODS.includes(method)) out.push([method, path, op]);
  return out;
}

function validator(schemaName: string) {
  const validate = ajv.getSchema(`openapi.json#/components/schemas/${schemaName}`);
  if (!validate) throw new Error(`no schema ${schemaName}`);
  return (value: unknown) => validate(value) as boolean;
}

beforeAll(() => {
  doc = JSON.parse(JSON.stringify(buildOpenApiDocument(app)));
  // OpenAPI 3.1 schemas are JSON Schema 2020-12; OpenAPI's own keywords (example, discriminator…) are not
  // JSON Schema keywords, hence strict: false. Validators compile patterns with the `u` flag, as ajv does.
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'openapi.json', components: doc.components });
});

describe('the published schemas accept what the API accepts', () => {
  it('a valid username passes and an invalid one fails', () => {
    const username = (value: string) =>
      validator('SignUpRequest')({ username: value, email: 'amira@example.com', password: 'Kettle-Drum42!' });
    for (const valid of ['amira', 'Amira.Hassan+1', 'user@name', 'a-b_c', 'مريم٣', 'Ærøskøbing', '名前'])
      expect(username(valid), valid).toBe(true);
    for (const invalid of ['with space', 'slash/no', 'semi;colon', 'x'.repeat(151), ''])
      expect(username(invalid), invalid).toBe(false);
  });

  it('a valid sign-up body passes; a missing or malformed field fails', () => {
    const signUp = validator('SignUpRequest');
    expect(signUp({ username: 'amira', email: 'amira@example.com', password: 'Kettle-Drum42!' })).toBe(true);
    expect(
      signUp({ username: 'amira', email: 'amira@example.com', password: 'x', role_management: 'STAFF' }),
    ).toBe(true);
    expect(signUp({ username: 'amira', password: 'Kettle-Drum42!' })).toBe(false);
    expect(signUp({ username: 'amira', email: 'not-an-email', password: 'Kettle-Drum42!' })).toBe(false);
    expect(
      signUp({ username: 'amira', email: 'amira@example.com', password: 'x', role_management: 'ROOT' }),
    ).toBe(false);
  });

  it('first names: an uppercase first letter in any script passes, a lowercase one fails', () => {
    const profile = validator('CustomerProfileReplace');
    const body = (first_name: string | null) => ({
      first_name,
      last_name: null,
      phone_number: null,
      dob: null,
    });
    for (const valid of ['Mona', 'Élodie', 'Øyvind', 'Ива', null])
      expect(profile(body(valid)), String(valid)).toBe(true);
    for (const invalid of ['mona', 'élodie', '1Mona', 'Mo'])
      expect(profile(body(invalid)), invalid).toBe(false);
  });

  it('every pattern is a usable ECMA-262 (u-mode) pattern, none with a leaked flag', () => {
    const patterns: string[] = [];
    JSON.stringify(doc, (key, value) => {
      if (key === 'pattern' && typeof value === 'string') patterns.push(value);
      return value;
    });
    expect(patterns.length).toBeGreaterThan(3);
    for (const pattern of patterns) {
      expect(pattern).not.toMatch(/\/[a-z]*$/);
      expect(() => new RegExp(pattern, 'u')).not.toThrow();
    }
  });
});

describe('what a code generator relies on', () => {
  it('every operation has a unique operationId and a declared tag', () => {
    const declared = new Set(doc.tags.map((t: Json) => t.name));
    const ids = operations().map(([, , op]) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [method, path, op] of operations()) {
      expect(op.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const tag of op.tags) expect(declared.has(tag), tag).toBe(true);
    }
  });

  it('path ids and page numbers are integers', () => {
    for (const [method, path, op] of operations()) {
      for (const p of op.parameters ?? []) {
        if (p.$ref) continue;
        // Issue 16: webhook endpoints have prefixed string ids (`we_…`), published with their pattern.
        if (
          p.in === 'path' &&
          p.schema.type === 'string' &&
          p.schema.pattern === '^we_[0-9A-HJKMNP-TV-Z]{26}$'
        )
          continue;
        if (p.in === 'path' || p.name === 'page' || p.name === 'page_size')
          expect(p.schema.type, `${method} ${path} ${p.name}`).toBe('integer');
      }
    }
  });

  it('every timestamp is a date-time; status and currency are enums', () => {
    const schemas = Object.entries<Json>(doc.components.schemas);
    let timestamps = 0;
    for (const [name, schema] of schemas) {
      for (const [prop, s] of Object.entries<Json>(schema.properties ?? {})) {
        if (/_at$|^date_joined$|^last_login$/.test(prop)) {
          timestamps++;
          expect(s.format, `${name}.${prop}`).toBe('date-time');
        }
        // (Problem.status is the HTTP status code, an integer.)
        if ((prop === 'status' && name !== 'Problem') || prop === 'currency' || prop === 'kyc_status')
          expect(Array.isArray(s.enum), `${name}.${prop}`).toBe(true);
      }
    }
    expect(timestamps).toBeGreaterThanOrEqual(5);
  });

  it('documents Idempotency-Key where it is honoured and the headers the middleware adds', () => {
    const byId = Object.fromEntries(operations().map(([, , op]) => [op.operationId, op]));
    for (const id of ['createTransaction', 'refundTransaction', 'voidTransaction']) {
      expect(byId[id].parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
      expect(Object.keys(byId[id].responses['200'] ?? byId[id].responses['201'].headers)).toBeDefined();
    }
    const created = byId.createTransaction.responses['201'].headers;
    expect(Object.keys(created)).toEqual(
      expect.arrayContaining([
        'X-Request-Id',
        'RateLimit',
        'RateLimit-Policy',
        'Idempotent-Replayed',
        'Location',
      ]),
    );
    expect(byId.createTransaction.responses['429'].headers['Retry-After']).toBeDefined();
    expect(byId.getTransaction.responses['401'].headers['WWW-Authenticate']).toBeDefined();
    expect(doc.components.responses.MethodNotAllowed.headers.Allow).toBeDefined();
    expect(doc.components.parameters.IdempotencyKey).toMatchObject({ name: 'Idempotency-Key', in: 'header' });
    for (const [method, path, op] of operations())
      for (const [status, response] of Object.entries<Json>(op.responses))
        expect(response.headers?.['X-Request-Id'], `${method} ${path} ${status}`).toBeDefined();
  });

  it('public operations say so with an empty security requirement', () => {
    const byId = Object.fromEntries(operations().map(([, , op]) => [op.operationId, op]));
    expect(byId.signUp.security).toEqual([]);
    // A user's token, or a server API key with the route's scope (docs/api-keys.md).
    expect(byId.createTransaction.security).toEqual([{ bearerAuth: [] }, { apiKeyAuth: ['payments:write'] }]);
  });

  it('lists every problem code in the description', () => {
    for (const code of Object.keys(PROBLEM_CODES)) expect(doc.info.description).toContain(`\`${code}\``);
  });
});
