import { and, eq, isNull } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { adminSessions, auditLog, passwordTokens, refreshTokens, users } from '../../src/db/schema';
import { sha256Hex } from '../../src/lib/crypto';
import type { NotificationMessage } from '../../src/notifications/messages';
import { AdminBrowser, EXPECTED_CSP, SESSION_COOKIE, signedIn, textOf } from './admin-helpers';
import {
  BASE_URL,
  createUser,
  DEFAULT_PASSWORD,
  recordingQueue,
  testConfig,
  testDb,
  uniqueName,
  uniqueRequestId,
} from './helpers';

type SetPasswordMessage = Extract<NotificationMessage, { type: 'set_password' }>;

async function auditActions(userId: number): Promise<string[]> {
  const rows = await testDb()
    .select({ action: auditLog.action })
    .from(auditLog)
    .where(and(eq(auditLog.targetType, 'user'), eq(auditLog.targetId, String(userId))))
    .orderBy(auditLog.id);
  return rows.map((r) => r.action);
}

async function userRow(id: number) {
  const [row] = await testDb().select().from(users).where(eq(users.id, id));
  if (!row) throw new Error(`no user ${id}`);
  return row;
}

/** An ADMIN on the users page creates a staff account; answers the new user and the e-mail that was queued. */
async function createStaff(
  role: 'STAFF' | 'ADMIN' = 'STAFF',
  extra: Record<string, string> = {},
): Promise<{
  admin: AdminBrowser;
  adminId: number;
  id: number;
  username: string;
  email: string;
  mail: SetPasswordMessage;
}> {
  const adminUser = await createUser({ role: 'ADMIN' });
  const admin = await signedIn(adminUser);
  await admin.page('/admin/users');
  const username = uniqueName('staffer');
  const email = `${username.toLowerCase()}@example.com`;
  const { queue, sent } = recordingQueue();
  const response = await admin.send('/admin/users/new', {
    form: { username, email: email.toUpperCase(), role_management: role, ...extra },
    env: { NOTIFICATIONS: queue },
  });
  expect(response.status, await response.clone().text()).toBe(303);
  expect(response.headers.get('Location')).toBe('/admin/users');
  expect(sent).toHaveLength(1);
  const mail = sent[0] as SetPasswordMessage;
  const [row] = await testDb().select({ id: users.id }).from(users).where(eq(users.username, username));
  if (!row) throw new Error('staff user not created');
  return { admin, adminId: adminUser.id, id: row.id, username, email, mail };
}

/** The path and token of the e-mailed link. */
function linkParts(mail: SetPasswordMessage): { path: string; token: string } {
  const url = new URL(mail.link);
  // PUBLIC_BASE_URL when configured, otherwise the request's origin.
  expect(url.origin).toBe(new URL(testConfig().PUBLIC_BASE_URL ?? BASE_URL).origin);
  expect(url.pathname).toBe('/admin/set-password');
  const token = url.searchParams.get('token') ?? '';
  return { path: `${url.pathname}${url.search}`, token };
}

const NEW_PASSWORD = 'Lantern-Oak73!';

