/**
 * The admin web interface (docs/api.md §8) in a real browser against a running Worker (`wrangler dev`, see
 * stack.ts): staff sign in, review KYC, edit an address; a customer cannot sign in; a form without its
 * CSRF token is refused. The main flow runs with JavaScript disabled, as the admin must work without it.
 * Screenshots go to test-results/admin/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureCustomerProfile } from '../../src/customers/bootstrap';
import { createDatabase, type Database } from '../../src/db/client';
import {
  addresses,
  adminSessions,
  customers,
  kycRecords,
  paymentEvents,
  type Role,
  transactions,
  users,
  userTotp,
} from '../../src/db/schema';
import { ulid } from '../../src/lib/crypto';
import { hashPassword } from '../../src/lib/password';
import { CHROMIUM, launchChromium } from './browser';
import { type Stack, startStack } from './stack';

const PASSWORD = 'Kettle-Drum42!';
const SCREENSHOTS = new URL('../../test-results/admin/', import.meta.url).pathname;
// A 1×1 PNG: a real image by its magic bytes.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const NATIONAL_ID = '29001011234567';

let db: Database;
let passwordHash: string;

function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll('-', '').slice(0, 10)}`;
}

async function createAccount(role: Role): Promise<{ id: number; username: string }> {
  const username = uniqueName(role.toLowerCase());
  const inserted = await db.insert(users).values({
    username,
    email: `${username}@example.com`,
    passwordHash,
    role,
    isActive: true,
    isStaff: role !== 'CUSTOMER',
  });
  const id = Number(inserted.insertId);
  if (role === 'CUSTOMER') await ensureCustomerProfile(db, id);
  return { id, username };
}

/** A named customer who uploaded a KYC document through the real API (so it sits in the Worker's R2). */
async function customerWithKyc(
  stack: Stack,
  first: string,
  last: string,
): Promise<{ username: string; customerId: number; access: string }> {
  const account = await createAccount('CUSTOMER');
  const [customer] = await db
    .select({ id: customers.id })
    .from(customers)
    .where(eq(customers.userId, account.id));
  if (!customer) throw new Error('no customer profile');
  await db.update(customers).set({ firstName: first, lastName: last }).where(eq(customers.id, customer.id));
  const login = await fetch(`${stack.workerUrl}/api/v1/users/login/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: account.username, password: PASSWORD }),
  });
  expect(login.status).toBe(200);
  const { access } = (await login.json()) as { access: string };
  const form = new FormData();
  form.set('document_type', 'national_id');
  form.set('document_id', NATIONAL_ID);
  form.set('document_file', new Blob([PNG], { type: 'image/png' }), 'national-id.png');
  const upload = await fetch(`${stack.workerUrl}/api/v1/customers/profile/upload-docs/`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${access}` },
    body: form,
  });
  expect(upload.status, await upload.clone().text()).toBe(200);
  return { username: account.username, customerId: customer.id, access };
}

