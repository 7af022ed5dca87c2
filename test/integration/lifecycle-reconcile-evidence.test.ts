/**
 * Reconciliation decides on evidence only (docs/paymob.md §3): a payment expires only when PayMob answers its
 * documented not-found (or shows the attempt failed); a route-level 404, an answer in an unknown shape or
 * refused credentials leave PayMob's state unknown — the payment stays pending, the unknown answers are
 * counted, and past the checkout's expiry the payment is flagged for staff (row, audit row, log, admin).
 */
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema';
import type { PaymobSettings } from '../../src/paymob/client';
import type { TransactionStatusNotification } from '../../src/transactions/apply-event';
import {
  EXPIRY_GRACE_MS,
  MAX_UNKNOWN_INQUIRIES,
  type ReconcileSummary,
} from '../../src/transactions/reconcile';
import type { TransactionView } from '../../src/transactions/schemas';
import { signedIn, textOf } from './admin-helpers';
import { apiWithEnv, createUser, testDb } from './helpers';
import { MINUTE, reconcile } from './lifecycle-support';
import {
  addFault,
  CARDS,
  clearFaults,
  createPayer,
  pay,
  recordedCallbacks,
  statusMessages,
  TXN,
  transactionRow,
} from './transactions-support';

afterEach(clearFaults);

type Mode = 'legacy' | 'intention';

/** Reconciles one transaction at `now` with a client on chosen settings (mode, keys, base URL). */
async function reconcileWith(
  now: Date,
  transactionId: number,
  settings: Partial<PaymobSettings> = {},
): Promise<{ summary: ReconcileSummary; statuses: string[] }> {
  const { summary, sent } = await reconcile(now, { transactionIds: [transactionId] }, { settings });
  return { summary, statuses: statusMessages(sent).map((m) => (m as TransactionStatusNotification).status) };
}

/** A payment paid at PayMob (the sandbox) whose callback never reached us: PayMob shows it paid. */
async function paidAtPaymobOnly(mode: Mode) {
  const payer = await createPayer();
  const created = await apiWithEnv(
    TXN,
    { method: 'POST', token: payer.access, json: { amount: '150.00' } },
    { PAYMOB_API_MODE: mode },
  );
  expect(created.status).toBe(201);
  const txn = (await created.json()) as TransactionView;
  await addFault({ mode: 'drop-callback', match: `merchant_order_id=${txn.merchant_order_id}` });
  await pay(txn, CARDS.success, mode === 'intention' ? 'client_secret' : 'payment_token');
  await recordedCallbacks(txn.merchant_order_id, 1);
  const { paymentKeyExpiresAt } = await transactionRow(txn.id);
  if (!paymentKeyExpiresAt) throw new Error('no payment key expiry');
  return { txn, expiry: paymentKeyExpiresAt.getTime() };
}

async function attentionAudits(transactionId: number) {
  return testDb()
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.targetType, 'transaction'),
        eq(auditLog.targetId, String(transactionId)),
        eq(auditLog.action, 'transaction.needs_attention'),
      ),
    );
}

interface Variant {
  name: string;
  mode: Mode;
  /** Makes the inquiry answer prove nothing for this order; returns client settings to use. */
  arrange: (merchantOrderId: string) => Promise<Partial<PaymobSettings>>;
  /** What the unknown answers are reported as. */
  code: string;
}

const forOrder = (merchantOrderId: string) => `merchant_order_id=${merchantOrderId}`;

const VARIANTS: Variant[] = [
  {
    name: 'the inquiry route is missing (a web server’s HTML 404)',
    mode: 'legacy',
    code: 'paymob_rejected',
    arrange: async (ref) => {
      await addFault({ mode: 'route-missing', endpoint: 'inquiry', count: 100, match: forOrder(ref) });
      return {};
    },
  },
  {
    name: 'a wrong base URL (every route 404s with another body)',
    mode: 'intention',
    code: 'paymob_rejected',
    arrange: async () => ({ baseUrl: `${env.SANDBOX_URL}/moved-elsewhere` }),
  },
  {
    name: 'an answer in an unknown shape (200 without a transaction)',
    mode: 'legacy',
    code: 'paymob_unavailable',
    arrange: async (ref) => {
      await addFault({
        mode: 'answer',
        endpoint: 'inquiry',
        status: 200,
        body: { results: [], count: 0 },
        count: 100,
        match: forOrder(ref),
      });
      return {};
    },
  },
  {
    name: 'a 401 that survives the token refresh',
    mode: 'legacy',
    code: 'paymob_auth_failed',
    arrange: async (ref) => {
      await addFault({ mode: 'status', endpoint: 'inquiry', status: 401, count: 100, match: forOrder(ref) });
      return {};
    },
  },
  {
    name: 'a refused secret key (intention mode)',
    mode: 'intention',
    code: 'paymob_auth_failed',
    arrange: async () => ({ secretKey: 'egy_sk_test_wrong' }),
  },
];

