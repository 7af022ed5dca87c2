/**
 * The test checkout page in a real browser (docs/api.md §4.7, docs/checkout.md): sign in, create a payment,
 * pay in the PayMob sandbox — inside the pay page's iframe (legacy) or with the whole window (unified
 * checkout) — through the card issuer's 3-D Secure page on a third origin, back to StackPay's response
 * callback, and see the result full window. Each Worker is a real `wrangler dev` whose sandbox sends the
 * processed callbacks over HTTP. Every test fails on any Content-Security-Policy violation in any frame, on
 * a console message about one, and on a blocked frame. Screenshots go to test-results/.
 */
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { transactions } from '../../src/db/schema';
import { TEST_SECRETS } from '../test-env';
import { CHROMIUM, launchChromium } from './browser';
import { createPayer, PAYER_PASSWORD as PASSWORD } from './payer';
import { type Stack, startStack } from './stack';

const SUCCESS_CARD = '5123456789012346';
// tools/sandbox/paymob-model.mjs THREE_DS_CARDS; the issuer's password is tools/sandbox/paymob-acs.mjs ACS_OTP.
const CHALLENGE_CARD = '4000000000003220';
const FRICTIONLESS_CARD = '4000000000003055';
const RIGHT_OTP = '123456';
const WRONG_OTP = '000000';
// tools/sandbox/paymob-methods.mjs: the wallet's OTP is the same 123456.
const WALLET_NUMBER = '01010101010';
const RESULTS_DIR = new URL('../../test-results/', import.meta.url).pathname;
const WEBHOOK = /\/api\/v1\/transactions\/webhook\/\?/;
// Two `wrangler dev` (one per PayMob mode) start side by side on a shared, busy machine.
const STACKS_TIMEOUT_MS = 200_000;

interface Watched {
  context: BrowserContext;
  page: Page;
  /** CSP violations, console messages about them, blocked frames and page errors: must stay empty. */
  problems: string[];
  /** Every frame navigation, in order: which frame (main or child) went where. */
  navigations: { main: boolean; url: string }[];
  /** Every navigation request, redirect hops included: which frame (main or child) asked for what. */
  requests: { main: boolean; url: string }[];
}

/**
 * A fresh browser context that reports, from every frame of every origin, each `securitypolicyviolation`
 * event (an init script runs in each new document, whatever its CSP, and calls back into the test), each
 * console error or CSP message, each frame that ends on Chromium's error page and each navigation refused
 * by a policy.
 */
