import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, customers, refreshTokens, users } from '../../src/db/schema';
import { signToken } from '../../src/lib/tokens';
import {
  api,
  createUser,
  type Problem,
  readJson,
  roomInMinuteWindow,
  roundTrips,
  type TestUser,
  testConfig,
  testDb,
  uniqueName,
  uniqueRequestId,
} from './helpers';

const PROFILES = '/api/v1/users/profiles/';
const MINE = '/api/v1/users/profiles/mine/';
const NEW_PASSWORD = '/api/v1/users/profiles/mine/new-password/';
const ONLY_ADMINS = 'Only admins can change roles or activation.';

interface ProfileBody {
  id: number;
  username: string;
  email: string;
  role_management: string;
  is_active: boolean;
  date_joined: string;
  last_login: string | null;
}

interface PageBody {
  count: number;
  next: string | null;
  previous: string | null;
  results: ProfileBody[];
}

async function stored(id: number) {
  const [row] = await testDb().select().from(users).where(eq(users.id, id));
  return row;
}

const patch = (path: string, token: string, json: unknown) => api(path, { method: 'PATCH', token, json });

describe('profiles/mine (docs/api.md §2.5)', () => {
  it('answers the authenticated user with exactly the profile fields', async () => {
    const user = await createUser();
    const res = await api(MINE, { token: user.access });
    expect(res.status).toBe(200);
    const profile = await readJson<ProfileBody>(res);
    expect(Object.keys(profile).sort()).toEqual([
      'date_joined',
      'email',
      'id',
      'is_active',
      'last_login',
      'role_management',
      'username',
    ]);
    expect(profile).toMatchObject({
      id: user.id,
      username: user.username,
      email: user.email,
      role_management: 'CUSTOMER',
      is_active: true,
      last_login: null,
    });
    expect(profile.date_joined).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('answers without a trailing slash too', async () => {
    const user = await createUser();
    expect((await api('/api/v1/users/profiles/mine', { token: user.access })).status).toBe(200);
  });

  it('costs one round trip: the authentication query', async () => {
    const user = await createUser();
    const requestId = uniqueRequestId('mine');
    expect((await api(MINE, { token: user.access, requestId })).status).toBe(200);
    const trips = await roundTrips(requestId);
    console.log(`round trips: profiles/mine = ${trips}`);
    expect(trips).toBe(1);
  });

  it('anonymous → 401, never 500', async () => {
    const res = await api(MINE);
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
  });

  it('lets a user change their username', async () => {
    const user = await createUser();
    const username = uniqueName('renamed');
    const res = await patch(MINE, user.access, { username });
    expect(res.status).toBe(200);
    expect((await readJson<ProfileBody>(res)).username).toBe(username);
    expect((await stored(user.id))?.username).toBe(username);
  });

  it('refuses a username another user has', async () => {
    const [user, other] = await Promise.all([createUser(), createUser()]);
    const res = await patch(MINE, user.access, { username: other.username.toUpperCase() });
    expect(res.status).toBe(400);
    expect((await readJson<Problem>(res)).errors).toEqual({
      username: ['A user with that username already exists.'],
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ['role_management', { role_management: 'ADMIN' }],
    ['is_active', { is_active: false }],
    ['both', { role_management: 'CUSTOMER', is_active: true }],
  ])('a customer sending %s → 403 "Only admins can change roles or activation."', async (_case, body) => {
    const user = await createUser();
    const res = await patch(MINE, user.access, body);
    expect(res.status).toBe(403);
    expect((await readJson<Problem>(res)).detail).toBe(ONLY_ADMINS);
    expect((await stored(user.id))?.role).toBe('CUSTOMER');
  });

  it('a STAFF user may not change their own role either', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const res = await patch(MINE, staff.access, { role_management: 'ADMIN' });
    expect(res.status).toBe(403);
  });

  it('an ADMIN may change their own role, and is_staff follows', async () => {
    const admin = await createUser({ role: 'ADMIN' });
    const res = await patch(MINE, admin.access, { role_management: 'STAFF' });
    expect(res.status).toBe(200);
    expect(await stored(admin.id)).toMatchObject({ role: 'STAFF', isStaff: true });
  });

  describe('changing the e-mail', () => {
    it('needs current_password', async () => {
      const user = await createUser();
      const res = await patch(MINE, user.access, { email: `${uniqueName('new')}@example.com` });
      expect(res.status).toBe(400);
      expect((await readJson<Problem>(res)).errors).toEqual({
        current_password: ['Your current password is required to change the email.'],
      });
    });

    it('refuses a wrong current_password', async () => {
      const user = await createUser();
      const res = await patch(MINE, user.access, {
        email: `${uniqueName('new')}@example.com`,
        current_password: 'Wrong-Password9!',
      });
      expect(res.status).toBe(400);
      expect((await readJson<Problem>(res)).errors).toEqual({
        current_password: ['Current password is incorrect.'],
      });
      expect((await stored(user.id))?.email).toBe(user.email);
    });

    it('stores the new e-mail lower-cased with the right current_password', async () => {
      const user = await createUser();
      const email = `${uniqueName('New')}@Example.com`;
      const res = await patch(MINE, user.access, { email, current_password: user.password });
      expect(res.status).toBe(200);
      expect((await readJson<ProfileBody>(res)).email).toBe(email.toLowerCase());
      expect((await stored(user.id))?.email).toBe(email.toLowerCase());
    });

    it('does not need the password when the e-mail does not change', async () => {
      const user = await createUser();
      const res = await patch(MINE, user.access, { email: user.email.toUpperCase() });
      expect(res.status).toBe(200);
    });

    it('refuses an e-mail another user has', async () => {
      const [user, other] = await Promise.all([createUser(), createUser()]);
      const res = await patch(MINE, user.access, { email: other.email, current_password: user.password });
      expect((await readJson<Problem>(res)).errors).toEqual({
        email: ['A user with this email already exists.'],
      });
    });
  });

  it('ignores read-only and unknown fields', async () => {
    const user = await createUser();
    const res = await patch(MINE, user.access, {
      id: 1,
      date_joined: '2000-01-01T00:00:00Z',
      is_staff: true,
    });
    expect(res.status).toBe(200);
    const profile = await readJson<ProfileBody>(res);
    expect(profile.id).toBe(user.id);
    expect((await stored(user.id))?.isStaff).toBe(false);
  });
});

describe('profiles list (staff only)', () => {
  /** Users sharing a unique prefix, so `?search=` isolates them from every other test's users. */
  async function population() {
    const prefix = uniqueName('pop');
    const make = (suffix: string, options: Parameters<typeof createUser>[0] = {}) =>
      createUser({ ...options, username: `${prefix}_${suffix}` });
    const created = [await make('a'), await make('b', { role: 'STAFF' }), await make('c', { active: false })];
    return { prefix, created };
  }

  it.each(['STAFF', 'ADMIN'] as const)(
    'a %s gets a paginated list with absolute next/previous URLs',
    async (role) => {
      const { prefix, created } = await population();
      const viewer = await createUser({ role });
      const first = await api(`${PROFILES}?search=${prefix}&page_size=2`, { token: viewer.access });
      expect(first.status).toBe(200);
      const page1 = await readJson<PageBody>(first);
      expect(page1.count).toBe(3);
      expect(page1.results.map((p) => p.id)).toEqual([created[0]?.id, created[1]?.id]);
      expect(page1.previous).toBeNull();
      expect(page1.next).toBe(`https://stackpay.test${PROFILES}?search=${prefix}&page_size=2&page=2`);
      const second = await readJson<PageBody>(
        await api(page1.next?.replace('https://stackpay.test', '') ?? '', { token: viewer.access }),
      );
      expect(second.results.map((p) => p.id)).toEqual([created[2]?.id]);
      expect(second.next).toBeNull();
      expect(second.previous).toBe(`https://stackpay.test${PROFILES}?search=${prefix}&page_size=2`);
    },
  );

  it('answers a page past the end with 404', async () => {
    const { prefix } = await population();
    const admin = await createUser({ role: 'ADMIN' });
    const res = await api(`${PROFILES}?search=${prefix}&page_size=2&page=3`, { token: admin.access });
    expect(res.status).toBe(404);
    expect((await readJson<Problem>(res)).detail).toBe('Invalid page.');
  });

  it.each(['0', '-1', 'abc', '1.5'])('answers page=%s with 404', async (page) => {
    const admin = await createUser({ role: 'ADMIN' });
    expect((await api(`${PROFILES}?page=${page}`, { token: admin.access })).status).toBe(404);
  });

  it('answers page 1 of an empty result with count 0', async () => {
    const admin = await createUser({ role: 'ADMIN' });
    const res = await api(`${PROFILES}?search=${uniqueName('none')}`, { token: admin.access });
    expect(await readJson<PageBody>(res)).toEqual({ count: 0, next: null, previous: null, results: [] });
  });

  it('clamps page_size to 100 and falls back to 10 for nonsense', async () => {
    const admin = await createUser({ role: 'ADMIN' });
    const big = await readJson<PageBody>(await api(`${PROFILES}?page_size=100000`, { token: admin.access }));
    expect(big.results.length).toBeLessThanOrEqual(100);
    expect(big.results.length).toBe(Math.min(100, big.count));
    const nonsense = await readJson<PageBody>(
      await api(`${PROFILES}?page_size=abc`, { token: admin.access }),
    );
    expect(nonsense.results.length).toBe(Math.min(10, nonsense.count));
  });

  it.each<[string, string, string[]]>([
    ['role_management=STAFF', 'role_management=STAFF', ['b']],
    ['role_management=CUSTOMER', 'role_management=CUSTOMER', ['a', 'c']],
    ['is_active=false', 'is_active=false', ['c']],
    ['is_active=true', 'is_active=true', ['a', 'b']],
  ])('filters by %s', async (_case, query, expected) => {
    const { prefix } = await population();
    const admin = await createUser({ role: 'ADMIN' });
    const page = await readJson<PageBody>(
      await api(`${PROFILES}?search=${prefix}&${query}`, { token: admin.access }),
    );
    expect(page.results.map((p) => p.username)).toEqual(expected.map((s) => `${prefix}_${s}`));
  });

  it('searches e-mails as well as usernames, without regard to case', async () => {
    const admin = await createUser({ role: 'ADMIN' });
    const marker = uniqueName('mail');
    const user = await createUser({ email: `${marker}@example.com` });
    const page = await readJson<PageBody>(
      await api(`${PROFILES}?search=${marker.toUpperCase()}`, { token: admin.access }),
    );
    expect(page.results.map((p) => p.id)).toEqual([user.id]);
  });

  it('treats % and _ in a search as literal characters', async () => {
    const admin = await createUser({ role: 'ADMIN' });
    const page = await readJson<PageBody>(await api(`${PROFILES}?search=%25`, { token: admin.access }));
    expect(page.count).toBe(0);
  });

  it.each([
    ['role_management=BOSS', 'role_management'],
    ['is_active=maybe', 'is_active'],
  ])('refuses %s with 400', async (query, field) => {
    const admin = await createUser({ role: 'ADMIN' });
    const res = await api(`${PROFILES}?${query}`, { token: admin.access });
    expect(res.status).toBe(400);
    expect(Object.keys((await readJson<Problem>(res)).errors ?? {})).toEqual([field]);
  });

  it('refuses customers with 403', async () => {
    const user = await createUser();
    expect((await api(PROFILES, { token: user.access })).status).toBe(403);
  });
});

describe('profiles/{id}', () => {
  it('lets a user read their own profile by id', async () => {
    const user = await createUser();
    const res = await api(`${PROFILES}${user.id}/`, { token: user.access });
    expect(res.status).toBe(200);
    expect((await readJson<ProfileBody>(res)).username).toBe(user.username);
  });

  it("answers another customer's id with 404 (no hint that it exists)", async () => {
    const [user, other] = await Promise.all([createUser(), createUser()]);
    const res = await api(`${PROFILES}${other.id}/`, { token: user.access });
    expect(res.status).toBe(404);
  });

  it.each(['STAFF', 'ADMIN'] as const)("lets a %s read anyone's profile", async (role) => {
    const [viewer, other] = await Promise.all([createUser({ role }), createUser({ active: false })]);
    const res = await api(`${PROFILES}${other.id}/`, { token: viewer.access });
    expect(res.status).toBe(200);
    expect(await readJson<ProfileBody>(res)).toMatchObject({ id: other.id, is_active: false });
  });

  it.each(['999999999999', 'abc', '0', '-1', '1e3'])('answers id %s with 404', async (id) => {
    const admin = await createUser({ role: 'ADMIN' });
    expect((await api(`${PROFILES}${id}/`, { token: admin.access })).status).toBe(404);
  });
});

describe('PATCH profiles/{id} (ADMIN only)', () => {
  const patchUser = async (target: TestUser, body: unknown, actor?: TestUser) => {
    const admin = actor ?? (await createUser({ role: 'ADMIN' }));
    return patch(`${PROFILES}${target.id}/`, admin.access, body);
  };

  it.each<[string, string, boolean]>([
    ['CUSTOMER', 'STAFF', true],
    ['CUSTOMER', 'ADMIN', true],
    ['STAFF', 'CUSTOMER', false],
    ['ADMIN', 'STAFF', true],
  ])('changing %s to %s keeps is_staff in step', async (from, to, isStaff) => {
    const target = await createUser({ role: from as 'CUSTOMER' });
    const res = await patchUser(target, { role_management: to });
    expect(res.status).toBe(200);
    expect((await readJson<ProfileBody>(res)).role_management).toBe(to);
    expect(await stored(target.id)).toMatchObject({ role: to, isStaff });
  });

  it('writes role and activation changes to the audit log', async () => {
    const admin = await createUser({ role: 'ADMIN' });
    const target = await createUser();
    await patchUser(target, { role_management: 'STAFF', is_active: false }, admin);
    const rows = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetType, 'user'), eq(auditLog.targetId, String(target.id))));
    expect(rows.map((r) => [r.action, r.actorUserId]).sort()).toEqual([
      ['user.activation', admin.id],
      ['user.role_change', admin.id],
    ]);
  });

  it('deactivating a user revokes their tokens: access and refresh both stop working', async () => {
    const target = await createUser();
    const { token: earlierAccess } = await signToken(
      testConfig(),
      target.id,
      'access',
      new Date(Date.now() - 2000),
    );
    const res = await patchUser(target, { is_active: false });
    expect(res.status).toBe(200);
    expect((await readJson<ProfileBody>(res)).is_active).toBe(false);
    expect((await stored(target.id))?.tokensValidAfter).not.toBeNull();
    expect((await api(MINE, { token: earlierAccess })).status).toBe(401);
    expect((await api(MINE, { token: target.access })).status).toBe(401);
    const refresh = await api('/api/v1/users/refresh/', {
      method: 'POST',
      json: { refresh: target.refresh },
    });
    expect(refresh.status).toBe(401);
  });

  it('activating an inactive CUSTOMER creates their customer profile, once', async () => {
    const target = await createUser({ active: false });
    expect((await patchUser(target, { is_active: true })).status).toBe(200);
    expect((await patchUser(target, { is_active: false })).status).toBe(200);
    expect((await patchUser(target, { is_active: true })).status).toBe(200);
    const rows = await testDb().select().from(customers).where(eq(customers.userId, target.id));
    expect(rows).toHaveLength(1);
  });

  it('turning an active STAFF user into a CUSTOMER gives them a customer profile', async () => {
    const target = await createUser({ role: 'STAFF' });
    expect((await patchUser(target, { role_management: 'CUSTOMER' })).status).toBe(200);
    expect(await testDb().select().from(customers).where(eq(customers.userId, target.id))).toHaveLength(1);
  });

  it('changes username and e-mail (stored lower-cased), refusing duplicates', async () => {
    const [target, other] = await Promise.all([createUser(), createUser()]);
    const username = uniqueName('admin_renamed');
    const ok = await patchUser(target, { username, email: `${username.toUpperCase()}@EXAMPLE.com` });
    expect(ok.status).toBe(200);
    expect(await stored(target.id)).toMatchObject({
      username,
      email: `${username.toLowerCase()}@example.com`,
    });
    const duplicate = await patchUser(target, { username: other.username, email: other.email });
    expect((await readJson<Problem>(duplicate)).errors).toEqual({
      username: ['A user with that username already exists.'],
      email: ['A user with this email already exists.'],
    });
  });

  it('an empty PATCH changes nothing', async () => {
    const target = await createUser();
    const res = await patchUser(target, {});
    expect(res.status).toBe(200);
    expect((await readJson<ProfileBody>(res)).username).toBe(target.username);
  });

  it.each(['CUSTOMER', 'STAFF'] as const)(
    'a %s may not PATCH profiles/{id} (403), not even their own',
    async (role) => {
      const actor = await createUser({ role });
      const res = await patch(`${PROFILES}${actor.id}/`, actor.access, { username: uniqueName('x') });
      expect(res.status).toBe(403);
    },
  );

  it('answers an unknown id with 404', async () => {
    const admin = await createUser({ role: 'ADMIN' });
    expect((await patch(`${PROFILES}999999999999/`, admin.access, { is_active: true })).status).toBe(404);
  });

  it.each<[string, unknown, string]>([
    ['an unknown role', { role_management: 'BOSS' }, 'role_management'],
    ['a string for is_active', { is_active: 'yes' }, 'is_active'],
    ['a null username', { username: null }, 'username'],
    ['an invalid e-mail', { email: 'nope' }, 'email'],
  ])('refuses %s with 400', async (_case, body, field) => {
    const target = await createUser();
    const res = await patchUser(target, body);
    expect(res.status).toBe(400);
    expect(Object.keys((await readJson<Problem>(res)).errors ?? {})).toEqual([field]);
  });
});

