import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { transactions } from '../../src/db/schema';
import type { Env } from '../../src/env';
import { AppError } from '../../src/lib/errors';
import { checkReturnUrl } from '../../src/transactions/return-url';
import type { TransactionView } from '../../src/transactions/schemas';
import { TEST_SECRETS } from '../test-env';
import { signedIn, textOf } from './admin-helpers';
import {
  type ApiInit,
  api,
  apiWithEnv,
  createUser,
  type Problem,
  readJson,
  type TestUser,
  testConfig,
  testDb,
  uniqueName,
} from './helpers';
import {
  addFault,
  CARDS,
  clearFaults,
  createPayer,
  pay,
  TXN,
  transactionRow,
  transactionsOfCustomer,
  WEBHOOK,
} from './transactions-support';

/** docs/api.md §4.9: the merchant's own data on a payment. */

const SHOP = 'https://shop.example';
const LOCAL_SHOP = 'http://127.0.0.1:9911';
const SIGNING_SECRET = TEST_SECRETS.RETURN_URL_SIGNING_SECRET;
const MERCHANT_ENV: Partial<Env> = {
  RETURN_URL_ALLOWED_ORIGINS: `${SHOP}, ${LOCAL_SHOP}`,
  RETURN_URL_SIGNING_SECRET: SIGNING_SECRET,
};

type Page = { count: number; results: TransactionView[] };

afterEach(clearFaults);

function create(payer: TestUser, body: unknown, init: ApiInit = {}, env = MERCHANT_ENV): Promise<Response> {
  return apiWithEnv(TXN, { method: 'POST', token: payer.access, json: body, ...init }, env);
}

/** A raw JSON body (for what JSON.stringify cannot produce from a literal: `__proto__` keys, lone surrogates). */
function createRaw(payer: TestUser, body: string): Promise<Response> {
  return apiWithEnv(
    TXN,
    { method: 'POST', token: payer.access, body, headers: { 'Content-Type': 'application/json' } },
    MERCHANT_ENV,
  );
}

async function created(response: Response): Promise<TransactionView> {
  const text = await response.text();
  expect(response.status, text).toBe(201);
  return JSON.parse(text) as TransactionView;
}

async function expectFieldError(response: Response, field: string): Promise<string[]> {
  const problem = await readJson<Problem & { errors?: Record<string, string[]> }>(response);
  expect(response.status, JSON.stringify(problem)).toBe(400);
  expect(problem.code).toBe('validation_error');
  expect(problem.errors?.[field], JSON.stringify(problem)).toBeDefined();
  return problem.errors?.[field] ?? [];
}

/** The shop's check, written independently of src/: hex HMAC-SHA256 of `transaction=<id>&status=<status>`. */
async function shopSignature(transactionId: string, status: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(SIGNING_SECRET),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign(
    'HMAC',
    key,
    new TextEncoder().encode(`transaction=${transactionId}&status=${status}`),
  );
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function redirectPath(redirectUrl: string): string {
  const url = new URL(redirectUrl);
  expect(url.pathname).toBe(WEBHOOK);
  return `${url.pathname}${url.search}`;
}

/** The result page's "Return to the shop" link, HTML-unescaped, or undefined. */
function returnLink(html: string): string | undefined {
  const href = /<a id="return-link"[^>]*href="([^"]*)"/.exec(html)?.[1];
  return href
    ?.replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}

