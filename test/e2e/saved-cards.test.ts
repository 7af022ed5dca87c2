/**
 * Saved cards in a real browser (docs/api.md "Saved cards"): a `wrangler dev` in unified-checkout mode (card
 * and mobile wallet, docs/paymob.md §8) whose sandbox sends its callbacks over HTTP. One shopper first pays
 * with a mobile wallet through the sandbox's OTP page; then pays by card in the sandbox's unified checkout with
 * "Save this card" ticked (the payment was created with `save_card: true`); PayMob's signed TOKEN callback
 * stores the card; a second payment with `card_id` shows the saved card on the checkout, and one click pays
 * it without the card form. Fails on any Content-Security-Policy violation or page error.
 */
import { existsSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { savedCards, transactions } from '../../src/db/schema';
import { TEST_SECRETS } from '../test-env';
import { CHROMIUM, launchChromium } from './browser';
import { createPayer, PAYER_PASSWORD as PASSWORD } from './payer';
import { type Stack, startStack } from './stack';

const WEBHOOK = /\/api\/v1\/transactions\/webhook\/\?/;
// tools/sandbox/paymob-methods.mjs: the sandbox wallet's test number and the OTP that pays.
const WALLET_NUMBER = '01010101010';
const WALLET_OTP = '123456';
// The card form: neither a saved card's one-click form nor another method's (wallet) form.
const CARD_FORM_SUBMIT = 'form:not(.saved-card):not([data-method]) button[type=submit]';

async function api(
  stack: Stack,
  path: string,
  init: { token?: string; json?: unknown; method?: string } = {},
) {
  const response = await fetch(`${stack.workerUrl}/api/v1${path}`, {
    method: init.method ?? (init.json ? 'POST' : 'GET'),
    headers: {
      ...(init.json ? { 'Content-Type': 'application/json' } : {}),
      ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.json ? JSON.stringify(init.json) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Watches every frame for CSP violations and page errors. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' || /Refused to|Content Security Policy|violates/i.test(text)) {
      problems.push(`console ${message.type()}: ${text}`);
    }
  });
  return problems;
}

describe.skipIf(!existsSync(CHROMIUM))('saved cards in Chromium (unified checkout)', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startStack(inject('databaseUrl'), {
      apiMode: 'intention',
      vars: { PAYMOB_INTEGRATIONS: `wallet:${TEST_SECRETS.PAYMOB_INTEGRATION_ID_WALLET}` },
    });
    browser = await launchChromium();
  }, 200_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('pays with a wallet (OTP page), then by card saving it, then with the saved card without the card form', async () => {
    const { db, username, customerId } = await createPayer(inject('databaseUrl'));
    const login = await api(stack, '/users/login/', { json: { username, password: PASSWORD } });
    expect(login.status).toBe(200);
    const token = String(login.body.access);
    const context = await browser.newContext({ viewport: { width: 900, height: 1100 } });
    const page = await context.newPage();
    const problems = watch(page);

    // 0. A mobile-wallet payment: the wallet number in unified checkout, then the sandbox's OTP page.
    const wallet = await api(stack, '/transactions/txn/', { token, json: { amount: '90.00' } });
    expect(wallet.status).toBe(201);
    expect(wallet.body.payment_methods).toEqual(['card', 'wallet']);
    await page.goto(String(wallet.body.checkout_url));
    await page.fill('#wallet_number', WALLET_NUMBER);
    await page.click('form[data-method=wallet] button[type=submit]');
    await page.waitForURL(/\/sandbox\/paymob\/wallet\/otp\?session=/);
    await page.fill('#otp', WALLET_OTP);
    await page.click('button[type=submit]');
    await page.waitForURL(WEBHOOK);
    await expect.poll(() => page.textContent('[data-testid=status]')).toBe('succeeded');
    const paidByWallet = await api(stack, `/transactions/txn/${wallet.body.id}/`, { token });
    expect(paidByWallet.body).toMatchObject({
      status: 'succeeded',
      payment_method: { type: 'wallet', pan: '*******1010' },
    });
    // A wallet payment saves no card.
    expect((await api(stack, '/customers/cards/', { token })).body).toEqual([]);

    // 1. A card payment with save_card: the shopper ticks "Save this card" in unified checkout.
    const first = await api(stack, '/transactions/txn/', {
      token,
      json: { amount: '150.00', save_card: true },
    });
    expect(first.status).toBe(201);
    await page.goto(String(first.body.checkout_url));
    expect(await page.locator('[data-testid=saved-card]').count()).toBe(0);
    await page.fill('#card_number', '5123456789012346');
    await page.check('input[name=save_card]');
    await page.click(CARD_FORM_SUBMIT);
    await page.waitForURL(WEBHOOK);
    await expect.poll(() => page.textContent('[data-testid=status]')).toBe('succeeded');

    // The signed TOKEN callback reached the Worker over HTTP and stored the card.
    await expect
      .poll(async () => (await api(stack, '/customers/cards/', { token })).body, { timeout: 15_000 })
      .toMatchObject([{ brand: 'MasterCard', last4: '2346' }]);
    const cards = (await api(stack, '/customers/cards/', { token })).body as unknown as Array<{ id: number }>;
    const [stored] = await db.select().from(savedCards).where(eq(savedCards.customerId, customerId));
    expect(stored?.tokenCiphertext.startsWith('v1:')).toBe(true);

    // 2. A payment with card_id: the checkout offers the saved card; one click, no card number typed.
    const second = await api(stack, '/transactions/txn/', {
      token,
      json: { amount: '60.00', card_id: cards[0]?.id },
    });
    expect(second.status).toBe(201);
    await page.goto(String(second.body.checkout_url));
    const savedButton = page.locator('[data-testid=saved-card]');
    expect(await savedButton.textContent()).toContain('MasterCard');
    expect(await savedButton.textContent()).toContain('2346');
    await savedButton.click();
    await page.waitForURL(WEBHOOK);
    await expect.poll(() => page.textContent('[data-testid=status]')).toBe('succeeded');

    const rows = await db.select().from(transactions).where(eq(transactions.customerId, customerId));
    expect(rows.map((r) => r.status).sort()).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(rows.map((r) => r.methodType).sort()).toEqual(['card', 'card', 'wallet']);
    expect(problems).toEqual([]);
    await context.close();
  });
});
