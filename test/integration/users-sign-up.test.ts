import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { users, verificationCodes } from '../../src/db/schema';
import {
  api,
  apiWithEnv,
  createUser,
  DEFAULT_PASSWORD,
  type Problem,
  readJson,
  recordingQueue,
  roomInMinuteWindow,
  roundTrips,
  testDb,
  uniqueIp,
  uniqueName,
  uniqueRequestId,
} from './helpers';

const SIGN_UP = '/api/v1/users/sign-up/';

function newUserBody(overrides: Record<string, unknown> = {}) {
  const username = uniqueName('signup');
  return { username, email: `${username}@example.com`, password: DEFAULT_PASSWORD, ...overrides };
}

async function storedUser(id: number) {
  const [row] = await testDb().select().from(users).where(eq(users.id, id));
  return row;
}

describe('sign-up (docs/api.md §2.1)', () => {
  it('creates an inactive CUSTOMER and answers 201 with exactly id, username, email, role_management, is_active', async () => {
    const body = newUserBody();
    const res = await api(SIGN_UP, { method: 'POST', json: body });
    expect(res.status).toBe(201);
    const created = await readJson(res);
    expect(Object.keys(created).sort()).toEqual(['email', 'id', 'is_active', 'role_management', 'username']);
    expect(created).toMatchObject({
      username: body.username,
      email: body.email,
      role_management: 'CUSTOMER',
      is_active: false,
    });
    const row = await storedUser(created.id as number);
    expect(row).toMatchObject({ isActive: false, isStaff: false, role: 'CUSTOMER' });
  });

  it('trims strings and stores the e-mail lower-cased', async () => {
    const username = uniqueName('trim');
    const res = await api(SIGN_UP, {
      method: 'POST',
      json: {
        username: `  ${username} `,
        email: ` ${username.toUpperCase()}@Example.COM `,
        password: DEFAULT_PASSWORD,
      },
    });
    expect(res.status).toBe(201);
    const created = await readJson(res);
    expect(created.username).toBe(username);
    expect(created.email).toBe(`${username.toLowerCase()}@example.com`);
    expect((await storedUser(created.id as number))?.email).toBe(`${username.toLowerCase()}@example.com`);
  });

  it('stores only a PBKDF2 hash of the password, never the password', async () => {
    const res = await api(SIGN_UP, { method: 'POST', json: newUserBody() });
    const row = await storedUser((await readJson(res)).id as number);
    expect(row?.passwordHash).toMatch(/^pbkdf2_sha256\$100000\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{44}$/);
    expect(row?.passwordHash).not.toContain(DEFAULT_PASSWORD);
  });

  it('creates a verification code valid for 10 minutes and queues the verification e-mail', async () => {
    const { queue, sent } = recordingQueue();
    const body = newUserBody();
    const res = await apiWithEnv(SIGN_UP, { method: 'POST', json: body }, { NOTIFICATIONS: queue });
    expect(res.status).toBe(201);
    const { id } = await readJson<{ id: number }>(res);
    const [code] = await testDb().select().from(verificationCodes).where(eq(verificationCodes.userId, id));
    expect(code).toBeDefined();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      type: 'verification_code',
      to: body.email,
      user_id: id,
      username: body.username,
      valid_minutes: 10,
      idempotency_key: `verification:${id}:${code?.id}`,
    });
    const message = sent[0] as { code: string };
    expect(message.code).toMatch(/^[0-9]{6}$/);
    expect(code?.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(code?.codeHash).not.toContain(message.code);
    const lifetime = (code?.expiresAt.getTime() ?? 0) - (code?.createdAt.getTime() ?? 0);
    expect(lifetime).toBe(10 * 60 * 1000);
  });

  it('still creates the user (and the code) when the e-mail cannot be queued', async () => {
    const { queue } = recordingQueue({ failing: true });
    const res = await apiWithEnv(SIGN_UP, { method: 'POST', json: newUserBody() }, { NOTIFICATIONS: queue });
    expect(res.status).toBe(201);
    const { id } = await readJson<{ id: number }>(res);
    const codes = await testDb().select().from(verificationCodes).where(eq(verificationCodes.userId, id));
    expect(codes).toHaveLength(1);
  });

  it('costs three database round trips: duplicate check, user, code', async () => {
    const requestId = uniqueRequestId('sign-up');
    const res = await api(SIGN_UP, { method: 'POST', json: newUserBody(), requestId });
    expect(res.status).toBe(201);
    const trips = await roundTrips(requestId);
    console.log(`round trips: sign-up = ${trips}`);
    expect(trips).toBe(3);
  });
});