describe('POST txn/ — merchant_reference, metadata, description, return_url', () => {
  it('are stored and returned on create, read, list and the merchant_reference filter', async () => {
    const payer = await createPayer();
    const reference = `order-${uniqueName('ref')}`;
    const metadata = { order_id: '1042', note: 'ünïcødé ✓ 🚀', empty: '' };
    const txn = await created(
      await create(payer, {
        amount: '120.00',
        merchant_reference: reference,
        metadata,
        description: 'Two notebooks\nand a pen',
        return_url: `${SHOP}/orders/1042/paid?lang=ar#top`,
      }),
    );
    const expected = {
      merchant_reference: reference,
      metadata,
      description: 'Two notebooks\nand a pen',
      return_url: `${SHOP}/orders/1042/paid?lang=ar#top`,
    };
    expect(txn).toMatchObject({ ...expected, status: 'pending' });

    const read = await readJson<TransactionView>(await api(`${TXN}${txn.id}/`, { token: payer.access }));
    expect(read).toMatchObject(expected);

    const list = await readJson<Page>(await api(TXN, { token: payer.access }));
    expect(list.results.find((t) => t.id === txn.id)).toMatchObject(expected);

    const found = await readJson<Page>(
      await api(`${TXN}?merchant_reference=${encodeURIComponent(reference)}`, { token: payer.access }),
    );
    expect(found.count).toBe(1);
    expect(found.results[0]).toMatchObject({ id: txn.id, ...expected });

    // Exact: another case or surrounding space is another reference (a space is refused as a reference).
    const upper = await readJson<Page>(
      await api(`${TXN}?merchant_reference=${encodeURIComponent(reference.toUpperCase())}`, {
        token: payer.access,
      }),
    );
    expect(upper.count).toBe(0);
    const spaced = await api(`${TXN}?merchant_reference=${encodeURIComponent(`${reference} `)}`, {
      token: payer.access,
    });
    await expectFieldError(spaced, 'merchant_reference');
    const tooLong = await api(`${TXN}?merchant_reference=${'r'.repeat(65)}`, { token: payer.access });
    await expectFieldError(tooLong, 'merchant_reference');

    // Another customer's reference is not found by this customer; staff find it.
    const other = await createPayer();
    const theirs = await readJson<Page>(
      await api(`${TXN}?merchant_reference=${encodeURIComponent(reference)}`, { token: other.access }),
    );
    expect(theirs.count).toBe(0);
    const staff = await createUser({ role: 'STAFF' });
    const staffView = await readJson<Page>(
      await api(`${TXN}?merchant_reference=${encodeURIComponent(reference)}`, { token: staff.access }),
    );
    expect(staffView.results.map((t) => t.id)).toEqual([txn.id]);

    const row = await transactionRow(txn.id);
    expect(row).toMatchObject({
      merchantReference: reference,
      metadata,
      description: 'Two notebooks\nand a pen',
      returnUrl: `${SHOP}/orders/1042/paid?lang=ar#top`,
    });
  });

  it('without them: null fields and `{}` metadata; the limits themselves are accepted', async () => {
    const payer = await createPayer();
    const plain = await created(await create(payer, { amount: '10.00' }));
    expect(plain).toMatchObject({
      merchant_reference: null,
      metadata: {},
      description: null,
      return_url: null,
    });

    const metadata = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [
        `${String(i).padStart(2, '0')}${'k'.repeat(38)}`,
        'v'.repeat(500),
      ]),
    );
    const full = await created(
      await create(payer, {
        amount: '10.00',
        merchant_reference: 'R'.repeat(64),
        metadata,
        description: 'd'.repeat(255),
      }),
    );
    expect(full.metadata).toEqual(metadata);
    expect(full.merchant_reference).toBe('R'.repeat(64));
    expect(full.description).toHaveLength(255);
  });

  it('unicode references and metadata round-trip; a `__proto__` key stays a plain key', async () => {
    const payer = await createPayer();
    const reference = `طلب-١٠٤٢-${uniqueName('u')}`;
    const txn = await created(
      await createRaw(
        payer,
        `{"amount":"10.00","merchant_reference":${JSON.stringify(reference)},"metadata":{"__proto__":"x","constructor":"y","ключ":"😀"}}`,
      ),
    );
    expect(txn.merchant_reference).toBe(reference);
    expect(Object.entries(txn.metadata)).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
      ['ключ', '😀'],
    ]);
    const found = await readJson<Page>(
      await api(`${TXN}?merchant_reference=${encodeURIComponent(reference)}`, { token: payer.access }),
    );
    expect(found.results.map((t) => t.id)).toEqual([txn.id]);
  });
});