describe('a payment PayMob shows as paid is never expired, whatever the inquiry answers', () => {
  it.each(VARIANTS)(
    '$name: pending, counted, flagged for staff once, then settled by evidence',
    async (variant) => {
      const { txn, expiry } = await paidAtPaymobOnly(variant.mode);
      const settings = { mode: variant.mode, ...(await variant.arrange(txn.merchant_order_id)) };

      // Before the checkout's expiry: unknown, counted, not flagged.
      const first = await reconcileWith(new Date(expiry - 10 * MINUTE), txn.id, settings);
      expect(first.summary).toMatchObject({ claimed: 1, unavailable: 1, expired: 0, attention: 0 });

      // Past expiry + grace, run after run (each after the previous claim ran out): never expired.
      const pastExpiry = expiry + EXPIRY_GRACE_MS + MINUTE;
      for (let run = 2; run <= MAX_UNKNOWN_INQUIRIES + 1; run++) {
        const { summary, statuses } = await reconcileWith(
          new Date(pastExpiry + run * 5 * MINUTE),
          txn.id,
          settings,
        );
        expect(summary.expired).toBe(0);
        expect(statuses).toEqual([]);
        const row = await transactionRow(txn.id);
        expect(row.status).toBe('pending');
        expect(row.reconcileUnknownCount).toBe(run);
        if (run < MAX_UNKNOWN_INQUIRIES) expect(row.needsAttentionAt).toBeNull();
        else expect(summary.attention).toBe(1);
      }
      const flagged = await transactionRow(txn.id);
      expect(flagged.needsAttentionAt).not.toBeNull();
      expect(flagged.attentionReason).toContain(variant.code);
      // Flagged once: one audit row however many runs follow.
      expect(await attentionAudits(txn.id)).toMatchObject([
        { action: 'transaction.needs_attention', actorUserId: null, details: { reason: variant.code } },
      ]);

      // Staff see it: the dashboard, the filtered list and the transaction page.
      const browser = await signedIn(await createUser({ role: 'STAFF' }));
      expect(textOf(await browser.page('/admin'))).toMatch(/Payments needing attention \d+/);
      expect(
        textOf(await browser.page(`/admin/transactions?attention=1&reference=${txn.merchant_order_id}`)),
      ).toContain('Needs attention');
      expect(textOf(await browser.page(`/admin/transactions/${txn.id}`))).toContain(
        'Check this payment in PayMob',
      );

      // PayMob answers again (the fault is gone, the settings fixed): the evidence settles it as paid.
      await clearFaults();
      const settled = await reconcileWith(new Date(pastExpiry + 60 * MINUTE), txn.id, { mode: variant.mode });
      expect(settled.summary).toMatchObject({ succeeded: 1, expired: 0 });
      expect(settled.statuses).toEqual(['succeeded']);
      const after = await transactionRow(txn.id);
      expect(after.status).toBe('succeeded');
      expect(after.reconcileUnknownCount).toBe(0);
      expect(after.needsAttentionAt).toBeNull();
    },
  );
});

describe('positive evidence still expires an abandoned checkout', () => {
  it.each<Mode>(['legacy', 'intention'])(
    '%s: PayMob’s documented not-found answer → expired after the grace period',
    async (mode) => {
      const payer = await createPayer();
      const created = await apiWithEnv(
        TXN,
        { method: 'POST', token: payer.access, json: { amount: '20.00' } },
        { PAYMOB_API_MODE: mode },
      );
      const txn = (await created.json()) as TransactionView;
      const { paymentKeyExpiresAt } = await transactionRow(txn.id);
      const expiry = paymentKeyExpiresAt?.getTime() ?? 0;
      // Intention mode needs no legacy API key for the inquiry.
      const settings: Partial<PaymobSettings> = mode === 'intention' ? { mode, apiKey: undefined } : { mode };
      const { summary, statuses } = await reconcileWith(
        new Date(expiry + EXPIRY_GRACE_MS + MINUTE),
        txn.id,
        settings,
      );
      expect(summary).toMatchObject({ claimed: 1, expired: 1 });
      expect(statuses).toEqual(['expired']);
    },
  );
});
