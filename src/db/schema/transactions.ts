/**
 * Payments and what happens to them (src/transactions): transactions, PayMob events, the refund ledger, and
 * the Idempotency-Key records of payment creation (src/middleware/idempotency.ts).
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  char,
  customType,
  index,
  int,
  mediumtext,
  mysqlEnum,
  mysqlTable,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';
import { createdAt, id, json, ref, timestamp, updatedAt } from './common';

export const TRANSACTION_STATUSES = [
  'initiated',
  'pending',
  'succeeded',
  'failed',
  'expired',
  'refunded',
  'voided',
] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

/**
 * Text compared byte for byte (utf8mb4_bin, in MySQL and MariaDB alike): the merchant's reference is exact,
 * `Order-1` and `order-1` are two references. Validation refuses leading and trailing whitespace, so the
 * collation's PAD SPACE never makes two stored references equal (docs/api.md §4.9).
 */
const exactText = (name: string, length: number) =>
  customType<{ data: string; driverData: string }>({
    dataType: () => `varchar(${length}) character set utf8mb4 collate utf8mb4_bin`,
  })(name);

export const REVERSAL_STATES = ['reserved', 'applied', 'released', 'unknown'] as const;
export type ReversalState = (typeof REVERSAL_STATES)[number];

export const transactions = mysqlTable(
  'transactions',
  {
    id: id(),
    // NULL only for a payment through a payment link (docs/api.md §11): its payer has no StackPay account.
    customerId: ref('customer_id'),
    // Ours: 'SP-' + ULID. Unique, so a retried PayMob order registration can never create a second order.
    merchantOrderId: varchar('merchant_order_id', { length: 40 }).notNull(),
    amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    status: mysqlEnum('status', TRANSACTION_STATUSES).notNull().default('initiated'),
    paymobOrderId: bigint('paymob_order_id', { mode: 'number' }),
    paymobTransactionId: bigint('paymob_transaction_id', { mode: 'number' }),
    apiMode: varchar('api_mode', { length: 16 }).notNull().default('legacy'),
    paymentToken: text('payment_token'),
    checkoutUrl: varchar('checkout_url', { length: 2048 }),
    paymentKeyExpiresAt: timestamp('payment_key_expires_at'),
    failureReason: varchar('failure_reason', { length: 500 }),
    // docs/payments.md: max(sum of applied refund children, paymob_refunded_cents), capped at amount_cents.
    refundedCents: bigint('refunded_cents', { mode: 'number' }).notNull().default(0),
    // The largest refunded total PayMob itself reported for the payment (confirmed by inquiry).
    paymobRefundedCents: bigint('paymob_refunded_cents', { mode: 'number' }).notNull().default(0),
    // Held by refund calls in flight or with an unknown outcome (their `payment_reversals` reservations).
    heldCents: bigint('held_cents', { mode: 'number' }).notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    // Reconciliation (docs/api.md §4.8): a pending row is not looked up again before this instant (a run's claim,
    // then the pause until the next look); NULL = never looked up.
    reconcileAfter: timestamp('reconcile_after'),
    // The run holding that claim, so two overlapping runs can tell which rows each of them claimed.
    reconcileClaim: char('reconcile_claim', { length: 26 }),
    // Inquiries in a row whose answer proved nothing (a route-level 404, an unknown shape, refused
    // credentials, PayMob down): PayMob's state is unknown, so the row is never expired (docs/paymob.md §3).
    reconcileUnknownCount: int('reconcile_unknown_count').notNull().default(0),
    // Set when those attempts ran out past the checkout's expiry: staff must check PayMob ("needs attention").
    needsAttentionAt: timestamp('needs_attention_at'),
    attentionReason: varchar('attention_reason', { length: 200 }),
    // The merchant's own data (docs/api.md §4.9): their order reference (unique per customer; NULL for
    // none, any number of them), string-to-string metadata, a description, and where the shopper returns.
    merchantReference: exactText('merchant_reference', 64),
    metadata: json('metadata'),
    description: varchar('description', { length: 255 }),
    returnUrl: varchar('return_url', { length: 2048 }),
    // The payment link this payment was made through (docs/api.md §11), else NULL.
    paymentLinkId: ref('payment_link_id'),
    // Payment methods (docs/paymob.md §8): the methods the payment offered (names, JSON array; NULL = the
    // card only, as before methods existed), and how it was paid as PayMob's signed callback says
    // (`source_data.type`/`sub_type`, the pan masked to its last four digits).
    paymentMethods: json('payment_methods'),
    methodType: varchar('method_type', { length: 32 }),
    methodSubType: varchar('method_sub_type', { length: 64 }),
    methodPan: varchar('method_pan', { length: 32 }),
    // A kiosk payment's bill reference (PayMob's `data.bill_reference`) and when it stops being payable.
    billReference: varchar('bill_reference', { length: 64 }),
    billExpiresAt: timestamp('bill_expires_at'),
  },
  (t) => [
    uniqueIndex('transactions_merchant_order_unique').on(t.merchantOrderId),
    index('transactions_customer_created_idx').on(t.customerId, t.createdAt),
    index('transactions_status_created_idx').on(t.status, t.createdAt),
    index('transactions_created_idx').on(t.createdAt),
    index('transactions_paymob_order_idx').on(t.paymobOrderId),
    index('transactions_paymob_txn_idx').on(t.paymobTransactionId),
    index('transactions_needs_attention_idx').on(t.needsAttentionAt),
    uniqueIndex('transactions_customer_reference_unique').on(t.customerId, t.merchantReference),
    index('transactions_payment_link_idx').on(t.paymentLinkId, t.createdAt),
  ],
);

