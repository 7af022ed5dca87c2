import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Role } from '../../src/db/schema';
import { addresses, customers, kycRecords, users, verificationCodes } from '../../src/db/schema';
import { verifyToken } from '../../src/lib/tokens';
import { hashVerificationCode } from '../../src/users/verification';
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
  type TestUser,
  testConfig,
  testDb,
  uniqueIp,
  uniqueName,
  uniqueRequestId,
} from './helpers';

const VALIDATE = '/api/v1/users/verify-code/validate/';
const RESEND = '/api/v1/users/verify-code/resend/';
const INVALID = 'Invalid or expired verification code.';

interface CodeOptions {
  code?: string;
  /** How long ago the code was created. */
  ageSeconds?: number;
  attempts?: number;
  used?: boolean;
}

/** Stores a known code for a user, as sign-up would (hashed, 10-minute lifetime). */
async function giveCode(user: TestUser, options: CodeOptions = {}): Promise<string> {
  const code = options.code ?? '482913';
  const created = new Date(Date.now() - (options.ageSeconds ?? 0) * 1000);
  await testDb()
    .insert(verificationCodes)
    .values({
      userId: user.id,
      codeHash: await hashVerificationCode(testConfig().JWT_SECRET, user.id, code),
      attempts: options.attempts ?? 0,
      createdAt: created,
      expiresAt: new Date(created.getTime() + 10 * 60_000),
      usedAt: options.used ? new Date() : null,
    });
  return code;
}

async function inactiveUserWithCode(options: CodeOptions & { role?: Role } = {}) {
  const user = await createUser({ active: false, role: options.role });
  const code = await giveCode(user, options);
  return { user, code };
}

const validate = (email: string, code: string, requestId?: string) =>
  api(VALIDATE, { method: 'POST', json: { email, code }, requestId });

async function codeRow(userId: number) {
  const [row] = await testDb().select().from(verificationCodes).where(eq(verificationCodes.userId, userId));
  return row;
}

async function expectInvalidCode(res: Response) {
  expect(res.status).toBe(400);
  const problem = await readJson<Problem>(res);
  expect(problem.code).toBe('invalid_or_expired_code');
  expect(problem.detail).toBe(INVALID);
  expect(problem.errors).toBeUndefined();
}

