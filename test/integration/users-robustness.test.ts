import { describe, expect, it } from 'vitest';
import { api, createUser, DEFAULT_PASSWORD, type TestUser, uniqueName } from './helpers';

/**
 * docs/api.md §1: no input may produce a 500. Every users route gets malformed bodies, bodies of the wrong shape, and
 * each of its fields set to values of the wrong type, null, huge or odd strings: the answer is always a 4xx
 * problem.
 */
interface RouteUnderTest {
  name: string;
  method: 'POST' | 'PATCH';
  path: (user: TestUser) => string;
  /** A valid body, so only the field under test is wrong. */
  body: (user: TestUser) => Record<string, unknown>;
  authenticated: boolean;
  /** Role of the calling user (default CUSTOMER). */
  role?: 'ADMIN';
}

const ROUTES: RouteUnderTest[] = [
  {
    name: 'POST sign-up',
    method: 'POST',
    path: () => '/api/v1/users/sign-up/',
    body: () => {
      const username = uniqueName('robust');
      return {
        username,
        email: `${username}@example.com`,
        password: DEFAULT_PASSWORD,
        role_management: 'CUSTOMER',
      };
    },
    authenticated: false,
  },
  {
    name: 'POST login',
    method: 'POST',
    path: () => '/api/v1/users/login/',
    body: (user) => ({ username: user.username, password: user.password }),
    authenticated: false,
  },
  {
    name: 'POST refresh',
    method: 'POST',
    path: () => '/api/v1/users/refresh/',
    body: (user) => ({ refresh: user.refresh }),
    authenticated: false,
  },
  {
    name: 'POST logout',
    method: 'POST',
    path: () => '/api/v1/users/logout/',
    body: (user) => ({ refresh: user.refresh }),
    authenticated: false,
  },
  {
    name: 'POST verify-code/validate',
    method: 'POST',
    path: () => '/api/v1/users/verify-code/validate/',
    body: (user) => ({ email: user.email, code: '123456' }),
    authenticated: false,
  },
  {
    name: 'POST verify-code/resend',
    method: 'POST',
    path: () => '/api/v1/users/verify-code/resend/',
    body: (user) => ({ email: user.email }),
    authenticated: false,
  },
  {
    name: 'PATCH profiles/mine',
    method: 'PATCH',
    path: () => '/api/v1/users/profiles/mine/',
    body: (user) => ({ username: uniqueName('robust'), email: user.email, current_password: user.password }),
    authenticated: true,
  },
  {
    name: 'PATCH profiles/mine (as admin, role and activation)',
    method: 'PATCH',
    path: () => '/api/v1/users/profiles/mine/',
    body: () => ({ role_management: 'ADMIN', is_active: true }),
    authenticated: true,
    role: 'ADMIN',
  },
  {
    name: 'PATCH profiles/mine/new-password',
    method: 'PATCH',
    path: () => '/api/v1/users/profiles/mine/new-password/',
    body: (user) => ({ old_password: user.password, new_password: 'Brand-New-Pass7?' }),
    authenticated: true,
  },
  {
    name: 'PATCH profiles/{id}',
    method: 'PATCH',
    path: (user) => `/api/v1/users/profiles/${user.id}/`,
    body: () => ({ username: uniqueName('robust'), role_management: 'STAFF', is_active: true }),
    authenticated: true,
    role: 'ADMIN',
  },
];

const HUGE = 'a'.repeat(200_000);
const BAD_VALUES: Array<[string, unknown]> = [
  ['null', null],
  ['a number', 123456],
  ['a boolean', true],
  ['an object', { nested: 'value' }],
  ['an array', ['a', 'b']],
  ['a huge string', HUGE],
  ['a string with NUL and control characters', 'a\u0000b\u0007c'],
  ['a string of emoji and right-to-left text', '🙂🙃 مرحبا'],
  ['an empty string', ''],
];

