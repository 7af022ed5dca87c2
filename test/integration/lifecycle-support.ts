/**
 * Helpers for the payment-lifecycle tests (docs/api.md §4.6 refunds and voids, §4.8 reconciliation): paid
 * transactions, the reconciliation job called directly (scoped to the test's own rows, with a chosen clock),
 * and what the sandbox did (its transactions, children and callbacks).
 */
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { auditLog, paymentEvents } from '../../src/db/schema';
import { createLogger } from '../../src/lib/logger';
import type { NotificationMessage } from '../../src/notifications/messages';
import { PaymobClient, type PaymobSettings, paymobSettings } from '../../src/paymob/client';
import {
  type ReconcileOptions,
  type ReconcileSummary,
  reconcilePayments,
} from '../../src/transactions/reconcile';
import type { TransactionView } from '../../src/transactions/schemas';
import { testContext } from './context-support';
import { type ApiInit, api, apiWithEnv, testConfig, testDb } from './helpers';
import {
  CARDS,
  createPayer,
  createPendingPayment,
  deliverRecorded,
  type Payer,
  pay,
  type RecordedCallback,
  recordedCallbacks,
  recordingNotifications,
  sandbox,
  TXN,
} from './transactions-support';

export const MINUTE = 60 * 1000;

/** A payment paid with the success card whose callback was delivered: `succeeded`. */
export async function succeededPayment(
  amount = '150.00',
  country = 'EG',
): Promise<{ payer: Payer; txn: TransactionView; paymobId: number }> {
  const payer = await createPayer({ country });
  const txn = await createPendingPayment(payer, amount);
  const paid = await pay(txn, CARDS.success);
  const [callback] = await recordedCallbacks(txn.merchant_order_id, 1);
  if (!callback) throw new Error('no callback');
  expect((await deliverRecorded(callback)).status).toBe(200);
  return { payer, txn, paymobId: paid.transaction_id };
}

/**
 * Calls the reconciliation job as the cron would, at `now`, on the given rows only; `settings` overrides the
 * PayMob client's (mode, keys, base URL).
 */
export async function reconcile(
  now: Date,
  options: ReconcileOptions & { transactionIds: readonly number[] },
  extra: { clock?: () => number; settings?: Partial<PaymobSettings> } = {},
): Promise<{ summary: ReconcileSummary; sent: NotificationMessage[] }> {
  const { queue, sent } = recordingNotifications();
  const { settings, ...context } = extra;
  const logger = createLogger({ test: 'reconcile' });
  const paymob = new PaymobClient({
    settings: { ...paymobSettings(testConfig()), ...settings },
    cache: env.PAYMOB_CACHE,
    logger,
  });
  const ctx = testContext({
    logger,
    now,
    paymob: () => paymob,
    notify: async (message: NotificationMessage) => {
      await queue.send(message);
    },
  });
  const summary = await reconcilePayments(ctx, { ...options, ...context });
  return { summary, sent };
}

/** `now` plus `ms`. */
export function later(ms: number): Date {
  return new Date(Date.now() + ms);
}

// --- Refund and void calls ---------------------------------------------------------------------------

export function refund(id: number | string, token: string, body?: unknown, init: ApiInit = {}) {
  return api(`${TXN}${id}/refund/`, { method: 'POST', token, json: body, ...init });
}

export function voidPayment(id: number | string, token: string, init: ApiInit = {}) {
  return api(`${TXN}${id}/void/`, { method: 'POST', token, ...init });
}

/** A refund or void whose e-mails are recorded. */
export async function recordedReversal(kind: 'refund' | 'void', id: number, token: string, body?: unknown) {
  const { queue, sent } = recordingNotifications();
  const response = await apiWithEnv(
    `${TXN}${id}/${kind}/`,
    { method: 'POST', token, json: body },
    { NOTIFICATIONS: queue },
  );
  return { response, sent };
}

// --- What the sandbox and the database recorded --------------------------------------------------------

export interface SandboxTransaction {
  id: number;
  amount_cents: number;
  success: boolean;
  is_refund: boolean;
  is_void: boolean;
  has_parent_transaction: boolean;
  parent_transaction: number | null;
  refunded_amount_cents: number;
}

/** Every PayMob transaction on our order (payments, refunds, voids), newest first. */
export async function sandboxTransactions(merchantOrderId: string): Promise<SandboxTransaction[]> {
  const response = await sandbox(
    `/sandbox/paymob/transactions?merchant_order_id=${encodeURIComponent(merchantOrderId)}`,
  );
  return (await response.json()) as SandboxTransaction[];
}

export async function childrenOf(merchantOrderId: string): Promise<SandboxTransaction[]> {
  return (await sandboxTransactions(merchantOrderId)).filter((t) => t.has_parent_transaction);
}

/** The processed callbacks the sandbox sent for children (refunds, voids) of an order, oldest first. */
export async function childCallbacks(merchantOrderId: string, count: number): Promise<RecordedCallback[]> {
  const deadline = Date.now() + 8_000;
  for (;;) {
    const all = await recordedCallbacks(merchantOrderId, 1);
    const children = all.filter((c) => c.kind === 'refund' || c.kind === 'void');
    if (children.length >= count || Date.now() > deadline) {
      expect(children.length).toBeGreaterThanOrEqual(count);
      return children;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function auditRows(transactionId: number) {
  return testDb()
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.targetType, 'transaction'), eq(auditLog.targetId, String(transactionId))))
    .orderBy(auditLog.id);
}

export async function eventsWithSource(transactionId: number, source: string) {
  return testDb()
    .select()
    .from(paymentEvents)
    .where(and(eq(paymentEvents.transactionId, transactionId), eq(paymentEvents.source, source)))
    .orderBy(paymentEvents.id);
}

/** A PayMob auth token straight from the sandbox (for acting as PayMob's dashboard would). */
export async function sandboxAuthToken(): Promise<string> {
  const response = await sandbox('/api/auth/tokens', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ api_key: testConfig().PAYMOB_API_KEY }),
  });
  return ((await response.json()) as { token: string }).token;
}