describe('staff created from the admin set their own password (docs/admin.md §1)', () => {
  it('ADMIN creates a STAFF user: no usable password, audited, a single-use set-password e-mail', async () => {
    const { admin, adminId, id, username, email, mail } = await createStaff('STAFF');
    expect(mail).toMatchObject({
      type: 'set_password',
      to: email,
      user_id: id,
      username,
      valid_hours: 72,
    });
    const { token } = linkParts(mail);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
    const row = await userRow(id);
    expect(row).toMatchObject({ role: 'STAFF', isStaff: true, isActive: true, email });
    expect(row.passwordHash.startsWith('!unusable$')).toBe(true);
    // Only the SHA-256 of the token is stored, with its purpose and a 72-hour life.
    const [stored] = await testDb().select().from(passwordTokens).where(eq(passwordTokens.userId, id));
    expect(stored?.tokenHash).toBe(await sha256Hex(token));
    expect(stored?.purpose).toBe('set_password');
    const lifeHours = ((stored?.expiresAt.getTime() ?? 0) - (stored?.createdAt.getTime() ?? 0)) / 3_600_000;
    expect(lifeHours).toBe(72);
    const audit = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetType, 'user'), eq(auditLog.targetId, String(id))));
    expect(audit.map((a) => a.action).sort()).toEqual(['user.create_staff', 'user.set_password_email']);
    expect(audit.every((a) => a.actorUserId === adminId)).toBe(true);
    expect(JSON.stringify(audit)).not.toContain(token);
    const page = textOf(await admin.page('/admin/users'));
    expect(page).toContain(`${username} (STAFF) was created.`);
    // Nobody knows a password for the account yet: sign-in is refused.
    const browser = new AdminBrowser();
    await browser.page('/admin/');
    const refused = await browser.post('/admin/', { username, password: DEFAULT_PASSWORD });
    expect(refused.status).toBe(401);
  });

  it('the link sets the password (policy enforced), works once, and the staff member signs in', async () => {
    const { id, username, mail } = await createStaff('ADMIN');
    const { path, token } = linkParts(mail);
    const browser = new AdminBrowser();
    const form = await browser.send(path);
    const html = await form.text();
    expect(form.status).toBe(200);
    expect(form.headers.get('Content-Security-Policy')).toBe(EXPECTED_CSP);
    expect(form.headers.get('Referrer-Policy')).toBe('no-referrer');
    expect(form.headers.get('Cache-Control')).toBe('no-store');
    expect(textOf(html)).toContain(`Choose the password for ${username}`);
    expect(html).not.toMatch(/<script/i);

    // The password policy refuses a weak password; the token stays usable.
    const weak = await browser.post('/admin/set-password', { token, password: 'password' });
    expect(weak.status).toBe(400);
    const weakText = textOf(await weak.text());
    expect(weakText).toContain('This password is too common.');
    expect((await userRow(id)).passwordHash.startsWith('!unusable$')).toBe(true);

    const requestId = uniqueRequestId('set-password');
    const done = await browser.send('/admin/set-password', {
      form: { token, password: NEW_PASSWORD },
      headers: { Origin: 'null' }, // what a browser sends from a no-referrer page
      requestId,
    });
    expect(done.status).toBe(200);
    expect(textOf(await done.text())).toContain('Your password is set');
    const row = await userRow(id);
    expect(row.isActive).toBe(true);
    expect(row.passwordHash.startsWith('pbkdf2')).toBe(true);
    expect(row.tokensValidAfter).not.toBeNull();
    expect(await auditActions(id)).toContain('user.set_password');

    // Used once: the same link (GET and POST) is refused, and the password did not change again.
    const again = await browser.post('/admin/set-password', { token, password: 'Another-Pass99!' });
    expect(again.status).toBe(400);
    expect(textOf(await again.text())).toContain('This link is invalid, already used');
    expect((await browser.send(path)).status).toBe(400);
    expect((await userRow(id)).passwordHash).toBe(row.passwordHash);

    // The new ADMIN signs in to the admin with the password they chose.
    const signedInBrowser = new AdminBrowser();
    await signedInBrowser.signIn({ username, password: NEW_PASSWORD });
    expect(signedInBrowser.cookies.has(SESSION_COOKIE)).toBe(true);
    expect(textOf(await signedInBrowser.page('/admin/users'))).toContain('Add a staff member');
  });

  it("nobody sets another's password: no password field on creation, forged/other tokens refused, STAFF cannot create", async () => {
    // A password sent with the creation form is ignored: the account still has no usable password.
    const { id, username, mail } = await createStaff('STAFF', { password: DEFAULT_PASSWORD });
    expect((await userRow(id)).passwordHash.startsWith('!unusable$')).toBe(true);
    const probe = new AdminBrowser();
    await probe.page('/admin/');
    expect((await probe.post('/admin/', { username, password: DEFAULT_PASSWORD })).status).toBe(401);

    // Tokens that are not this user's live one: random, malformed, the hash itself.
    const { token } = linkParts(mail);
    const browser = new AdminBrowser();
    for (const forged of ['A'.repeat(43), 'short', await sha256Hex(token), `${token}x`, '']) {
      const res = await browser.post('/admin/set-password', { token: forged, password: NEW_PASSWORD });
      expect(res.status, forged).toBe(400);
    }
    // Another account's link sets only that account's password.
    const other = await createStaff('STAFF');
    const ok = await browser.post('/admin/set-password', {
      token: linkParts(other.mail).token,
      password: NEW_PASSWORD,
    });
    expect(ok.status).toBe(200);
    expect((await userRow(id)).passwordHash.startsWith('!unusable$')).toBe(true);
    expect((await userRow(other.id)).passwordHash.startsWith('pbkdf2')).toBe(true);

    // An existing user with a password cannot be sent a set-password link (409, shown as a flash).
    const existing = await createUser({ role: 'STAFF' });
    const { queue, sent } = recordingQueue();
    await other.admin.page('/admin/users');
    const refused = await other.admin.send(`/admin/users/${existing.id}/set-password-link`, {
      form: { back: '/admin/users' },
      env: { NOTIFICATIONS: queue },
    });
    expect(refused.status).toBe(303);
    expect(sent).toHaveLength(0);
    expect(textOf(await other.admin.page('/admin/users'))).toContain('This account already has a password');

    // STAFF may not create staff accounts.
    const staff = await signedIn(await createUser({ role: 'STAFF' }));
    await staff.page('/admin/users');
    const forbidden = await staff.post('/admin/users/new', {
      username: uniqueName('sneaky'),
      email: `${uniqueName('sneaky')}@example.com`,
      role_management: 'ADMIN',
    });
    expect(forbidden.status).toBe(403);
    expect(textOf(await forbidden.text())).toContain('Only ADMIN users can create staff accounts.');
  });

  it('a re-sent link replaces the old one; bad input and duplicates are refused with messages', async () => {
    const { admin, id, username, mail } = await createStaff('STAFF');
    const { queue, sent } = recordingQueue();
    await admin.page('/admin/users');
    const resent = await admin.send(`/admin/users/${id}/set-password-link`, {
      form: { back: '/admin/users' },
      env: { NOTIFICATIONS: queue },
    });
    expect(resent.status).toBe(303);
    expect(sent).toHaveLength(1);
    const fresh = sent[0] as SetPasswordMessage;
    const browser = new AdminBrowser();
    expect(
      (await browser.post('/admin/set-password', { token: linkParts(mail).token, password: NEW_PASSWORD }))
        .status,
    ).toBe(400);
    expect(
      (await browser.post('/admin/set-password', { token: linkParts(fresh).token, password: NEW_PASSWORD }))
        .status,
    ).toBe(200);

    await admin.page('/admin/users');
    const duplicate = await admin.post('/admin/users/new', {
      username: username.toUpperCase(),
      email: 'not-an-email',
      role_management: 'CUSTOMER',
    });
    expect(duplicate.status).toBe(303);
    const flash = textOf(await admin.page('/admin/users'));
    expect(flash).toContain('E-mail: Enter a valid email address.');
    expect(flash).toContain('Role: Choose STAFF or ADMIN.');
  });

  it('when the queue refuses the e-mail the account still exists and the admin is told to re-send', async () => {
    const admin = await signedIn(await createUser({ role: 'ADMIN' }));
    await admin.page('/admin/users');
    const username = uniqueName('unlucky');
    const { queue } = recordingQueue({ failing: true });
    const response = await admin.send('/admin/users/new', {
      form: { username, email: `${username.toLowerCase()}@example.com`, role_management: 'STAFF' },
      env: { NOTIFICATIONS: queue },
    });
    expect(response.status).toBe(303);
    expect(textOf(await admin.page('/admin/users'))).toContain('the e-mail could not be queued');
    const [row] = await testDb().select().from(users).where(eq(users.username, username));
    expect(row?.passwordHash.startsWith('!unusable$')).toBe(true);
    const { queue: working, sent } = recordingQueue();
    const resent = await admin.send(`/admin/users/${row?.id}/set-password-link`, {
      form: { back: '/admin/users' },
      env: { NOTIFICATIONS: working },
    });
    expect(resent.status).toBe(303);
    expect(sent).toHaveLength(1);
    const browser = new AdminBrowser();
    const done = await browser.post('/admin/set-password', {
      token: linkParts(sent[0] as SetPasswordMessage).token,
      password: NEW_PASSWORD,
    });
    expect(done.status).toBe(200);
  });
});

