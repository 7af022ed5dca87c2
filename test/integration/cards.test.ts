/**
 * Saved cards (docs/api.md "Saved cards"): opt-in with `save_card`, the signed TOKEN callback stores the card
 * (sealed) only for the customer whose payment asked, `GET/DELETE customers/cards/`, and `card_id` paying
 * through unified checkout's saved-card form (the intention's `card_tokens`) without the card form.
 */
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { paymentEvents, transactions } from '../../src/db/schema';
import { ALL_SCOPES, createKey } from './api-keys-support';
import {
  CARDS_PATH,
  callbacksOf,
  cardRows,
  checkoutPage,
  deliverAll,
  deliverToken,
  INTENTION,
  listCardsOf,
  MASTERCARD,
  offeredTokens,
  payAndSave,
  startedPayment,
  startPayment,
  submitCheckout,
} from './cards-support';
import { api, apiWithEnv, describeAuthorization, type Problem, readJson, testDb } from './helpers';
import {
  addFault,
  clearFaults,
  createPayer,
  customerIdOf,
  deliverRecorded,
  makeReadyToPay,
  recordedCallbacks,
  TXN,
  transactionRow,
} from './transactions-support';

async function tokenEvent(id: number) {
  const [row] = await testDb()
    .select()
    .from(paymentEvents)
    .where(and(eq(paymentEvents.paymobTransactionId, id), eq(paymentEvents.kind, 'token')));
  return row;
}

describe('saving a card', () => {
  it('stores the card from the TOKEN callback: brand and last four shown, the token sealed and never shown', async () => {
    const payer = await createPayer();
    const { txn, token } = await payAndSave(payer);
    expect((await transactionRow(txn.id)).status).toBe('succeeded');
    const { text, cards } = await listCardsOf(payer);
    expect(cards).toHaveLength(1);
    expect(cards[0]).toMatchObject({ brand: 'MasterCard', last4: '2346' });
    expect(Object.keys(cards[0] ?? {}).sort()).toEqual(['brand', 'created_at', 'id', 'last4', 'updated_at']);
    const plain = String(token.body.obj.token);
    expect(text).not.toContain(plain);
    const [row] = await cardRows(payer.customerId);
    expect(row?.tokenCiphertext.startsWith('v1:')).toBe(true);
    expect(row?.tokenCiphertext).not.toContain(plain);
    expect(row?.transactionId).toBe(txn.id);
    // The stored callback keeps no clear token either.
    const event = await tokenEvent(token.body.obj.id);
    expect(event?.outcome).toBe('applied');
    expect(JSON.stringify(event?.rawBody)).not.toContain(plain);
  });

  it('a redelivered TOKEN callback changes nothing; the same card saved again updates its row', async () => {
    const payer = await createPayer();
    const { token } = await payAndSave(payer);
    await deliverAll([token]);
    const [first] = await cardRows(payer.customerId);
    expect(await cardRows(payer.customerId)).toHaveLength(1);
    // The sandbox issues a new token for the same card (PayMob's plugin expects the token to change).
    const again = await payAndSave(payer);
    expect(again.token.body.obj.token).not.toBe(token.body.obj.token);
    const rows = await cardRows(payer.customerId);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id).toBe(first?.id);
    expect(rows[0]?.tokenCiphertext).not.toBe(first?.tokenCiphertext);
    expect(rows[0]?.transactionId).toBe(again.txn.id);
    expect(rows[0]?.updatedAt.getTime()).toBeGreaterThanOrEqual(first?.updatedAt.getTime() ?? Infinity);
  });

  it('a card deleted since is not brought back by a redelivery of its TOKEN callback', async () => {
    const payer = await createPayer();
    const { token } = await payAndSave(payer);
    const [card] = (await listCardsOf(payer)).cards;
    const deleted = await api(`${CARDS_PATH}${card?.id}/`, { method: 'DELETE', token: payer.access });
    expect(deleted.status).toBe(204);
    await deliverAll([token]);
    expect(await cardRows(payer.customerId)).toHaveLength(0);
  });
});