async function watchedPage(browser: Browser): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 1200 } });
  const problems: string[] = [];
  const navigations: Watched['navigations'] = [];
  const requests: Watched['requests'] = [];
  await context.exposeBinding('__reportCspViolation', (source, text: string) => {
    problems.push(`securitypolicyviolation in ${source.frame.url()}: ${text}`);
  });
  // A string, not a function: this runs in the browser (the Node-side tsconfig has no DOM types).
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) => {
      window.__reportCspViolation(
        event.effectiveDirective + ' blocked ' + event.blockedURI + ' (document ' + event.documentURI + ')',
      );
    }, true);`,
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' || /Refused to|Content Security Policy|violates/i.test(text)) {
      problems.push(`console ${message.type()}: ${text}`);
    }
  });
  page.on('framenavigated', (frame) => {
    navigations.push({ main: frame === page.mainFrame(), url: frame.url() });
    if (frame.url().startsWith('chrome-error://')) {
      problems.push(`blocked frame: ${frame === page.mainFrame() ? 'main' : 'child'}`);
    }
  });
  page.on('request', (request) => {
    if (request.isNavigationRequest()) {
      requests.push({ main: request.frame() === page.mainFrame(), url: request.url() });
    }
  });
  page.on('requestfailed', (request) => {
    const error = request.failure()?.errorText ?? '';
    if (request.isNavigationRequest() && /BLOCKED/i.test(error)) {
      problems.push(`navigation to ${request.url()} failed: ${error}`);
    }
  });
  return { context, page, problems, navigations, requests };
}

/** Signs in on the pay page and creates a payment of 150.00; the checkout then opens per mode. */
async function signInAndCreate(stack: Stack, page: Page, username: string) {
  await page.goto(`${stack.workerUrl}/api/v1/transactions/testpay-view/`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('#login-button');
  await page.waitForSelector('#pay:not([hidden])');
  expect(await page.textContent('#who')).toBe(username);
  // The currency hint arrives with the addresses, after the sign-in answer.
  await expect.poll(() => page.textContent('#currency')).toBe('EGP');
  await page.fill('#amount', '150.00');
  await page.click('#create');
}

function shot(page: Page, name: string) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  return page.screenshot({ path: `${RESULTS_DIR}e2e-${name}.png`, fullPage: true });
}

async function callbackStatuses(stack: Stack, merchantOrderId: string | undefined) {
  const list = (await (
    await fetch(`${stack.sandboxUrl}/sandbox/paymob/callbacks?merchant_order_id=${merchantOrderId}`)
  ).json()) as Array<{ status: number | null; body: { obj: { pending: boolean } } }>;
  return list.map((c) => `${c.body.obj.pending ? 'pending' : 'final'}:${c.status}`).sort();
}

const origin = (url: string) => new URL(url).origin;

describe.skipIf(!existsSync(CHROMIUM))('test checkout page in Chromium', () => {
  let legacy: Stack;
  let unified: Stack;
  let browser: Browser;

  beforeAll(async () => {
    const started = await Promise.allSettled([
      startStack(inject('databaseUrl'), { apiMode: 'legacy' }),
      // Unified checkout offers the card and a mobile wallet (docs/paymob.md §8).
      startStack(inject('databaseUrl'), {
        apiMode: 'intention',
        vars: { PAYMOB_INTEGRATIONS: `wallet:${TEST_SECRETS.PAYMOB_INTEGRATION_ID_WALLET}` },
      }),
    ]);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      for (const result of started) if (result.status === 'fulfilled') await result.value.stop();
      throw failed.reason;
    }
    const [first, second] = started;
    if (first?.status !== 'fulfilled' || second?.status !== 'fulfilled') throw new Error('unreachable');
    legacy = first.value;
    unified = second.value;
    browser = await launchChromium();
  }, STACKS_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([legacy?.stop(), unified?.stop()]);
  });

  it('legacy: signs in, pays with the success card in the PayMob iframe and shows "succeeded"', async () => {
    const { db, username, customerId } = await createPayer(inject('databaseUrl'));
    const { context, page, problems, navigations } = await watchedPage(browser);

    await signInAndCreate(legacy, page, username);
    await page.waitForSelector('#checkout:not([hidden])');
    expect(await page.textContent('#txn-status')).toBe('pending');

    const checkout = page.frameLocator('#checkout');
    await checkout.locator('#card_number').fill(SUCCESS_CARD);
    await checkout.locator('#card_holder').fill('Mona Adel');
    await shot(page, 'testpay-checkout');
    // The iframe navigates itself to our response callback; the result page then takes the whole window.
    await checkout.locator('button[type=submit]').click();
    await page.waitForURL(WEBHOOK);
    await expect.poll(() => page.textContent('[data-testid=status]')).toBe('succeeded');
    expect(navigations.some((n) => !n.main && WEBHOOK.test(n.url))).toBe(true);

    // Back on the pay page, polling GET txn/{id}/ shows the same final status.
    await page.click('text=Back to the test checkout');
    await page.waitForURL(/testpay-view\/\?txn=\d+/);
    await expect.poll(() => page.textContent('#txn-status'), { timeout: 15_000 }).toBe('succeeded');
    await shot(page, 'testpay-succeeded');

    // The processed callback reached the Worker over HTTP and was accepted.
    const [row] = await db.select().from(transactions).where(eq(transactions.customerId, customerId));
    expect(row?.status).toBe('succeeded');
    await expect.poll(() => callbackStatuses(legacy, row?.merchantOrderId)).toEqual(['final:200']);
    expect(problems).toEqual([]);
    await context.close();
  });

  it.each([
    ['passes the challenge → succeeded', RIGHT_OTP, 'succeeded'],
    ['fails the challenge → failed', WRONG_OTP, 'failed'],
  ])('legacy 3-D Secure: the iframe goes to the issuer page, %s', async (_name, otp, expected) => {
    const { db, username, customerId } = await createPayer(inject('databaseUrl'));
    const { context, page, problems, navigations } = await watchedPage(browser);
    await signInAndCreate(legacy, page, username);
    await page.waitForSelector('#checkout:not([hidden])');

    const checkout = page.frameLocator('#checkout');
    await checkout.locator('#card_number').fill(CHALLENGE_CARD);
    await checkout.locator('button[type=submit]').click();
    // Still our pay page at the top; the frame shows the issuer's page on its own origin.
    await checkout.locator('#otp').waitFor();
    expect(page.url()).toContain('/testpay-view/');
    const frame = page.frames().find((f) => f !== page.mainFrame() && f.url().startsWith(legacy.acsUrl));
    expect(frame, navigations.map((n) => n.url).join('\n')).toBeTruthy();
    expect(origin(legacy.acsUrl)).not.toBe(origin(legacy.sandboxUrl));
    expect(await checkout.locator('[data-testid=acs-amount]').textContent()).toBe('EGP 150.00');
    await checkout.locator('#otp').fill(otp);
    await shot(page, `testpay-legacy-3ds-${expected}-challenge`);
    await checkout.locator('button[value=submit]').click();

    await page.waitForURL(WEBHOOK);
    expect(origin(page.url())).toBe(legacy.workerUrl);
    await expect.poll(() => page.textContent('[data-testid=status]')).toBe(expected);
    if (expected === 'failed') {
      expect(await page.textContent('[data-testid=reason]')).toContain('3-D Secure authentication failed');
    }
    await shot(page, `testpay-legacy-3ds-${expected}`);
    // In the frame: checkout → issuer (ACS) → checkout → our response callback; then the whole window.
    const child = navigations.filter((n) => !n.main).map((n) => origin(n.url));
    const acsAt = child.indexOf(origin(legacy.acsUrl));
    expect(acsAt).toBeGreaterThan(-1);
    expect(child.slice(acsAt)).toContain(legacy.workerUrl);
    expect(navigations.at(-1)).toMatchObject({ main: true });

    const [row] = await db.select().from(transactions).where(eq(transactions.customerId, customerId));
    expect(row?.status).toBe(expected);
    await expect
      .poll(() => callbackStatuses(legacy, row?.merchantOrderId))
      .toEqual(['final:200', 'pending:200']);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('legacy with a return_url: after paying, the result page sends the window on to the shop, signed', async () => {
    const { username } = await createPayer(inject('databaseUrl'));
    const api = (path: string, init: RequestInit & { token?: string } = {}) =>
      fetch(`${legacy.workerUrl}/api/v1${path}`, {
        ...init,
        headers: {
          'Content-Type': 'application/json',
          ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
        },
      });
    const login = await api('/users/login/', {
      method: 'POST',
      body: JSON.stringify({ username, password: PASSWORD }),
    });
    const { access } = (await login.json()) as { access: string };
    // The stand-in shop page: this Worker's own test checkout page (an HTML page without a favicon request;
    // its origin is RETURN_URL_ALLOWED_ORIGINS).
    const shop = `${legacy.workerUrl}/api/v1/transactions/testpay-view/?order=7`;
    const created = await api('/transactions/txn/', {
      method: 'POST',
      token: access,
      body: JSON.stringify({ amount: '150.00', merchant_reference: `e2e-${username}`, return_url: shop }),
    });
    expect(created.status).toBe(201);
    const txn = (await created.json()) as { id: number; checkout_url: string };

    const { context, page, problems } = await watchedPage(browser);
    await page.goto(txn.checkout_url);
    await page.fill('#card_number', SUCCESS_CARD);
    await page.fill('#card_holder', 'Mona Adel');
    await page.click('button[type=submit]');
    // The result page (strict CSP, one nonce'd script) replaces itself with the shop's page.
    await page.waitForURL(/testpay-view\/\?order=7&/);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('order')).toBe('7');
    expect(landed.searchParams.get('transaction')).toBe(String(txn.id));
    expect(landed.searchParams.get('status')).toBe('succeeded');
    const expected = createHmac('sha256', TEST_SECRETS.RETURN_URL_SIGNING_SECRET)
      .update(`transaction=${txn.id}&status=succeeded`)
      .digest('hex');
    expect(landed.searchParams.get('signature')).toBe(expected);
    // The shop re-reads the payment: the hint agrees.
    const read = (await (await api(`/transactions/txn/${txn.id}/`, { token: access })).json()) as {
      status: string;
    };
    expect(read.status).toBe('succeeded');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('legacy 3-D Secure without a challenge: through the issuer origin inside the frame → succeeded', async () => {
    const { username } = await createPayer(inject('databaseUrl'));
    const { context, page, problems, navigations, requests } = await watchedPage(browser);
    await signInAndCreate(legacy, page, username);
    await page.waitForSelector('#checkout:not([hidden])');
    const checkout = page.frameLocator('#checkout');
    await checkout.locator('#card_number').fill(FRICTIONLESS_CARD);
    await checkout.locator('button[type=submit]').click();
    await page.waitForURL(WEBHOOK);
    await expect.poll(() => page.textContent('[data-testid=status]')).toBe('succeeded');
    // The frame's redirect chain passed through the issuer's origin (Chromium checks frame-src on each hop).
    const childHops = requests.filter((r) => !r.main).map((r) => origin(r.url));
    expect(childHops).toContain(origin(legacy.acsUrl));
    expect(childHops.at(-1)).toBe(legacy.workerUrl);
    expect(navigations.some((n) => !n.main && WEBHOOK.test(n.url))).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it.each([
    ['passes the challenge → succeeded', RIGHT_OTP, 'succeeded'],
    ['fails the challenge → failed', WRONG_OTP, 'failed'],
  ])(
    'unified checkout 3-D Secure: the window goes to PayMob, the issuer and back, %s',
    async (_name, otp, expected) => {
      const { db, username, customerId } = await createPayer(inject('databaseUrl'));
      const { context, page, problems } = await watchedPage(browser);
      await signInAndCreate(unified, page, username);

      await page.waitForURL((url) => url.origin === origin(unified.sandboxUrl));
      expect(page.url()).toContain('/unifiedcheckout/');
      await page.fill('#card_number', CHALLENGE_CARD);
      await shot(page, `testpay-unified-checkout`);
      await page.click('button[type=submit]');
      await page.waitForURL((url) => url.origin === origin(unified.acsUrl));
      expect(await page.textContent('[data-testid=acs-amount]')).toBe('EGP 150.00');
      await page.fill('#otp', otp);
      await shot(page, `testpay-unified-3ds-${expected}-challenge`);
      await page.click('button[value=submit]');

      await page.waitForURL(WEBHOOK);
      expect(origin(page.url())).toBe(unified.workerUrl);
      await expect.poll(() => page.textContent('[data-testid=status]')).toBe(expected);
      if (expected === 'failed') {
        expect(await page.textContent('[data-testid=reason]')).toContain('3-D Secure authentication failed');
      }
      await shot(page, `testpay-unified-3ds-${expected}`);

      // Back on the pay page the transaction shows the same status.
      await page.click('text=Back to the test checkout');
      await page.waitForURL(/testpay-view\/\?txn=\d+/);
      await expect.poll(() => page.textContent('#txn-status'), { timeout: 15_000 }).toBe(expected);

      const [row] = await db.select().from(transactions).where(eq(transactions.customerId, customerId));
      expect(row?.status).toBe(expected);
      await expect
        .poll(() => callbackStatuses(unified, row?.merchantOrderId))
        .toEqual(['final:200', 'pending:200']);
      expect(problems).toEqual([]);
      await context.close();
    },
  );

  it('unified checkout: pays with a mobile wallet through the sandbox OTP page → succeeded, number masked', async () => {
    const { db, username, customerId } = await createPayer(inject('databaseUrl'));
    const { context, page, problems } = await watchedPage(browser);
    await signInAndCreate(unified, page, username);

    await page.waitForURL((url) => url.origin === origin(unified.sandboxUrl));
    expect(page.url()).toContain('/unifiedcheckout/');
    await page.fill('#wallet_number', WALLET_NUMBER);
    await shot(page, 'testpay-unified-wallet-checkout');
    await page.click('form[data-method=wallet] button[type=submit]');
    await page.waitForURL(/\/sandbox\/paymob\/wallet\/otp\?session=/);
    expect(origin(page.url())).toBe(origin(unified.sandboxUrl));
    await page.fill('#otp', RIGHT_OTP);
    await shot(page, 'testpay-unified-wallet-otp');
    await page.click('button[type=submit]');

    await page.waitForURL(WEBHOOK);
    expect(origin(page.url())).toBe(unified.workerUrl);
    await expect.poll(() => page.textContent('[data-testid=status]')).toBe('succeeded');
    await shot(page, 'testpay-unified-wallet-succeeded');

    const [row] = await db.select().from(transactions).where(eq(transactions.customerId, customerId));
    expect(row).toMatchObject({ status: 'succeeded', methodType: 'wallet', methodPan: '*******1010' });
    expect(row?.paymentMethods).toEqual(['card', 'wallet']);
    await expect
      .poll(() => callbackStatuses(unified, row?.merchantOrderId))
      .toEqual(['final:200', 'pending:200']);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('the watcher sees a frame the pay page’s policy refuses (so the tests above can fail)', async () => {
    const { context, page, problems } = await watchedPage(browser);
    await page.goto(`${legacy.workerUrl}/api/v1/transactions/testpay-view/`);
    // The unified stack's sandbox is not a source the legacy pay page may frame.
    const blocked = JSON.stringify(`${unified.sandboxUrl}/health`);
    await page.evaluate(
      `(() => { const f = document.createElement('iframe'); f.src = ${blocked}; document.body.append(f); })()`,
    );
    await expect.poll(() => problems.join('\n')).toMatch(/securitypolicyviolation .*frame-src/);
    await expect
      .poll(() => problems.join('\n'))
      .toMatch(/violates the following Content Security Policy directive/);
    await expect.poll(() => problems.join('\n')).toMatch(/blocked frame: child/);
    await context.close();
  });
});
