/**
 * Issue 12 item 9 (docs/payments.md): for random permutations, with duplicates, of the callbacks, API
 * answers and inquiries of one payment with two partial refunds and a declined void attempt, the final
 * state, the refunded total, the refund ledger, the status e-mails and the audit rows equal those of the
 * sequential order. Runs at the level of `applyPaymentEvent` in workerd against the real database; PayMob's
 * confirmation reads (a fake `ctx.paymob().getTransaction`) answer with PayMob’s truth for the asked id.
 */
import { and, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditLog, paymentReversals } from '../../src/db/schema';
import { createLogger } from '../../src/lib/logger';
import type { PaymobClient } from '../../src/paymob/client';
import type { PaymobTransactionFacts } from '../../src/paymob/events';
import type { ReversalAnswer } from '../../src/paymob/schemas';
import {
  applyPaymentEvent,
  type EventSource,
  type TransactionStatusNotification,
} from '../../src/transactions/apply-event';
import { testContext } from './context-support';
import { testDb } from './helpers';
import { createPayer, insertTransaction, transactionRow } from './transactions-support';

const AMOUNT = 5_000;
const REFUNDS = [1_000, 1_500] as const;

interface Delivery {
  name: string;
  source: EventSource;
  facts: PaymobTransactionFacts;
}

let nextId = Date.now() * 10;
const freshIds = () => {
  nextId += 10;
  return nextId;
};

/** One payment's reports, in the order PayMob produced them (the sequential order). */
function reportsFor(merchantOrderId: string, paymobOrderId: number, nullTotals: boolean) {
  const base = freshIds();
  const ids = { payment: base, refunds: [base + 1, base + 2], void: base + 3 };
  const common = {
    paymobOrderId,
    merchantOrderId,
    currency: 'EGP',
    pending: false,
    isRefunded: false,
    isVoided: false,
    hasParentTransaction: false,
    childKind: null,
    refundedAmountCents: null,
    message: null,
  } satisfies Partial<PaymobTransactionFacts>;
  const payment = (origin: 'signed' | 'confirmed', refunded: number | null): PaymobTransactionFacts => ({
    ...common,
    paymobTransactionId: ids.payment,
    amountCents: AMOUNT,
    success: true,
    isRefunded: refunded !== null,
    refundedAmountCents: refunded,
    origin,
  });
  const child = (
    id: number,
    kind: 'refund' | 'void',
    amountCents: number,
    success: boolean,
    origin: 'signed' | 'confirmed',
  ): PaymobTransactionFacts => ({
    ...common,
    paymobTransactionId: id,
    amountCents,
    success,
    hasParentTransaction: true,
    childKind: kind,
    origin,
  });
  // Real callbacks carry `refunded_amount_cents: null`; PayMob's own read may too (unknown): then only the
  // children count.
  const total = nullTotals ? null : REFUNDS[0] + REFUNDS[1];
  const deliveries: Delivery[] = [
    { name: 'payment callback', source: 'processed_callback', facts: payment('signed', null) },
    { name: 'payment redirect', source: 'response_callback', facts: payment('signed', null) },
  ];
  REFUNDS.forEach((amount, i) => {
    const id = ids.refunds[i] as number;
    deliveries.push(
      {
        name: `refund ${i} answer`,
        source: 'api_response',
        facts: child(id, 'refund', amount, true, 'confirmed'),
      },
      {
        name: `refund ${i} callback`,
        source: 'processed_callback',
        facts: child(id, 'refund', amount, true, 'signed'),
      },
      // The re-sent parent: is_refunded (signed), its total unsigned (null on the second one).
      {
        name: `refund ${i} parent callback`,
        source: 'processed_callback',
        facts: { ...payment('signed', i === 0 && !nullTotals ? REFUNDS[0] : null), isRefunded: true },
      },
    );
  });
  deliveries.push(
    {
      name: 'void answer (declined)',
      source: 'api_response',
      facts: child(ids.void, 'void', AMOUNT, false, 'confirmed'),
    },
    {
      name: 'void callback (declined)',
      source: 'processed_callback',
      facts: child(ids.void, 'void', AMOUNT, false, 'signed'),
    },
    { name: 'inquiry', source: 'inquiry', facts: { ...payment('confirmed', total), isRefunded: true } },
  );
  // PayMob’s truth for a read by id (what the confirmation read returns).
  const truth = new Map<number, PaymobTransactionFacts>([
    [ids.payment, { ...payment('confirmed', total), isRefunded: true }],
    [ids.refunds[0] as number, child(ids.refunds[0] as number, 'refund', REFUNDS[0], true, 'confirmed')],
    [ids.refunds[1] as number, child(ids.refunds[1] as number, 'refund', REFUNDS[1], true, 'confirmed')],
    [ids.void, child(ids.void, 'void', AMOUNT, false, 'confirmed')],
  ]);
  return { deliveries, truth, ids };
}

async function newPayment(customerId: number) {
  const paymobOrderId = freshIds();
  const id = await insertTransaction(customerId, {
    status: 'pending',
    amountCents: AMOUNT,
    currency: 'EGP',
    paymobOrderId,
  });
  const row = await transactionRow(id);
  return { id, merchantOrderId: row.merchantOrderId, paymobOrderId };
}