describe('TOKEN callbacks that must not store a card', () => {
  it('the payment did not ask to save the card (the shopper ticked the box anyway) → ignored', async () => {
    const payer = await createPayer();
    const txn = await startedPayment(payer, {});
    await submitCheckout(txn, { card_number: MASTERCARD, save_card: true });
    const { token, transactions: paid } = await callbacksOf(txn, 2);
    await deliverAll([token, ...paid]);
    expect(await cardRows(payer.customerId)).toHaveLength(0);
    const event = await tokenEvent(Number(token?.body.obj.id));
    expect(event).toMatchObject({ outcome: 'ignored', transactionId: txn.id });
    expect(event?.message).toMatch(/did not ask to save/);
  });

  it('names another customer’s order (signed) → ignored, no card for either customer', async () => {
    const saver = await createPayer();
    const other = await createPayer();
    const txn = await startedPayment(saver, { save_card: true });
    await submitCheckout(txn, { card_number: MASTERCARD, save_card: true });
    const { token } = await callbacksOf(txn, 2);
    const otherTxn = await startedPayment(other, {});
    const obj = { ...token?.body.obj, order_id: String(otherTxn.paymob_order_id) };
    expect((await deliverToken(obj)).status).toBe(200);
    expect(await cardRows(saver.customerId)).toHaveLength(0);
    expect(await cardRows(other.customerId)).toHaveLength(0);
    expect((await tokenEvent(Number(obj.id)))?.outcome).toBe('ignored');
  });

  it('carries another customer’s e-mail for an order that asked to save → ignored', async () => {
    const saver = await createPayer();
    const other = await createPayer();
    const txn = await startedPayment(saver, { save_card: true });
    await submitCheckout(txn, { card_number: MASTERCARD, save_card: true });
    const { token } = await callbacksOf(txn, 2);
    const obj = { ...token?.body.obj, email: other.email };
    expect((await deliverToken(obj)).status).toBe(200);
    expect(await cardRows(saver.customerId)).toHaveLength(0);
    expect(await cardRows(other.customerId)).toHaveLength(0);
    expect((await tokenEvent(Number(obj.id)))?.message).toMatch(/e-mail/);
  });

  it('names an order we do not know → ignored (200, so PayMob stops retrying)', async () => {
    const obj = {
      id: 99_000_000 + Math.floor(Math.random() * 1_000_000),
      token: 'f'.repeat(56),
      masked_pan: 'xxxx-xxxx-xxxx-1111',
      merchant_id: 1,
      card_subtype: 'Visa',
      created_at: '2026-11-13T12:32:23.859982',
      email: 'nobody@example.com',
      order_id: '1',
    };
    expect((await deliverToken(obj)).status).toBe(200);
    expect(await tokenEvent(obj.id)).toMatchObject({ outcome: 'ignored', transactionId: null });
  });

  it('a wrong signature → 401, nothing stored', async () => {
    const payer = await createPayer();
    const txn = await startedPayment(payer, { save_card: true });
    await submitCheckout(txn, { card_number: MASTERCARD, save_card: true });
    const { token } = await callbacksOf(txn, 2);
    const tampered = { ...token, url: `${token?.url?.split('?')[0]}?hmac=${'0'.repeat(128)}` };
    const response = await deliverRecorded(tampered as NonNullable<typeof token>, INTENTION);
    expect(response.status).toBe(401);
    expect(await cardRows(payer.customerId)).toHaveLength(0);
  });
});

