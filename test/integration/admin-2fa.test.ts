/**
 * The admin's two-factor sign-in (docs/accounts.md §3) through its pages: enrolment on the account page, the
 * code step after the password (a pending session grants nothing), wrong and replayed codes, recovery codes,
 * ADMIN_REQUIRE_2FA, the step-up on refunds, and the ADMIN's reset of another user's two-factor and
 * password-reset e-mail. Codes are computed here with otpauth from the secret the page shows.
 */
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { isDevAdminExempt, mustEnrol } from '../../src/admin/common/two-factor';
import type { AdminSession } from '../../src/admin/session/queries';
import type { AuditAction } from '../../src/db/audit';
import { adminSessions, auditLog, transactions, userTotp } from '../../src/db/schema';
import { type Env, getConfig } from '../../src/env';
import type { NotificationMessage } from '../../src/notifications/messages';
import { beginTotpEnrolment, confirmTotpEnrolment } from '../../src/users/totp';
import { AdminBrowser, csrfTokenIn, SESSION_COOKIE, textOf } from './admin-helpers';
import { contextAs } from './context-support';
import { createUser, recordingQueue, type TestUser, testDb } from './helpers';
import { succeededPayment } from './lifecycle-support';

const CODE_PAGE = '/admin/sign-in/code';
const STEP_MS = 30_000;

const currentStep = () => Math.floor(Date.now() / STEP_MS);
const codeForStep = (secret: string, step: number) =>
  new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({
    timestamp: step * STEP_MS,
  });

/** An enrolled user's key and the last time step the server accepted (a later one is needed next). */
interface Enrolled {
  secret: string;
  lastStep: number;
  recoveryCodes: string[];
}

/**
 * The next code the server will accept: a step after the last accepted one and within one step of the
 * server's clock (waits for the clock when the next step is still too far ahead).
 */
async function nextCode(enrolled: Enrolled): Promise<string> {
  const step = Math.max(enrolled.lastStep + 1, currentStep());
  while (step > currentStep() + 1) await new Promise((resolve) => setTimeout(resolve, 500));
  enrolled.lastStep = step;
  return codeForStep(enrolled.secret, step);
}

/** A code that is certainly not the current one (ten steps ahead, outside the ±1 window). */
async function wrongCode(enrolled: Enrolled): Promise<string> {
  const candidate = codeForStep(enrolled.secret, currentStep() + 10);
  const near = [-1, 0, 1, 2].map((d) => codeForStep(enrolled.secret, currentStep() + d));
  return near.includes(candidate) ? codeForStep(enrolled.secret, currentStep() + 11) : candidate;
}

/** The password step only: a session is created, pending while the user has two-factor on. */
async function passwordStep(browser: AdminBrowser, user: TestUser): Promise<Response> {
  await browser.page('/admin/');
  const response = await browser.post('/admin/', { username: user.username, password: user.password });
  expect(response.status).toBe(303);
  expect(browser.cookies.has(SESSION_COOKIE)).toBe(true);
  return response;
}

