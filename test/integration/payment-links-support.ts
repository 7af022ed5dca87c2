/** Helpers for the payment-link tests (docs/api.md §11): links made through the API, paid through their page. */
import { and, asc, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { events, paymentLinks, transactions } from '../../src/db/schema';
import type { Env } from '../../src/env';
import type { PaymentLinkView } from '../../src/payment-links/schemas';
import { api, apiWithEnv, createUser, readJson, type TestUser, testDb } from './helpers';
import { CARDS, deliverRecorded, pay, recordedCallbacks } from './transactions-support';

export const LINKS = '/api/v1/payment-links/';
export const INTENTION: Partial<Env> = { PAYMOB_API_MODE: 'intention' };

let staff: Promise<TestUser> | undefined;
/** One STAFF user per test file creates the links. */
export function linkStaff(): Promise<TestUser> {
  staff ??= createUser({ role: 'STAFF' });
  return staff;
}

export async function createLink(
  body: Record<string, unknown> = {},
  token?: string,
): Promise<PaymentLinkView> {
  const response = await api(LINKS, {
    method: 'POST',
    token: token ?? (await linkStaff()).access,
    json: { amount: '250.00', description: 'Invoice 1042', ...body },
  });
  expect(response.status).toBe(201);
  return readJson<PaymentLinkView>(response);
}

/** The link's page path (`/pay/link/<token>`) from its URL. */
export const pagePath = (link: Pick<PaymentLinkView, 'url'>) => new URL(link.url).pathname;

export const PAYER = {
  first_name: 'Salma',
  last_name: 'Hassan',
  email: 'salma@example.com',
  phone_number: '+201001234567',
};

/** Submits the page's form; returns the answer (303 to PayMob's checkout on success). */
export function submitForm(
  link: Pick<PaymentLinkView, 'url'>,
  fields: Record<string, string> = PAYER,
  overrides: Partial<Env> = INTENTION,
): Promise<Response> {
  return apiWithEnv(
    pagePath(link),
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    },
    overrides,
  );
}

/** Starts a checkout through the page: the PayMob checkout URL, its credential and our transaction's order. */
export async function startCheckout(link: Pick<PaymentLinkView, 'url'>, overrides: Partial<Env> = INTENTION) {
  const response = await submitForm(link, PAYER, overrides);
  expect(response.status).toBe(303);
  const location = new URL(response.headers.get('Location') ?? '');
  const intention = overrides.PAYMOB_API_MODE === 'intention';
  const credential = intention
    ? location.searchParams.get('clientSecret')
    : location.searchParams.get('payment_token');
  if (!credential) throw new Error(`no credential in ${location.href}`);
  return { location, credential, intention };
}

/** Pays a started checkout with the sandbox's card; returns the recorded signed callback (not delivered). */
export async function payCheckout(
  checkout: Awaited<ReturnType<typeof startCheckout>>,
  card: string = CARDS.success,
) {
  return pay(
    { payment_token: checkout.credential },
    card,
    checkout.intention ? 'client_secret' : 'payment_token',
  );
}

/** The processed callback the sandbox recorded for our order, delivered to the Worker. */
export async function deliverFor(merchantOrderId: string, overrides: Partial<Env> = {}) {
  const [callback] = await recordedCallbacks(merchantOrderId, 1);
  if (!callback) throw new Error('no callback');
  const response = await deliverRecorded(callback, overrides);
  expect(response.status).toBe(200);
  return callback;
}

export async function linkRow(id: number) {
  const [row] = await testDb().select().from(paymentLinks).where(eq(paymentLinks.id, id));
  if (!row) throw new Error(`no payment link ${id}`);
  return row;
}

export async function linkEvents(id: number) {
  return testDb()
    .select()
    .from(events)
    .where(and(eq(events.objectType, 'payment_link'), eq(events.objectId, String(id))));
}

/** The link's transactions, oldest first. */
export async function linkTransactions(id: number) {
  return testDb()
    .select()
    .from(transactions)
    .where(eq(transactions.paymentLinkId, id))
    .orderBy(asc(transactions.id));
}