describe('PATCH profiles/mine/new-password', () => {
  /** A user plus an access token issued two seconds ago, so it predates any change made now. */
  async function userWithOlderToken() {
    const user = await createUser();
    const { token } = await signToken(testConfig(), user.id, 'access', new Date(Date.now() - 2000));
    return { user, token };
  }

  it('changes the password, revokes every refresh token and every earlier access token', async () => {
    const { user, token } = await userWithOlderToken();
    const newPassword = 'Brand-New-Pass7?';
    const res = await patch(NEW_PASSWORD, token, { old_password: user.password, new_password: newPassword });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ detail: 'Password successfully updated.' });
    expect((await api(MINE, { token })).status).toBe(401);
    const live = await testDb().select().from(refreshTokens).where(eq(refreshTokens.userId, user.id));
    expect(live.every((row) => row.revokedAt !== null)).toBe(true);
    expect(
      (await api('/api/v1/users/refresh/', { method: 'POST', json: { refresh: user.refresh } })).status,
    ).toBe(401);
    const login = (password: string) =>
      api('/api/v1/users/login/', { method: 'POST', json: { username: user.username, password } });
    expect((await login(user.password)).status).toBe(401);
    expect((await login(newPassword)).status).toBe(200);
  });

  it('refuses a wrong old password', async () => {
    const user = await createUser();
    const res = await patch(NEW_PASSWORD, user.access, {
      old_password: 'Wrong-Password9!',
      new_password: 'Brand-New-Pass7?',
    });
    expect(res.status).toBe(400);
    expect((await readJson<Problem>(res)).errors).toEqual({ old_password: ['Old password is incorrect.'] });
  });

  it('refuses the same password as the old one', async () => {
    const user = await createUser();
    const res = await patch(NEW_PASSWORD, user.access, {
      old_password: user.password,
      new_password: user.password,
    });
    expect(res.status).toBe(400);
    expect((await readJson<Problem>(res)).errors).toEqual({
      new_password: ['New password must differ from the old password.'],
    });
  });

  it('reports every policy failure on new_password', async () => {
    const user = await createUser();
    const res = await patch(NEW_PASSWORD, user.access, {
      old_password: user.password,
      new_password: 'password',
    });
    expect((await readJson<Problem>(res)).errors).toEqual({
      new_password: [
        'This password is too common.',
        'This password must start with an uppercase letter.',
        'This password must contain at least one digit.',
        'This password must contain at least one punctuation character (such as ! ? . @ # $ %).',
      ],
    });
  });

  it('refuses a new password too similar to the username', async () => {
    const user = await createUser({ username: uniqueName('Kettledrum') });
    const res = await patch(NEW_PASSWORD, user.access, {
      old_password: user.password,
      new_password: `${user.username}!1`,
    });
    expect((await readJson<Problem>(res)).errors?.new_password).toContain(
      'The password is too similar to the username.',
    );
  });

  it.each<[string, unknown, string]>([
    ['a missing old password', { new_password: 'Brand-New-Pass7?' }, 'old_password'],
    ['a missing new password', { old_password: 'x' }, 'new_password'],
    ['a null new password', { old_password: 'x', new_password: null }, 'new_password'],
  ])('refuses %s with 400', async (_case, body, field) => {
    const user = await createUser();
    const res = await patch(NEW_PASSWORD, user.access, body);
    expect(res.status).toBe(400);
    expect(Object.keys((await readJson<Problem>(res)).errors ?? {})).toEqual([field]);
  });

  it('is limited to 10 requests a day per user', async () => {
    const user = await createUser();
    for (let i = 0; i < 10; i++) {
      const res = await patch(NEW_PASSWORD, user.access, {
        old_password: 'Wrong-Password9!',
        new_password: 'Brand-New-Pass7?',
      });
      expect(res.status).toBe(400);
    }
    const limited = await patch(NEW_PASSWORD, user.access, {
      old_password: user.password,
      new_password: 'Brand-New-Pass7?',
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('RateLimit-Policy')).toContain('"new_password-user";q=10;w=86400');
  });
});

