import { describe, expect, it } from 'vitest';
import {
  algNoneToken,
  api,
  createUser,
  expiredAccessToken,
  setActive,
  type TestUser,
  tamperedToken,
  tokenIssuedBeforeRevocation,
} from './index';

/**
 * One protected route, described relative to its owner: a CUSTOMER whose resource the route touches (for
 * `profiles/{id}` the owner's id; for `profiles/mine` whoever calls). `path` may arrange data first.
 */
export interface AuthorizationRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: (owner: TestUser) => string | Promise<string>;
  /** JSON body, built for the owner (the same body is sent by every caller). */
  body?: (owner: TestUser) => unknown | Promise<unknown>;
}

/** Expected status per caller; a list when several are acceptable. Anonymous and bad tokens are always 401. */
export interface AuthorizationExpectations {
  customer: number | number[];
  otherCustomer: number | number[];
  staff: number | number[];
  admin: number | number[];
}

type Caller = 'customer' | 'otherCustomer' | 'staff' | 'admin';

async function callAs(
  route: AuthorizationRoute,
  owner: TestUser,
  token: string | undefined,
): Promise<Response> {
  const path = await route.path(owner);
  return api(path, {
    method: route.method,
    token,
    json: route.body ? await route.body(owner) : undefined,
  });
}

function expectStatus(response: Response, expected: number | number[]) {
  const allowed = Array.isArray(expected) ? expected : [expected];
  expect(allowed, `status ${response.status}`).toContain(response.status);
}

async function expectUnauthorized(response: Response) {
  expect(response.status).toBe(401);
  expect(response.headers.get('WWW-Authenticate') ?? '').toMatch(/^Bearer/);
  expect(response.headers.get('Content-Type')).toBe('application/problem+json');
  await response.body?.cancel();
}

const BAD_TOKENS: Array<[string, (owner: TestUser) => Promise<string> | string]> = [
  ['an expired token', (owner) => expiredAccessToken(owner)],
  ['a tampered token', (owner) => tamperedToken(owner)],
  ['an "alg: none" token', (owner) => algNoneToken(owner)],
  ['a refresh token used as an access token', (owner) => owner.refresh],
  ['a token issued before a password change', (owner) => tokenIssuedBeforeRevocation(owner)],
  ['a token that is not a JWT', () => 'not-a-jwt'],
];

/**
 * The shared authorisation suite (CONTRIBUTING.md): runs one route as anonymous, its owner, another customer, staff
 * and admin, and with every kind of bad token. Each case makes its own users.
 */
export function describeAuthorization(
  label: string,
  route: AuthorizationRoute,
  expectations: AuthorizationExpectations,
): void {
  describe(`authorisation: ${label}`, () => {
    it('anonymous → 401 with WWW-Authenticate: Bearer', async () => {
      const owner = await createUser();
      await expectUnauthorized(await callAs(route, owner, undefined));
    });

    const callers: Array<[Caller, () => Promise<TestUser | undefined>]> = [
      ['customer', async () => undefined],
      ['otherCustomer', () => createUser()],
      ['staff', () => createUser({ role: 'STAFF' })],
      ['admin', () => createUser({ role: 'ADMIN' })],
    ];
    for (const [caller, makeCaller] of callers) {
      const expected = expectations[caller];
      it(`${caller === 'customer' ? 'the owning customer' : caller} → ${expected}`, async () => {
        const owner = await createUser();
        const actor = (await makeCaller()) ?? owner;
        const response = await callAs(route, owner, actor.access);
        expectStatus(response, expected);
        await response.body?.cancel();
      });
    }

    it.each(BAD_TOKENS)('%s → 401', async (_case, makeToken) => {
      const owner = await createUser();
      await expectUnauthorized(await callAs(route, owner, await makeToken(owner)));
    });

    it('a deactivated user → 401', async () => {
      const owner = await createUser();
      await setActive(owner.id, false);
      await expectUnauthorized(await callAs(route, owner, owner.access));
    });
  });
}
