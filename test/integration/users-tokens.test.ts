import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { refreshTokens, users } from '../../src/db/schema';
import { sha256Hex } from '../../src/lib/crypto';
import { signToken, verifyToken } from '../../src/lib/tokens';
import { startOfSecond } from '../../src/users/service';
import {
  api,
  createUser,
  type Problem,
  readJson,
  roundTrips,
  setActive,
  type TestUser,
  testConfig,
  testDb,
  uniqueRequestId,
} from './helpers';

const REFRESH = '/api/v1/users/refresh/';
const LOGOUT = '/api/v1/users/logout/';

interface Tokens {
  access: string;
  refresh: string;
}

const refresh = (token: string, requestId?: string) =>
  api(REFRESH, { method: 'POST', json: { refresh: token }, requestId });

async function rotate(token: string): Promise<Tokens> {
  const res = await refresh(token);
  expect(res.status).toBe(200);
  return readJson<Tokens>(res);
}

async function storedRow(token: string) {
  const { jti } = await verifyToken(testConfig(), token, 'refresh');
  const [row] = await testDb()
    .select()
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, await sha256Hex(jti)));
  return row;
}

async function expectInvalid(res: Response) {
  expect(res.status).toBe(401);
  expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
  expect((await readJson<Problem>(res)).code).toBe('token_not_valid');
}

