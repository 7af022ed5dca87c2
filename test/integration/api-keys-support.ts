/** Helpers for the server API key tests (docs/api-keys.md): keys created through the API by an ADMIN. */
import { expect } from 'vitest';
import type { ApiKeyScope } from '../../src/db/schema';
import { api, createUser, readJson, type TestUser } from './helpers';

export const API_KEYS = '/api/v1/api-keys/';
export const ALL_SCOPES: readonly ApiKeyScope[] = [
  'payments:read',
  'payments:write',
  'refunds:write',
  'customers:read',
];

export interface CreatedKey {
  id: number;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  created_by: number;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  secret: string;
}

let admin: Promise<TestUser> | undefined;
/** One ADMIN per test file creates the keys. */
export function keyAdmin(): Promise<TestUser> {
  admin ??= createUser({ role: 'ADMIN' });
  return admin;
}

export async function createKey(scopes: readonly ApiKeyScope[], name = 'test key'): Promise<CreatedKey> {
  const response = await api(API_KEYS, {
    method: 'POST',
    token: (await keyAdmin()).access,
    json: { name, scopes },
  });
  expect(response.status).toBe(201);
  return readJson<CreatedKey>(response);
}

export function revokeKey(id: number, token: string): Promise<Response> {
  return api(`${API_KEYS}${id}/`, { method: 'DELETE', token });
}
