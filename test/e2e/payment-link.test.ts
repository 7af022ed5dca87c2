/**
 * A payment link in a real browser (docs/api.md §11): the link's page, its billing form, the POST's 303 to
 * PayMob's unified checkout (the page's CSP must allow that redirect in form-action), the sandbox's card
 * form, back to StackPay's result page; the link is then paid and its page answers 410. Fails on any
 * Content-Security-Policy violation or console error. Screenshots go to test-results/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../src/db/client';
import { paymentLinks, transactions } from '../../src/db/schema';
import type { Config } from '../../src/env';
import { linkUrl, newPublicId } from '../../src/payment-links/token';
import { TEST_SECRETS } from '../test-env';
import { CHROMIUM, launchChromium } from './browser';
import { type Stack, startStack } from './stack';

const SUCCESS_CARD = '5123456789012346';
const RESULTS_DIR = new URL('../../test-results/', import.meta.url).pathname;
const WEBHOOK = /\/api\/v1\/transactions\/webhook\/\?/;

function shot(page: Page, name: string) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  return page.screenshot({ path: `${RESULTS_DIR}e2e-${name}.png`, fullPage: true });
}

describe.skipIf(!existsSync(CHROMIUM))('payment link page in Chromium', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startStack(inject('databaseUrl'), { apiMode: 'intention' });
    browser = await launchChromium();
  }, 200_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('pays a single-use link through unified checkout; the link is then paid and closed', async () => {
    const db = createDatabase(inject('databaseUrl'), `e2e-${crypto.randomUUID()}`);
    const publicId = newPublicId();
    const now = new Date();
    const inserted = await db.insert(paymentLinks).values({
      publicId,
      amountCents: 4200,
      currency: 'EGP',
      description: 'E2E invoice',
      expiresAt: new Date(now.getTime() + 3600_000),
      createdAt: now,
      updatedAt: now,
    });
    const linkId = Number(inserted.insertId);
    const url = await linkUrl({ JWT_SECRET: TEST_SECRETS.JWT_SECRET } as Config, stack.workerUrl, publicId);

    const context = await browser.newContext({ viewport: { width: 1000, height: 1000 } });
    const problems: string[] = [];
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      const text = message.text();
      if (message.type() === 'error' || /Refused to|Content Security Policy|violates/i.test(text)) {
        problems.push(`console ${message.type()}: ${text}`);
      }
    });

    await page.goto(url);
    expect(await page.textContent('[data-testid=link-amount]')).toBe('42.00 EGP');
    await page.fill('#first_name', 'Salma');
    await page.fill('#last_name', 'Hassan');
    await page.fill('#email', 'salma@example.com');
    await page.fill('#phone_number', '+201001234567');
    await shot(page, 'payment-link-form');
    await page.click('[data-testid=link-pay]');
    await page.waitForURL((u) => u.origin === new URL(stack.sandboxUrl).origin);
    expect(page.url()).toContain('/unifiedcheckout/');
    await page.fill('#card_number', SUCCESS_CARD);
    await page.click('button[type=submit]');
    await page.waitForURL(WEBHOOK);
    await expect.poll(() => page.textContent('[data-testid=status]')).toBe('succeeded');
    await shot(page, 'payment-link-result');

    await expect
      .poll(
        async () => (await db.select().from(paymentLinks).where(eq(paymentLinks.id, linkId)))[0]?.status,
        {
          timeout: 15_000,
        },
      )
      .toBe('paid');
    const [txn] = await db.select().from(transactions).where(eq(transactions.paymentLinkId, linkId));
    expect(txn).toMatchObject({ status: 'succeeded', customerId: null });

    // Nothing was refused on the way (the 410 below logs its status as a console error by design).
    expect(problems).toEqual([]);
    const closed = await page.goto(url);
    expect(closed?.status()).toBe(410);
    expect(await page.textContent('[data-testid=link-message]')).toContain('already been paid');
    await context.close();
  });
});