/** Enrols the signed-in user through the account page and returns the key it showed. */
async function enrolThroughPages(browser: AdminBrowser): Promise<Enrolled> {
  const before = await browser.page('/admin/account');
  expect(textOf(before)).toContain('Set up two-factor authentication');
  const start = await browser.post('/admin/account/2fa/start');
  expect(start.status).toBe(303);
  expect(start.headers.get('Location')).toBe('/admin/account');
  const html = await browser.page('/admin/account');
  expect(html).toMatch(/<svg[^>]*viewBox/);
  expect(html).not.toMatch(/<img[^>]+src="https?:/);
  const secret = /<code id="totp-secret">([A-Z2-7]+)<\/code>/.exec(html)?.[1];
  if (!secret) throw new Error('no secret on the account page');
  const enrolled: Enrolled = { secret, lastStep: currentStep() - 2, recoveryCodes: [] };
  const confirm = await browser.post('/admin/account/2fa/confirm', { code: await nextCode(enrolled) });
  const page = await confirm.text();
  expect(confirm.status, page.slice(0, 1500)).toBe(200);
  enrolled.recoveryCodes = [...page.matchAll(/<li>([0-9A-Z]{5}-[0-9A-Z]{5})<\/li>/g)].map((m) => m[1] ?? '');
  expect(enrolled.recoveryCodes).toHaveLength(10);
  return enrolled;
}

/** A signed-in ADMIN (or STAFF) with two-factor enrolled through the pages; the browser stays signed in. */
async function enrolledBrowser(role: 'ADMIN' | 'STAFF' = 'ADMIN') {
  const user = await createUser({ role });
  const browser = new AdminBrowser();
  await browser.signIn(user);
  const enrolled = await enrolThroughPages(browser);
  return { user, browser, enrolled };
}

async function signOut(browser: AdminBrowser): Promise<void> {
  await browser.page('/admin/');
  const response = await browser.post('/admin/logout');
  expect(response.status).toBe(303);
  expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
}

/** Password, then the code page; answers the code page's POST response. */
async function signInWithCode(browser: AdminBrowser, user: TestUser, code: string): Promise<Response> {
  await passwordStep(browser, user);
  await browser.page(CODE_PAGE);
  return browser.post(CODE_PAGE, { code });
}

describe('enrolment from the account page', () => {
  it('shows the QR code and key, confirms with a code, shows 10 recovery codes once, then the status', async () => {
    const { user, browser } = await enrolledBrowser('STAFF');
    const [row] = await testDb().select().from(userTotp).where(eq(userTotp.userId, user.id));
    expect(row?.confirmedAt).toBeInstanceOf(Date);
    // The enrolling session stays signed in (it just proved the second factor).
    const account = textOf(await browser.page('/admin/account'));
    expect(account).toContain('Recovery codes left: 10');
    expect(account).not.toMatch(/[0-9A-Z]{5}-[0-9A-Z]{5}/);
    await browser.page('/admin/transactions');
  });

  it('a wrong confirming code leaves two-factor off and the same key on the page', async () => {
    const user = await createUser({ role: 'STAFF' });
    const browser = new AdminBrowser();
    await browser.signIn(user);
    await browser.page('/admin/account');
    await browser.post('/admin/account/2fa/start');
    const html = await browser.page('/admin/account');
    const secret = /<code id="totp-secret">([A-Z2-7]+)<\/code>/.exec(html)?.[1] ?? '';
    const response = await browser.post('/admin/account/2fa/confirm', {
      code: await wrongCode({ secret, lastStep: 0, recoveryCodes: [] }),
    });
    expect(response.status).toBe(303);
    const again = await browser.page('/admin/account');
    expect(textOf(again)).toContain('The code is wrong, expired or already used.');
    expect(again).toContain(`<code id="totp-secret">${secret}</code>`);
    const [row] = await testDb().select().from(userTotp).where(eq(userTotp.userId, user.id));
    expect(row?.confirmedAt).toBeNull();
  });

  it('refuses the enrolment forms without the CSRF token', async () => {
    const user = await createUser({ role: 'STAFF' });
    const browser = new AdminBrowser();
    await browser.signIn(user);
    const response = await browser.post('/admin/account/2fa/start', {}, { withoutCsrf: true });
    expect(response.status).toBe(403);
    const [row] = await testDb().select().from(userTotp).where(eq(userTotp.userId, user.id));
    expect(row).toBeUndefined();
  });
});

describe('sign-in with a second factor', () => {
  it('asks for the code after the password; a wrong code is refused; the right one opens a new session', async () => {
    const { user, browser, enrolled } = await enrolledBrowser();
    await signOut(browser);

    const password = await passwordStep(browser, user);
    expect(password.headers.get('Location')).toBe('/admin/');
    const pendingCookie = browser.cookies.get(SESSION_COOKIE);
    const home = await browser.send('/admin/');
    expect(home.status).toBe(303);
    expect(home.headers.get('Location')).toBe(CODE_PAGE);
    expect(textOf(await browser.page(CODE_PAGE))).toContain('Two-factor code');

    const wrong = await browser.post(CODE_PAGE, { code: await wrongCode(enrolled) });
    expect(wrong.status).toBe(400);
    expect(textOf(await wrong.text())).toContain('The code is wrong, expired or already used.');
    expect(browser.cookies.get(SESSION_COOKIE)).toBe(pendingCookie);

    const right = await browser.post(CODE_PAGE, { code: await nextCode(enrolled) });
    expect(right.status).toBe(303);
    expect(right.headers.get('Location')).toBe('/admin/');
    const fullCookie = browser.cookies.get(SESSION_COOKIE);
    expect(fullCookie).toBeDefined();
    expect(fullCookie).not.toBe(pendingCookie);
    expect(textOf(await browser.page('/admin/'))).toContain('Dashboard');

    // The cookie that only proved the password is dead.
    const stale = new AdminBrowser();
    stale.cookies.set(SESSION_COOKIE, pendingCookie ?? '');
    const staleHome = await stale.send('/admin/transactions');
    expect(staleHome.status).toBe(303);
    expect(staleHome.headers.get('Location')).toBe('/admin/?next=%2Fadmin%2Ftransactions');
  });

  it('refuses a replayed code (the same code a second time)', async () => {
    const { user, browser, enrolled } = await enrolledBrowser();
    await signOut(browser);
    const code = await nextCode(enrolled);
    expect((await signInWithCode(browser, user, code)).status).toBe(303);

    const second = new AdminBrowser();
    const replay = await signInWithCode(second, user, code);
    expect(replay.status).toBe(400);
    expect(textOf(await replay.text())).toContain('The code is wrong, expired or already used.');
    expect((await second.send('/admin/transactions')).headers.get('Location')).toBe(
      `${CODE_PAGE}?next=%2Fadmin%2Ftransactions`,
    );
  });

  it('accepts a recovery code once', async () => {
    const { user, browser, enrolled } = await enrolledBrowser('STAFF');
    await signOut(browser);
    const recovery = enrolled.recoveryCodes[3] ?? '';
    const first = await signInWithCode(browser, user, recovery.toLowerCase());
    expect(first.status).toBe(303);
    expect(textOf(await browser.page('/admin/'))).toContain('You signed in with a recovery code');
    expect(textOf(await browser.page('/admin/account'))).toContain('Recovery codes left: 9');

    const again = await signInWithCode(new AdminBrowser(), user, recovery);
    expect(again.status).toBe(400);
  });

  it('limits codes to 5 a minute per user (429 with Retry-After); cancel ends the pending session', async () => {
    const { user, browser, enrolled } = await enrolledBrowser('STAFF');
    await signOut(browser);
    await passwordStep(browser, user);
    await browser.page(CODE_PAGE);
    // 5 checks a minute (the enrolment's confirmation was one). The window follows the clock's minutes, so
    // one reset may fall inside this loop: a 429 must come within two windows' worth of wrong codes.
    let refused = 0;
    let status = 400;
    while (status === 400 && refused <= 10) {
      status = (await browser.post(CODE_PAGE, { code: await wrongCode(enrolled) })).status;
      if (status === 400) refused++;
    }
    expect(status).toBe(429);
    expect(refused).toBeLessThanOrEqual(9);
    // While limited, even the right code is not checked.
    const limited = await browser.post(CODE_PAGE, { code: await nextCode(enrolled) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(textOf(await limited.text())).toContain('Too many requests');

    const cancel = await browser.post('/admin/sign-in/cancel');
    expect(cancel.status).toBe(303);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    const sessions = await testDb()
      .select({ revokedAt: adminSessions.revokedAt })
      .from(adminSessions)
      .where(eq(adminSessions.userId, user.id));
    expect(sessions.every((row) => row.revokedAt !== null)).toBe(true);
  });

  it('a pending session grants no page and no action; it expires after 10 minutes', async () => {
    const { user, browser } = await enrolledBrowser();
    const csrfOfFullSession = browser.csrf ?? '';
    await signOut(browser);
    await passwordStep(browser, user);
    for (const path of ['/admin/transactions', '/admin/users', '/admin/account', '/admin/audit']) {
      const response = await browser.send(path);
      expect(response.status, path).toBe(303);
      expect(response.headers.get('Location'), path).toBe(`${CODE_PAGE}?next=${encodeURIComponent(path)}`);
    }
    const codePage = await browser.page(CODE_PAGE);
    const pendingCsrf = csrfTokenIn(codePage) ?? '';
    for (const token of [pendingCsrf, csrfOfFullSession]) {
      const logout = await browser.post('/admin/logout', { csrf_token: token });
      expect(logout.status).toBe(403);
      const action = await browser.post(`/admin/users/${user.id}`, {
        csrf_token: token,
        role_management: 'STAFF',
        is_active: 'true',
      });
      expect(action.status).toBe(403);
      const start = await browser.post('/admin/account/2fa/start', { csrf_token: token });
      expect(start.status).toBe(403);
    }
    // An unknown page shows no navigation (nothing of the signed-in frame).
    const missing = await browser.send('/admin/nothing-here');
    expect(missing.status).toBe(404);
    expect(await missing.text()).not.toContain('action="/admin/logout"');

    // Ten minutes later the half-open session is dead.
    await testDb()
      .update(adminSessions)
      .set({ createdAt: new Date(Date.now() - 11 * 60_000) })
      .where(eq(adminSessions.userId, user.id));
    const expired = await browser.send(CODE_PAGE);
    expect(expired.status).toBe(303);
    expect(expired.headers.get('Location')).toBe('/admin/');
  });
});

describe('ADMIN_REQUIRE_2FA', () => {
  const REQUIRED = { ADMIN_REQUIRE_2FA: 'true' } as Partial<Env>;

  it('an ADMIN without two-factor can only enrol (and sign out) until it is on', async () => {
    const admin = await createUser({ role: 'ADMIN' });
    const browser = new AdminBrowser();
    browser.envOverrides = REQUIRED;
    await passwordStep(browser, admin);
    for (const path of ['/admin/', '/admin/transactions', '/admin/users']) {
      const response = await browser.send(path);
      expect(response.status, path).toBe(303);
      expect(response.headers.get('Location'), path).toBe('/admin/account');
    }
    const account = await browser.page('/admin/account');
    expect(textOf(account)).toContain('Administrators must use two-factor authentication.');
    const refused = await browser.post(`/admin/users/${admin.id}`, {
      role_management: 'ADMIN',
      is_active: 'true',
    });
    expect(refused.status).toBe(403);
    expect(textOf(await refused.text())).toContain(
      'Set up two-factor authentication on your account page first.',
    );

    await enrolThroughPages(browser);
    expect(textOf(await browser.page('/admin/transactions'))).toContain('Transactions');
  });

  it('does not force STAFF, and is off unless set outside production', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const browser = new AdminBrowser();
    browser.envOverrides = REQUIRED;
    await passwordStep(browser, staff);
    await browser.page('/admin/transactions');

    // Production also needs https URLs on public hosts (src/env.ts).
    const base = {
      ...env,
      PUBLIC_BASE_URL: 'https://pay.example.com',
      DATABASE_URL: 'https://user:password@db.example.com',
      PAYMOB_BASE_URL: 'https://accept.paymob.com',
      MAILGUN_BASE_URL: 'https://api.mailgun.net',
    } as Env;
    const production = getConfig({
      ...base,
      APP_ENV: 'production',
      ADMIN_REQUIRE_2FA: undefined,
    } as unknown as Env);
    expect(production.ADMIN_REQUIRE_2FA).toBe(true);
    expect(getConfig({ ...base, ADMIN_REQUIRE_2FA: undefined } as unknown as Env).ADMIN_REQUIRE_2FA).toBe(
      false,
    );
    expect(getConfig({ ...base, ADMIN_REQUIRE_2FA: 'true' } as unknown as Env).ADMIN_REQUIRE_2FA).toBe(true);
    expect(getConfig(env as Env).ADMIN_REQUIRE_2FA).toBe(false);
  });

  it('exempts the seeded development admin in development only', () => {
    const session = {
      totpConfirmedAt: null,
      user: { username: 'admin', email: 'admin@stackpay.local', role: 'ADMIN' },
    } as unknown as AdminSession;
    const other = { ...session, user: { ...session.user, email: 'admin@example.com' } } as AdminSession;
    const dev = { APP_ENV: 'development', ADMIN_REQUIRE_2FA: true } as const;
    const prod = { APP_ENV: 'production', ADMIN_REQUIRE_2FA: true } as const;
    expect(isDevAdminExempt(dev, session)).toBe(true);
    expect(mustEnrol(dev, session)).toBe(false);
    expect(mustEnrol(dev, other)).toBe(true);
    expect(mustEnrol(prod, session)).toBe(true);
    expect(mustEnrol({ APP_ENV: 'test', ADMIN_REQUIRE_2FA: true }, session)).toBe(true);
  });
});

describe('step-up on refunds and voids', () => {
  async function refundedCents(id: number) {
    const [row] = await testDb()
      .select({ refundedCents: transactions.refundedCents })
      .from(transactions)
      .where(eq(transactions.id, id));
    return row?.refundedCents;
  }
  const nonceIn = (html: string) => /name="confirmation" value="([0-9a-f]{32})"/.exec(html)?.[1] ?? '';

  it('asks for a fresh code when the last one is older than 5 minutes; refuses without it, accepts with it', async () => {
    const { txn } = await succeededPayment('150.00');
    const { user, browser, enrolled } = await enrolledBrowser();
    // Enrolment just proved the second factor: no code asked within 5 minutes.
    const fresh = await browser.page(`/admin/transactions/${txn.id}/refund?amount=10.00`);
    expect(fresh).not.toContain('name="code"');

    await testDb()
      .update(adminSessions)
      .set({ secondFactorAt: new Date(Date.now() - 6 * 60_000) })
      .where(eq(adminSessions.userId, user.id));
    // As if enrolled an hour ago (a session's code must not predate the enrolment, or it is pending again).
    await testDb()
      .update(userTotp)
      .set({ confirmedAt: new Date(Date.now() - 60 * 60_000) })
      .where(eq(userTotp.userId, user.id));
    const confirmPath = `/admin/transactions/${txn.id}/refund?amount=40.00`;
    const html = await browser.page(confirmPath);
    expect(html).toContain('name="code"');
    const nonce = nonceIn(html);

    const missing = await browser.post(`/admin/transactions/${txn.id}/refund`, {
      amount: '40.00',
      confirmation: nonce,
    });
    expect(missing.status).toBe(303);
    expect(missing.headers.get('Location')).toBe(confirmPath);
    expect(textOf(await browser.page(confirmPath))).toContain('Enter the code from your app.');
    expect(await refundedCents(txn.id)).toBe(0);

    const wrong = await browser.post(`/admin/transactions/${txn.id}/refund`, {
      amount: '40.00',
      confirmation: nonce,
      code: await wrongCode(enrolled),
    });
    expect(wrong.headers.get('Location')).toBe(confirmPath);
    expect(await refundedCents(txn.id)).toBe(0);

    // The refused attempts did not spend the confirmation: the same form goes through with a code.
    const accepted = await browser.post(`/admin/transactions/${txn.id}/refund`, {
      amount: '40.00',
      confirmation: nonce,
      code: await nextCode(enrolled),
    });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('Location')).toBe(`/admin/transactions/${txn.id}`);
    expect(await refundedCents(txn.id)).toBe(40_00);

    // Fresh again for 5 minutes: the void's confirmation asks for no code.
    expect(await browser.page(`/admin/transactions/${txn.id}/void`)).not.toContain('name="code"');
  });

  it('asks nothing of a user without two-factor', async () => {
    const { txn } = await succeededPayment('150.00');
    const admin = await createUser({ role: 'ADMIN' });
    const browser = new AdminBrowser();
    await browser.signIn(admin);
    expect(await browser.page(`/admin/transactions/${txn.id}/refund`)).not.toContain('name="code"');
  });
});

/** Exactly one audit row of `action` on the user, written by `actorId`. */
async function expectAuditedOnce(action: AuditAction, targetId: number, actorId: number): Promise<void> {
  const rows = await testDb()
    .select({ actor: auditLog.actorUserId })
    .from(auditLog)
    .where(and(eq(auditLog.action, action), eq(auditLog.targetId, String(targetId))));
  expect(rows).toEqual([{ actor: actorId }]);
}

describe('an ADMIN manages another user’s sign-in security', () => {
  it('resets a user’s two-factor (audited); STAFF may not', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const now = new Date();
    const enrolment = await beginTotpEnrolment(contextAs(staff, { now }));
    await confirmTotpEnrolment(contextAs(staff, { now }), {
      code: codeForStep(enrolment.secret, Math.floor(now.getTime() / STEP_MS)),
    });

    const staffBrowser = new AdminBrowser();
    await staffBrowser.signIn(await createUser({ role: 'STAFF' }));
    expect((await staffBrowser.send(`/admin/users/${staff.id}/security`)).status).toBe(403);
    const refused = await staffBrowser.post(`/admin/users/${staff.id}/totp-reset`);
    expect(refused.status).toBe(403);

    const admin = await createUser({ role: 'ADMIN' });
    const browser = new AdminBrowser();
    await browser.signIn(admin);
    expect(await browser.page('/admin/users')).toContain(`href="/admin/users/${staff.id}/security"`);
    expect(textOf(await browser.page(`/admin/users/${staff.id}/security`))).toContain(
      'On 10 recovery codes left.',
    );
    const response = await browser.post(`/admin/users/${staff.id}/totp-reset`);
    expect(response.status).toBe(303);
    expect(response.headers.get('Location')).toBe(`/admin/users/${staff.id}/security`);
    const after = textOf(await browser.page(`/admin/users/${staff.id}/security`));
    expect(after).toContain('Two-factor authentication was reset');
    expect(after).toContain('Off');
    expect(await testDb().select().from(userTotp).where(eq(userTotp.userId, staff.id))).toHaveLength(0);
    await expectAuditedOnce('user.totp_reset', staff.id, admin.id);
  });

  it('sends a user a password-reset e-mail (queued and audited)', async () => {
    const user = await createUser();
    const admin = await createUser({ role: 'ADMIN' });
    const browser = new AdminBrowser();
    await browser.signIn(admin);
    const { queue, sent } = recordingQueue();
    browser.envOverrides = { NOTIFICATIONS: queue } as Partial<Env>;
    await browser.page(`/admin/users/${user.id}/security`);
    const response = await browser.post(`/admin/users/${user.id}/password-reset`);
    expect(response.status).toBe(303);
    const mail = sent.find(
      (m): m is Extract<NotificationMessage, { type: 'password_reset' }> => m.type === 'password_reset',
    );
    expect(mail?.to).toBe(user.email);
    expect(mail?.reset_url).toMatch(/\/reset-password#token=[A-Za-z0-9_-]{43}$/);
    expect(textOf(await browser.page(`/admin/users/${user.id}/security`))).toContain(
      'A password-reset e-mail is on its way',
    );
    await expectAuditedOnce('user.password_reset_sent', user.id, admin.id);
  });
});