describe('verify-code/validate (docs/api.md §2.4)', () => {
  it('activates the user, marks the code used and answers access and refresh tokens', async () => {
    const { user, code } = await inactiveUserWithCode();
    const res = await validate(user.email, code);
    expect(res.status).toBe(200);
    const tokens = await readJson<{ access: string; refresh: string }>(res);
    expect(Object.keys(tokens).sort()).toEqual(['access', 'refresh']);
    expect((await verifyToken(testConfig(), tokens.access, 'access')).userId).toBe(user.id);
    const [row] = await testDb()
      .select({ isActive: users.isActive })
      .from(users)
      .where(eq(users.id, user.id));
    expect(row?.isActive).toBe(true);
    expect((await codeRow(user.id))?.usedAt).not.toBeNull();
    expect((await api('/api/v1/users/profiles/mine/', { token: tokens.access })).status).toBe(200);
  });

  it('creates the customer profile: empty customer, main address in EG, pending national-id KYC', async () => {
    const { user, code } = await inactiveUserWithCode();
    expect((await validate(user.email, code)).status).toBe(200);
    const db = testDb();
    const [customer] = await db.select().from(customers).where(eq(customers.userId, user.id));
    expect(customer).toMatchObject({
      firstName: null,
      lastName: null,
      phoneNumber: null,
      dob: null,
      isVerified: false,
    });
    const customerId = customer?.id ?? 0;
    expect(await db.select().from(addresses).where(eq(addresses.customerId, customerId))).toEqual([
      expect.objectContaining({ country: 'EG', mainAddress: true }),
    ]);
    expect(await db.select().from(kycRecords).where(eq(kycRecords.customerId, customerId))).toEqual([
      expect.objectContaining({ documentType: 'national_id', status: 'pending' }),
    ]);
  });

  it('gives a verified STAFF user no customer profile', async () => {
    const { user, code } = await inactiveUserWithCode({ role: 'STAFF' });
    expect((await validate(user.email, code)).status).toBe(200);
    expect(await testDb().select().from(customers).where(eq(customers.userId, user.id))).toHaveLength(0);
  });

  it('accepts the e-mail in any case and the code with surrounding spaces', async () => {
    const { user, code } = await inactiveUserWithCode();
    expect((await validate(` ${user.email.toUpperCase()} `, ` ${code} `)).status).toBe(200);
  });

  it('records the round trips of a successful validation', async () => {
    const { user, code } = await inactiveUserWithCode();
    const requestId = uniqueRequestId('validate');
    expect((await validate(user.email, code, requestId)).status).toBe(200);
    const trips = await roundTrips(requestId);
    console.log(`round trips: verify-code/validate = ${trips}`);
    // lookup; BEGIN, spend the code, activate, customer + address + KYC, refresh token, COMMIT
    expect(trips).toBeLessThanOrEqual(9);
  });

  const failures: Array<[string, () => Promise<{ email: string; code: string }>]> = [
    ['an unknown e-mail', async () => ({ email: `${uniqueName('ghost')}@example.com`, code: '123456' })],
    [
      'a wrong code',
      async () => {
        const { user } = await inactiveUserWithCode({ code: '111111' });
        return { email: user.email, code: '222222' };
      },
    ],
    [
      'an expired code',
      async () => {
        const { user, code } = await inactiveUserWithCode({ ageSeconds: 11 * 60 });
        return { email: user.email, code };
      },
    ],
    [
      'no code at all',
      async () => {
        const user = await createUser({ active: false });
        return { email: user.email, code: '123456' };
      },
    ],
    [
      'a code already used',
      async () => {
        const { user, code } = await inactiveUserWithCode({ used: true });
        return { email: user.email, code };
      },
    ],
    [
      'a burnt code (5 wrong attempts)',
      async () => {
        const { user, code } = await inactiveUserWithCode({ attempts: 5 });
        return { email: user.email, code };
      },
    ],
    [
      'an account that is already active',
      async () => {
        const user = await createUser();
        const code = await giveCode(user);
        return { email: user.email, code };
      },
    ],
  ];

  it.each(failures)('answers %s with the same 400 invalid_or_expired_code', async (_case, arrange) => {
    const { email, code } = await arrange();
    await expectInvalidCode(await validate(email, code));
  });

  it('burns the code after 5 wrong attempts: the right code then fails too', async () => {
    const { user, code } = await inactiveUserWithCode({ code: '370142' });
    for (let i = 0; i < 5; i++) await expectInvalidCode(await validate(user.email, '000000'));
    await expectInvalidCode(await validate(user.email, code));
    expect((await codeRow(user.id))?.attempts).toBe(5);
    const [row] = await testDb()
      .select({ isActive: users.isActive })
      .from(users)
      .where(eq(users.id, user.id));
    expect(row?.isActive).toBe(false);
  });

  it('still accepts the right code after 4 wrong attempts', async () => {
    const { user, code } = await inactiveUserWithCode({ code: '370142' });
    for (let i = 0; i < 4; i++) await expectInvalidCode(await validate(user.email, '000000'));
    expect((await validate(user.email, code)).status).toBe(200);
  });

  it('never counts more than 5 attempts, even for concurrent guesses', async () => {
    const { user } = await inactiveUserWithCode({ code: '370142' });
    const guesses = Array.from({ length: 12 }, (_, i) => String(100000 + i));
    const responses = await Promise.all(guesses.map((guess) => validate(user.email, guess)));
    expect(responses.every((r) => r.status === 400)).toBe(true);
    expect((await codeRow(user.id))?.attempts).toBe(5);
  });

  it.each<[string, unknown, string]>([
    ['a 5-digit code', '12345', 'code'],
    ['a 7-digit code', '1234567', 'code'],
    ['letters', 'abcdef', 'code'],
    ['a number instead of a string', 123456, 'code'],
    ['a missing code', undefined, 'code'],
  ])('refuses %s as a validation error', async (_case, code, field) => {
    const res = await api(VALIDATE, { method: 'POST', json: { email: 'someone@example.com', code } });
    expect(res.status).toBe(400);
    const problem = await readJson<Problem>(res);
    expect(problem.code).toBe('validation_error');
    expect(Object.keys(problem.errors ?? {})).toEqual([field]);
  });

  it('refuses an invalid e-mail as a validation error', async () => {
    const res = await api(VALIDATE, { method: 'POST', json: { email: 'nope', code: '123456' } });
    expect((await readJson<Problem>(res)).errors).toEqual({ email: ['Enter a valid email address.'] });
  });

  it('is limited to 10 attempts a minute per IP', async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 10; i++) {
      const res = await api(VALIDATE, {
        method: 'POST',
        ip,
        json: { email: 'x@example.com', code: '000000' },
      });
      expect(res.status).toBe(400);
    }
    const limited = await api(VALIDATE, {
      method: 'POST',
      ip,
      json: { email: 'x@example.com', code: '000000' },
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('Retry-After')).not.toBeNull();
  });
});