describe('paying with a saved card', () => {
  it('pays twice with the saved card without the card form', async () => {
    const payer = await createPayer();
    await payAndSave(payer);
    const [card] = (await listCardsOf(payer)).cards;
    for (const amount of ['12.00', '13.50']) {
      const response = await startPayment(payer, { card_id: card?.id, amount });
      expect(response.status).toBe(201);
      const txn = await readJson<Awaited<ReturnType<typeof startedPayment>>>(response);
      const html = await checkoutPage(txn);
      const tokens = offeredTokens(html);
      expect(tokens).toHaveLength(1);
      expect(html).toContain('Pay with MasterCard');
      // The saved card's form: no card number typed.
      const answer = await submitCheckout(txn, { card_token: tokens[0] });
      expect(new URL(answer.redirect_url).pathname).toBe('/api/v1/transactions/webhook/');
      const callbacks = await recordedCallbacks(txn.merchant_order_id, 1);
      expect(callbacks.map((c) => c.body.type)).toEqual(['TRANSACTION']);
      await deliverAll(callbacks);
      expect((await transactionRow(txn.id)).status).toBe('succeeded');
    }
  });

  it('goes through 3-D Secure when PayMob asks for it, and is declined when authentication fails', async () => {
    const payer = await createPayer();
    await payAndSave(payer);
    const [card] = (await listCardsOf(payer)).cards;
    for (const [otp, status] of [
      ['123456', 'succeeded'],
      ['000000', 'failed'],
    ] as const) {
      const txn = await startedPayment(payer, { card_id: card?.id });
      await addFault({ mode: 'saved-card-3ds', match: `merchant_order_id=${txn.merchant_order_id}` });
      try {
        const [token] = offeredTokens(await checkoutPage(txn));
        const answer = await submitCheckout(txn, { card_token: token });
        const acs = new URL(answer.redirect_url);
        expect(acs.pathname).toBe('/acs/authenticate');
        const session = acs.searchParams.get('session') ?? '';
        const answered = await fetch(`${acs.origin}/acs/authenticate`, {
          method: 'POST',
          body: new URLSearchParams({ session, otp, action: 'submit' }),
          redirect: 'manual',
        });
        const completed = await fetch(answered.headers.get('location') ?? '', { redirect: 'manual' });
        expect(completed.status).toBe(303);
        await deliverAll(await recordedCallbacks(txn.merchant_order_id, 2));
        expect((await transactionRow(txn.id)).status).toBe(status);
      } finally {
        await clearFaults();
      }
    }
  });

  it('another customer’s card_id → 404 card_not_found, nothing created', async () => {
    const owner = await createPayer();
    await payAndSave(owner);
    const [card] = (await listCardsOf(owner)).cards;
    const thief = await createPayer();
    const response = await startPayment(thief, { card_id: card?.id });
    expect(response.status).toBe(404);
    expect((await readJson<Problem>(response)).code).toBe('card_not_found');
    const rows = await testDb()
      .select()
      .from(transactions)
      .where(eq(transactions.customerId, thief.customerId));
    expect(rows).toHaveLength(0);
  });

  it('card_id and save_card together → 400; either in legacy mode → 400 saved_cards_unavailable', async () => {
    const payer = await createPayer();
    const both = await startPayment(payer, { card_id: 1, save_card: true });
    expect(both.status).toBe(400);
    expect(
      (await readJson<Problem & { errors: Record<string, string[]> }>(both)).errors.card_id,
    ).toBeDefined();
    for (const body of [{ save_card: true }, { card_id: 1 }]) {
      const legacy = await startPayment(payer, body, { PAYMOB_API_MODE: 'legacy' });
      expect(legacy.status).toBe(400);
      expect((await readJson<Problem>(legacy)).code).toBe('saved_cards_unavailable');
    }
    // save_card: false is an ordinary payment in either mode.
    expect((await startPayment(payer, { save_card: false }, { PAYMOB_API_MODE: 'legacy' })).status).toBe(201);
    const rows = await testDb()
      .select()
      .from(transactions)
      .where(eq(transactions.customerId, payer.customerId));
    expect(rows).toHaveLength(1);
  });

  it('without CARD_TOKEN_KEY, saving or paying with a card → 503 and nothing is created', async () => {
    const payer = await createPayer();
    for (const body of [{ save_card: true }, { card_id: 1 }]) {
      const response = await startPayment(payer, body, { ...INTENTION, CARD_TOKEN_KEY: '' });
      expect(response.status).toBe(503);
    }
    const rows = await testDb()
      .select()
      .from(transactions)
      .where(eq(transactions.customerId, payer.customerId));
    expect(rows).toHaveLength(0);
  });
});