/** A real payment: checkout through the API, paid in the sandbox, whose callback reaches the Worker. */
async function paidTransaction(stack: Stack): Promise<{ id: number }> {
  const payer = await customerWithKyc(stack, 'Laila', 'Samir');
  const phone = `+2012${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  await db.update(customers).set({ phoneNumber: phone }).where(eq(customers.id, payer.customerId));
  await db.update(kycRecords).set({ status: 'approved' }).where(eq(kycRecords.customerId, payer.customerId));
  await db
    .update(addresses)
    .set({ city: 'Cairo', line: '5 Tahrir Square' })
    .where(eq(addresses.customerId, payer.customerId));
  // The payer's token from its KYC upload: a second login per payment would take this file past the login
  // limit (10 a minute from one address) when it runs quickly.
  const { access } = payer;
  const created = await fetch(`${stack.workerUrl}/api/v1/transactions/txn/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${access}` },
    body: JSON.stringify({ amount: '150.00' }),
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const txn = (await created.json()) as { id: number; payment_token: string };
  const paid = await fetch(`${stack.sandboxUrl}/sandbox/paymob/pay`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ payment_token: txn.payment_token, card_number: '5123456789012346' }),
  });
  expect(paid.status).toBe(200);
  await expect
    .poll(async () => (await db.select().from(transactions).where(eq(transactions.id, txn.id)))[0]?.status, {
      timeout: 15_000,
    })
    .toBe('succeeded');
  return txn;
}

async function signIn(page: Page, baseUrl: string, username: string): Promise<void> {
  await page.goto(`${baseUrl}/admin/`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button:has-text("Sign in")');
}

describe.skipIf(!existsSync(CHROMIUM))('admin web interface in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let staff: { id: number; username: string };

  beforeAll(async () => {
    db = createDatabase(inject('databaseUrl'), `e2e-admin-${crypto.randomUUID()}`);
    passwordHash = await hashPassword(PASSWORD);
    stack = await startStack(inject('databaseUrl'));
    browser = await launchChromium();
    staff = await createAccount('STAFF');
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** A context with JavaScript off: every admin page and form must work without it. */
  async function noScriptContext(viewport = { width: 1280, height: 900 }): Promise<BrowserContext> {
    return browser.newContext({ javaScriptEnabled: false, viewport });
  }

  // One sign-in shared by the tests that are not about signing in (each sign-in costs a PBKDF2 round).
  let staffState: Awaited<ReturnType<BrowserContext['storageState']>> | undefined;
  async function staffContext(options: { javaScript?: boolean } = {}): Promise<BrowserContext> {
    if (!staffState) {
      const context = await noScriptContext();
      await signIn(await context.newPage(), stack.workerUrl, staff.username);
      staffState = await context.storageState();
      await context.close();
    }
    return browser.newContext({
      javaScriptEnabled: options.javaScript ?? false,
      viewport: { width: 1280, height: 900 },
      storageState: staffState,
    });
  }

  it('staff sign in over http://127.0.0.1 with a Secure, HttpOnly, SameSite=Strict cookie and see the dashboard', async () => {
    const context = await noScriptContext();
    const page = await context.newPage();
    await signIn(page, stack.workerUrl, staff.username);
    await page.waitForURL(`${stack.workerUrl}/admin/`);
    await expect.poll(() => page.textContent('h1')).toBe('Dashboard');
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'stackpay_admin_session');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/admin' });
    expect(await page.locator('svg.chart rect.bar').count()).toBe(30);
    await context.close();
  });

  it('customers list: the documented columns, search, no add and no delete', async () => {
    const { customerId } = await customerWithKyc(stack, 'Salma', uniqueName('Hassan'));
    const context = await staffContext();
    const page = await context.newPage();
    await page.goto(`${stack.workerUrl}/admin/customers`);
    expect(await page.locator('table thead th').allTextContents()).toEqual([
      'Id',
      'First name',
      'Last name',
      'E-mail',
      'Verified',
      'Created',
    ]);
    const body = (await page.textContent('main')) ?? '';
    expect(body).not.toMatch(/\b(add|delete|remove)\b/i);
    expect(await page.locator('main form[method=post]').count()).toBe(0);
    await page.fill('input[name=search]', 'Salma');
    await page.click('button:has-text("Apply")');
    await expect
      .poll(() => page.locator(`a[href="/admin/customers/${customerId}"]`).count())
      .toBeGreaterThan(0);
    await context.close();
  });

  it('open a customer, view the document, approve the KYC and see the customer verified', async () => {
    const { customerId } = await customerWithKyc(stack, 'Mona', 'Adel');
    const context = await staffContext();
    const page = await context.newPage();
    await page.goto(`${stack.workerUrl}/admin/customers/${customerId}`);
    expect(await page.textContent('h1')).toContain(`Customer #${customerId}`);
    expect(await page.textContent('main')).toContain(NATIONAL_ID);
    // The document is streamed by the Worker for this session only.
    const documentUrl = `${stack.workerUrl}/admin/customers/${customerId}/kyc/document`;
    const documentResponse = await page.request.get(documentUrl);
    expect(documentResponse.status()).toBe(200);
    expect(documentResponse.headers()['content-type']).toBe('image/png');
    expect(documentResponse.headers()['cache-control']).toBe('private, no-store');
    expect(Buffer.from(await documentResponse.body()).equals(PNG)).toBe(true);
    expect((await fetch(documentUrl, { redirect: 'manual' })).status).toBe(303);
    await page.screenshot({ path: `${SCREENSHOTS}customer.png`, fullPage: true });

    await page.click('button:has-text("Approve KYC")');
    await page.waitForURL(`${stack.workerUrl}/admin/customers/${customerId}`);
    expect(await page.textContent('.flash')).toContain('KYC approved');
    expect(await page.textContent('.page-head')).toContain('Verified');
    const [row] = await db
      .select({ verified: customers.isVerified })
      .from(customers)
      .where(eq(customers.id, customerId));
    expect(row?.verified).toBe(true);

    await page.goto(`${stack.workerUrl}/admin/audit?action=kyc.review&actor=${staff.username}`);
    expect(await page.textContent('main')).toContain(`customer #${customerId}`);
    await context.close();
  });

  it('reject a KYC with a reason', async () => {
    const { customerId } = await customerWithKyc(stack, 'Omar', 'Fathy');
    const context = await staffContext();
    const page = await context.newPage();
    await page.goto(`${stack.workerUrl}/admin/customers/${customerId}`);
    await page.fill('textarea[name=reason]', 'The document photo is unreadable.');
    await page.click('button:has-text("Reject KYC")');
    await page.waitForURL(`${stack.workerUrl}/admin/customers/${customerId}`);
    expect(await page.textContent('.flash')).toContain('KYC rejected');
    expect(await page.textContent('main')).toContain('The document photo is unreadable.');
    const [kyc] = await db
      .select({ status: kycRecords.status, reason: kycRecords.rejectionReason })
      .from(kycRecords)
      .where(eq(kycRecords.customerId, customerId));
    expect(kyc).toEqual({ status: 'rejected', reason: 'The document photo is unreadable.' });
    await context.close();
  });

  it('edit an address inline', async () => {
    const { customerId } = await customerWithKyc(stack, 'Nour', 'Salem');
    const [address] = await db.select().from(addresses).where(eq(addresses.customerId, customerId));
    const context = await staffContext();
    const page = await context.newPage();
    await page.goto(`${stack.workerUrl}/admin/customers/${customerId}`);
    const form = page.locator(`form#address-${address?.id}`);
    await form.locator('input[name=city]').fill('Alexandria');
    await form.locator('input[name=line]').fill('14 Corniche Road');
    await form.locator('input[name=postal_code]').fill('21500');
    await form.locator('button:has-text("Save address")').click();
    await page.waitForURL(new RegExp(`/admin/customers/${customerId}`));
    expect(await page.textContent('.flash')).toContain('Address saved.');
    expect(await page.locator(`form#address-${address?.id} input[name=city]`).inputValue()).toBe(
      'Alexandria',
    );
    const [stored] = await db.select().from(addresses).where(eq(addresses.customerId, customerId));
    expect(stored).toMatchObject({
      city: 'Alexandria',
      line: '14 Corniche Road',
      postalCode: '21500',
      mainAddress: true,
    });
    await context.close();
  });

  it('a customer account cannot sign in', async () => {
    const customer = await createAccount('CUSTOMER');
    const context = await noScriptContext();
    const page = await context.newPage();
    await signIn(page, stack.workerUrl, customer.username);
    expect(await page.textContent('.flash')).toContain(
      'Wrong username or password, or this account may not use the admin.',
    );
    expect((await context.cookies()).some((c) => c.name === 'stackpay_admin_session')).toBe(false);
    await context.close();
  });

  it('a form posted without its CSRF token is refused with a 403 page', async () => {
    const { customerId } = await customerWithKyc(stack, 'Hana', 'Ali');
    const context = await staffContext({ javaScript: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(`${stack.workerUrl}/admin/customers/${customerId}`);
    // The page itself runs no script and violates no CSP rule.
    expect(problems).toEqual([]);
    await page
      .locator('form[aria-label="Approve KYC"] input[name=csrf_token]')
      .evaluate((input) => input.remove());
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/admin/customers/${customerId}/kyc`)),
      page.click('button:has-text("Approve KYC")'),
    ]);
    expect(response.status()).toBe(403);
    expect(await page.textContent('main')).toContain('could not be verified');
    const [kyc] = await db
      .select({ status: kycRecords.status })
      .from(kycRecords)
      .where(eq(kycRecords.customerId, customerId));
    expect(kyc?.status).toBe('pending');
    await context.close();
  });

  it('transaction page with its timeline; lists scroll sideways on a phone', async () => {
    const { customerId } = await customerWithKyc(stack, 'Youssef', 'Kamal');
    const merchantOrderId = `SP-${ulid()}`;
    const inserted = await db.insert(transactions).values({
      customerId,
      merchantOrderId,
      amountCents: 150_00,
      currency: 'EGP',
      status: 'succeeded',
      paymobOrderId: 424242,
      paymobTransactionId: 373906620,
    });
    const transactionId = Number(inserted.insertId);
    await db.insert(paymentEvents).values({
      transactionId,
      paymobTransactionId: 373906620 + Math.floor(Math.random() * 1e6),
      kind: 'transaction',
      source: 'processed_callback',
      type: 'TRANSACTION',
      merchantOrderId,
      amountCents: 150_00,
      currency: 'EGP',
      success: true,
      pending: false,
      outcome: 'applied',
      rawBody: { type: 'TRANSACTION', obj: { success: true, amount_cents: 15000 } },
    });
    const context = await staffContext();
    const page = await context.newPage();
    await page.goto(`${stack.workerUrl}/admin/transactions/${transactionId}`);
    expect(await page.textContent('h1')).toBe(`Transaction #${transactionId}`);
    expect(await page.locator('ol.timeline > li').count()).toBe(2);
    await page.screenshot({ path: `${SCREENSHOTS}transaction.png`, fullPage: true });
    await context.close();

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const small = await phone.newPage();
    await signIn(small, stack.workerUrl, staff.username);
    await small.goto(`${stack.workerUrl}/admin/transactions`);
    // The page itself never scrolls sideways: wide tables scroll inside their own box.
    // A string, because this file is type-checked without the DOM library.
    const widths = (await small.evaluate(
      '({ page: document.documentElement.scrollWidth, viewport: window.innerWidth })',
    )) as { page: number; viewport: number };
    expect(widths.page).toBeLessThanOrEqual(widths.viewport);
    await small.screenshot({ path: `${SCREENSHOTS}transactions-phone.png`, fullPage: true });
    await phone.close();
  });
  it('dashboard chart with a month of payments', async () => {
    const { customerId } = await customerWithKyc(stack, 'Karim', 'Nabil');
    // Mostly successful, as real traffic is; some failures, expiries and refunds.
    const pick = (): 'succeeded' | 'failed' | 'expired' | 'refunded' => {
      const r = Math.random();
      return r < 0.75 ? 'succeeded' : r < 0.87 ? 'failed' : r < 0.94 ? 'expired' : 'refunded';
    };
    const rows = Array.from({ length: 90 }, (_, i) => ({
      customerId,
      merchantOrderId: `SP-${ulid()}`,
      amountCents: 5_000 + Math.floor(Math.random() * 120_000),
      currency: 'EGP',
      status: pick(),
      createdAt: new Date(Date.now() - (i % 30) * 24 * 60 * 60 * 1000 - i * 60_000),
    }));
    await db.insert(transactions).values(rows);
    const context = await staffContext();
    const page = await context.newPage();
    await page.goto(`${stack.workerUrl}/admin/`);
    expect(await page.locator('svg.chart polyline').count()).toBe(1);
    await page.screenshot({ path: `${SCREENSHOTS}dashboard.png`, fullPage: true });
    await context.close();
  });
  it('ADMIN refunds a payment and sees it in the timeline and the audit log', async () => {
    const txn = await paidTransaction(stack);

    const admin = await createAccount('ADMIN');
    const context = await noScriptContext();
    const page = await context.newPage();
    await signIn(page, stack.workerUrl, admin.username);
    await page.goto(`${stack.workerUrl}/admin/transactions/${txn.id}`);
    await page.fill('input[name=amount]', '40.00');
    await page.click('button:has-text("Review refund")');
    await page.waitForURL(new RegExp(`/admin/transactions/${txn.id}/refund`));
    expect(await page.textContent('main')).toContain('You are about to refund 40.00 EGP.');
    await page.click('button:has-text("Confirm refund")');
    await page.waitForURL(`${stack.workerUrl}/admin/transactions/${txn.id}`);
    expect(await page.textContent('.flash')).toContain('Refund accepted by PayMob');
    const timeline = (await page.textContent('ol.timeline')) ?? '';
    expect(timeline).toContain('transaction.refund by');
    expect(timeline).toContain('Refund');
    await page.screenshot({ path: `${SCREENSHOTS}transaction-refunded.png`, fullPage: true });
    await page.goto(`${stack.workerUrl}/admin/audit?action=transaction.refund`);
    expect(await page.textContent('main')).toContain(`transaction #${txn.id}`);
    const [row] = await db.select().from(transactions).where(eq(transactions.id, txn.id));
    expect(row).toMatchObject({ status: 'succeeded', refundedCents: 40_00 });
    await context.close();
  });

  it('ADMIN enrols two-factor, signs in with a code and refunds with a step-up code', async () => {
    const txn = await paidTransaction(stack);
    const admin = await createAccount('ADMIN');
    const context = await noScriptContext();
    const page = await context.newPage();
    await signIn(page, stack.workerUrl, admin.username);
    await page.waitForURL(`${stack.workerUrl}/admin/`);

    // Enrol from the account page: the key is read off the page and the code computed here (docs/accounts.md §3).
    await page.click(`a:has-text("${admin.username}")`);
    await page.click('button:has-text("Set up two-factor authentication")');
    expect(await page.locator('.qr svg').count()).toBe(1);
    const secret = ((await page.textContent('#totp-secret')) ?? '').trim();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
    // Each code must be from a later 30-second step than the last accepted one (replays are refused).
    let lastStep = Math.floor(Date.now() / 30_000) - 2;
    const nextCode = async () => {
      const step = Math.max(lastStep + 1, Math.floor(Date.now() / 30_000));
      while (step > Math.floor(Date.now() / 30_000) + 1) await new Promise((r) => setTimeout(r, 500));
      lastStep = step;
      return totp.generate({ timestamp: step * 30_000 });
    };
    await page.fill('input[name=code]', await nextCode());
    await page.click('button:has-text("Turn on two-factor")');
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await page.screenshot({ path: `${SCREENSHOTS}two-factor-recovery-codes.png`, fullPage: true });

    // Sign out, then in again: the password alone opens only the code page.
    await page.goto(`${stack.workerUrl}/admin/`);
    await page.click('button:has-text("Sign out")');
    await signIn(page, stack.workerUrl, admin.username);
    await page.waitForURL(/\/admin\/sign-in\/code/);
    await page.goto(`${stack.workerUrl}/admin/transactions/${txn.id}`);
    expect(page.url()).toContain('/admin/sign-in/code');
    await page.fill('input[name=code]', await nextCode());
    await page.click('button:has-text("Verify")');
    await page.waitForURL(`${stack.workerUrl}/admin/transactions/${txn.id}`);

    // Six minutes later (as if): the refund asks for a fresh code.
    await db
      .update(userTotp)
      .set({ confirmedAt: new Date(Date.now() - 60 * 60_000) })
      .where(eq(userTotp.userId, admin.id));
    await db
      .update(adminSessions)
      .set({ secondFactorAt: new Date(Date.now() - 6 * 60_000) })
      .where(eq(adminSessions.userId, admin.id));
    await page.fill('input[name=amount]', '25.00');
    await page.click('button:has-text("Review refund")');
    await page.waitForURL(new RegExp(`/admin/transactions/${txn.id}/refund`));
    await page.fill('input[name=code]', await nextCode());
    await page.screenshot({ path: `${SCREENSHOTS}refund-step-up.png`, fullPage: true });
    await page.click('button:has-text("Confirm refund")');
    await page.waitForURL(`${stack.workerUrl}/admin/transactions/${txn.id}`);
    expect(await page.textContent('.flash')).toContain('Refund accepted by PayMob');
    const [row] = await db.select().from(transactions).where(eq(transactions.id, txn.id));
    expect(row).toMatchObject({ status: 'succeeded', refundedCents: 25_00 });
    await context.close();
  });
});
