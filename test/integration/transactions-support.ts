/**
 * Helpers for the payments integration tests: customers ready to pay, the real PayMob sandbox (pay, the
 * callbacks it recorded, faults), and delivery of callbacks to the Worker. The Worker has no HTTP address
 * inside vitest, so the sandbox cannot reach it: tests fetch the signed callback the sandbox recorded and
 * deliver it themselves.
 */
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { addresses, customers, kycRecords, paymentEvents, transactions } from '../../src/db/schema';
import type { Env } from '../../src/env';
import type { NotificationMessage } from '../../src/notifications/messages';
import { paymobHmacHex, paymobHmacMessage } from '../../src/paymob/hmac';
import type { TransactionView } from '../../src/transactions/schemas';
import { TEST_SECRETS } from '../test-env';
import { type ApiInit, api, apiWithEnv, createUser, type TestUser, testDb } from './helpers';

export const TXN = '/api/v1/transactions/txn/';
export const WEBHOOK = '/api/v1/transactions/webhook/';
export const CARDS = {
  success: '5123456789012346',
  declined: '4000000000000002',
  pending: '4000000000009995',
} as const;

export interface Payer extends TestUser {
  customerId: number;
}

function randomDigits(count: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(count)), (b) => String(b % 10)).join('');
}

/**
 * An active CUSTOMER with everything a payment needs: names, a unique Egyptian mobile number, approved KYC
 * and a main address in `country`. `omit` leaves chosen parts out.
 */
export async function createPayer(
  options: {
    country?: string;
    kyc?: 'approved' | 'pending';
    omit?: Array<'first_name' | 'last_name' | 'phone_number'>;
  } = {},
): Promise<Payer> {
  const user = await createUser();
  const db = testDb();
  const [customer] = await db
    .select({ id: customers.id })
    .from(customers)
    .where(eq(customers.userId, user.id));
  if (!customer) throw new Error('bootstrap did not create a customer');
  const omit = new Set(options.omit ?? []);
  await db
    .update(customers)
    .set({
      firstName: omit.has('first_name') ? null : 'Mona',
      lastName: omit.has('last_name') ? null : 'Adel',
      phoneNumber: omit.has('phone_number') ? null : `+2010${randomDigits(8)}`,
    })
    .where(eq(customers.id, customer.id));
  await db
    .update(kycRecords)
    .set({ status: options.kyc ?? 'approved', reviewedAt: new Date() })
    .where(eq(kycRecords.customerId, customer.id));
  await db
    .update(addresses)
    .set({ country: options.country ?? 'EG', city: 'Cairo', line: '5 Tahrir Square', buildingNumber: '5' })
    .where(eq(addresses.customerId, customer.id));
  return { ...user, customerId: customer.id };
}

export function createPayment(payer: TestUser, amount: unknown, init: ApiInit = {}): Promise<Response> {
  return api(TXN, { method: 'POST', token: payer.access, json: { amount }, ...init });
}

/** Creates a payment and checks it is pending with a checkout. */
export async function createPendingPayment(payer: TestUser, amount = '150.00'): Promise<TransactionView> {
  const response = await createPayment(payer, amount);
  expect(response.status).toBe(201);
  const txn = (await response.json()) as TransactionView;
  expect(txn.status).toBe('pending');
  return txn;
}

// --- The sandbox -----------------------------------------------------------------------------------------

export function sandbox(path: string, init?: RequestInit): Promise<Response> {
  return fetch(`${env.SANDBOX_URL}${path}`, init);
}

export async function addFault(fault: Record<string, unknown>): Promise<void> {
  const response = await sandbox('/sandbox/faults', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ service: 'paymob', ...fault }),
  });
  expect(response.status).toBe(201);
}

export async function clearFaults(): Promise<void> {
  await sandbox('/sandbox/faults?service=paymob', { method: 'DELETE' });
}

/** What submitting the sandbox's checkout form does: pays, sends the processed callback. */
export async function pay(
  txn: Pick<TransactionView, 'payment_token'>,
  card: string,
  credential: 'payment_token' | 'client_secret' = 'payment_token',
): Promise<{ redirect_url: string; transaction_id: number }> {
  const response = await sandbox('/sandbox/paymob/pay', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ [credential]: txn.payment_token, card_number: card }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { redirect_url: string; transaction_id: number };
}

export interface RecordedCallback {
  url: string | null;
  body: { type: string; obj: Record<string, unknown> & { id: number; order: Record<string, unknown> } };
  transaction_id: number;
  merchant_order_id: string;
  kind: string;
}

