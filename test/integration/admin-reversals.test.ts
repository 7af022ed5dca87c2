import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, transactions } from '../../src/db/schema';
import { type AdminBrowser, signedIn, textOf } from './admin-helpers';
import { createUser, roundTrips, testDb, uniqueRequestId } from './helpers';
import { succeededPayment } from './lifecycle-support';
import { addFault, clearFaults } from './transactions-support';

async function row(id: number) {
  const [found] = await testDb()
    .select({ status: transactions.status, refundedCents: transactions.refundedCents })
    .from(transactions)
    .where(eq(transactions.id, id));
  return found;
}

/** Opens the confirmation page and answers its nonce (and the page). */
async function confirmation(browser: AdminBrowser, path: string): Promise<{ html: string; nonce: string }> {
  const html = await browser.page(path);
  const nonce = /name="confirmation" value="([0-9a-f]{32})"/.exec(html)?.[1];
  if (!nonce) throw new Error(`no confirmation nonce on ${path}`);
  return { html, nonce };
}

describe('refund and void from the admin (through the payments service)', () => {
  it('ADMIN refunds part of a payment after a confirmation page; timeline and audit log show it', async () => {
    const { txn } = await succeededPayment('150.00');
    const admin = await createUser({ role: 'ADMIN' });
    const browser = await signedIn(admin);
    const detail = await browser.page(`/admin/transactions/${txn.id}`);
    expect(detail).toContain(`action="/admin/transactions/${txn.id}/refund"`);
    expect(detail).toContain(`action="/admin/transactions/${txn.id}/void"`);

    // The first step is a GET: nothing happens until the confirmation is posted.
    const { html, nonce } = await confirmation(browser, `/admin/transactions/${txn.id}/refund?amount=40.00`);
    expect(textOf(html)).toContain('You are about to refund 40.00 EGP.');
    expect(await row(txn.id)).toMatchObject({ status: 'succeeded', refundedCents: 0 });

    const requestId = uniqueRequestId('admin-refund');
    const response = await browser.post(
      `/admin/transactions/${txn.id}/refund`,
      { amount: '40.00', confirmation: nonce },
      { requestId },
    );
    expect(response.status).toBe(303);
    expect(response.headers.get('Location')).toBe(`/admin/transactions/${txn.id}`);
    expect(await row(txn.id)).toMatchObject({ status: 'succeeded', refundedCents: 40_00 });
    // session + the refund service (load, reservation: guarded claim + ledger row, audit, PayMob's answer
    // applied: read, event, the reservation becomes the child's ledger row, recomputed sum, reload).
    // Was 7 before the reservation and the ledger (docs/payments.md).
    expect(await roundTrips(requestId)).toBeLessThanOrEqual(10);

    const page = textOf(await browser.page(`/admin/transactions/${txn.id}`));
    expect(page).toContain(
      'Refund accepted by PayMob. Refunded so far: 40.00 EGP; the payment is succeeded.',
    );
    expect(page).toContain('transaction.refund by');
    expect(page).toContain('Api response');
    const audit = textOf(
      await browser.page(`/admin/audit?action=transaction.refund&actor=${admin.username}`),
    );
    expect(audit).toContain(`transaction #${txn.id}`);
  });

  it('a confirmation posted twice (double click) refunds once', async () => {
    const { txn } = await succeededPayment('150.00');
    const browser = await signedIn(await createUser({ role: 'ADMIN' }));
    const { nonce } = await confirmation(browser, `/admin/transactions/${txn.id}/refund?amount=10.00`);
    const [first, second] = await Promise.all([
      browser.post(`/admin/transactions/${txn.id}/refund`, { amount: '10.00', confirmation: nonce }),
      browser.post(`/admin/transactions/${txn.id}/refund`, { amount: '10.00', confirmation: nonce }),
    ]);
    expect([first.status, second.status]).toEqual([303, 303]);
    expect(await row(txn.id)).toMatchObject({ refundedCents: 10_00 });
    const refunds = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'transaction.refund'), eq(auditLog.targetId, String(txn.id))));
    expect(refunds).toHaveLength(1);
  });

  it('an empty amount refunds everything not refunded yet: the payment becomes refunded', async () => {
    const { txn } = await succeededPayment('75.50');
    const browser = await signedIn(await createUser({ role: 'ADMIN' }));
    const { html, nonce } = await confirmation(browser, `/admin/transactions/${txn.id}/refund?amount=`);
    expect(textOf(html)).toContain('refund everything not refunded yet: 75.50 EGP');
    const response = await browser.post(`/admin/transactions/${txn.id}/refund`, {
      amount: '',
      confirmation: nonce,
    });
    expect(response.status).toBe(303);
    expect(await row(txn.id)).toMatchObject({ status: 'refunded', refundedCents: 75_50 });
    // Nothing left to reverse: the forms are gone.
    expect(await browser.page(`/admin/transactions/${txn.id}`)).not.toContain(
      `/admin/transactions/${txn.id}/refund"`,
    );
  });

  it('an amount above what remains is refused by the service; the message is shown and nothing changes', async () => {
    const { txn } = await succeededPayment('20.00');
    const browser = await signedIn(await createUser({ role: 'ADMIN' }));
    const { nonce } = await confirmation(browser, `/admin/transactions/${txn.id}/refund?amount=25.00`);
    const response = await browser.post(`/admin/transactions/${txn.id}/refund`, {
      amount: '25.00',
      confirmation: nonce,
    });
    expect(response.status).toBe(303);
    expect(textOf(await browser.page(`/admin/transactions/${txn.id}`))).toContain(
      'Amount: Ensure this value is less than or equal to 20.00',
    );
    expect(await row(txn.id)).toMatchObject({ status: 'succeeded', refundedCents: 0 });
  });

  it('a refund whose PayMob answer is unreadable shows "outcome unknown — check PayMob", in the flash and on the payment', async () => {
    const { txn } = await succeededPayment('50.00');
    await addFault({ mode: 'unreadable-answer', match: `merchant_order_id=${txn.merchant_order_id}` });
    const browser = await signedIn(await createUser({ role: 'ADMIN' }));
    const { nonce } = await confirmation(browser, `/admin/transactions/${txn.id}/refund?amount=20.00`);
    const response = await browser.post(`/admin/transactions/${txn.id}/refund`, {
      amount: '20.00',
      confirmation: nonce,
    });
    await clearFaults();
    expect(response.status).toBe(303);
    const page = textOf(await browser.page(`/admin/transactions/${txn.id}`));
    expect(page).toContain('Outcome unknown — check PayMob');
    expect(page).toContain('20.00 EGP: outcome unknown — check PayMob.');
    expect(await row(txn.id)).toMatchObject({ status: 'succeeded', refundedCents: 0 });
  });

  it('ADMIN voids a payment on its day', async () => {
    const { txn } = await succeededPayment('30.00');
    const browser = await signedIn(await createUser({ role: 'ADMIN' }));
    const { html, nonce } = await confirmation(browser, `/admin/transactions/${txn.id}/void`);
    expect(textOf(html)).toContain('You are about to void the whole payment of 30.00 EGP.');
    const response = await browser.post(`/admin/transactions/${txn.id}/void`, { confirmation: nonce });
    expect(response.status).toBe(303);
    expect(await row(txn.id)).toMatchObject({ status: 'voided' });
    expect(textOf(await browser.page(`/admin/transactions/${txn.id}`))).toContain(
      'Void accepted by PayMob; the payment is voided.',
    );
  });

  it('STAFF sees no reversal forms and gets a 403 page for both steps', async () => {
    const { txn } = await succeededPayment('15.00');
    const browser = await signedIn(await createUser({ role: 'STAFF' }));
    const detail = await browser.page(`/admin/transactions/${txn.id}`);
    expect(detail).not.toContain('/refund"');
    expect(detail).not.toContain('/void"');
    expect((await browser.send(`/admin/transactions/${txn.id}/refund`)).status).toBe(403);
    const post = await browser.post(`/admin/transactions/${txn.id}/void`, { confirmation: 'a'.repeat(32) });
    expect(post.status).toBe(403);
    expect(textOf(await post.text())).toContain('Only ADMIN users can void payments.');
    expect(await row(txn.id)).toMatchObject({ status: 'succeeded' });
  });

  it('a refund without the CSRF token or without a confirmation does nothing', async () => {
    const { txn } = await succeededPayment('15.00');
    const browser = await signedIn(await createUser({ role: 'ADMIN' }));
    const { nonce } = await confirmation(browser, `/admin/transactions/${txn.id}/refund`);
    const noToken = await browser.post(
      `/admin/transactions/${txn.id}/refund`,
      { confirmation: nonce },
      { withoutCsrf: true },
    );
    expect(noToken.status).toBe(403);
    const noConfirmation = await browser.post(`/admin/transactions/${txn.id}/refund`, {});
    expect(noConfirmation.status).toBe(303);
    expect(textOf(await browser.page(`/admin/transactions/${txn.id}`))).toContain('nothing more was done');
    expect(await row(txn.id)).toMatchObject({ status: 'succeeded', refundedCents: 0 });
  });
});
