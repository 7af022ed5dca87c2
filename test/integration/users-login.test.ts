import { desc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { addresses, customers, kycRecords, refreshTokens, users } from '../../src/db/schema';
import { deleteExpiredRefreshTokens } from '../../src/jobs/cleanup';
import { verifyToken } from '../../src/lib/tokens';
import { lastLoginColumn } from '../../src/users/columns';
import {
  api,
  createUser,
  type Problem,
  readJson,
  roomInMinuteWindow,
  roundTrips,
  testConfig,
  testDb,
  uniqueIp,
  uniqueName,
  uniqueRequestId,
} from './helpers';

const LOGIN = '/api/v1/users/login/';
const NO_ACCOUNT = 'No active account found with the given credentials';

interface Tokens {
  access: string;
  refresh: string;
}

describe('login (docs/api.md §2.3)', () => {
  it('exchanges a username and password for an access and a refresh token', async () => {
    const user = await createUser();
    const res = await api(LOGIN, {
      method: 'POST',
      json: { username: user.username, password: user.password },
    });
    expect(res.status).toBe(200);
    const body = await readJson<Tokens>(res);
    expect(Object.keys(body).sort()).toEqual(['access', 'refresh']);
    const access = await verifyToken(testConfig(), body.access, 'access');
    const refresh = await verifyToken(testConfig(), body.refresh, 'refresh');
    expect(access.userId).toBe(user.id);
    expect(refresh.userId).toBe(user.id);
  });

  it('accepts the e-mail address instead of the username, in any case', async () => {
    const user = await createUser();
    const res = await api(LOGIN, {
      method: 'POST',
      json: { username: user.email.toUpperCase(), password: user.password },
    });
    expect(res.status).toBe(200);
  });

  it('accepts the username in another case', async () => {
    const user = await createUser();
    const res = await api(LOGIN, {
      method: 'POST',
      json: { username: user.username.toUpperCase(), password: user.password },
    });
    expect(res.status).toBe(200);
  });

  it('records last_login (derived from the refresh-token row of the login, src/users/columns.ts)', async () => {
    const user = await createUser();
    const before = Date.now() - 1000;
    await api(LOGIN, { method: 'POST', json: { username: user.username, password: user.password } });
    const [row] = await testDb()
      .select({ lastLogin: lastLoginColumn })
      .from(users)
      .where(eq(users.id, user.id));
    expect(row?.lastLogin?.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('shows the new last_login on profiles/mine after each login', async () => {
    const user = await createUser();
    const lastLogin = async (access: string) => {
      const mine = await api('/api/v1/users/profiles/mine/', { token: access });
      expect(mine.status).toBe(200);
      return (await readJson<{ last_login: string | null }>(mine)).last_login;
    };
    // createUser's session is not a login (like the one e-mail verification opens).
    expect(await lastLogin(user.access)).toBeNull();
    const logins: string[] = [];
    for (let i = 0; i < 2; i++) {
      const before = Date.now();
      const res = await api(LOGIN, {
        method: 'POST',
        json: { username: user.username, password: user.password },
      });
      expect(res.status).toBe(200);
      const shown = await lastLogin((await readJson<Tokens>(res)).access);
      expect(shown).not.toBeNull();
      const [stored] = await testDb()
        .select({ loginAt: refreshTokens.loginAt })
        .from(refreshTokens)
        .where(eq(refreshTokens.userId, user.id))
        .orderBy(desc(refreshTokens.loginAt))
        .limit(1);
      expect(shown).toBe(stored?.loginAt?.toISOString());
      expect(Date.parse(shown as string)).toBeGreaterThanOrEqual(before - 1000);
      logins.push(shown as string);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(Date.parse(logins[1] as string)).toBeGreaterThan(Date.parse(logins[0] as string));
    // A rotation is not a login: last_login stays the second login's.
    const rotated = await api('/api/v1/users/refresh/', {
      method: 'POST',
      json: { refresh: user.refresh },
    });
    expect(rotated.status).toBe(200);
    expect(await lastLogin((await readJson<Tokens>(rotated)).access)).toBe(logins[1]);
  });

  it('keeps last_login when the daily prune deletes the expired refresh-token rows of the login', async () => {
    const user = await createUser();
    const res = await api(LOGIN, {
      method: 'POST',
      json: { username: user.username, password: user.password },
    });
    expect(res.status).toBe(200);
    const profile = async () => {
      const [row] = await testDb()
        .select({ lastLogin: lastLoginColumn, stored: users.lastLogin })
        .from(users)
        .where(eq(users.id, user.id));
      return row;
    };
    const before = await profile();
    expect(before?.lastLogin).not.toBeNull();
    expect(before?.stored).toBeNull();
    // Expire only this user's rows, far in the past, and prune as of just after: no other test's rows match.
    const expiredAt = new Date('1999-03-01T00:00:00Z');
    await testDb()
      .update(refreshTokens)
      .set({ expiresAt: expiredAt })
      .where(eq(refreshTokens.userId, user.id));
    const db = testDb();
    await deleteExpiredRefreshTokens({ db, now: new Date('1999-03-01T00:00:01Z') });
    expect(await testDb().select().from(refreshTokens).where(eq(refreshTokens.userId, user.id))).toEqual([]);
    const after = await profile();
    expect(after?.lastLogin?.toISOString()).toBe(before?.lastLogin?.toISOString());
    expect(after?.stored?.toISOString()).toBe(before?.lastLogin?.toISOString());
  });

  it('never moves the stored last_login back when folding an older login', async () => {
    const user = await createUser();
    const res = await api(LOGIN, {
      method: 'POST',
      json: { username: user.username, password: user.password },
    });
    expect(res.status).toBe(200);
    // A later sign-in already stored (as the admin sign-in writes it).
    const later = new Date(Date.now() + 60_000);
    await testDb().update(users).set({ lastLogin: later }).where(eq(users.id, user.id));
    await testDb()
      .update(refreshTokens)
      .set({ expiresAt: new Date('1999-04-01T00:00:00Z') })
      .where(eq(refreshTokens.userId, user.id));
    await deleteExpiredRefreshTokens({ db: testDb(), now: new Date('1999-04-01T00:00:01Z') });
    const [row] = await testDb()
      .select({ lastLogin: lastLoginColumn, stored: users.lastLogin })
      .from(users)
      .where(eq(users.id, user.id));
    expect(row?.stored?.toISOString()).toBe(later.toISOString());
    expect(row?.lastLogin?.toISOString()).toBe(later.toISOString());
  });

  it('gives the access token to /profiles/mine', async () => {
    const user = await createUser();
    const login = await api(LOGIN, {
      method: 'POST',
      json: { username: user.username, password: user.password },
    });
    const { access } = await readJson<Tokens>(login);
    const mine = await api('/api/v1/users/profiles/mine/', { token: access });
    expect(mine.status).toBe(200);
    expect((await readJson(mine)).id).toBe(user.id);
  });

  it('costs two round trips: the user lookup and the refresh-token insert (which records the login)', async () => {
    const user = await createUser();
    const requestId = uniqueRequestId('login');
    const res = await api(LOGIN, {
      method: 'POST',
      requestId,
      json: { username: user.username, password: user.password },
    });
    expect(res.status).toBe(200);
    const trips = await roundTrips(requestId);
    console.log(`round trips: login = ${trips}`);
    expect(trips).toBe(2);
  });
});

describe('login: refusals all look the same', () => {
  const cases: Array<[string, () => Promise<{ username: string; password: string }>]> = [
    [
      'a wrong password',
      async () => {
        const user = await createUser();
        return { username: user.username, password: 'Wrong-Password9!' };
      },
    ],
    ['an unknown user', async () => ({ username: uniqueName('ghost'), password: 'Kettle-Drum42!' })],
    [
      'an inactive user with the right password',
      async () => {
        const user = await createUser({ active: false });
        return { username: user.username, password: user.password };
      },
    ],
  ];

  it.each(cases)(
    '%s → 401 "No active account found with the given credentials"',
    async (_case, credentials) => {
      const res = await api(LOGIN, { method: 'POST', json: await credentials() });
      expect(res.status).toBe(401);
      expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
      const problem = await readJson<Problem>(res);
      expect(problem.detail).toBe(NO_ACCOUNT);
      expect(problem.code).toBe('no_active_account');
    },
  );

  it('an unknown user takes about as long as a wrong password (a dummy hash is computed)', async () => {
    const user = await createUser();
    const time = async (username: string) => {
      const started = performance.now();
      await api(LOGIN, { method: 'POST', json: { username, password: 'Wrong-Password9!' } });
      return performance.now() - started;
    };
    await time(user.username); // warm-up
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      known.push(await time(user.username));
      unknown.push(await time(uniqueName('ghost')));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[1] ?? 0;
    // Loose on purpose (shared CI machines): without the dummy hash an unknown user answers in a few percent.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.4);
  });
});

describe('login: customer profile (docs/api.md §3.1)', () => {
  it('gives an active CUSTOMER without a customer profile a new empty one, once', async () => {
    const user = await createUser({ customerProfile: false });
    for (let i = 0; i < 2; i++) {
      const res = await api(LOGIN, {
        method: 'POST',
        json: { username: user.username, password: user.password },
      });
      expect(res.status).toBe(200);
    }
    const db = testDb();
    const rows = await db.select().from(customers).where(eq(customers.userId, user.id));
    expect(rows).toHaveLength(1);
    const customer = rows[0];
    expect(customer).toMatchObject({
      firstName: null,
      lastName: null,
      phoneNumber: null,
      dob: null,
      isVerified: false,
    });
    const customerId = customer?.id ?? 0;
    const mainAddresses = await db.select().from(addresses).where(eq(addresses.customerId, customerId));
    expect(mainAddresses).toEqual([
      expect.objectContaining({ country: 'EG', mainAddress: true, city: null, line: null, state: null }),
    ]);
    const kyc = await db.select().from(kycRecords).where(eq(kycRecords.customerId, customerId));
    expect(kyc).toEqual([
      expect.objectContaining({ documentType: 'national_id', status: 'pending', documentId: null }),
    ]);
  });

  it.each(['STAFF', 'ADMIN'] as const)('never gives a %s a customer profile', async (role) => {
    const user = await createUser({ role });
    await api(LOGIN, { method: 'POST', json: { username: user.username, password: user.password } });
    const rows = await testDb().select().from(customers).where(eq(customers.userId, user.id));
    expect(rows).toHaveLength(0);
  });
});

describe('login: validation', () => {
  it.each<[string, unknown, string, string]>([
    ['a missing username', { password: 'x' }, 'username', 'This field is required.'],
    ['a blank username', { username: ' ', password: 'x' }, 'username', 'This field may not be blank.'],
    ['a missing password', { username: 'someone' }, 'password', 'This field is required.'],
    ['an empty password', { username: 'someone', password: '' }, 'password', 'This field may not be blank.'],
    ['a numeric password', { username: 'someone', password: 1234 }, 'password', 'Not a valid string.'],
    ['a null username', { username: null, password: 'x' }, 'username', 'This field may not be null.'],
  ])('refuses %s with 400', async (_case, body, field, message) => {
    const res = await api(LOGIN, { method: 'POST', json: body });
    expect(res.status).toBe(400);
    expect((await readJson<Problem>(res)).errors?.[field]).toEqual([message]);
  });
});

describe('login: rate limits (10/min per IP and 10/min per username)', () => {
  it('answers the 11th attempt from one address with 429 and Retry-After', async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 10; i++) {
      const res = await api(LOGIN, {
        method: 'POST',
        ip,
        json: { username: uniqueName('x'), password: 'nope' },
      });
      expect(res.status).toBe(401);
    }
    const limited = await api(LOGIN, {
      method: 'POST',
      ip,
      json: { username: uniqueName('x'), password: 'nope' },
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(limited.headers.get('RateLimit-Policy')).toContain('"login-ip";q=10;w=60');
  });

  it('lets exactly 10 of 50 concurrent attempts on one username through, each from its own address', async () => {
    // On a loaded machine the 50 attempts take seconds: a minute boundary inside them would allow 10 + 10.
    await roomInMinuteWindow();
    const user = await createUser();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        api(LOGIN, { method: 'POST', json: { username: user.username, password: 'Wrong-Password9!' } }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    // The username's counter is exhausted even for the right password and a fresh address.
    const next = await api(LOGIN, {
      method: 'POST',
      json: { username: user.username, password: user.password },
    });
    expect(next.status).toBe(429);
  });

  it('counts the username without regard to case or surrounding spaces', async () => {
    await roomInMinuteWindow();
    const user = await createUser();
    const variants = [user.username, user.username.toUpperCase(), ` ${user.username} `];
    for (let i = 0; i < 10; i++) {
      const res = await api(LOGIN, {
        method: 'POST',
        json: { username: variants[i % variants.length], password: 'Wrong-Password9!' },
      });
      expect(res.status).toBe(401);
    }
    const limited = await api(LOGIN, {
      method: 'POST',
      json: { username: user.username, password: user.password },
    });
    expect(limited.status).toBe(429);
  });

  it('still limits per IP when the body is malformed (no username key to read)', async () => {
    await roomInMinuteWindow();
    const ip = uniqueIp();
    for (let i = 0; i < 10; i++) {
      const res = await api(LOGIN, {
        method: 'POST',
        ip,
        body: '{"username": ',
        headers: { 'Content-Type': 'application/json' },
      });
      expect(res.status).toBe(400);
    }
    const limited = await api(LOGIN, { method: 'POST', ip, json: { username: 'a', password: 'b' } });
    expect(limited.status).toBe(429);
  });
});