describe('GET/DELETE customers/cards/', () => {
  it('delete removes the card and its token; it can no longer pay; a second delete → 404', async () => {
    const payer = await createPayer();
    await payAndSave(payer);
    const [card] = (await listCardsOf(payer)).cards;
    const path = `${CARDS_PATH}${card?.id}/`;
    expect((await api(path, { method: 'DELETE', token: payer.access })).status).toBe(204);
    expect(await cardRows(payer.customerId)).toHaveLength(0);
    expect((await listCardsOf(payer)).cards).toEqual([]);
    const pay = await startPayment(payer, { card_id: card?.id });
    expect(pay.status).toBe(404);
    const again = await api(path, { method: 'DELETE', token: payer.access });
    expect(again.status).toBe(404);
    expect((await readJson<Problem>(again)).code).toBe('card_not_found');
  });

  it('another customer deleting my card → 404 like a missing one, and my card stays', async () => {
    const owner = await createPayer();
    await payAndSave(owner);
    const [card] = (await listCardsOf(owner)).cards;
    const other = await createPayer();
    const response = await api(`${CARDS_PATH}${card?.id}/`, { method: 'DELETE', token: other.access });
    expect(response.status).toBe(404);
    expect((await readJson<Problem>(response)).code).toBe('card_not_found');
    expect(await cardRows(owner.customerId)).toHaveLength(1);
    expect((await listCardsOf(other)).cards).toEqual([]);
  });

  it('a path id that is not a number → 404', async () => {
    const payer = await createPayer();
    for (const id of ['abc', '0', '-1', '99999999999999999999']) {
      const response = await api(`${CARDS_PATH}${id}/`, { method: 'DELETE', token: payer.access });
      expect(response.status).toBe(404);
    }
  });

  it('an API key cannot reach saved cards, whatever its scopes (403 api_key_not_allowed)', async () => {
    const key = await createKey(ALL_SCOPES);
    for (const method of ['GET', 'DELETE'] as const) {
      const path = method === 'GET' ? CARDS_PATH : `${CARDS_PATH}1/`;
      const response = await api(path, { method, headers: { Authorization: `Bearer ${key.secret}` } });
      expect(response.status).toBe(403);
      expect((await readJson<Problem>(response)).code).toBe('api_key_not_allowed');
    }
  });

  it('a key with payments:write pays with a card of the customer it names, never another’s', async () => {
    const owner = await createPayer();
    await payAndSave(owner);
    const [card] = (await listCardsOf(owner)).cards;
    const other = await createPayer();
    const key = await createKey(['payments:write']);
    const pay = (customerId: number) =>
      apiWithEnv(
        TXN,
        {
          method: 'POST',
          headers: { Authorization: `Bearer ${key.secret}` },
          json: { amount: '9.00', customer_id: customerId, card_id: card?.id },
        },
        INTENTION,
      );
    const refused = await pay(other.customerId);
    expect(refused.status).toBe(404);
    expect((await readJson<Problem>(refused)).code).toBe('card_not_found');
    const paid = await pay(owner.customerId);
    expect(paid.status).toBe(201);
    expect(offeredTokens(await checkoutPage(await readJson(paid)))).toHaveLength(1);
  });
});

/** A saved card row for the suite's owner, written directly (no PayMob). */
async function ownersCard(ownerId: number): Promise<number> {
  const customerId = await customerIdOf(ownerId);
  await makeReadyToPay(ownerId);
  const { savedCards } = await import('../../src/db/schema');
  const inserted = await testDb()
    .insert(savedCards)
    .values({
      customerId,
      tokenCiphertext: 'v1:AAAA',
      fingerprint: crypto.randomUUID().replaceAll('-', '').padEnd(64, '0'),
      brand: 'Visa',
      last4: '4242',
    });
  return Number(inserted.insertId);
}

describeAuthorization(
  'GET customers/cards/',
  { method: 'GET', path: () => CARDS_PATH },
  // Everyone sees their own list; staff have no customer profile.
  { customer: 200, otherCustomer: 200, staff: 404, admin: 404 },
);

describeAuthorization(
  'DELETE customers/cards/{id}/',
  { method: 'DELETE', path: async (owner) => `${CARDS_PATH}${await ownersCard(owner.id)}/` },
  { customer: 204, otherCustomer: 404, staff: 404, admin: 404 },
);
