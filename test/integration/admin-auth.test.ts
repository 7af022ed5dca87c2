import { exports } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { adminSessions, users } from '../../src/db/schema';
import {
  ADMIN_CSS_VERSION,
  AdminBrowser,
  EXPECTED_CSP,
  expectSecurityHeaders,
  SESSION_COOKIE,
  signedIn,
  textOf,
} from './admin-helpers';
import {
  createUser,
  roomInMinuteWindow,
  roundTrips,
  setActive,
  testDb,
  uniqueIp,
  uniqueRequestId,
} from './helpers';

const SIGN_IN_FAILED = 'Wrong username or password, or this account may not use the admin.';

/** Each test's own session rows, found by user. */
async function sessionsOf(userId: number) {
  return testDb().select().from(adminSessions).where(eq(adminSessions.userId, userId));
}

describe('admin sign-in (docs/api.md §8)', () => {
  it('GET /admin/ without a session shows the sign-in form with username and password fields', async () => {
    const browser = new AdminBrowser();
    const response = await browser.send('/admin/');
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toMatch(/^text\/html/);
    expectSecurityHeaders(response);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('name="username"');
    expect(html).toContain('name="password"');
    expect(html).toMatch(/<form method="post" action="\/admin\/"/);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain(`/admin/static/admin.css?v=${ADMIN_CSS_VERSION}`);
  });

  it('/admin without the trailing slash is the same page, without a redirect', async () => {
    const response = await new AdminBrowser().send('/admin');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('name="username"');
  });

  it.each(['STAFF', 'ADMIN'] as const)(
    '%s signs in: 303 to the dashboard and a locked-down session cookie',
    async (role) => {
      const user = await createUser({ role });
      const browser = new AdminBrowser();
      await browser.page('/admin/');
      const requestId = uniqueRequestId('admin-sign-in');
      const response = await browser.post(
        '/admin/',
        { username: user.username, password: user.password },
        { requestId },
      );
      expect(response.status).toBe(303);
      expect(response.headers.get('Location')).toBe('/admin/');
      // the user lookup, then session INSERT, last_login UPDATE and dead-session DELETE side by side
      expect(await roundTrips(requestId)).toBe(4);
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? '';
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/; SameSite=Strict/);
      expect(cookie).toMatch(/; Path=\/admin(;|$)/);
      expect(cookie).toMatch(/; Max-Age=28800/);
      const value = /^stackpay_admin_session=([^;]+)/.exec(cookie)?.[1] ?? '';
      expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const [stored] = await sessionsOf(user.id);
      expect(stored?.sessionHash).toMatch(/^[0-9a-f]{64}$/);
      expect(stored?.sessionHash).not.toContain(value);
      const [row] = await testDb()
        .select({ lastLogin: users.lastLogin })
        .from(users)
        .where(eq(users.id, user.id));
      expect(row?.lastLogin).not.toBeNull();

      const html = await browser.page('/admin/');
      expect(textOf(html)).toContain('Dashboard');
      expect(textOf(html)).toContain(user.username);
    },
  );

  it('a login is case-insensitive on the username, like the API', async () => {
    const user = await createUser({ role: 'STAFF' });
    await new AdminBrowser().signIn({ username: user.username.toUpperCase(), password: user.password });
  });

  const refusals: Array<[string, () => Promise<{ username: string; password: string }>]> = [
    [
      'a wrong password',
      async () => ({ username: (await createUser({ role: 'ADMIN' })).username, password: 'Wrong-Pass1!' }),
    ],
    [
      'an unknown username',
      async () => ({ username: `nobody_${crypto.randomUUID().slice(0, 8)}`, password: 'Whatever-1!' }),
    ],
    [
      'a CUSTOMER with the right password',
      async () => {
        const u = await createUser();
        return { username: u.username, password: u.password };
      },
    ],
    [
      'an inactive STAFF user with the right password',
      async () => {
        const u = await createUser({ role: 'STAFF', active: false });
        return { username: u.username, password: u.password };
      },
    ],
  ];
  it.each(refusals)('%s gets the same generic 401 page and no session', async (_case, credentials) => {
    const browser = new AdminBrowser();
    await browser.page('/admin/');
    const response = await browser.post('/admin/', await credentials());
    const html = await response.text();
    expect(response.status).toBe(401);
    expectSecurityHeaders(response);
    expect(textOf(html)).toContain(SIGN_IN_FAILED);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it('a sign-in without the form token is refused with 403 and creates no session', async () => {
    const user = await createUser({ role: 'ADMIN' });
    const browser = new AdminBrowser();
    await browser.page('/admin/');
    const response = await browser.post(
      '/admin/',
      { username: user.username, password: user.password },
      { withoutCsrf: true },
    );
    expect(response.status).toBe(403);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(await sessionsOf(user.id)).toHaveLength(0);
  });

  it('a sign-in whose token does not match its cookie (login CSRF) is refused', async () => {
    const user = await createUser({ role: 'ADMIN' });
    const browser = new AdminBrowser();
    await browser.page('/admin/');
    const response = await browser.post('/admin/', {
      username: user.username,
      password: user.password,
      csrf_token: 'a'.repeat(64),
    });
    expect(response.status).toBe(403);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it('a sign-in posted from another origin is refused', async () => {
    const user = await createUser({ role: 'ADMIN' });
    const browser = new AdminBrowser();
    await browser.page('/admin/');
    const response = await browser.post(
      '/admin/',
      { username: user.username, password: user.password },
      { headers: { Origin: 'https://evil.example' } },
    );
    expect(response.status).toBe(403);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it('after signing in, the browser goes back to the page it asked for (local admin pages only)', async () => {
    const user = await createUser({ role: 'STAFF' });
    const browser = new AdminBrowser();
    const redirect = await browser.send('/admin/customers?search=x');
    expect(redirect.status).toBe(303);
    expect(redirect.headers.get('Location')).toBe('/admin/?next=%2Fadmin%2Fcustomers%3Fsearch%3Dx');
    const html = await browser.page('/admin/?next=%2Fadmin%2Fcustomers%3Fsearch%3Dx');
    expect(html).toContain('name="next" value="/admin/customers?search=x"');
    const response = await browser.post('/admin/', {
      username: user.username,
      password: user.password,
      next: '/admin/customers?search=x',
    });
    expect(response.headers.get('Location')).toBe('/admin/customers?search=x');

    const other = new AdminBrowser();
    await other.page('/admin/');
    const evil = await other.post('/admin/', {
      username: user.username,
      password: user.password,
      next: '//evil.example/',
    });
    expect(evil.headers.get('Location')).toBe('/admin/');
  });

  it('sign-in is limited to 10 attempts a minute per address (429 page with Retry-After)', async () => {
    await roomInMinuteWindow();
    const browser = new AdminBrowser();
    await browser.page('/admin/');
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await browser.post('/admin/', { username: 'nobody-here', password: 'Wrong-Pass1!' });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers.get('Retry-After')).toMatch(/^\d+$/);
        expect(response.headers.get('Content-Type')).toMatch(/^text\/html/);
        expectSecurityHeaders(response);
      }
      await response.body?.cancel();
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
  });
});

describe('admin sessions', () => {
  it('pages without a session redirect to sign-in; POSTs without one get a 403 page', async () => {
    const browser = new AdminBrowser();
    const get = await browser.send('/admin/users');
    expect(get.status).toBe(303);
    expect(get.headers.get('Location')).toBe('/admin/?next=%2Fadmin%2Fusers');
    const post = await browser.post('/admin/logout', { csrf_token: 'x' });
    expect(post.status).toBe(403);
    expectSecurityHeaders(post);
  });

  it('a forged or unknown session cookie is no session', async () => {
    const browser = new AdminBrowser();
    browser.cookies.set(SESSION_COOKIE, 'A'.repeat(43));
    expect((await browser.send('/admin/users')).status).toBe(303);
    browser.cookies.set(SESSION_COOKIE, 'not a token');
    expect((await browser.send('/admin/users')).status).toBe(303);
  });

  it('sign-out (POST with the token) revokes the session in the database and clears the cookie', async () => {
    const user = await createUser({ role: 'STAFF' });
    const browser = await signedIn(user);
    const stolen = browser.cookies.get(SESSION_COOKIE) ?? '';
    const response = await browser.post('/admin/logout');
    expect(response.status).toBe(303);
    expect(response.headers.get('Location')).toBe('/admin/');
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    const [row] = await sessionsOf(user.id);
    expect(row?.revokedAt).not.toBeNull();
    expect(textOf(await browser.page('/admin/'))).toContain('You have signed out.');

    const replay = new AdminBrowser();
    replay.cookies.set(SESSION_COOKIE, stolen);
    expect((await replay.send('/admin/users')).status).toBe(303);
  });

  it('sign-out without the CSRF token is refused and the session stays', async () => {
    const user = await createUser({ role: 'STAFF' });
    const browser = await signedIn(user);
    const response = await browser.post('/admin/logout', {}, { withoutCsrf: true });
    expect(response.status).toBe(403);
    expect(textOf(await response.text())).toContain('could not be verified');
    expect((await browser.send('/admin/users')).status).toBe(200);
  });

  const endings: Array<[string, (userId: number) => Promise<void>]> = [
    ['the user is deactivated', (id) => setActive(id, false)],
    [
      'the user becomes a CUSTOMER',
      async (id) => {
        await testDb().update(users).set({ role: 'CUSTOMER', isStaff: false }).where(eq(users.id, id));
      },
    ],
    [
      'the user’s tokens are revoked (password change)',
      async (id) => {
        await testDb()
          .update(users)
          .set({ tokensValidAfter: new Date(Date.now() + 1000) })
          .where(eq(users.id, id));
      },
    ],
    [
      'the session is past its absolute lifetime',
      async (id) => {
        await testDb()
          .update(adminSessions)
          .set({ expiresAt: new Date(Date.now() - 1000) })
          .where(eq(adminSessions.userId, id));
      },
    ],
    [
      'the session was idle for more than an hour',
      async (id) => {
        await testDb()
          .update(adminSessions)
          .set({ lastSeenAt: new Date(Date.now() - 61 * 60 * 1000) })
          .where(eq(adminSessions.userId, id));
      },
    ],
  ];
  it.each(endings)('the session ends when %s', async (_case, end) => {
    const user = await createUser({ role: 'STAFF' });
    const browser = await signedIn(user);
    expect((await browser.send('/admin/customers')).status).toBe(200);
    await end(user.id);
    const response = await browser.send('/admin/customers');
    expect(response.status).toBe(303);
    expect(response.headers.get('Location')).toMatch(/^\/admin\/\?next=/);
  });

  it('an ADMIN demoted to STAFF loses admin-only actions on the very next request', async () => {
    const admin = await createUser({ role: 'ADMIN' });
    const target = await createUser();
    const browser = await signedIn(admin);
    await browser.page('/admin/users');
    await testDb().update(users).set({ role: 'STAFF' }).where(eq(users.id, admin.id));
    const response = await browser.post(`/admin/users/${target.id}`, {
      role_management: 'STAFF',
      is_active: 'true',
      was_role: 'CUSTOMER',
      was_active: 'true',
    });
    expect(response.status).toBe(403);
  });
});

describe('admin plumbing', () => {
  // The stylesheet is a static asset now (public/admin/static/admin.css): the asset server answers it before
  // the Worker runs, so its headers are checked in test/e2e/docs.test.ts against `wrangler dev`, and its
  // content and fingerprint in test/unit/static-assets.test.ts. The Worker itself no longer serves it.
  it('the Worker does not serve the stylesheet itself', async () => {
    const response = await new AdminBrowser().send(`/admin/static/admin.css?v=${ADMIN_CSS_VERSION}`);
    expect(response.status).toBe(404);
    await response.body?.cancel();
  });

  it('an unknown admin path is an HTML 404 page with the security headers', async () => {
    const response = await new AdminBrowser().send('/admin/no-such-page');
    expect(response.status).toBe(404);
    expect(response.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(response.headers.get('Content-Security-Policy')).toBe(EXPECTED_CSP);
    expect(textOf(await response.text())).toContain('Page not found');
  });

  it('a wrong method on a known path is a 405 page with Allow', async () => {
    const response = await new AdminBrowser().send('/admin/users', { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('Allow')).toBe('GET, HEAD');
    await response.body?.cancel();
  });

  it('a body that is not a form is refused with a 415 page, an oversized form with 413', async () => {
    const json = await exports.default.fetch(
      new Request('https://stackpay.test/admin/', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': uniqueIp() },
        body: '{"username":"a","password":"b"}',
      }),
    );
    expect(json.status).toBe(415);
    expect(json.headers.get('Content-Type')).toMatch(/^text\/html/);
    await json.body?.cancel();
    const large = await new AdminBrowser().post('/admin/', { username: 'x'.repeat(20_000), password: 'y' });
    expect(large.status).toBe(413);
    await large.body?.cancel();
  });
});
