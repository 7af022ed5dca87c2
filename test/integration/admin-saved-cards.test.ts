import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cardFingerprint, sealCardToken } from '../../src/cards/seal';
import { addresses, auditLog, paymentLinks, savedCards, transactions } from '../../src/db/schema';
import { TEST_SECRETS } from '../test-env';
import { customerIdOf, signedIn, textOf } from './admin-helpers';
import { createUser, testDb } from './helpers';
import { insertTransaction } from './transactions-support';

const KEY = { CARD_TOKEN_KEY: TEST_SECRETS.CARD_TOKEN_KEY };

/** A card saved for the customer as the TOKEN callback would store it, sealed under the test key. */
async function saveCard(customerId: number, brand: string, last4: string) {
  const token = `tok_${crypto.randomUUID().replaceAll('-', '')}`;
  const sealed = await sealCardToken(KEY, customerId, token);
  const inserted = await testDb()
    .insert(savedCards)
    .values({
      customerId,
      tokenCiphertext: sealed,
      fingerprint: await cardFingerprint(KEY, customerId, brand, `xxxx-xxxx-xxxx-${last4}`),
      brand,
      last4,
    });
  return { id: Number(inserted.insertId), token, sealed };
}

async function cardsOf(customerId: number) {
  return testDb().select().from(savedCards).where(eq(savedCards.customerId, customerId));
}

async function cardAudits(cardId: number) {
  return testDb()
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.targetType, 'saved_card'), eq(auditLog.targetId, String(cardId))));
}

describe('admin: saved cards on the customer page (docs/api.md §8)', () => {
  it('shows brand, last four and dates, never the token; ADMIN removes one (CSRF, audited)', async () => {
    const admin = await createUser({ role: 'ADMIN' });
    const customerId = await customerIdOf(await createUser());
    const visa = await saveCard(customerId, 'Visa', '4242');
    const master = await saveCard(customerId, 'MasterCard', '2346');
    // Two addresses × two cards: the page's one joined query must show each once.
    await testDb().insert(addresses).values({ customerId, city: 'Giza', line: '2 Pyramids Rd' });
    const browser = await signedIn(admin);

    const html = await browser.page(`/admin/customers/${customerId}`);
    expect(html.match(/action="\/admin\/customers\/\d+\/addresses\/\d+"/g)).toHaveLength(2);
    const text = textOf(html);
    expect(text).toContain('Saved cards');
    expect(text).toContain('Visa •••• 4242');
    expect(text).toContain('MasterCard •••• 2346');
    expect(html.match(/data-testid="saved-card"/g)).toHaveLength(2);
    // Newest first (saved in the same second: the later id first).
    expect(html.indexOf(`id="card-${master.id}"`)).toBeLessThan(html.indexOf(`id="card-${visa.id}"`));
    for (const secret of [visa.token, visa.sealed, master.token, master.sealed]) {
      expect(html).not.toContain(secret);
    }
    expect(html).toContain(`action="/admin/customers/${customerId}/cards/${visa.id}/delete"`);

    const forged = await browser.post(
      `/admin/customers/${customerId}/cards/${visa.id}/delete`,
      {},
      { withoutCsrf: true },
    );
    expect(forged.status).toBe(403);
    expect(await cardsOf(customerId)).toHaveLength(2);

    const removed = await browser.post(`/admin/customers/${customerId}/cards/${visa.id}/delete`);
    expect(removed.status).toBe(303);
    expect(removed.headers.get('Location')).toBe(`/admin/customers/${customerId}#saved-cards`);
    expect((await cardsOf(customerId)).map((c) => c.id)).toEqual([master.id]);
    const afterHtml = await browser.page(`/admin/customers/${customerId}`);
    expect(textOf(afterHtml)).toContain('Card Visa •••• 4242 removed.');
    expect(afterHtml.match(/data-testid="saved-card"/g)).toHaveLength(1);
    expect(afterHtml).toContain(`id="card-${master.id}"`);
    expect(afterHtml).not.toContain(`id="card-${visa.id}"`);

    const [audit, ...more] = await cardAudits(visa.id);
    expect(more).toHaveLength(0);
    expect(audit).toMatchObject({
      actorUserId: admin.id,
      action: 'saved_card.delete',
      details: { customer_id: customerId, brand: 'Visa', last4: '4242' },
    });
    expect(JSON.stringify(audit?.details)).not.toContain(visa.token);

    // Removed already → 404 as a flash, nothing more audited.
    const again = await browser.post(`/admin/customers/${customerId}/cards/${visa.id}/delete`);
    expect(again.status).toBe(303);
    expect(textOf(await browser.page(`/admin/customers/${customerId}`))).toContain(
      'No saved card with this id.',
    );
    expect(await cardAudits(visa.id)).toHaveLength(1);
  });

  it("another customer's card id in the URL deletes nothing", async () => {
    const admin = await createUser({ role: 'ADMIN' });
    const mine = await customerIdOf(await createUser());
    const theirs = await customerIdOf(await createUser());
    const card = await saveCard(theirs, 'Visa', '1111');
    const browser = await signedIn(admin);
    await browser.page(`/admin/customers/${mine}`);
    const response = await browser.post(`/admin/customers/${mine}/cards/${card.id}/delete`);
    expect(response.status).toBe(303);
    expect(textOf(await browser.page(`/admin/customers/${mine}`))).toContain('No saved card with this id.');
    expect(await cardsOf(theirs)).toHaveLength(1);
    expect(await cardAudits(card.id)).toHaveLength(0);
  });

  it('STAFF see the cards but cannot remove them (no button; the POST is 403)', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const customerId = await customerIdOf(await createUser());
    const card = await saveCard(customerId, 'MasterCard', '2346');
    const browser = await signedIn(staff);
    const html = await browser.page(`/admin/customers/${customerId}`);
    expect(textOf(html)).toContain('MasterCard •••• 2346');
    expect(html).not.toContain('/delete"');
    const refused = await browser.post(`/admin/customers/${customerId}/cards/${card.id}/delete`);
    expect(refused.status).toBe(403);
    expect(await cardsOf(customerId)).toHaveLength(1);
    expect(await cardAudits(card.id)).toHaveLength(0);
  });
});

