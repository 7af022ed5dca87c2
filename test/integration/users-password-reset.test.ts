/**
 * Password reset by e-mail (docs/accounts.md §1): no enumeration (same status, body, headers and database
 * work for known and unknown addresses), a token that works once, expires and dies when a newer one is
 * requested, every session revoked, an unverified user activated, the password policy enforced, hostile
 * input refused with 4xx, and the admin's "send a reset e-mail" service.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  adminSessions,
  auditLog,
  customers,
  passwordResetTokens,
  refreshTokens,
  users,
} from '../../src/db/schema';
import { deleteExpiredRefreshTokens } from '../../src/jobs/cleanup';
import { sha256Hex } from '../../src/lib/crypto';
import { signToken } from '../../src/lib/tokens';
import type { NotificationMessage } from '../../src/notifications/messages';
import { sendPasswordResetFor } from '../../src/users/password-reset';
import { contextAs as withContext } from './context-support';
import {
  api,
  apiWithEnv,
  createUser,
  DEFAULT_PASSWORD,
  type Problem,
  readJson,
  recordingQueue,
  roundTrips,
  type TestUser,
  testConfig,
  testDb,
  uniqueIp,
  uniqueName,
  uniqueRequestId,
} from './helpers';

const REQUEST = '/api/v1/users/password-reset/';
const CONFIRM = '/api/v1/users/password-reset/confirm/';
const NEW_PASSWORD = 'Lantern-Moss77?';
const INVALID = 'invalid_or_expired_reset_token';

type ResetMail = Extract<NotificationMessage, { type: 'password_reset' }>;

/** Requests a reset through the real route and returns the e-mail it queued (if any). */
async function requestReset(
  email: string,
  requestId?: string,
): Promise<{ res: Response; mails: ResetMail[] }> {
  const { queue, sent } = recordingQueue();
  const res = await apiWithEnv(
    REQUEST,
    { method: 'POST', json: { email }, requestId },
    { NOTIFICATIONS: queue },
  );
  const mails = sent.filter((m): m is ResetMail => m.type === 'password_reset');
  return { res, mails };
}

/** A request for `user` answers the usual 202 but mails nothing and stores no token. */
async function expectNoReset(user: TestUser): Promise<void> {
  const { res, mails } = await requestReset(user.email);
  expect(res.status).toBe(202);
  expect(mails).toHaveLength(0);
  const rows = await testDb()
    .select()
    .from(passwordResetTokens)
    .where(eq(passwordResetTokens.userId, user.id));
  expect(rows).toHaveLength(0);
}

async function tokenFor(user: TestUser): Promise<string> {
  const { res, mails } = await requestReset(user.email);
  expect(res.status).toBe(202);
  expect(mails).toHaveLength(1);
  return (mails[0] as ResetMail).token;
}

function confirm(token: unknown, password: unknown = NEW_PASSWORD) {
  return api(CONFIRM, { method: 'POST', json: { token, password } });
}

function login(user: TestUser, password: string) {
  return api('/api/v1/users/login/', { method: 'POST', json: { username: user.username, password } });
}

/**
 * Headers that must match between two answers: everything but the request id, and with the RateLimit
 * header's `t=` (seconds left in the window, which moves with the clock between the two requests) apart.
 */
function comparableHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (name !== 'x-request-id') out[name] = name === 'ratelimit' ? value.replace(/;t=\d+/, ';t=…') : value;
  });
  return out;
}
const secondsLeft = (res: Response) => Number(/;t=(\d+)/.exec(res.headers.get('RateLimit') ?? '')?.[1]);

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