describe('POST txn/ — every limit is a 400 on its field, and nothing is written', () => {
  it('metadata: count, key length and characters, value type and length, shape, null, lone surrogates', async () => {
    const payer = await createPayer();
    const tooMany = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
    const cases: Array<[string, unknown, RegExp]> = [
      ['21 keys', tooMany, /no more than 20 keys/],
      ['a 41-character key', { ['k'.repeat(41)]: 'v' }, /longer than 40 characters/],
      ['a key with [', { 'a[b]': 'v' }, /square brackets/],
      ['a blank key', { '': 'v' }, /may not be blank/],
      ['a 501-character value', { k: 'v'.repeat(501) }, /longer than 500 characters/],
      ['a number value', { k: 5 }, /must be a string, not number/],
      ['a null value', { k: null }, /must be a string, not null/],
      ['a nested object', { k: { nested: 'v' } }, /must be a string, not object/],
      ['a list value', { k: ['v'] }, /must be a string, not a list/],
      ['a boolean value', { k: true }, /must be a string, not boolean/],
      ['a control character', { k: 'a\u0000b' }, /control characters/],
      ['metadata as a list', ['a', 'b'], /Expected a dictionary/],
      ['metadata as a string', 'order=1', /Expected a dictionary/],
      ['metadata null', null, /may not be null/],
    ];
    for (const [label, metadata, message] of cases) {
      const messages = await expectFieldError(await create(payer, { amount: '10.00', metadata }), 'metadata');
      expect(messages.join(' '), label).toMatch(message);
    }
    // A lone surrogate in a key or a value (legal JSON, not storable text).
    for (const raw of ['{"k":"\\ud800"}', '{"\\udc00":"v"}']) {
      const messages = await expectFieldError(
        await createRaw(payer, `{"amount":"10.00","metadata":${raw}}`),
        'metadata',
      );
      expect(messages.join(' ')).toMatch(/lone surrogates/);
    }
    // A hostile body with thousands of huge keys: a short answer naming the first few.
    const huge = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`${i}${'x'.repeat(10_000)}`, 'v']));
    const messages = await expectFieldError(
      await create(payer, { amount: '10.00', metadata: huge }),
      'metadata',
    );
    expect(messages.length).toBeLessThanOrEqual(5);
    expect(messages.join(' ').length).toBeLessThan(1000);
    expect(await transactionsOfCustomer(payer.customerId)).toEqual([]);
  });

  it('merchant_reference, description and return_url: length, type, null, blank, control characters', async () => {
    const payer = await createPayer();
    const cases: Array<[string, Record<string, unknown>]> = [
      ['merchant_reference', { merchant_reference: 'r'.repeat(65) }],
      ['merchant_reference', { merchant_reference: '' }],
      ['merchant_reference', { merchant_reference: ' order-1' }],
      ['merchant_reference', { merchant_reference: 'order-1 ' }],
      ['merchant_reference', { merchant_reference: 'order\n1' }],
      ['merchant_reference', { merchant_reference: 1042 }],
      ['merchant_reference', { merchant_reference: null }],
      ['merchant_reference', { merchant_reference: ['order-1'] }],
      ['description', { description: 'd'.repeat(256) }],
      ['description', { description: 'a\u0007b' }],
      ['description', { description: null }],
      ['description', { description: { text: 'x' } }],
      ['return_url', { return_url: `${SHOP}/${'p'.repeat(2048)}` }],
      ['return_url', { return_url: null }],
      ['return_url', { return_url: '' }],
      ['return_url', { return_url: 42 }],
    ];
    for (const [field, extra] of cases) {
      const response = await create(payer, { amount: '10.00', ...extra });
      const messages = await expectFieldError(response, field);
      expect(messages.length, JSON.stringify(extra).slice(0, 100)).toBeGreaterThan(0);
    }
    expect(await transactionsOfCustomer(payer.customerId)).toEqual([]);
  });

  it('return_url: a disallowed origin, another scheme, http off loopback, credentials, or none configured', async () => {
    const payer = await createPayer();
    const refused: Array<[string, RegExp]> = [
      ['https://evil.example/paid', /not one of RETURN_URL_ALLOWED_ORIGINS/],
      ['https://shop.example.evil.example/paid', /not one of RETURN_URL_ALLOWED_ORIGINS/],
      ['https://shop.example:8443/paid', /not one of RETURN_URL_ALLOWED_ORIGINS/],
      ['http://shop.example/paid', /https:\/\//],
      ['javascript:alert(1)', /https:\/\//],
      ['data:text/html,hi', /https:\/\//],
      ['//shop.example/paid', /valid absolute URL/],
      ['/orders/1', /valid absolute URL/],
      ['https://user:pass@shop.example/paid', /user name or password/],
      ['http://127.0.0.1:9912/paid', /not one of RETURN_URL_ALLOWED_ORIGINS/],
    ];
    for (const [url, message] of refused) {
      const messages = await expectFieldError(
        await create(payer, { amount: '10.00', return_url: url }),
        'return_url',
      );
      expect(messages.join(' '), url).toMatch(message);
    }
    // The default test configuration allows no origin at all.
    const none = await api(TXN, {
      method: 'POST',
      token: payer.access,
      json: { amount: '10.00', return_url: `${SHOP}/paid` },
    });
    expect((await expectFieldError(none, 'return_url')).join(' ')).toMatch(/accepts no return_url/);
    expect(await transactionsOfCustomer(payer.customerId)).toEqual([]);

    // Loopback http is allowed outside production (the allowed local origin).
    const local = await created(await create(payer, { amount: '10.00', return_url: `${LOCAL_SHOP}/done` }));
    expect(local.return_url).toBe(`${LOCAL_SHOP}/done`);
  });

  it('in production, http is refused even for loopback, and configured origins must be https and public', async () => {
    const production = {
      ...testConfig(),
      APP_ENV: 'production' as const,
      RETURN_URL_ALLOWED_ORIGINS: [LOCAL_SHOP, SHOP],
      RETURN_URL_SIGNING_SECRET: SIGNING_SECRET,
    };
    const refusal = (url: string) => {
      try {
        checkReturnUrl(production, url);
      } catch (err) {
        return err instanceof AppError ? err : undefined;
      }
      return undefined;
    };
    const error = refusal(`${LOCAL_SHOP}/done`);
    expect(error?.status).toBe(400);
    expect(error?.errors).toEqual({ return_url: ['Must be an https:// URL.'] });
    expect(checkReturnUrl(production, `${SHOP}/done`)).toBe(`${SHOP}/done`);

    // The configuration itself: an http origin in production, or origins without a signing secret.
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const payer = await createPayer();
      const productionEnv: Partial<Env> = {
        APP_ENV: 'production',
        PUBLIC_BASE_URL: 'https://pay.example.com',
        MAIL_FROM: 'StackPay <no-reply@mg.example.com>',
        DATABASE_URL: 'https://user:password@aws.connect.psdb.cloud',
        PAYMOB_BASE_URL: 'https://accept.paymob.com',
        MAILGUN_BASE_URL: 'https://api.mailgun.net',
        RETURN_URL_ALLOWED_ORIGINS: 'http://shop.example',
        RETURN_URL_SIGNING_SECRET: SIGNING_SECRET,
      };
      const misconfigured = await create(payer, { amount: '10.00' }, {}, productionEnv);
      expect(misconfigured.status).toBe(503);
      const noSecret = await create(
        payer,
        { amount: '10.00' },
        {},
        { RETURN_URL_ALLOWED_ORIGINS: SHOP, RETURN_URL_SIGNING_SECRET: undefined },
      );
      expect(noSecret.status).toBe(503);
      const notAnOrigin = await create(
        payer,
        { amount: '10.00' },
        {},
        {
          ...MERCHANT_ENV,
          RETURN_URL_ALLOWED_ORIGINS: `${SHOP}/path`,
        },
      );
      expect(notAnOrigin.status).toBe(503);
      const logged = JSON.stringify(errors.mock.calls);
      expect(logged).toContain('RETURN_URL_ALLOWED_ORIGINS');
      expect(logged).toContain(
        'RETURN_URL_SIGNING_SECRET is required when RETURN_URL_ALLOWED_ORIGINS is set',
      );
      expect(logged).not.toContain(SIGNING_SECRET);
    } finally {
      errors.mockRestore();
    }
  });
});