describe('admin: the transactions list shows the payment method and the payment link', () => {
  it('a wallet payment shows its method; a link payment links to its payment link', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const customerId = await customerIdOf(await createUser());
    const walletId = await insertTransaction(customerId, {
      status: 'succeeded',
      methodType: 'wallet',
      methodSubType: 'vodafone',
    });
    const link = await testDb()
      .insert(paymentLinks)
      .values({
        publicId: crypto.randomUUID().replaceAll('-', '').slice(0, 22),
        amountCents: 4200,
        currency: 'EGP',
        description: 'Admin list test',
        expiresAt: new Date(Date.now() + 3_600_000),
      });
    const linkId = Number(link.insertId);
    const now = new Date();
    const merchantOrderId = `SP-L${crypto.randomUUID().replaceAll('-', '').slice(0, 25).toUpperCase()}`;
    await testDb().insert(transactions).values({
      customerId: null,
      paymentLinkId: linkId,
      merchantOrderId,
      amountCents: 4200,
      currency: 'EGP',
      status: 'succeeded',
      methodType: 'card',
      createdAt: now,
      updatedAt: now,
    });
    const [wallet] = await testDb()
      .select({ merchantOrderId: transactions.merchantOrderId })
      .from(transactions)
      .where(eq(transactions.id, walletId));
    const browser = await signedIn(staff);

    const list = await browser.page('/admin/transactions');
    expect(textOf(list)).toContain('Method');
    expect(textOf(list)).toContain('Payment link');

    const walletRow = await browser.page(`/admin/transactions?reference=${wallet?.merchantOrderId}`);
    expect(walletRow).toContain('data-testid="method-type">wallet<');
    expect(walletRow).not.toContain('data-testid="payment-link"');

    const linkRow = await browser.page(`/admin/transactions?reference=${merchantOrderId}`);
    expect(linkRow).toContain('data-testid="method-type">card<');
    expect(linkRow).toContain(`href="/admin/payment-links/${linkId}" data-testid="payment-link"`);
    expect(textOf(linkRow)).toContain(`Link #${linkId}`);
  });
});