describe('verify-code/resend (docs/api.md §2.4)', () => {
  const resend = (email: string, ip?: string) => api(RESEND, { method: 'POST', json: { email }, ip });

  it('replaces the code of an inactive user: the old one stops working, the new one is queued and works', async () => {
    const { user, code: oldCode } = await inactiveUserWithCode({ code: '111111', ageSeconds: 61 });
    const oldRow = await codeRow(user.id);
    const { queue, sent } = recordingQueue();
    const res = await apiWithEnv(
      RESEND,
      { method: 'POST', json: { email: user.email } },
      { NOTIFICATIONS: queue },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ detail: 'A new verification code is sent.' });
    const newRow = await codeRow(user.id);
    expect(newRow?.id).not.toBe(oldRow?.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      type: 'verification_code',
      to: user.email,
      idempotency_key: `verification:${user.id}:${newRow?.id}`,
    });
    const newCode = (sent[0] as { code: string }).code;
    if (newCode !== oldCode) await expectInvalidCode(await validate(user.email, oldCode));
    expect((await validate(user.email, newCode)).status).toBe(200);
  });

  it('refuses a second code within 60 seconds with 429 and Retry-After', async () => {
    const { user } = await inactiveUserWithCode({ ageSeconds: 15 });
    const res = await resend(user.email);
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('Retry-After'));
    expect(retryAfter).toBeGreaterThanOrEqual(44);
    expect(retryAfter).toBeLessThanOrEqual(46);
    expect((await readJson<Problem>(res)).code).toBe('code_recently_sent');
  });

  it('gives a code to an inactive user whose code was cleaned up (never locked out)', async () => {
    const user = await createUser({ active: false });
    expect((await resend(user.email)).status).toBe(200);
    expect(await codeRow(user.id)).toBeDefined();
  });

  it('tells an active user the account is already verified', async () => {
    const user = await createUser();
    const res = await resend(user.email);
    expect(res.status).toBe(400);
    expect((await readJson<Problem>(res)).detail).toBe('This account is already verified.');
  });

  it('answers an unknown e-mail exactly like a success', async () => {
    const res = await resend(`${uniqueName('ghost')}@example.com`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ detail: 'A new verification code is sent.' });
  });

  it('lets only one of several concurrent resends through', async () => {
    const { user } = await inactiveUserWithCode({ ageSeconds: 120 });
    const statuses = (await Promise.all([resend(user.email), resend(user.email), resend(user.email)])).map(
      (r) => r.status,
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
  });

  it('is limited to 3 requests a minute per IP', async () => {
    await roomInMinuteWindow();
    const ip = uniqueIp();
    for (let i = 0; i < 3; i++) expect((await resend(`${uniqueName('x')}@example.com`, ip)).status).toBe(200);
    const limited = await resend(`${uniqueName('x')}@example.com`, ip);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('RateLimit-Policy')).toContain('"resend_code-ip";q=3;w=60');
  });

  it.each<[string, unknown, string]>([
    ['a missing e-mail', {}, 'This field is required.'],
    ['an invalid e-mail', { email: 'nope' }, 'Enter a valid email address.'],
    ['a null e-mail', { email: null }, 'This field may not be null.'],
  ])('refuses %s with 400', async (_case, body, message) => {
    const res = await api(RESEND, { method: 'POST', json: body });
    expect(res.status).toBe(400);
    expect((await readJson<Problem>(res)).errors).toEqual({ email: [message] });
  });
});

describe('sign-up → e-mailed code → validate → login', () => {
  it('works end to end with the code that was queued', async () => {
    const username = uniqueName('journey');
    const email = `${username}@example.com`;
    const { queue, sent } = recordingQueue();
    const signUp = await apiWithEnv(
      '/api/v1/users/sign-up/',
      { method: 'POST', json: { username, email, password: DEFAULT_PASSWORD } },
      { NOTIFICATIONS: queue },
    );
    expect(signUp.status).toBe(201);
    const login = () =>
      api('/api/v1/users/login/', { method: 'POST', json: { username, password: DEFAULT_PASSWORD } });
    expect((await login()).status).toBe(401);
    const code = (sent[0] as { code: string }).code;
    expect((await validate(email, code)).status).toBe(200);
    expect((await login()).status).toBe(200);
  });
});
