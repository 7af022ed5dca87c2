import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { normaliseIdentifier } from '../../src/lib/identity';
import { AdminBrowser, SESSION_COOKIE } from './admin-helpers';
import { api, createUser, DEFAULT_PASSWORD, readJson, testDb, uniqueIp, uniqueName } from './helpers';

/**
 * docs/security.md §1: every identifier a limiter or a uniqueness rule keys on, in spellings the database
 * collation treats as equal (case, accents, zero-width characters, full-width letters, the e-mail address).
 */
const LOGIN = '/api/v1/users/login/';
const SIGN_UP = '/api/v1/users/sign-up/';
const WRONG = 'Wrong-Password9!';

const ACCENTED: Record<string, string> = { a: 'á', e: 'é', i: 'í', o: 'ö', u: 'ü', c: 'ç', n: 'ñ' };
const accented = (s: string) => [...s].map((ch) => ACCENTED[ch] ?? ch).join('');
const fullWidth = (s: string) =>
  [...s]
    .map((ch) => (/[!-~]/.test(ch) ? String.fromCodePoint((ch.codePointAt(0) ?? 0) + 0xfee0) : ch))
    .join('');
const zeroWidth = (s: string) => [...s].join('\u200b');
// Word joiner, zero-width joiner and non-joiner, BOM: ignorable for the collation. (The soft hyphen is not
// ignorable in utf8mb4_unicode_ci, only in MySQL 8's 0900 collations: normalisation drops it all the same.)
const joiners = (s: string) => `${s.slice(0, 2)}\u2060\u200d${s.slice(2, 4)}\u200c\ufeff${s.slice(4)}`;

/** Spellings of `name` that MariaDB's utf8mb4_unicode_ci (and MySQL's utf8mb4_0900_ai_ci) compare equal. */
function spellings(name: string): string[] {
  return [
    name.toUpperCase(),
    accented(name),
    accented(name).toUpperCase(),
    fullWidth(name),
    zeroWidth(name),
    joiners(name),
    ` ${fullWidth(accented(name))} `,
    name.normalize('NFD'),
  ];
}

describe('the spellings used here really are equal for the database', () => {
  it('each spelling compares equal to the name under the schema collation, and normalises to it', async () => {
    const name = 'amira_ice';
    const db = testDb();
    for (const variant of spellings(name)) {
      const result = await db.execute(sql`select ${variant.trim()} = ${name} as same`);
      const row = (result.rows as Array<{ same: number | string }>)[0];
      expect(Number(row?.same), JSON.stringify(variant)).toBe(1);
      expect(normaliseIdentifier(variant)).toBe(name);
    }
  });
});

describe('login: the per-account limit holds for every spelling of the account (issue 13 item 3)', () => {
  it('ten wrong guesses in ten spellings from ten addresses exhaust the account; the right password is then refused', async () => {
    const user = await createUser({ username: uniqueName('spell').toLowerCase() });
    const variants = [...spellings(user.username), user.email, user.email.toUpperCase()];
    for (let i = 0; i < 10; i++) {
      const res = await api(LOGIN, {
        method: 'POST',
        ip: uniqueIp(),
        json: { username: variants[i % variants.length], password: WRONG },
      });
      expect(res.status, `attempt ${i} as ${JSON.stringify(variants[i % variants.length])}`).toBe(401);
      expect(res.headers.get('RateLimit-Policy')).toBe('"login-ip";q=10;w=60, "login-account";q=10;w=60');
    }
    const limited = await api(LOGIN, {
      method: 'POST',
      ip: uniqueIp(),
      json: { username: user.username, password: user.password },
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('RateLimit')).toMatch(/^"login-account";r=0;t=\d+$/);
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0);
  });

  it('a name that resolves to no account is limited on its normalised form', async () => {
    const name = uniqueName('ghost').toLowerCase();
    const variants = spellings(name);
    for (let i = 0; i < 10; i++) {
      const res = await api(LOGIN, {
        method: 'POST',
        ip: uniqueIp(),
        json: { username: variants[i % variants.length], password: WRONG },
      });
      expect(res.status).toBe(401);
    }
    const limited = await api(LOGIN, {
      method: 'POST',
      ip: uniqueIp(),
      json: { username: name, password: WRONG },
    });
    expect(limited.status).toBe(429);
  });

  it('unknown and known names answer alike (same status, body shape and RateLimit headers)', async () => {
    const user = await createUser();
    const known = await api(LOGIN, { method: 'POST', json: { username: user.username, password: WRONG } });
    const unknown = await api(LOGIN, {
      method: 'POST',
      json: { username: uniqueName('nobody'), password: WRONG },
    });
    expect(known.status).toBe(unknown.status);
    expect(known.headers.get('RateLimit-Policy')).toBe(unknown.headers.get('RateLimit-Policy'));
    // Same key names and remaining counts; `t` (seconds to the window's end) may tick between the two calls.
    const withoutReset = (r: Response) => r.headers.get('RateLimit')?.replace(/;t=\d+/, '');
    expect(withoutReset(known)).toBe(withoutReset(unknown));
    const strip = (b: Record<string, unknown>) => ({ ...b, request_id: undefined });
    expect(strip(await readJson(known))).toEqual(strip(await readJson(unknown)));
  });
});