describe('merchant_reference is unique per customer', () => {
  it('a second payment with it → 409 naming the first; another customer may use it; another case is another reference', async () => {
    const payer = await createPayer();
    const reference = `order-${uniqueName('dup')}`;
    const first = await created(await create(payer, { amount: '10.00', merchant_reference: reference }));
    const again = await create(payer, { amount: '20.00', merchant_reference: reference });
    expect(again.status).toBe(409);
    const problem = await readJson<Problem & { transaction_id?: number }>(again);
    expect(problem.code).toBe('merchant_reference_conflict');
    expect(problem.transaction_id).toBe(first.id);
    expect(await transactionsOfCustomer(payer.customerId)).toHaveLength(1);

    const other = await createPayer();
    await created(await create(other, { amount: '10.00', merchant_reference: reference }));
    await created(await create(payer, { amount: '10.00', merchant_reference: reference.toUpperCase() }));
  });

  it('concurrent payments with one reference: exactly one is created', async () => {
    const payer = await createPayer();
    const reference = `order-${uniqueName('race')}`;
    const responses = await Promise.all(
      [1, 2, 3].map(() => create(payer, { amount: '10.00', merchant_reference: reference })),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const rows = await transactionsOfCustomer(payer.customerId);
    expect(rows).toHaveLength(1);
  });

  it('an Idempotency-Key retry gets the stored answer, another request with the reference gets 409', async () => {
    const payer = await createPayer();
    const reference = `order-${uniqueName('idem')}`;
    const body = { amount: '10.00', merchant_reference: reference, metadata: { cart: '7' } };
    const key = crypto.randomUUID();
    const first = await created(await create(payer, body, { headers: { 'Idempotency-Key': key } }));
    const replay = await create(payer, body, { headers: { 'Idempotency-Key': key } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect((await readJson<TransactionView>(replay)).id).toBe(first.id);

    const otherKey = await create(payer, body, { headers: { 'Idempotency-Key': crypto.randomUUID() } });
    expect(otherKey.status).toBe(409);
    expect((await readJson<Problem>(otherKey)).code).toBe('merchant_reference_conflict');
    expect(await transactionsOfCustomer(payer.customerId)).toHaveLength(1);
  });

  it('a checkout PayMob could not create (502) frees the reference for the retry', async () => {
    const payer = await createPayer();
    const reference = `order-${uniqueName('retry')}`;
    await addFault({ mode: 'status', status: 503, endpoint: 'orders', count: 4 });
    const failed = await create(payer, { amount: '10.00', merchant_reference: reference });
    expect(failed.status).toBe(502);
    const [row] = await transactionsOfCustomer(payer.customerId);
    expect(row).toMatchObject({ status: 'failed', merchantReference: null });
    await clearFaults();
    const retried = await created(await create(payer, { amount: '10.00', merchant_reference: reference }));
    expect(retried.merchant_reference).toBe(reference);
  });
});

describe('the result page sends the shopper to return_url, signed', () => {
  async function paidWithReturn(card: string, returnUrl = `${SHOP}/orders/7/paid?lang=ar&status=old`) {
    const payer = await createPayer();
    const txn = await created(await create(payer, { amount: '75.00', return_url: returnUrl }));
    const paid = await pay(txn, card);
    return { payer, txn, path: redirectPath(paid.redirect_url) };
  }

  it('after a success: transaction, status and a signature the shop can verify; shop parameters kept', async () => {
    const { payer, txn, path } = await paidWithReturn(CARDS.success);
    const response = await apiWithEnv(path, {}, MERCHANT_ENV);
    expect(response.status).toBe(200);
    const html = await response.text();
    const link = returnLink(html);
    expect(link).toBeDefined();
    const url = new URL(link ?? '');
    expect(`${url.origin}${url.pathname}`).toBe(`${SHOP}/orders/7/paid`);
    expect(url.searchParams.get('lang')).toBe('ar');
    // Ours replace a parameter of the same name: one `status`, the real one.
    expect(url.searchParams.getAll('status')).toEqual(['succeeded']);
    expect(url.searchParams.get('transaction')).toBe(String(txn.id));
    const signature = url.searchParams.get('signature');
    expect(signature).toBe(await shopSignature(String(txn.id), 'succeeded'));

    // The hint agrees with the API, which the shop re-reads.
    const read = await readJson<TransactionView>(await api(`${TXN}${txn.id}/`, { token: payer.access }));
    expect(read.status).toBe(url.searchParams.get('status'));

    // The page goes there by itself: a fixed script (nonce'd) reads the link; CSP unchanged otherwise.
    const csp = response.headers.get('Content-Security-Policy') ?? '';
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'self'");
    expect(html.match(/<script/gi)).toHaveLength(1);
    expect(html).toContain(
      `<script nonce="${nonce}">if (window.top !== window.self) { window.top.location.href = window.location.href; } else { var link = document.getElementById('return-link'); if (link) { window.location.replace(link.href); } }</script>`,
    );
    expect(response.headers.get('Referrer-Policy')).toBe('no-referrer');
    expect(html).not.toContain('Back to the test checkout');

    // A tampered status does not verify.
    expect(await shopSignature(String(txn.id), 'failed')).not.toBe(signature);
  });

  it('after a decline the status is failed, signed as such', async () => {
    const { txn, path } = await paidWithReturn(CARDS.declined, `${SHOP}/back`);
    const html = await (await apiWithEnv(path, {}, MERCHANT_ENV)).text();
    const url = new URL(returnLink(html) ?? '');
    expect(url.searchParams.get('status')).toBe('failed');
    expect(url.searchParams.get('signature')).toBe(await shopSignature(String(txn.id), 'failed'));
    expect((await transactionRow(txn.id)).status).toBe('failed');
  });

  it('an origin no longer allowed, or no return_url: the result page stays', async () => {
    const { path } = await paidWithReturn(CARDS.success);
    const html = await (
      await apiWithEnv(path, {}, { ...MERCHANT_ENV, RETURN_URL_ALLOWED_ORIGINS: LOCAL_SHOP })
    ).text();
    expect(html).toContain('Payment succeeded');
    expect(returnLink(html)).toBeUndefined();
    expect(html).toContain('Back to the test checkout');

    const payer = await createPayer();
    const plain = await created(await create(payer, { amount: '10.00' }));
    const paid = await pay(plain, CARDS.success);
    const plainHtml = await (await apiWithEnv(redirectPath(paid.redirect_url), {}, MERCHANT_ENV)).text();
    expect(returnLink(plainHtml)).toBeUndefined();
    expect(plainHtml).not.toContain('return-link');
  });
});

describe('admin transaction page', () => {
  it('shows the merchant reference, description, return URL and metadata', async () => {
    const payer = await createPayer();
    const reference = `order-${uniqueName('adm')}`;
    const txn = await created(
      await create(payer, {
        amount: '10.00',
        merchant_reference: reference,
        metadata: { cart: '<b>7</b>' },
        description: 'Gift wrap',
        return_url: `${SHOP}/paid`,
      }),
    );
    const admin = await createUser({ role: 'ADMIN' });
    const browser = await signedIn(admin);
    const html = await browser.page(`/admin/transactions/${txn.id}`);
    const text = textOf(html);
    expect(text).toContain(`Merchant reference ${reference}`);
    expect(text).toContain('Description Gift wrap');
    expect(text).toContain(`Return URL ${SHOP}/paid`);
    expect(text).toMatch(/cart\s*: <b>7<\/b>/);
    expect(html).not.toContain('<b>7</b>');
    // The list's reference search finds it by the merchant's reference too.
    const list = await browser.page(`/admin/transactions?reference=${encodeURIComponent(reference)}`);
    expect(list).toContain(`/admin/transactions/${txn.id}`);
    const [row] = await testDb().select().from(transactions).where(eq(transactions.id, txn.id));
    expect(row?.merchantReference).toBe(reference);
  });
});