describe('sign-up: duplicates', () => {
  it('refuses a username that exists in another case', async () => {
    const existing = await createUser();
    const res = await api(SIGN_UP, {
      method: 'POST',
      json: newUserBody({ username: existing.username.toUpperCase() }),
    });
    expect(res.status).toBe(400);
    expect((await readJson<Problem>(res)).errors).toEqual({
      username: ['A user with that username already exists.'],
    });
  });

  it('refuses an e-mail that exists in another case', async () => {
    const existing = await createUser();
    const res = await api(SIGN_UP, {
      method: 'POST',
      json: newUserBody({ email: existing.email.toUpperCase() }),
    });
    expect(res.status).toBe(400);
    expect((await readJson<Problem>(res)).errors).toEqual({
      email: ['A user with this email already exists.'],
    });
  });

  it('reports both duplicates at once', async () => {
    const existing = await createUser();
    const res = await api(SIGN_UP, {
      method: 'POST',
      json: { username: existing.username, email: existing.email, password: DEFAULT_PASSWORD },
    });
    expect((await readJson<Problem>(res)).errors).toEqual({
      username: ['A user with that username already exists.'],
      email: ['A user with this email already exists.'],
    });
  });

  it('lets exactly one of several concurrent sign-ups with the same username through', async () => {
    const username = uniqueName('race');
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        api(SIGN_UP, {
          method: 'POST',
          json: { username, email: `${username}.${i}@example.com`, password: DEFAULT_PASSWORD },
        }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 400, 400, 400, 400]);
    for (const res of responses.filter((r) => r.status === 400)) {
      expect((await readJson<Problem>(res)).errors).toEqual({
        username: ['A user with that username already exists.'],
      });
    }
  });
});

describe('sign-up: roles', () => {
  it('defaults to CUSTOMER and accepts CUSTOMER explicitly from anyone', async () => {
    const res = await api(SIGN_UP, { method: 'POST', json: newUserBody({ role_management: 'CUSTOMER' }) });
    expect(res.status).toBe(201);
    expect((await readJson(res)).role_management).toBe('CUSTOMER');
  });

  it.each(['STAFF', 'ADMIN'])('anonymous callers may not create %s', async (role) => {
    const res = await api(SIGN_UP, { method: 'POST', json: newUserBody({ role_management: role }) });
    expect(res.status).toBe(400);
    expect((await readJson<Problem>(res)).errors).toEqual({
      role_management: ['Authentication required to create staff or admin.'],
    });
  });

  it.each([
    ['CUSTOMER', 'STAFF'],
    ['CUSTOMER', 'ADMIN'],
    ['STAFF', 'STAFF'],
    ['STAFF', 'ADMIN'],
  ] as const)('a %s may not create %s', async (callerRole, role) => {
    const caller = await createUser({ role: callerRole });
    const res = await api(SIGN_UP, {
      method: 'POST',
      token: caller.access,
      json: newUserBody({ role_management: role }),
    });
    expect(res.status).toBe(400);
    expect((await readJson<Problem>(res)).errors).toEqual({
      role_management: ['Only admins can assign admin or staff roles.'],
    });
  });

  it.each(['STAFF', 'ADMIN'] as const)(
    'an ADMIN may create %s, inactive, with is_staff set',
    async (role) => {
      const admin = await createUser({ role: 'ADMIN' });
      const res = await api(SIGN_UP, {
        method: 'POST',
        token: admin.access,
        json: newUserBody({ role_management: role }),
      });
      expect(res.status).toBe(201);
      const created = await readJson(res);
      expect(created).toMatchObject({ role_management: role, is_active: false });
      expect(await storedUser(created.id as number)).toMatchObject({ role, isStaff: true, isActive: false });
    },
  );

  it('an invalid bearer token is a 401, not an anonymous sign-up', async () => {
    const res = await api(SIGN_UP, { method: 'POST', token: 'not-a-token', json: newUserBody() });
    expect(res.status).toBe(401);
  });
});