describe('admin sign-in: limited per account too (issue 13 item 4)', () => {
  it('ten wrong passwords from ten addresses, in any spelling, lock the staff account for the window', async () => {
    const staff = await createUser({ role: 'STAFF', username: uniqueName('staff').toLowerCase() });
    const variants = [...spellings(staff.username), staff.email];
    for (let i = 0; i < 10; i++) {
      const browser = new AdminBrowser();
      await browser.page('/admin/');
      const res = await browser.post('/admin/', {
        username: variants[i % variants.length] ?? staff.username,
        password: WRONG,
      });
      expect(res.status, `attempt ${i}`).toBe(401);
      await res.body?.cancel();
    }
    const browser = new AdminBrowser();
    await browser.page('/admin/');
    const res = await browser.post('/admin/', { username: staff.username, password: staff.password });
    expect(res.status).toBe(429);
    expect(res.headers.get('Retry-After')).toMatch(/^\d+$/);
    expect(res.headers.getSetCookie().some((line) => line.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    await res.body?.cancel();
  });
});

describe('sign-up: collation-equal usernames and e-mails are one identity', () => {
  it.each([
    ['accented', (n: string) => accented(n)],
    ['upper case', (n: string) => n.toUpperCase()],
    ['full-width', (n: string) => fullWidth(n)],
  ])(
    'a second account whose username is the first one %s is refused (400), even concurrently',
    async (_label, spell) => {
      const name = `${uniqueName('dup').toLowerCase()}ace`;
      const bodies = [name, spell(name)].map((username, i) => ({
        username,
        email: `${name}.${i}@example.com`,
        password: DEFAULT_PASSWORD,
      }));
      const responses = await Promise.all(
        bodies.map((json) => api(SIGN_UP, { method: 'POST', ip: uniqueIp(), json })),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 400]);
      const refused = responses.find((r) => r.status === 400) ?? responses[0];
      if (!refused) throw new Error('no response');
      expect(Object.keys((await readJson<{ errors: Record<string, string[]> }>(refused)).errors)).toContain(
        'username',
      );
      const rows = await testDb().execute(sql`select count(*) as n from users where username = ${name}`);
      expect(Number((rows.rows as Array<{ n: number }>)[0]?.n)).toBe(1);
    },
  );

  it('a second account with the same e-mail in another case is refused, even concurrently', async () => {
    const name = uniqueName('mail').toLowerCase();
    const responses = await Promise.all(
      [`${name}@example.com`, `${name.toUpperCase()}@EXAMPLE.com`].map((email, i) =>
        api(SIGN_UP, {
          method: 'POST',
          ip: uniqueIp(),
          json: { username: `${name}_${i}`, email, password: DEFAULT_PASSWORD },
        }),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([201, 400]);
  });
});
