import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, paymentLinks } from '../../src/db/schema';
import { signedIn, textOf } from './admin-helpers';
import { api, createUser, testDb } from './helpers';
import { INTENTION, linkTransactions, startCheckout } from './payment-links-support';

describe('admin: payment links', () => {
  it('STAFF creates a link, sees it with its payments, and deactivates it', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const browser = await signedIn(staff);
    const description = `Invoice ${crypto.randomUUID().slice(0, 8)}`;
    const list = await browser.page('/admin/payment-links');
    expect(list).toContain('href="/admin/payment-links"');

    const refused = await browser.post('/admin/payment-links', {
      amount: 'abc',
      description,
      expires_in_days: '7',
      single_use: 'on',
    });
    expect(refused.status).toBe(400);
    expect(textOf(await refused.text())).toContain('Amount:');
    const created = await browser.post('/admin/payment-links', {
      amount: '120.00',
      description,
      expires_in_days: '3',
      single_use: 'on',
    });
    expect(created.status).toBe(303);
    const [row] = await testDb().select().from(paymentLinks).where(eq(paymentLinks.description, description));
    if (!row) throw new Error('no link created');
    expect(row).toMatchObject({
      amountCents: 12000,
      singleUse: true,
      createdByUserId: staff.id,
      status: 'active',
    });
    expect(created.headers.get('Location')).toBe(`/admin/payment-links/${row.id}`);
    expect(textOf(await browser.page('/admin/payment-links'))).toContain(description);

    const detail = await browser.page(`/admin/payment-links/${row.id}`);
    const url = /id="payment-link-url">([^<]+)</.exec(detail)?.[1]?.trim();
    if (!url) throw new Error('no URL on the detail page');
    expect(textOf(detail)).toContain('No checkout was started');
    await startCheckout({ url }, INTENTION);
    const [txn] = await linkTransactions(row.id);
    expect(await browser.page(`/admin/payment-links/${row.id}`)).toContain(txn?.merchantOrderId ?? '?');
    // The transaction's own admin page works without a customer.
    expect(textOf(await browser.page(`/admin/transactions/${txn?.id}`))).toContain('Payment link payer');

    const forged = await browser.post(`/admin/payment-links/${row.id}/deactivate`, {}, { withoutCsrf: true });
    expect(forged.status).toBe(403);
    const deactivated = await browser.post(`/admin/payment-links/${row.id}/deactivate`, {});
    expect(deactivated.status).toBe(303);
    const [after] = await testDb().select().from(paymentLinks).where(eq(paymentLinks.id, row.id));
    expect(after?.status).toBe('deactivated');
    const audits = await testDb()
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, String(row.id)));
    expect(
      audits
        .filter((a) => a.targetType === 'payment_link')
        .map((a) => a.action)
        .sort(),
    ).toEqual(['payment_link.create', 'payment_link.deactivate']);
    expect((await api(new URL(url).pathname)).status).toBe(410);
  });
});
