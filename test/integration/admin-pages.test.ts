import { and, eq, isNotNull } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  auditLog,
  customers,
  emailEvents,
  paymentEvents,
  refreshTokens,
  type TransactionStatus,
  transactions,
} from '../../src/db/schema';
import { ulid } from '../../src/lib/crypto';
import {
  type AdminBrowser,
  customerIdOf,
  expectSecurityHeaders,
  signedIn,
  submitKyc,
  textOf,
} from './admin-helpers';
import { api, createUser, roundTrips, type TestUser, testDb, uniqueName, uniqueRequestId } from './helpers';

/** A customer with a name, so pages have something to show. */
async function namedCustomer(first = 'Mona', last = 'Adel'): Promise<TestUser & { customerId: number }> {
  const user = await createUser();
  const customerId = await customerIdOf(user);
  await testDb()
    .update(customers)
    .set({ firstName: first, lastName: last })
    .where(eq(customers.id, customerId));
  return { ...user, customerId };
}

async function insertTransaction(
  customerId: number,
  values: { status?: TransactionStatus; amountCents?: number; currency?: string; createdAt?: Date } = {},
): Promise<{ id: number; merchantOrderId: string }> {
  const merchantOrderId = `SP-${ulid()}`;
  const inserted = await testDb()
    .insert(transactions)
    .values({
      customerId,
      merchantOrderId,
      amountCents: values.amountCents ?? 15_000,
      currency: values.currency ?? 'EGP',
      status: values.status ?? 'succeeded',
      createdAt: values.createdAt ?? new Date(),
    });
  return { id: Number(inserted.insertId), merchantOrderId };
}

/** Loads a page with its own request id and answers the simulator's count of statements for it. */
async function measured(browser: AdminBrowser, path: string): Promise<{ html: string; queries: number }> {
  const requestId = uniqueRequestId('admin-page');
  const html = await browser.page(path, 200, requestId);
  return { html, queries: await roundTrips(requestId) };
}