describe('POST users/password-reset/', () => {
  it('answers an existing and an unknown address identically, with the same database work', async () => {
    const user = await createUser();
    const unknown = `${uniqueName('nobody')}@example.com`;
    const knownId = uniqueRequestId('reset-known');
    const unknownId = uniqueRequestId('reset-unknown');
    const known = await requestReset(user.email, knownId);
    const other = await requestReset(unknown, unknownId);
    expect(known.res.status).toBe(202);
    expect(other.res.status).toBe(202);
    expect(await known.res.text()).toBe(await other.res.text());
    expect(comparableHeaders(known.res)).toEqual(comparableHeaders(other.res));
    expect(Math.abs(secondsLeft(known.res) - secondsLeft(other.res))).toBeLessThanOrEqual(2);
    expect(known.mails).toHaveLength(1);
    expect(other.mails).toHaveLength(0);
    // The same statements on both paths: the lookup and the INSERT … SELECT (which writes nothing here).
    const [knownTrips, unknownTrips] = [await roundTrips(knownId), await roundTrips(unknownId)];
    expect(knownTrips).toBe(2);
    expect(unknownTrips).toBe(knownTrips);
  });

  it('takes about the same time for existing and unknown addresses (loose: medians within 250 ms + 50 %)', async () => {
    const knownTimes: number[] = [];
    const unknownTimes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const user = await createUser({ customerProfile: false });
      let started = performance.now();
      await requestReset(user.email);
      knownTimes.push(performance.now() - started);
      started = performance.now();
      await requestReset(`${uniqueName('ghost')}@example.com`);
      unknownTimes.push(performance.now() - started);
    }
    const [k, u] = [median(knownTimes), median(unknownTimes)];
    expect(Math.abs(k - u), `known ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms`).toBeLessThan(
      250 + 0.5 * Math.max(k, u),
    );
  });

  it('stores only the SHA-256 of a 32-byte token, 30 minutes ahead, and mails a link to the reset page', async () => {
    const user = await createUser();
    const before = Date.now();
    const token = await tokenFor(user);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [row] = await testDb()
      .select()
      .from(passwordResetTokens)
      .where(eq(passwordResetTokens.userId, user.id));
    expect(row?.tokenHash).toBe(await sha256Hex(token));
    const lifetime = (row?.expiresAt.getTime() ?? 0) - before;
    expect(lifetime).toBeGreaterThan(29 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(30 * 60_000 + 5_000);
  });

  it('limits requests per address (whoever sends them) and per IP: 5 per 15 minutes', async () => {
    /** Sends until the first 429 (at most 11); how many were accepted before it, and whether a window ended. */
    async function acceptedBeforeLimit(send: () => Promise<Response>) {
      const window = () => Math.floor(Date.now() / 900_000);
      const first = window();
      for (let accepted = 0; accepted < 11; accepted++) {
        const res = await send();
        if (res.status === 429) {
          expect(res.headers.get('Retry-After')).toMatch(/^\d+$/);
          return { accepted, windowEnded: window() !== first };
        }
        expect(res.status).toBe(202);
      }
      throw new Error('never limited');
    }
    const email = `${uniqueName('target')}@example.com`;
    // Different IPs (requestReset gives each its own) and spellings: one address counter.
    let n = 0;
    const perAddress = await acceptedBeforeLimit(async () => {
      n += 1;
      return (await requestReset(n % 2 ? email : email.toUpperCase())).res;
    });
    if (!perAddress.windowEnded) expect(perAddress.accepted).toBe(5);

    const ip = uniqueIp();
    const perIp = await acceptedBeforeLimit(() =>
      api(REQUEST, { method: 'POST', ip, json: { email: `${uniqueName('a')}@example.com` } }),
    );
    if (!perIp.windowEnded) expect(perIp.accepted).toBe(5);
  });

  it('sends nothing for an account an admin deactivated', async () => {
    const user = await createUser();
    await testDb()
      .update(users)
      .set({ isActive: false, tokensValidAfter: new Date() })
      .where(eq(users.id, user.id));
    await expectNoReset(user);
  });

  it('sends nothing to an inactive account that has logged in, before and after the prune deleted its login', async () => {
    const user = await createUser();
    expect((await login(user, user.password)).status).toBe(200);
    // Inactive without tokens_valid_after: only the login (its refresh-token row, docs/accounts.md §1) tells
    // it from a never-verified account.
    await testDb().update(users).set({ isActive: false }).where(eq(users.id, user.id));
    await expectNoReset(user);
    await testDb()
      .update(refreshTokens)
      .set({ expiresAt: new Date('1999-05-01T00:00:00Z') })
      .where(eq(refreshTokens.userId, user.id));
    await deleteExpiredRefreshTokens({ db: testDb(), now: new Date('1999-05-01T00:00:01Z') });
    expect(await testDb().select().from(refreshTokens).where(eq(refreshTokens.userId, user.id))).toEqual([]);
    await expectNoReset(user);
  });

  it('refuses hostile input with 4xx problems', async () => {
    const cases: Array<[string, RequestInit & { json?: unknown }]> = [
      ['wrong type', { json: { email: 12 } }],
      ['not an e-mail', { json: { email: 'nope' } }],
      ['array', { json: [{ email: 'a@example.com' }] }],
      ['null', { json: null }],
      ['too long', { json: { email: `${'a'.repeat(300)}@example.com` } }],
      ['malformed JSON', { body: '{"email":', headers: { 'Content-Type': 'application/json' } }],
      [
        'form body',
        { body: 'email=a@example.com', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
      ],
      ['huge body', { json: { email: 'a@example.com', pad: 'x'.repeat(1_100_000) } }],
    ];
    for (const [name, init] of cases) {
      const res = await api(REQUEST, { method: 'POST', ...init });
      expect(res.status, name).toBeGreaterThanOrEqual(400);
      expect(res.status, name).toBeLessThan(500);
      expect(res.headers.get('Content-Type'), name).toContain('application/problem+json');
    }
  });
});

describe('POST users/password-reset/confirm/', () => {
  it('sets the password once: the token is spent, sessions end, a notice is mailed', async () => {
    const staff = await createUser({ role: 'STAFF' });
    await testDb()
      .insert(adminSessions)
      .values({
        sessionHash: await sha256Hex(crypto.randomUUID()),
        userId: staff.id,
        csrfSecret: 'c'.repeat(64),
        expiresAt: new Date(Date.now() + 3_600_000),
      });
    // tokens_valid_after has one-second precision (a token's iat), as for a password change: an access token
    // from before this second is refused after the reset.
    const earlierAccess = (await signToken(testConfig(), staff.id, 'access', new Date(Date.now() - 60_000)))
      .token;
    expect((await api('/api/v1/users/profiles/mine/', { token: earlierAccess })).status).toBe(200);
    const token = await tokenFor(staff);

    const { queue, sent } = recordingQueue();
    const res = await apiWithEnv(
      CONFIRM,
      { method: 'POST', json: { token, password: NEW_PASSWORD } },
      { NOTIFICATIONS: queue },
    );
    expect(res.status, await res.clone().text()).toBe(200);
    expect(sent.map((m) => m.type)).toEqual(['password_changed']);
    expect(JSON.stringify(sent)).not.toContain(token);

    const again = await confirm(token, 'Another-Pass9!');
    expect(again.status).toBe(400);
    expect((await readJson<Problem>(again)).code).toBe(INVALID);

    expect((await login(staff, NEW_PASSWORD)).status).toBe(200);
    expect((await login(staff, DEFAULT_PASSWORD)).status).toBe(401);
    const refresh = await api('/api/v1/users/refresh/', { method: 'POST', json: { refresh: staff.refresh } });
    expect(refresh.status).toBe(401);
    const mine = await api('/api/v1/users/profiles/mine/', { token: earlierAccess });
    expect(mine.status).toBe(401);
    const live = await testDb()
      .select()
      .from(adminSessions)
      .where(and(eq(adminSessions.userId, staff.id), isNull(adminSessions.revokedAt)));
    expect(live).toHaveLength(0);
    const rows = await testDb()
      .select()
      .from(passwordResetTokens)
      .where(eq(passwordResetTokens.userId, staff.id));
    expect(rows).toHaveLength(0);
  });

  it('refuses an expired token (time moved through the row)', async () => {
    const user = await createUser();
    const token = await tokenFor(user);
    await testDb()
      .update(passwordResetTokens)
      .set({ expiresAt: new Date(Date.now() - 1_000) })
      .where(eq(passwordResetTokens.userId, user.id));
    const res = await confirm(token);
    expect(res.status).toBe(400);
    expect((await readJson<Problem>(res)).code).toBe(INVALID);
    expect((await login(user, DEFAULT_PASSWORD)).status).toBe(200);
  });

  it('kills a token when a newer one is requested', async () => {
    const user = await createUser();
    const first = await tokenFor(user);
    const second = await tokenFor(user);
    expect(second).not.toBe(first);
    const old = await confirm(first);
    expect(old.status).toBe(400);
    expect((await readJson<Problem>(old)).code).toBe(INVALID);
    expect((await confirm(second)).status).toBe(200);
  });

  it('activates a user who never verified their e-mail, with their customer profile', async () => {
    const user = await createUser({ active: false });
    const token = await tokenFor(user);
    expect((await confirm(token)).status).toBe(200);
    const [row] = await testDb()
      .select({ isActive: users.isActive })
      .from(users)
      .where(eq(users.id, user.id));
    expect(row?.isActive).toBe(true);
    const profile = await testDb().select().from(customers).where(eq(customers.userId, user.id));
    expect(profile).toHaveLength(1);
    expect((await login(user, NEW_PASSWORD)).status).toBe(200);
  });

  it('refuses a weak password with a 400 problem and keeps the token usable', async () => {
    const user = await createUser();
    const token = await tokenFor(user);
    for (const weak of ['short', 'password1', user.username]) {
      const res = await confirm(token, weak);
      expect(res.status).toBe(400);
      const problem = await readJson<Problem>(res);
      expect(problem.code).toBe('validation_error');
      expect(problem.errors?.password?.length).toBeGreaterThan(0);
    }
    expect((await confirm(token)).status).toBe(200);
  });

  it('refuses malformed and unknown tokens and hostile bodies with 4xx', async () => {
    const unknown = await confirm('A'.repeat(43));
    expect(unknown.status).toBe(400);
    expect((await readJson<Problem>(unknown)).code).toBe(INVALID);
    const bodies: unknown[] = [
      { token: 'abc', password: NEW_PASSWORD },
      { token: 'A'.repeat(10_000), password: NEW_PASSWORD },
      { token: `${'A'.repeat(42)}=`, password: NEW_PASSWORD },
      { token: 42, password: NEW_PASSWORD },
      { token: null, password: NEW_PASSWORD },
      { token: ['A'.repeat(43)], password: NEW_PASSWORD },
      { token: 'A'.repeat(43), password: 'x'.repeat(5_000) },
      { token: 'A'.repeat(43) },
      'token',
    ];
    for (const json of bodies) {
      const res = await api(CONFIRM, { method: 'POST', json });
      expect(res.status, JSON.stringify(json).slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
  });
});

describe('GET /reset-password', () => {
  it('serves the page with a strict CSP and the script as a same-origin file', async () => {
    const res = await api('/reset-password');
    expect(res.status).toBe(200);
    const csp = res.headers.get('Content-Security-Policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('Referrer-Policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).toContain('<script src="/account/reset-password.js"></script>');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});

describe('sendPasswordResetFor (the admin sends a reset e-mail)', () => {
  const contextAs = (actor: TestUser, queue: Queue) => withContext(actor, { env: { NOTIFICATIONS: queue } });

  it('mails the user a working reset token and audits it; only an ADMIN may', async () => {
    const admin = await createUser({ role: 'ADMIN' });
    const staff = await createUser({ role: 'STAFF' });
    const user = await createUser();
    const { queue, sent } = recordingQueue();
    await sendPasswordResetFor(contextAs(admin, queue), { userId: user.id });
    const mail = sent.find((m): m is ResetMail => m.type === 'password_reset');
    expect(mail?.to).toBe(user.email);
    expect(mail?.reset_url).toBe(`http://127.0.0.1:8787/reset-password#token=${mail?.token}`);
    const audit = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'user.password_reset_sent'), eq(auditLog.targetId, String(user.id))));
    expect(audit).toHaveLength(1);
    expect(audit[0]?.actorUserId).toBe(admin.id);
    expect((await confirm(mail?.token)).status).toBe(200);

    await expect(sendPasswordResetFor(contextAs(staff, queue), { userId: user.id })).rejects.toMatchObject({
      status: 403,
    });
  });
});
