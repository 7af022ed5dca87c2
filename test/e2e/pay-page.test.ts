/**
 * The test checkout page in a real browser (docs/api.md §4.7): sign in, create a payment, pay with the success card
 * inside the PayMob sandbox's iframe, and see "succeeded" — with the sandbox's processed callback arriving at
 * the running Worker over HTTP. Leaves a screenshot in test-results/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureCustomerProfile } from '../../src/customers/bootstrap';
import { createDatabase } from '../../src/db/client';
import { addresses, customers, kycRecords, transactions, users } from '../../src/db/schema';
import { hashPassword } from '../../src/lib/password';
import { type Stack, startStack } from './stack';

// Found, or installed, by test/e2e/global-setup.ts (tools/prereqs.mjs).
const CHROMIUM = inject('chromiumPath');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SUCCESS_CARD = '5123456789012346';
const PASSWORD = 'Kettle-Drum42!';
const RESULTS_DIR = new URL('../../test-results/', import.meta.url).pathname;

/** An active, KYC-approved customer with a complete profile and a main address in Egypt. */
async function createPayer(databaseUrl: string) {
  const db = createDatabase(databaseUrl, `e2e-${crypto.randomUUID()}`);
  const username = `e2e_${crypto.randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const inserted = await db.insert(users).values({
    username,
    email: `${username}@example.com`,
    passwordHash: await hashPassword(PASSWORD),
    role: 'CUSTOMER',
    isActive: true,
  });
  const userId = Number(inserted.insertId);
  await ensureCustomerProfile(db, userId);
  const [customer] = await db
    .select({ id: customers.id })
    .from(customers)
    .where(eq(customers.userId, userId));
  if (!customer) throw new Error('no customer profile');
  const phone = `+2012${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  await db
    .update(customers)
    .set({ firstName: 'Mona', lastName: 'Adel', phoneNumber: phone })
    .where(eq(customers.id, customer.id));
  await db.update(kycRecords).set({ status: 'approved' }).where(eq(kycRecords.customerId, customer.id));
  await db
    .update(addresses)
    .set({ city: 'Cairo', line: '5 Tahrir Square' })
    .where(eq(addresses.customerId, customer.id));
  return { db, username, customerId: customer.id };
}

describe.skipIf(!existsSync(CHROMIUM))('test checkout page in Chromium', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startStack(inject('databaseUrl'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('signs in, pays with the success card in the PayMob iframe and shows "succeeded"', async () => {
    const { db, username, customerId } = await createPayer(inject('databaseUrl'));
    const page = await browser.newPage({ viewport: { width: 1000, height: 1200 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });

    await page.goto(`${stack.workerUrl}/api/v1/transactions/testpay-view/`);
    await page.fill('#username', username);
    await page.fill('#password', PASSWORD);
    await page.click('#login-button');
    await page.waitForSelector('#pay:not([hidden])');
    expect(await page.textContent('#who')).toBe(username);
    expect(await page.textContent('#currency')).toBe('EGP');

    await page.fill('#amount', '150.00');
    await page.click('#create');
    await page.waitForSelector('#checkout:not([hidden])');
    expect(await page.textContent('#txn-status')).toBe('pending');

    const checkout = page.frameLocator('#checkout');
    await checkout.locator('#card_number').fill(SUCCESS_CARD);
    await checkout.locator('#card_holder').fill('Mona Adel');
    mkdirSync(RESULTS_DIR, { recursive: true });
    await page.screenshot({ path: `${RESULTS_DIR}e2e-testpay-checkout.png`, fullPage: true });
    // The sandbox's form posts with target=_top: the whole window lands on our signed result page.
    await checkout.locator('button[type=submit]').click();
    await page.waitForURL(/\/api\/v1\/transactions\/webhook\/\?/);
    await expect.poll(() => page.textContent('[data-testid=status]')).toBe('succeeded');

    // Back on the pay page, polling GET txn/{id}/ shows the same final status.
    await page.click('text=Back to the test checkout');
    await page.waitForURL(/testpay-view\/\?txn=\d+/);
    await expect.poll(() => page.textContent('#txn-status'), { timeout: 15_000 }).toBe('succeeded');
    await page.screenshot({ path: `${RESULTS_DIR}e2e-testpay-succeeded.png`, fullPage: true });

    // The processed callback reached the Worker over HTTP and was accepted.
    const [row] = await db.select().from(transactions).where(eq(transactions.customerId, customerId));
    expect(row?.status).toBe('succeeded');
    await expect
      .poll(async () => {
        const list = (await (
          await fetch(
            `${stack.sandboxUrl}/sandbox/paymob/callbacks?merchant_order_id=${row?.merchantOrderId}`,
          )
        ).json()) as Array<{ status: number | null }>;
        return list.map((c) => c.status);
      })
      .toEqual([200]);
    expect(problems).toEqual([]);
  });
});