const MALFORMED_BODIES: Array<[string, string]> = [
  ['truncated JSON', '{"username": '],
  ['a JSON array', '[]'],
  ['JSON null', 'null'],
  ['a JSON string', '"hello"'],
  ['a JSON number', '42'],
  ['an empty body', ''],
  ['not JSON at all', 'username=a&password=b'],
  ['deeply nested JSON', `${'['.repeat(5000)}${']'.repeat(5000)}`],
];

async function expectClientError(res: Response) {
  expect(res.status, `status ${res.status}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `status ${res.status}`).toBeLessThan(500);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  const body = (await res.json()) as { detail: string };
  // No stack trace, SQL or internal detail on the wire.
  expect(JSON.stringify(body)).not.toMatch(
    /\bat .*\.(ts|js):\d+|\bselect\b.*\bfrom\b|\binsert into\b|"stack"/i,
  );
}

async function callerFor(route: RouteUnderTest): Promise<TestUser> {
  return createUser({ role: route.role ?? 'CUSTOMER' });
}

for (const route of ROUTES) {
  describe(`${route.name}: hostile input gives 4xx, never 5xx`, () => {
    it.each(MALFORMED_BODIES)('%s', async (_case, raw) => {
      const user = await callerFor(route);
      const res = await api(route.path(user), {
        method: route.method,
        token: route.authenticated ? user.access : undefined,
        headers: { 'Content-Type': 'application/json' },
        body: raw,
      });
      await expectClientError(res);
    });

    it('a body without Content-Type, or as text/plain, is 415', async () => {
      const user = await callerFor(route);
      const body = JSON.stringify(route.body(user));
      for (const headers of [{}, { 'Content-Type': 'text/plain' }] as Array<Record<string, string>>) {
        const res = await api(route.path(user), {
          method: route.method,
          token: route.authenticated ? user.access : undefined,
          headers,
          body,
        });
        expect(res.status).toBe(415);
      }
    });

    const fields = Object.keys(route.body({ id: 1, username: 'u', email: 'e@example.com' } as TestUser));
    it.each(fields)(
      'every odd value of `%s` (wrong types, null, huge, control characters)',
      async (field) => {
        const user = await callerFor(route);
        for (const [label, value] of BAD_VALUES) {
          const res = await api(route.path(user), {
            method: route.method,
            token: route.authenticated ? user.access : undefined,
            json: { ...route.body(user), [field]: value },
          });
          // Values that happen to be valid for the field (e.g. a boolean is_active) may succeed; nothing may 5xx.
          if (res.status >= 500) {
            throw new Error(`${field} = ${label}: status ${res.status} ${await res.text()}`);
          }
          await res.body?.cancel();
        }
      },
    );
  });
}

describe('GET profiles/: hostile query strings give 4xx or a page, never 5xx', () => {
  it.each<[string, string]>([
    ['a huge search', `search=${'a'.repeat(10_000)}`],
    ['a huge page', 'page=99999999999999999999'],
    ['a huge page_size', 'page_size=99999999999999999999'],
    ['a negative page_size', 'page_size=-5'],
    ['repeated parameters', 'page=1&page=2&role_management=ADMIN&role_management=STAFF'],
    ['odd characters in search', 'search=%00%27%22%5C%25_'],
    ['an empty role', 'role_management='],
  ])('%s', async (_case, query) => {
    const admin = await createUser({ role: 'ADMIN' });
    const res = await api(`/api/v1/users/profiles/?${query}`, { token: admin.access });
    expect(res.status).toBeLessThan(500);
    await res.body?.cancel();
  });
});

describe('Authorization headers that are not bearer tokens give 401, never 5xx', () => {
  it.each([
    ['Basic credentials', 'Basic YWRtaW46YWRtaW4='],
    ['an empty bearer', 'Bearer '],
    ['a bearer with spaces', 'Bearer a b c'],
    ['a huge bearer', `Bearer ${'a'.repeat(50_000)}`],
    ['unicode', 'Bearer é🙂'],
  ])('%s', async (_case, header) => {
    const res = await api('/api/v1/users/profiles/mine/', { headers: { Authorization: header } });
    expect(res.status).toBe(401);
    await res.body?.cancel();
  });
});