/** The processed callbacks the sandbox sent for an order, oldest first; waits until `count` exist. */
export async function recordedCallbacks(merchantOrderId: string, count = 1, timeoutMs = 8_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await sandbox(
      `/sandbox/paymob/callbacks?merchant_order_id=${encodeURIComponent(merchantOrderId)}`,
    );
    const list = ((await response.json()) as RecordedCallback[]).toReversed();
    if (list.length >= count || Date.now() > deadline) {
      expect(list.length).toBeGreaterThanOrEqual(count);
      return list;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function hmacOf(callback: RecordedCallback): string {
  const hmac = new URL(callback.url ?? '').searchParams.get('hmac');
  if (!hmac) throw new Error('the recorded callback has no hmac');
  return hmac;
}

/** Signs a (possibly altered) transaction object as PayMob would, with the Worker's HMAC secret. */
export function sign(obj: Record<string, unknown>): Promise<string> {
  return paymobHmacHex(TEST_SECRETS.PAYMOB_HMAC_SECRET, paymobHmacMessage('TRANSACTION', obj));
}

/** A queue that records what the Worker sends (and forwards it to the real queue). */
export function recordingNotifications() {
  const sent: NotificationMessage[] = [];
  const queue = {
    send: async (message: NotificationMessage, options?: QueueSendOptions) => {
      sent.push(message);
      await env.NOTIFICATIONS.send(message, options);
    },
    sendBatch: async () => undefined,
  } as unknown as Queue;
  return { queue, sent };
}

/** POSTs a processed callback to the Worker (waiting for its deferred work, e.g. the e-mail). */
export function deliver(
  body: unknown,
  hmac: string | undefined,
  overrides: Partial<Env> = {},
  init: ApiInit = {},
): Promise<Response> {
  const query = hmac === undefined ? '' : `?hmac=${hmac}`;
  return apiWithEnv(
    `${WEBHOOK}${query}`,
    {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
      ...init,
    },
    overrides,
  );
}

export async function deliverRecorded(
  callback: RecordedCallback,
  overrides: Partial<Env> = {},
  init: ApiInit = {},
) {
  return deliver(callback.body, hmacOf(callback), overrides, init);
}

// --- Rows ------------------------------------------------------------------------------------------------

export async function transactionRow(id: number) {
  const [row] = await testDb().select().from(transactions).where(eq(transactions.id, id));
  if (!row) throw new Error(`no transaction ${id}`);
  return row;
}

export async function eventsOf(transactionId: number) {
  return testDb()
    .select()
    .from(paymentEvents)
    .where(eq(paymentEvents.transactionId, transactionId))
    .orderBy(paymentEvents.id);
}

export async function eventsByPaymobId(paymobTransactionId: number, kind?: string) {
  return testDb()
    .select()
    .from(paymentEvents)
    .where(
      and(
        eq(paymentEvents.paymobTransactionId, paymobTransactionId),
        kind ? eq(paymentEvents.kind, kind) : undefined,
      ),
    );
}

export async function transactionsOfCustomer(customerId: number) {
  return testDb().select().from(transactions).where(eq(transactions.customerId, customerId));
}

export function statusMessages(sent: NotificationMessage[]) {
  return sent.filter((m) => m.type === 'transaction_status');
}

/** A transaction row written directly (no PayMob), for list and read tests. */
export async function insertTransaction(
  customerId: number,
  values: Partial<typeof transactions.$inferInsert> = {},
): Promise<number> {
  const now = values.createdAt ?? new Date();
  const inserted = await testDb()
    .insert(transactions)
    .values({
      customerId,
      merchantOrderId: `SP-T${crypto.randomUUID().replaceAll('-', '').slice(0, 25).toUpperCase()}`,
      amountCents: 10_000,
      currency: 'EGP',
      status: 'pending',
      createdAt: now,
      updatedAt: now,
      ...values,
    });
  return Number(inserted.insertId);
}

/** Makes an existing customer (e.g. the authorisation suite's owner) ready to pay. */
export async function makeReadyToPay(userId: number): Promise<number> {
  const db = testDb();
  const [customer] = await db
    .select({ id: customers.id })
    .from(customers)
    .where(eq(customers.userId, userId));
  if (!customer) throw new Error('no customer profile');
  await db
    .update(customers)
    .set({ firstName: 'Mona', lastName: 'Adel', phoneNumber: `+2011${randomDigits(8)}` })
    .where(eq(customers.id, customer.id));
  await db.update(kycRecords).set({ status: 'approved' }).where(eq(kycRecords.customerId, customer.id));
  return customer.id;
}

export async function customerIdOf(userId: number): Promise<number> {
  const [customer] = await testDb()
    .select({ id: customers.id })
    .from(customers)
    .where(eq(customers.userId, userId));
  if (!customer) throw new Error('no customer profile');
  return customer.id;
}