describe('sign-up: validation', () => {
  it('reports every failing password rule at once', async () => {
    const res = await api(SIGN_UP, { method: 'POST', json: newUserBody({ password: '1234' }) });
    expect(res.status).toBe(400);
    const problem = await readJson<Problem>(res);
    expect(problem.code).toBe('validation_error');
    expect(problem.errors?.password).toEqual([
      'This password is too short. It must contain at least 8 characters.',
      'This password is too common.',
      'This password is entirely numeric.',
      'This password must start with an uppercase letter.',
      'This password must contain at least one lowercase letter.',
      'This password must contain at least one punctuation character (such as ! ? . @ # $ %).',
    ]);
  });

  it('refuses a password too similar to the username', async () => {
    const username = `kettledrum${uniqueName('x').slice(2, 6)}`;
    const res = await api(SIGN_UP, {
      method: 'POST',
      json: { username, email: `${uniqueName('m')}@example.com`, password: `K${username.slice(1)}!1` },
    });
    expect((await readJson<Problem>(res)).errors?.password).toEqual([
      'The password is too similar to the username.',
    ]);
  });

  it('reports problems of every field together', async () => {
    const res = await api(SIGN_UP, {
      method: 'POST',
      json: { username: 'bad name', email: 'nope', password: 'x' },
    });
    const problem = await readJson<Problem>(res);
    expect(Object.keys(problem.errors ?? {}).sort()).toEqual(['email', 'username']);
  });

  const long = (n: number) => 'a'.repeat(n);
  it.each<[string, Record<string, unknown>, string, string]>([
    ['a missing username', { username: undefined }, 'username', 'This field is required.'],
    ['a blank username', { username: '   ' }, 'username', 'This field may not be blank.'],
    [
      'a username with a space',
      { username: 'two words' },
      'username',
      'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
    ],
    [
      'a username with a slash',
      { username: 'a/b' },
      'username',
      'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
    ],
    [
      'a username of 151 characters',
      { username: long(151) },
      'username',
      'Ensure this field has no more than 150 characters.',
    ],
    ['a null username', { username: null }, 'username', 'This field may not be null.'],
    ['a numeric username', { username: 12345 }, 'username', 'Not a valid string.'],
    ['a missing e-mail', { email: undefined }, 'email', 'This field is required.'],
    ['an invalid e-mail', { email: 'not-an-email' }, 'email', 'Enter a valid email address.'],
    [
      'an e-mail of 255 characters',
      { email: `${long(243)}@example.com` },
      'email',
      'Ensure this field has no more than 254 characters.',
    ],
    ['a missing password', { password: undefined }, 'password', 'This field is required.'],
    ['an empty password', { password: '' }, 'password', 'This field may not be blank.'],
    ['a numeric password', { password: 12345678 }, 'password', 'Not a valid string.'],
    ['an unknown role', { role_management: 'BOSS' }, 'role_management', '"BOSS" is not a valid choice.'],
    ['a null role', { role_management: null }, 'role_management', 'This field may not be null.'],
  ])('refuses %s', async (_case, overrides, field, message) => {
    const res = await api(SIGN_UP, { method: 'POST', json: newUserBody(overrides) });
    expect(res.status).toBe(400);
    expect((await readJson<Problem>(res)).errors?.[field]).toEqual([message]);
  });

  it('accepts a 150-character username with every allowed symbol', async () => {
    const username = `${uniqueName('u')}@.+-_`.padEnd(150, 'x');
    const res = await api(SIGN_UP, {
      method: 'POST',
      json: { username, email: `${uniqueName('e')}@example.com`, password: DEFAULT_PASSWORD },
    });
    expect(res.status).toBe(201);
  });

  it('ignores unknown and read-only fields', async () => {
    const res = await api(SIGN_UP, {
      method: 'POST',
      json: newUserBody({
        is_active: true,
        id: 1,
        is_staff: true,
        date_joined: '2000-01-01T00:00:00Z',
        extra: 1,
      }),
    });
    expect(res.status).toBe(201);
    const created = await readJson(res);
    expect(created.is_active).toBe(false);
    expect(await storedUser(created.id as number)).toMatchObject({ isActive: false, isStaff: false });
  });
});

describe('sign-up: rate limit (20/min per IP)', () => {
  it('answers the 21st request from one address with 429, Retry-After and RateLimit headers', async () => {
    await roomInMinuteWindow();
    const ip = uniqueIp();
    for (let i = 0; i < 20; i++) {
      const res = await api(SIGN_UP, { method: 'POST', ip, json: {} });
      expect(res.status).toBe(400);
    }
    const limited = await api(SIGN_UP, { method: 'POST', ip, json: newUserBody() });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(limited.headers.get('RateLimit-Policy')).toContain('"sign_up-ip";q=20;w=60');
    expect(limited.headers.get('RateLimit')).toContain('r=0');
  });
});