describe('admin pages render with a fixed, small number of database round trips', () => {
  it('dashboard: counts and the 30-day SVG chart (session + 2 queries)', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const customer = await namedCustomer();
    await insertTransaction(customer.customerId, { status: 'succeeded', amountCents: 250_00 });
    await insertTransaction(customer.customerId, { status: 'failed' });
    await insertTransaction(customer.customerId, {
      status: 'succeeded',
      createdAt: new Date(Date.now() - 3 * 24 * 60 * 60 * 1000),
    });
    const browser = await signedIn(staff);
    const { html, queries } = await measured(browser, '/admin/');
    expect(queries).toBe(3);
    const text = textOf(html);
    for (const label of ['Users', 'Customers', 'KYC pending', 'Transactions', 'Transactions by status']) {
      expect(text).toContain(label);
    }
    expect(html).toMatch(/<svg class="chart" viewBox="0 0 720 260" role="img"/);
    expect((html.match(/<rect class="bar/g) ?? []).length).toBe(30);
    expect(html).toContain('<polyline');
    expect(html).not.toMatch(/<script|style="/i);
  });

  it('users list: search, role and active filters (session + 1 query)', async () => {
    const admin = await createUser({ role: 'ADMIN' });
    const prefix = uniqueName('findme');
    const target = await createUser({ role: 'STAFF', username: `${prefix}_staff` });
    await createUser({ username: `${prefix}_cust` });
    const browser = await signedIn(admin);
    const { html, queries } = await measured(browser, `/admin/users?search=${prefix}&role=STAFF&active=true`);
    expect(queries).toBe(2);
    expect(html).toContain(target.username);
    expect(html).not.toContain(`${prefix}_cust`);
    expect(textOf(html)).toContain('Showing 1–1 of 1');
    expect(html).toContain(`action="/admin/users/${target.id}"`);
    // After saving, the admin comes back to the same filtered page.
    expect(html).toContain(
      `name="back" value="/admin/users?search=${prefix}&amp;role=STAFF&amp;active=true"`,
    );
  });

  it('STAFF sees the users list without the access forms', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const html = await (await signedIn(staff)).page(`/admin/users?search=${staff.username}`);
    expect(html).toContain(staff.username);
    expect(html).not.toContain('name="role_management"');
    expect(textOf(html)).toContain('Only administrators can change roles or activation.');
  });

  it('users list: Last login is the API login recorded in its refresh-token row (derived last_login)', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const customer = await createUser();
    const browser = await signedIn(staff);
    const beforeLogin = await browser.page(`/admin/users?search=${customer.username}`);
    // Joined only: no login yet.
    expect(beforeLogin.match(/<time datetime=/g)).toHaveLength(1);
    const res = await api('/api/v1/users/login/', {
      method: 'POST',
      json: { username: customer.username, password: customer.password },
    });
    expect(res.status).toBe(200);
    const [row] = await testDb()
      .select({ loginAt: refreshTokens.loginAt })
      .from(refreshTokens)
      .where(and(eq(refreshTokens.userId, customer.id), isNotNull(refreshTokens.loginAt)));
    expect(row?.loginAt).toBeInstanceOf(Date);
    const html = await browser.page(`/admin/users?search=${customer.username}`);
    expect(html.match(/<time datetime=/g)).toHaveLength(2);
    expect(html).toContain(`<time datetime="${row?.loginAt?.toISOString()}"`);
  });

  it('customers list: exactly the documented columns, search, and no add or delete anywhere', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const last = uniqueName('Lastname');
    const customer = await namedCustomer('Salma', last);
    const browser = await signedIn(staff);
    const { html, queries } = await measured(browser, `/admin/customers?search=${last}`);
    expect(queries).toBe(2);
    const headers = [...html.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]);
    expect(headers).toEqual(['Id', 'First name', 'Last name', 'E-mail', 'Verified', 'Created']);
    const text = textOf(html);
    expect(text).toContain(`${customer.customerId} Salma ${last} ${customer.email} Not verified`);
    expect(text).not.toMatch(/\b(add|new|create|delete|remove)\b/i);
    expect(html).not.toMatch(/method="post"[^>]*action="\/admin\/customers/);
  });

  it('customer page: profile, KYC with a document link, addresses, transactions (session + 2 queries)', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const customer = await namedCustomer();
    await submitKyc(customer.customerId);
    await insertTransaction(customer.customerId);
    const browser = await signedIn(staff);
    const { html, queries } = await measured(browser, `/admin/customers/${customer.customerId}`);
    expect(queries).toBe(3);
    const text = textOf(html);
    expect(text).toContain(`Customer #${customer.customerId} · Mona Adel`);
    expect(text).toContain('29001011234567');
    expect(html).toContain(`href="/admin/customers/${customer.customerId}/kyc/document"`);
    expect(html).toContain(`action="/admin/customers/${customer.customerId}/kyc"`);
    expect(html).not.toContain('name="document_id"');
    expect(html).toContain('Approve KYC');
    expect(html).toContain('Reject KYC');
    expect(html).toMatch(/action="\/admin\/customers\/\d+\/addresses\/\d+"/);
    expect(text).toContain('Latest transactions');
  });

  it('an unknown customer is a 404 page', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const browser = await signedIn(staff);
    const response = await browser.send('/admin/customers/999999999');
    expect(response.status).toBe(404);
    expectSecurityHeaders(response);
    expect(textOf(await response.text())).toContain('No customer with this id.');
  });

  it('transactions list: status and date filters (session + 1 query)', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const customer = await namedCustomer();
    const recent = await insertTransaction(customer.customerId, { status: 'failed' });
    const old = await insertTransaction(customer.customerId, {
      status: 'failed',
      createdAt: new Date('2024-03-10T12:00:00Z'),
    });
    const paid = await insertTransaction(customer.customerId, { status: 'succeeded' });
    const browser = await signedIn(staff);
    const today = new Date().toISOString().slice(0, 10);
    const { html, queries } = await measured(
      browser,
      `/admin/transactions?status=failed&from=${today}&to=${today}&customer=${customer.customerId}`,
    );
    expect(queries).toBe(2);
    expect(html).toContain(recent.merchantOrderId);
    expect(html).not.toContain(old.merchantOrderId);
    expect(html).not.toContain(paid.merchantOrderId);

    const march = await browser.page(
      `/admin/transactions?from=2024-03-10&to=2024-03-10&customer=${customer.customerId}`,
    );
    expect(march).toContain(old.merchantOrderId);
    expect(march).not.toContain(recent.merchantOrderId);

    const invalid = await browser.page('/admin/transactions?from=2024-02-30');
    expect(textOf(invalid)).toContain('Some filters were ignored.');
  });

  it('transaction page: details and a timeline of every stored callback (session + 2 queries)', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const customer = await namedCustomer();
    const txn = await insertTransaction(customer.customerId, { status: 'succeeded', amountCents: 1_234_50 });
    const paymobId = Math.floor(Math.random() * 1e12);
    await testDb()
      .insert(paymentEvents)
      .values([
        {
          transactionId: txn.id,
          paymobTransactionId: paymobId,
          kind: 'transaction',
          source: 'processed_callback',
          type: 'TRANSACTION',
          merchantOrderId: txn.merchantOrderId,
          amountCents: 1_234_50,
          currency: 'EGP',
          success: true,
          pending: false,
          outcome: 'applied',
          rawBody: { type: 'TRANSACTION', obj: { id: paymobId, success: true } },
          receivedAt: new Date(Date.now() + 1000),
        },
        {
          transactionId: txn.id,
          paymobTransactionId: paymobId,
          kind: 'response',
          source: 'response_callback',
          type: 'TRANSACTION',
          merchantOrderId: txn.merchantOrderId,
          success: true,
          outcome: 'ignored',
          rawBody: { success: 'true' },
          receivedAt: new Date(Date.now() + 2000),
        },
      ]);
    const browser = await signedIn(staff);
    const { html, queries } = await measured(browser, `/admin/transactions/${txn.id}`);
    expect(queries).toBe(3);
    const text = textOf(html);
    expect(text).toContain(txn.merchantOrderId);
    expect(text).toContain('1,234.50 EGP');
    expect((html.match(/<li>/g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(text).toContain('Processed callback');
    expect(text).toContain('Response callback');
    expect(text).toContain(String(paymobId));
    // Refunds and voids are not wired yet: no form on this page posts anywhere.
    expect(html).not.toMatch(/method="post"[^>]*action="\/admin\/transactions/);
  });

  it('e-mails list: status, kind and recipient filters (session + 1 query)', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const recipient = `${uniqueName('mail')}@example.com`;
    await testDb()
      .insert(emailEvents)
      .values([
        {
          idempotencyKey: `test:${ulid()}`,
          kind: 'kyc_review',
          recipient,
          subject: 'Your KYC',
          status: 'sent',
          provider: 'mailgun',
        },
        {
          idempotencyKey: `test:${ulid()}`,
          kind: 'verification_code',
          recipient,
          subject: 'Verify your email',
          status: 'failed',
          provider: 'mailgun',
          lastError: 'mailbox full',
        },
      ]);
    const browser = await signedIn(staff);
    const { html, queries } = await measured(
      browser,
      `/admin/emails?recipient=${recipient}&status=failed&kind=verification_code`,
    );
    expect(queries).toBe(2);
    const text = textOf(html);
    expect(text).toContain('Verify your email');
    expect(text).toContain('mailbox full');
    expect(text).not.toContain('Your KYC');
  });

  it('audit log: action and actor filters, paginated (session + 1 query)', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const actor = await createUser({ role: 'ADMIN' });
    await testDb()
      .insert(auditLog)
      .values(
        Array.from({ length: 30 }, (_, i) => ({
          actorUserId: actor.id,
          action: i % 2 === 0 ? 'user.role_change' : 'kyc.review',
          targetType: 'user',
          targetId: String(i),
          details: { n: i },
        })),
      );
    const browser = await signedIn(staff);
    const first = await measured(browser, `/admin/audit?actor=${actor.username}`);
    expect(first.queries).toBe(2);
    expect(textOf(first.html)).toContain('Showing 1–25 of 30');
    expect(first.html).toContain(`href="/admin/audit?actor=${actor.username}&amp;page=2"`);
    const second = await browser.page(`/admin/audit?actor=${actor.username}&page=2`);
    expect(textOf(second)).toContain('Showing 26–30 of 30');
    const filtered = await browser.page(`/admin/audit?actor=${actor.id}&action=kyc.review`);
    expect(textOf(filtered)).toContain('of 15');
    const past = await browser.page(`/admin/audit?actor=${actor.username}&page=9`);
    expect(textOf(past)).toContain('past the end');
  });

  it('every page carries the security headers and no script', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const browser = await signedIn(staff);
    for (const path of [
      '/admin/',
      '/admin/users',
      '/admin/customers',
      '/admin/transactions',
      '/admin/emails',
      '/admin/audit',
    ]) {
      const response = await browser.send(path);
      expect(response.status, path).toBe(200);
      expectSecurityHeaders(response);
      expect(await response.text()).not.toMatch(/<script|\son[a-z]+="/i);
    }
  });
});