describe('refresh-token rotation (docs/api.md §2.3)', () => {
  it('answers a new access token and a new refresh token', async () => {
    const user = await createUser();
    const tokens = await rotate(user.refresh);
    expect(Object.keys(tokens).sort()).toEqual(['access', 'refresh']);
    expect(tokens.refresh).not.toBe(user.refresh);
    expect((await verifyToken(testConfig(), tokens.access, 'access')).userId).toBe(user.id);
    const mine = await api('/api/v1/users/profiles/mine/', { token: tokens.access });
    expect(mine.status).toBe(200);
  });

  it('revokes the presented token and keeps the new one in the same family', async () => {
    const user = await createUser();
    const tokens = await rotate(user.refresh);
    const old = await storedRow(user.refresh);
    const next = await storedRow(tokens.refresh);
    expect(old?.revokedAt).not.toBeNull();
    expect(next?.revokedAt).toBeNull();
    expect(next?.familyId).toBe(old?.familyId);
    expect(next?.userId).toBe(user.id);
  });

  it('stores refresh tokens only as SHA-256 hashes', async () => {
    const user = await createUser();
    const rows = await testDb().select().from(refreshTokens).where(eq(refreshTokens.userId, user.id));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(user.refresh).not.toContain(row.tokenHash);
    }
  });

  it('presenting a revoked refresh token again revokes the whole family and answers 401', async () => {
    const user = await createUser();
    const second = await rotate(user.refresh);
    const third = await rotate(second.refresh);
    await expectInvalid(await refresh(user.refresh)); // reuse of the first token
    await expectInvalid(await refresh(third.refresh)); // the live descendant died with it
    const family = await testDb().select().from(refreshTokens).where(eq(refreshTokens.userId, user.id));
    expect(family.every((row) => row.revokedAt !== null)).toBe(true);
  });

  it('reuse revokes only that family: other logins of the same user keep working', async () => {
    const user = await createUser();
    const otherLogin = await api('/api/v1/users/login/', {
      method: 'POST',
      json: { username: user.username, password: user.password },
    });
    const other = await readJson<Tokens>(otherLogin);
    await rotate(user.refresh);
    await expectInvalid(await refresh(user.refresh));
    expect((await refresh(other.refresh)).status).toBe(200);
  });

  it('of two concurrent uses of one refresh token, at most one succeeds', async () => {
    const user = await createUser();
    const responses = await Promise.all([
      refresh(user.refresh),
      refresh(user.refresh),
      refresh(user.refresh),
    ]);
    expect(responses.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
    expect(responses.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(2);
  });

  it('costs two round trips: the guarded revoke and the insert of the successor', async () => {
    const user = await createUser();
    const requestId = uniqueRequestId('refresh');
    expect((await refresh(user.refresh, requestId)).status).toBe(200);
    const trips = await roundTrips(requestId);
    console.log(`round trips: refresh = ${trips}`);
    expect(trips).toBe(2);
  });

  it('refuses an access token in place of a refresh token', async () => {
    const user = await createUser();
    await expectInvalid(await refresh(user.access));
  });

  it('refuses an expired refresh token', async () => {
    const user = await createUser();
    const { token } = await signToken(
      testConfig(),
      user.id,
      'refresh',
      new Date(Date.now() - 2 * 86_400_000),
    );
    await expectInvalid(await refresh(token));
  });

  it('refuses a validly signed refresh token that was never issued', async () => {
    const user = await createUser();
    const { token } = await signToken(testConfig(), user.id, 'refresh', new Date());
    await expectInvalid(await refresh(token));
  });

  it('refuses a tampered refresh token', async () => {
    const user = await createUser();
    const [header, payload, signature] = user.refresh.split('.');
    await expectInvalid(await refresh(`${header}.${payload}.${signature?.split('').reverse().join('')}`));
  });

  it('refuses the refresh token of a user who was deactivated', async () => {
    const user = await createUser();
    await setActive(user.id, false);
    await expectInvalid(await refresh(user.refresh));
  });

  it('refuses a refresh token issued before the user revoked their tokens', async () => {
    const user = await createUser();
    await revokeTokensNow(user, 2000);
    await expectInvalid(await refresh(user.refresh));
  });

  it.each<[string, unknown]>([
    ['a missing token', {}],
    ['a blank token', { refresh: '  ' }],
    ['a null token', { refresh: null }],
    ['a number', { refresh: 42 }],
  ])('answers %s with 400', async (_case, body) => {
    const res = await api(REFRESH, { method: 'POST', json: body });
    expect(res.status).toBe(400);
  });

  it.each(['not-a-jwt', 'a.b.c', 'x'.repeat(4096)])('answers garbage with 401', async (garbage) => {
    await expectInvalid(await refresh(garbage));
  });
});

/** Sets tokens_valid_after as a password change would, `shiftMs` in the future (tokens then predate it). */
async function revokeTokensNow(user: TestUser, shiftMs = 0) {
  await testDb()
    .update(users)
    .set({ tokensValidAfter: startOfSecond(new Date(Date.now() + shiftMs)) })
    .where(eq(users.id, user.id));
}

describe('logout (docs/api.md §2.3)', () => {
  it('revokes the refresh token and answers 200 {}', async () => {
    const user = await createUser();
    const res = await api(LOGOUT, { method: 'POST', json: { refresh: user.refresh } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect((await storedRow(user.refresh))?.revokedAt).not.toBeNull();
  });

  it('makes the refresh token unusable for refresh', async () => {
    const user = await createUser();
    await api(LOGOUT, { method: 'POST', json: { refresh: user.refresh } });
    await expectInvalid(await refresh(user.refresh));
  });

  it('answers 401 for a token already logged out', async () => {
    const user = await createUser();
    expect((await api(LOGOUT, { method: 'POST', json: { refresh: user.refresh } })).status).toBe(200);
    await expectInvalid(await api(LOGOUT, { method: 'POST', json: { refresh: user.refresh } }));
  });

  it.each<[string, (user: TestUser) => string]>([
    ['an access token', (user) => user.access],
    ['garbage', () => 'not-a-jwt'],
  ])('answers 401 for %s', async (_case, token) => {
    const user = await createUser();
    await expectInvalid(await api(LOGOUT, { method: 'POST', json: { refresh: token(user) } }));
  });

  it('answers 400 without a token', async () => {
    const res = await api(LOGOUT, { method: 'POST', json: {} });
    expect(res.status).toBe(400);
    expect((await readJson<Problem>(res)).errors).toEqual({ refresh: ['This field is required.'] });
  });
});

describe('tokens_valid_after precision', () => {
  it('rejects access tokens issued in an earlier second than the revocation', async () => {
    const user = await createUser();
    const { token } = await signToken(testConfig(), user.id, 'access', new Date(Date.now() - 1500));
    await revokeTokensNow(user);
    const res = await api('/api/v1/users/profiles/mine/', { token });
    expect(res.status).toBe(401);
  });

  it('accepts access tokens issued in the same second as the revocation, or later', async () => {
    const user = await createUser();
    const now = new Date();
    await testDb()
      .update(users)
      .set({ tokensValidAfter: startOfSecond(now) })
      .where(eq(users.id, user.id));
    const { token } = await signToken(testConfig(), user.id, 'access', now);
    const res = await api('/api/v1/users/profiles/mine/', { token });
    expect(res.status).toBe(200);
  });
});
