/**
 * Helpers for the saved-card tests (docs/api.md "Saved cards"): payments in intention mode (unified checkout),
 * the sandbox's checkout page and its saved-card forms, TOKEN callbacks recorded by the sandbox.
 */
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { paymentEvents, savedCards } from '../../src/db/schema';
import type { Env } from '../../src/env';
import { paymobHmacHex, paymobHmacMessage } from '../../src/paymob/hmac';
import type { TransactionView } from '../../src/transactions/schemas';
import { TEST_SECRETS } from '../test-env';
import { apiWithEnv, readJson, type TestUser, testDb } from './helpers';
import {
  deliver,
  deliverRecorded,
  type RecordedCallback,
  recordedCallbacks,
  sandbox,
  TXN,
} from './transactions-support';

export const INTENTION: Partial<Env> = { PAYMOB_API_MODE: 'intention' };
export const CARDS_PATH = '/api/v1/customers/cards/';
export const MASTERCARD = '5123456789012346';

export function startPayment(
  payer: TestUser,
  body: Record<string, unknown>,
  overrides: Partial<Env> = INTENTION,
) {
  return apiWithEnv(
    TXN,
    { method: 'POST', token: payer.access, json: { amount: '40.00', ...body } },
    overrides,
  );
}

export async function startedPayment(
  payer: TestUser,
  body: Record<string, unknown>,
): Promise<TransactionView> {
  const response = await startPayment(payer, body);
  expect(response.status).toBe(201);
  return readJson<TransactionView>(response);
}

/** The sandbox's unified checkout page for a payment (what the shopper's browser shows). */
export async function checkoutPage(txn: TransactionView): Promise<string> {
  const url = new URL(txn.checkout_url ?? '');
  const response = await sandbox(url.pathname + url.search);
  expect(response.status).toBe(200);
  return response.text();
}

/** The saved cards' hidden tokens on the checkout page, as a browser would submit them. */
export function offeredTokens(html: string): string[] {
  return [...html.matchAll(/name="card_token" value="([^"]+)"/g)].map((m) => m[1] as string);
}

/** Submits the checkout: with a card number (optionally ticking "Save this card") or a saved card's token. */
export async function submitCheckout(
  txn: TransactionView,
  fields: { card_number?: string; save_card?: boolean; card_token?: string },
): Promise<{ redirect_url: string; transaction_id: number }> {
  const response = await sandbox('/sandbox/paymob/pay', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_secret: txn.payment_token, ...fields }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { redirect_url: string; transaction_id: number };
}

/** The order's recorded callbacks split by type (waits for `count` in all). */
export async function callbacksOf(txn: TransactionView, count: number) {
  const all = await recordedCallbacks(txn.merchant_order_id, count);
  return {
    token: all.find((c) => c.body.type === 'TOKEN'),
    transactions: all.filter((c) => c.body.type === 'TRANSACTION'),
  };
}

export async function deliverAll(callbacks: Array<RecordedCallback | undefined>) {
  for (const callback of callbacks) {
    if (!callback) throw new Error('missing callback');
    const response = await deliverRecorded(callback, INTENTION);
    expect(response.status).toBe(200);
  }
}

/** Delivers a (possibly altered) TOKEN object signed as PayMob would, with the Worker's HMAC secret. */
export async function deliverToken(obj: Record<string, unknown>): Promise<Response> {
  const hmac = await paymobHmacHex(TEST_SECRETS.PAYMOB_HMAC_SECRET, paymobHmacMessage('TOKEN', obj));
  return deliver({ type: 'TOKEN', obj }, hmac, INTENTION);
}

/** Pays with a new card ticking "Save this card", delivers the callbacks; returns the TOKEN callback. */
export async function payAndSave(payer: TestUser, card = MASTERCARD) {
  const txn = await startedPayment(payer, { save_card: true });
  await submitCheckout(txn, { card_number: card, save_card: true });
  const { token, transactions } = await callbacksOf(txn, 2);
  if (!token) throw new Error('no TOKEN callback');
  await deliverAll([token, ...transactions]);
  return { txn, token };
}

export async function listCardsOf(payer: TestUser) {
  const response = await apiWithEnv(CARDS_PATH, { token: payer.access }, INTENTION);
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, cards: JSON.parse(text) as Array<{ id: number; brand: string; last4: string }> };
}

export async function cardRows(customerId: number) {
  return testDb().select().from(savedCards).where(eq(savedCards.customerId, customerId));
}

export async function tokenEvents(tokenObjectId: number) {
  return testDb().select().from(paymentEvents).where(eq(paymentEvents.paymobTransactionId, tokenObjectId));
}