describe('profiles: rate limit and methods', () => {
  it('limits profile routes to 30 requests a minute per user', async () => {
    await roomInMinuteWindow();
    const user = await createUser();
    for (let i = 0; i < 30; i++) expect((await api(MINE, { token: user.access })).status).toBe(200);
    const limited = await api(MINE, { token: user.access });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('RateLimit-Policy')).toContain('"profile-user";q=30;w=60');
    // Another user is not affected.
    const other = await createUser();
    expect((await api(MINE, { token: other.access })).status).toBe(200);
  });

  it.each<[string, string, string]>([
    ['POST', PROFILES, 'GET, HEAD'],
    ['DELETE', PROFILES, 'GET, HEAD'],
    ['PUT', MINE, 'GET, HEAD, PATCH'],
    ['DELETE', MINE, 'GET, HEAD, PATCH'],
    ['PUT', `${PROFILES}1/`, 'GET, HEAD, PATCH'],
    ['DELETE', `${PROFILES}1/`, 'GET, HEAD, PATCH'],
    ['GET', NEW_PASSWORD, 'PATCH'],
    ['POST', NEW_PASSWORD, 'PATCH'],
    ['GET', '/api/v1/users/login/', 'POST'],
  ])('%s %s → 405 with Allow: %s', async (method, path, allow) => {
    const user = await createUser();
    const res = await api(path, { method, token: user.access });
    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toBe(allow);
  });
});