describe('role changes and deactivation of staff (docs/admin.md §1)', () => {
  it('deactivation is audited and ends admin sessions, refresh-token families and unused links; reactivation is audited', async () => {
    const target = await createUser({ role: 'STAFF' });
    const targetBrowser = await signedIn(target);
    const adminUser = await createUser({ role: 'ADMIN' });
    const admin = await signedIn(adminUser);
    await admin.page(`/admin/users?search=${target.username}`);
    const off = await admin.post(`/admin/users/${target.id}`, {
      role_management: 'STAFF',
      is_active: 'false',
    });
    expect(off.status).toBe(303);
    expect(textOf(await admin.page('/admin/users'))).toContain(
      `${target.username} is now STAFF, inactive. 1 admin session ended.`,
    );
    const sessions = await testDb().select().from(adminSessions).where(eq(adminSessions.userId, target.id));
    expect(sessions.every((s) => s.revokedAt !== null)).toBe(true);
    const live = await testDb()
      .select()
      .from(refreshTokens)
      .where(and(eq(refreshTokens.userId, target.id), isNull(refreshTokens.revokedAt)));
    expect(live).toHaveLength(0);
    expect((await userRow(target.id)).tokensValidAfter).not.toBeNull();
    expect((await targetBrowser.send('/admin/users')).status).toBe(303);

    const on = await admin.post(`/admin/users/${target.id}`, { role_management: 'ADMIN', is_active: 'true' });
    expect(on.status).toBe(303);
    const actions = await auditActions(target.id);
    expect(actions).toEqual(['user.activation', 'user.role_change', 'user.activation']);
    const [last] = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, String(target.id)), eq(auditLog.action, 'user.role_change')));
    expect(last?.details).toEqual({ from: 'STAFF', to: 'ADMIN' });
    expect(last?.actorUserId).toBe(adminUser.id);
  });

  it('deactivating a staff member who has not set a password yet kills their link', async () => {
    const { admin, id, mail } = await createStaff('STAFF');
    await admin.page('/admin/users');
    expect(
      (await admin.post(`/admin/users/${id}`, { role_management: 'STAFF', is_active: 'false' })).status,
    ).toBe(303);
    const browser = new AdminBrowser();
    const res = await browser.post('/admin/set-password', {
      token: linkParts(mail).token,
      password: NEW_PASSWORD,
    });
    expect(res.status).toBe(400);
    expect(await auditActions(id)).toContain('user.activation');
    const row = await userRow(id);
    expect(row.isActive).toBe(false);
    expect(row.passwordHash.startsWith('!unusable$')).toBe(true);
  });
});
