/**
 * The admin's CSV export (docs/admin.md §2) in a real browser against a running Worker (stack.ts): a STAFF
 * user filters the transactions list, clicks "Download CSV" with JavaScript disabled, and the downloaded
 * file holds exactly the filtered rows, spreadsheet-safe, with decimal money and its currency.
 */
import { existsSync, readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureCustomerProfile } from '../../src/customers/bootstrap';
import { createDatabase, type Database } from '../../src/db/client';
import { customers, type Role, transactions, users } from '../../src/db/schema';
import { ulid } from '../../src/lib/crypto';
import { hashPassword } from '../../src/lib/password';
import { CHROMIUM, launchChromium } from './browser';
import { type Stack, startStack } from './stack';

const PASSWORD = 'Kettle-Drum42!';

let db: Database;

function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll('-', '').slice(0, 10)}`;
}

async function createAccount(role: Role): Promise<{ id: number; username: string; email: string }> {
  const username = uniqueName(role.toLowerCase());
  const email = `${username}@example.com`;
  const inserted = await db.insert(users).values({
    username,
    email,
    passwordHash: await hashPassword(PASSWORD),
    role,
    isActive: true,
    isStaff: role !== 'CUSTOMER',
  });
  const id = Number(inserted.insertId);
  if (role === 'CUSTOMER') await ensureCustomerProfile(db, id);
  return { id, username, email };
}

describe.skipIf(!existsSync(CHROMIUM))('admin CSV export in Chromium', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    db = createDatabase(inject('databaseUrl'), `e2e-export-${crypto.randomUUID()}`);
    stack = await startStack(inject('databaseUrl'));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('STAFF downloads the filtered transactions as a spreadsheet-safe CSV', async () => {
    const staff = await createAccount('STAFF');
    const buyer = await createAccount('CUSTOMER');
    const [customer] = await db
      .select({ id: customers.id })
      .from(customers)
      .where(eq(customers.userId, buyer.id));
    if (!customer) throw new Error('no customer profile');
    await db
      .update(customers)
      .set({ firstName: '=cmd', lastName: 'Ali' })
      .where(eq(customers.id, customer.id));
    const u = ulid().slice(-8);
    const createdAt = new Date('2026-02-03T04:05:06.007Z');
    const inserted = await db.insert(transactions).values([
      {
        customerId: customer.id,
        merchantOrderId: `=1+1 ${u}`,
        amountCents: 123_456_789,
        currency: 'EGP',
        status: 'succeeded',
        createdAt,
      },
      {
        customerId: customer.id,
        merchantOrderId: `plain "${u}"`,
        amountCents: 5,
        currency: 'EGP',
        status: 'succeeded',
        createdAt,
      },
      {
        customerId: customer.id,
        merchantOrderId: `failed-${u}`,
        amountCents: 1_500,
        currency: 'OMR',
        status: 'failed',
        createdAt,
      },
    ]);
    const firstId = Number(inserted.insertId);

    const context = await browser.newContext({ javaScriptEnabled: false, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${stack.workerUrl}/admin/`);
    await page.fill('input[name=username]', staff.username);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(`${stack.workerUrl}/admin/`);

    await page.goto(`${stack.workerUrl}/admin/transactions?customer=${customer.id}&status=succeeded`);
    const link = page.locator('a:has-text("Download CSV")');
    expect(await link.getAttribute('href')).toBe(
      `/admin/transactions.csv?customer=${customer.id}&status=succeeded`,
    );
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/^stackpay-transactions-\d{8}-\d{6}\.csv$/);
    const path = await download.path();
    const text = readFileSync(path, 'utf8');
    const row = (id: number, order: string, amount: string) =>
      `"${id}","2026-02-03T04:05:06.007Z","${order}","","","succeeded","${amount}","0.00","EGP","${customer.id}","'=cmd Ali","${buyer.email}","false"\r\n`;
    expect(text).toBe(
      '\uFEFF"id","created_at","merchant_order_id","paymob_order_id","paymob_transaction_id","status","amount","refunded_amount","currency","customer_id","customer_name","customer_email","needs_attention"\r\n' +
        row(firstId + 1, `plain ""${u}""`, '0.05') +
        row(firstId, `'=1+1 ${u}`, '1234567.89'),
    );
    await context.close();
  });
});
