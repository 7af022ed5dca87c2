import { describe, expect, it } from 'vitest';
import { api, readJson } from './helpers';

interface Operation {
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  requestBody?: unknown;
}

const ROUTES: Array<[string, string, boolean]> = [
  ['post', '/api/v1/users/sign-up', false],
  ['post', '/api/v1/users/login', false],
  ['post', '/api/v1/users/refresh', false],
  ['post', '/api/v1/users/logout', false],
  ['post', '/api/v1/users/verify-code/validate', false],
  ['post', '/api/v1/users/verify-code/resend', false],
  ['get', '/api/v1/users/profiles', true],
  ['get', '/api/v1/users/profiles/mine', true],
  ['patch', '/api/v1/users/profiles/mine', true],
  ['patch', '/api/v1/users/profiles/mine/new-password', true],
  ['get', '/api/v1/users/profiles/{id}', true],
  ['patch', '/api/v1/users/profiles/{id}', true],
];

describe('OpenAPI entries for /api/v1/users', () => {
  it.each(ROUTES)(
    '%s %s is documented under Users, with bearer security when protected',
    async (method, path, protectedRoute) => {
      const doc = await readJson<{ paths: Record<string, Record<string, Operation>> }>(
        await api('/openapi.json'),
      );
      const operation = doc.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation?.tags).toEqual(['Users']);
      if (protectedRoute) expect(operation?.security).toEqual([{ bearerAuth: [] }]);
      // Public operations declare it explicitly (redocly's security-defined rule, docs/openapi.md).
      else expect(operation?.security).toEqual([]);
    },
  );
});