// Every verified PayMob callback or inquiry answer, stored before it is applied. The unique key makes a
// duplicate delivery a no-op.
export const paymentEvents = mysqlTable(
  'payment_events',
  {
    id: id(),
    transactionId: ref('transaction_id'),
    paymobTransactionId: bigint('paymob_transaction_id', { mode: 'number' }).notNull(),
    // What the event is about: transaction, refund, void, token, or another PayMob type.
    kind: varchar('kind', { length: 32 }).notNull(),
    // Where it came from: processed_callback, response_callback, inquiry.
    source: varchar('source', { length: 32 }).notNull(),
    type: varchar('type', { length: 32 }).notNull(),
    merchantOrderId: varchar('merchant_order_id', { length: 64 }),
    paymobOrderId: bigint('paymob_order_id', { mode: 'number' }),
    amountCents: bigint('amount_cents', { mode: 'number' }),
    currency: char('currency', { length: 3 }),
    success: boolean('success'),
    pending: boolean('pending'),
    isRefunded: boolean('is_refunded'),
    isVoided: boolean('is_voided'),
    hasParentTransaction: boolean('has_parent_transaction'),
    // applied | ignored | unmatched | anomaly
    outcome: varchar('outcome', { length: 16 }).notNull(),
    message: varchar('message', { length: 500 }),
    rawBody: json('raw_body').notNull(),
    receivedAt: timestamp('received_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
    // The outbox mark (docs/webhooks.md §2): set by the same guarded multi-table UPDATE that applies this
    // report's state change; the `events` row is materialised from it (keyed on `event_id`) after the answer.
    eventId: varchar('event_id', { length: 40 }),
    eventType: varchar('event_type', { length: 64 }),
    eventData: mediumtext('event_data'),
    eventAt: timestamp('event_at'),
  },
  (t) => [
    uniqueIndex('payment_events_paymob_kind_unique').on(t.paymobTransactionId, t.kind),
    uniqueIndex('payment_events_event_unique').on(t.eventId),
    // The sweep's look for marks whose `events` row was never materialised.
    index('payment_events_event_at_idx').on(t.eventAt),
    index('payment_events_transaction_idx').on(t.transactionId, t.receivedAt),
    index('payment_events_merchant_order_idx').on(t.merchantOrderId),
    index('payment_events_received_idx').on(t.receivedAt),
    // The webhook's hourly count of stored unverified bodies (docs/paymob.md §6).
    index('payment_events_outcome_received_idx').on(t.outcome, t.receivedAt),
  ],
);

// The refund ledger (docs/payments.md). Two kinds of rows:
// - a PayMob reversal child (paymob_child_id set, state 'applied'): unique per child, so each refund or void
//   PayMob made is applied exactly once, whichever way it arrived;
// - our reservation for a refund call (paymob_child_id NULL): 'reserved' while PayMob is called, 'released'
//   when PayMob refused or the child is applied, 'unknown' when PayMob's answer was lost (the amount stays
//   held until a child of that amount arrives or staff resolve it).
export const paymentReversals = mysqlTable(
  'payment_reversals',
  {
    id: id(),
    transactionId: ref('transaction_id').notNull(),
    paymobChildId: bigint('paymob_child_id', { mode: 'number' }),
    kind: varchar('kind', { length: 8 }).notNull(),
    amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
    state: mysqlEnum('state', REVERSAL_STATES).notNull(),
    // For a reservation: the PayMob child that settled it, once known.
    settledByChildId: bigint('settled_by_child_id', { mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('payment_reversals_child_unique').on(t.paymobChildId),
    index('payment_reversals_transaction_idx').on(t.transactionId, t.state),
  ],
);

// Idempotency-Key records: the first request's answer, replayed for 24 hours to retries with the same body.
export const idempotencyRecords = mysqlTable(
  'idempotency_records',
  {
    id: id(),
    userId: ref('user_id').notNull(),
    // The operation the key belongs to, e.g. 'POST /transactions/txn'.
    scope: varchar('scope', { length: 64 }).notNull(),
    idempotencyKey: varchar('idempotency_key', { length: 255 }).notNull(),
    requestHash: char('request_hash', { length: 64 }).notNull(),
    // in_progress until the first request finishes; then completed with its status and body.
    state: varchar('state', { length: 16 }).notNull().default('in_progress'),
    responseStatus: int('response_status'),
    responseBody: text('response_body'),
    createdAt: createdAt(),
    completedAt: timestamp('completed_at'),
  },
  (t) => [
    uniqueIndex('idempotency_records_key_unique').on(t.userId, t.scope, t.idempotencyKey),
    index('idempotency_records_created_idx').on(t.createdAt),
  ],
);