/** PayMob's transaction read (`GET /api/acceptance/transactions/{id}`) that carries exactly these facts. */
function answerOf(facts: PaymobTransactionFacts): ReversalAnswer {
  return {
    id: facts.paymobTransactionId,
    pending: facts.pending,
    success: facts.success,
    amount_cents: facts.amountCents,
    currency: facts.currency,
    is_refunded: facts.isRefunded,
    is_voided: facts.isVoided,
    is_refund: facts.childKind === 'refund',
    is_void: facts.childKind === 'void',
    has_parent_transaction: facts.hasParentTransaction,
    refunded_amount_cents: facts.refundedAmountCents,
    order: { id: facts.paymobOrderId ?? 0, merchant_order_id: facts.merchantOrderId },
    data: { message: facts.message },
  };
}

/** Applies the deliveries in order; returns what the payment ended as, with ids made relative. */
async function run(customerId: number, nullTotals: boolean, order: (deliveries: Delivery[]) => Delivery[]) {
  const payment = await newPayment(customerId);
  const { deliveries, truth, ids } = reportsFor(payment.merchantOrderId, payment.paymobOrderId, nullTotals);
  const sent: TransactionStatusNotification[] = [];
  // PayMob's read of a transaction (what confirmation asks) answers with PayMob's truth for the asked id.
  const paymob = {
    getTransaction: async (id: number) => {
      const facts = truth.get(id);
      return facts ? answerOf(facts) : null;
    },
  } as unknown as PaymobClient;
  const ctx = testContext({
    logger: createLogger({ test: 'ordering' }),
    now: new Date(),
    notify: async (message) => {
      sent.push(message as TransactionStatusNotification);
    },
    paymob: () => paymob,
  });
  for (const delivery of order(deliveries)) {
    await applyPaymentEvent(ctx, {
      source: delivery.source,
      type: 'TRANSACTION',
      facts: delivery.facts,
      rawBody: {},
    });
  }
  const relative = (key: string) =>
    key
      .replace(String(payment.id), 'T')
      .replace(String(ids.refunds[0]), 'R0')
      .replace(String(ids.refunds[1]), 'R1');
  const row = await transactionRow(payment.id);
  const ledger = await testDb()
    .select()
    .from(paymentReversals)
    .where(eq(paymentReversals.transactionId, payment.id));
  const audit = await testDb()
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.targetType, 'transaction'), eq(auditLog.targetId, String(payment.id))));
  // Each e-mail once per idempotency key (what email_events stores), with ids made relative.
  const emails = new Map(
    sent.map((m) => [relative(m.idempotency_key), { amount: m.amount, status: m.status }]),
  );
  return {
    status: row.status,
    refundedCents: row.refundedCents,
    heldCents: row.heldCents,
    ledger: ledger.map((r) => `${r.kind}:${r.amountCents}:${r.state}`).sort(),
    emailAmounts: [...emails.entries()].map(([key, m]) => `${key}=${m.amount}`).sort(),
    emailStatuses: [...emails.values()].map((m) => m.status).sort(),
    audit: audit.length,
  };
}

describe('ordering property (issue 12 item 9)', () => {
  it('any order and multiplicity of the reports gives the sequential outcome', {
    timeout: 120_000,
  }, async () => {
    const payer = await createPayer();
    const sequential = await run(payer.customerId, false, (all) => all);
    expect(await run(payer.customerId, true, (all) => all)).toEqual(sequential);
    expect(sequential).toEqual({
      status: 'succeeded',
      refundedCents: 2_500,
      heldCents: 0,
      ledger: ['refund:1000:applied', 'refund:1500:applied'],
      emailAmounts: [
        'transaction_refund:T:R0=10.00',
        'transaction_refund:T:R1=15.00',
        'transaction_status:T:succeeded=50.00',
      ],
      emailStatuses: ['partially_refunded', 'partially_refunded', 'succeeded'],
      audit: 0,
    });
    await fc.assert(
      fc.asyncProperty(
        // A permutation (sort keys) and up to six duplicates; the first report is one of the payment's
        // own success reports (StackPay reverses only a payment it has seen succeed: docs/payments.md).
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 11, maxLength: 11 }),
        fc.array(fc.nat({ max: 10 }), { maxLength: 6 }),
        fc.constantFrom(0, 1),
        fc.boolean(),
        async (keys, duplicates, first, nullTotals) => {
          const outcome = await run(payer.customerId, nullTotals, (all) => {
            const rest = all
              .map((delivery, i) => ({ delivery, key: keys[i] ?? 0 }))
              .concat(duplicates.map((i, j) => ({ delivery: all[i] as Delivery, key: (j + 0.5) / 7 })))
              .sort((a, b) => a.key - b.key)
              .map((entry) => entry.delivery);
            return [all[first] as Delivery, ...rest];
          });
          expect(outcome).toEqual(sequential);
        },
      ),
      { numRuns: 25 },
    );
  });
});
