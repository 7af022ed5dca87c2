/**
 * The only description of StackPay's tables. Conventions:
 * - ids are BIGINT UNSIGNED AUTO_INCREMENT, read as JS numbers (safe far beyond any realistic row count);
 * - times are DATETIME(3) in UTC, read as Date;
 * - money is integer minor units (`*_cents` BIGINT) next to an ISO-4217 `currency`;
 * - no SQL foreign keys (PlanetScale disables them): relations are declared below for Drizzle and kept by
 *   services; every lookup and list filter has an index.
 */
import { relations, sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  char,
  customType,
  date,
  datetime,
  index,
  int,
  mysqlEnum,
  mysqlTable,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';

export const ROLES = ['ADMIN', 'STAFF', 'CUSTOMER'] as const;
export type Role = (typeof ROLES)[number];

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

export const KYC_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type KycStatus = (typeof KYC_STATUSES)[number];

export const DOCUMENT_TYPES = ['national_id', 'passport'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export const EMAIL_STATUSES = ['queued', 'sent', 'delivered', 'failed'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

/** Replaces lone UTF-16 surrogates (in keys and values) with U+FFFD, recursively. */
function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (Array.isArray(value)) return value.map(wellFormed);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toWellFormed(), wellFormed(v)]));
  }
  return value;
}

/**
 * A JSON column that stores any value a client can send. Not drizzle's `json()`: a lone surrogate (legal in
 * a JS string, e.g. from `"\ud800"` in a request body) serialises to an escape that MySQL and MariaDB refuse
 * as invalid JSON, turning hostile input into a database error.
 */
const json = customType<{ data: unknown; driverData: string }>({
  dataType: () => 'json',
  toDriver: (value) => JSON.stringify(wellFormed(value)),
  // PlanetScale's driver already parses JSON columns; a server that reports them as text gives a string.
  fromDriver: (value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  },
});

// Not `serial`: drizzle renders it as `serial AUTO_INCREMENT`, which MariaDB refuses.
const id = () => bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey();
const ref = (name: string) => bigint(name, { mode: 'number', unsigned: true });
const timestamp = (name: string) => datetime(name, { mode: 'date', fsp: 3 });
const createdAt = () => timestamp('created_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`);
const updatedAt = () =>
  timestamp('updated_at')
    .notNull()
    .default(sql`CURRENT_TIMESTAMP(3)`)
    .$onUpdate(() => new Date());

// Usernames are unique case-insensitively: the database's default utf8mb4 collation compares without case
// (MySQL 8 and MariaDB alike), and services also compare lower-cased values.
export const users = mysqlTable(
  'users',
  {
    id: id(),
    username: varchar('username', { length: 150 }).notNull(),
    email: varchar('email', { length: 254 }).notNull(),
    passwordHash: varchar('password_hash', { length: 255 }).notNull(),
    role: mysqlEnum('role_management', ROLES).notNull().default('CUSTOMER'),
    isActive: boolean('is_active').notNull().default(false),
    isStaff: boolean('is_staff').notNull().default(false),
    dateJoined: timestamp('date_joined').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
    lastLogin: timestamp('last_login'),
    // Access and refresh tokens issued before this instant are rejected (password change, deactivation).
    tokensValidAfter: timestamp('tokens_valid_after'),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('users_username_unique').on(t.username),
    uniqueIndex('users_email_unique').on(t.email),
    index('users_role_idx').on(t.role),
    index('users_active_idx').on(t.isActive),
    index('users_date_joined_idx').on(t.dateJoined),
  ],
);

// At most one live code per user: the unique user_id makes a resend replace the row.
export const verificationCodes = mysqlTable(
  'verification_codes',
  {
    id: id(),
    userId: ref('user_id').notNull(),
    codeHash: char('code_hash', { length: 64 }).notNull(),
    attempts: int('attempts').notNull().default(0),
    expiresAt: timestamp('expires_at').notNull(),
    usedAt: timestamp('used_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('verification_codes_user_unique').on(t.userId),
    index('verification_codes_expires_idx').on(t.expiresAt),
  ],
);

// Refresh tokens are stored only as SHA-256 hashes of their `jti`; `family_id` ties every rotation of one
// login together so reuse of a revoked token can revoke them all.
export const refreshTokens = mysqlTable(
  'refresh_tokens',
  {
    id: id(),
    userId: ref('user_id').notNull(),
    familyId: char('family_id', { length: 26 }).notNull(),
    tokenHash: char('token_hash', { length: 64 }).notNull(),
    expiresAt: timestamp('expires_at').notNull(),
    revokedAt: timestamp('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('refresh_tokens_hash_unique').on(t.tokenHash),
    index('refresh_tokens_user_idx').on(t.userId),
    index('refresh_tokens_family_idx').on(t.familyId),
    index('refresh_tokens_expires_idx').on(t.expiresAt),
  ],
);

export const customers = mysqlTable(
  'customers',
  {
    id: id(),
    userId: ref('user_id').notNull(),
    firstName: varchar('first_name', { length: 50 }),
    lastName: varchar('last_name', { length: 50 }),
    // E.164, at most 15 digits plus '+'.
    phoneNumber: varchar('phone_number', { length: 16 }),
    dob: date('dob', { mode: 'string' }),
    isVerified: boolean('is_verified').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('customers_user_unique').on(t.userId),
    uniqueIndex('customers_phone_unique').on(t.phoneNumber),
    index('customers_created_idx').on(t.createdAt),
    index('customers_verified_idx').on(t.isVerified),
  ],
);

export const addresses = mysqlTable(
  'addresses',
  {
    id: id(),
    customerId: ref('customer_id').notNull(),
    country: char('country', { length: 2 }).notNull().default('EG'),
    state: varchar('state', { length: 50 }),
    city: varchar('city', { length: 50 }),
    line: varchar('line', { length: 50 }),
    buildingNumber: varchar('building_number', { length: 10 }),
    apartmentNumber: varchar('apartment_number', { length: 10 }),
    postalCode: varchar('postal_code', { length: 20 }),
    mainAddress: boolean('main_address').notNull().default(false),
    // customer_id when this is the main address, else NULL: the unique index below lets the database itself
    // refuse a second main address, even under concurrent writes (NULLs never collide).
    mainOf: bigint('main_of', { mode: 'number', unsigned: true }).generatedAlwaysAs(
      sql`(case when main_address then customer_id else null end)`,
      { mode: 'stored' },
    ),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('addresses_customer_idx').on(t.customerId), uniqueIndex('addresses_one_main').on(t.mainOf)],
);

export const kycRecords = mysqlTable(
  'kyc_records',
  {
    id: id(),
    customerId: ref('customer_id').notNull(),
    documentType: mysqlEnum('document_type', DOCUMENT_TYPES).notNull().default('national_id'),
    documentId: varchar('document_id', { length: 20 }),
    // R2 object key (random); the original file name is metadata only.
    documentKey: varchar('document_key', { length: 100 }),
    documentName: varchar('document_name', { length: 255 }),
    documentContentType: varchar('document_content_type', { length: 64 }),
    documentSize: int('document_size'),
    status: mysqlEnum('status', KYC_STATUSES).notNull().default('pending'),
    rejectionReason: varchar('rejection_reason', { length: 500 }),
    reviewedAt: timestamp('reviewed_at'),
    reviewedBy: ref('reviewed_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('kyc_records_customer_unique').on(t.customerId),
    index('kyc_records_status_idx').on(t.status),
  ],
);

export const transactions = mysqlTable(
  'transactions',
  {
    id: id(),
    customerId: ref('customer_id').notNull(),
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
  },
  (t) => [
    uniqueIndex('transactions_merchant_order_unique').on(t.merchantOrderId),
    index('transactions_customer_created_idx').on(t.customerId, t.createdAt),
    index('transactions_status_created_idx').on(t.status, t.createdAt),
    index('transactions_created_idx').on(t.createdAt),
    index('transactions_paymob_order_idx').on(t.paymobOrderId),
    index('transactions_paymob_txn_idx').on(t.paymobTransactionId),
    index('transactions_needs_attention_idx').on(t.needsAttentionAt),
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
  },
  (t) => [
    uniqueIndex('payment_events_paymob_kind_unique').on(t.paymobTransactionId, t.kind),
    index('payment_events_transaction_idx').on(t.transactionId, t.receivedAt),
    index('payment_events_merchant_order_idx').on(t.merchantOrderId),
    index('payment_events_received_idx').on(t.receivedAt),
    // The webhook's hourly count of stored unverified bodies (docs/paymob.md §6).
    index('payment_events_outcome_received_idx').on(t.outcome, t.receivedAt),
  ],
);

export const REVERSAL_STATES = ['reserved', 'applied', 'released', 'unknown'] as const;
export type ReversalState = (typeof REVERSAL_STATES)[number];

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

export const emailEvents = mysqlTable(
  'email_events',
  {
    id: id(),
    // One per logical e-mail (e.g. 'verification:<user>:<code id>'): a queue retry never sends twice.
    idempotencyKey: varchar('idempotency_key', { length: 191 }).notNull(),
    kind: varchar('kind', { length: 32 }).notNull(),
    userId: ref('user_id'),
    recipient: varchar('recipient', { length: 254 }).notNull(),
    subject: varchar('subject', { length: 255 }).notNull(),
    status: mysqlEnum('status', EMAIL_STATUSES).notNull().default('queued'),
    provider: varchar('provider', { length: 16 }).notNull(),
    providerMessageId: varchar('provider_message_id', { length: 255 }),
    attempts: int('attempts').notNull().default(0),
    lastError: varchar('last_error', { length: 500 }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    sentAt: timestamp('sent_at'),
    deliveredAt: timestamp('delivered_at'),
  },
  (t) => [
    uniqueIndex('email_events_key_unique').on(t.idempotencyKey),
    index('email_events_provider_message_idx').on(t.providerMessageId),
    index('email_events_status_created_idx').on(t.status, t.createdAt),
    index('email_events_recipient_idx').on(t.recipient),
    index('email_events_created_idx').on(t.createdAt),
  ],
);

// Mailgun webhook tokens already accepted: each is valid once (replay protection).
export const webhookTokens = mysqlTable(
  'webhook_tokens',
  {
    id: id(),
    provider: varchar('provider', { length: 16 }).notNull(),
    token: varchar('token', { length: 128 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('webhook_tokens_unique').on(t.provider, t.token),
    index('webhook_tokens_created_idx').on(t.createdAt),
  ],
);

export const auditLog = mysqlTable(
  'audit_log',
  {
    id: id(),
    actorUserId: ref('actor_user_id'),
    // e.g. kyc.review, user.role_change, user.activation, transaction.refund, transaction.void
    action: varchar('action', { length: 64 }).notNull(),
    targetType: varchar('target_type', { length: 32 }).notNull(),
    targetId: varchar('target_id', { length: 64 }).notNull(),
    details: json('details'),
    requestId: varchar('request_id', { length: 128 }),
    createdAt: createdAt(),
  },
  (t) => [
    index('audit_log_target_idx').on(t.targetType, t.targetId),
    index('audit_log_actor_idx').on(t.actorUserId, t.createdAt),
    index('audit_log_action_idx').on(t.action, t.createdAt),
    index('audit_log_created_idx').on(t.createdAt),
  ],
);

// Admin UI sessions, server-side: the cookie holds a random id, the table only its SHA-256 hash.
export const adminSessions = mysqlTable(
  'admin_sessions',
  {
    id: id(),
    sessionHash: char('session_hash', { length: 64 }).notNull(),
    userId: ref('user_id').notNull(),
    csrfSecret: char('csrf_secret', { length: 64 }).notNull(),
    ipAddress: varchar('ip_address', { length: 45 }),
    userAgent: varchar('user_agent', { length: 255 }),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
    expiresAt: timestamp('expires_at').notNull(),
    revokedAt: timestamp('revoked_at'),
  },
  (t) => [
    uniqueIndex('admin_sessions_hash_unique').on(t.sessionHash),
    index('admin_sessions_user_idx').on(t.userId),
    index('admin_sessions_expires_idx').on(t.expiresAt),
  ],
);

export const usersRelations = relations(users, ({ one, many }) => ({
  customer: one(customers, { fields: [users.id], references: [customers.userId] }),
  verificationCode: one(verificationCodes, { fields: [users.id], references: [verificationCodes.userId] }),
  refreshTokens: many(refreshTokens),
  adminSessions: many(adminSessions),
}));

export const verificationCodesRelations = relations(verificationCodes, ({ one }) => ({
  user: one(users, { fields: [verificationCodes.userId], references: [users.id] }),
}));

export const refreshTokensRelations = relations(refreshTokens, ({ one }) => ({
  user: one(users, { fields: [refreshTokens.userId], references: [users.id] }),
}));

export const customersRelations = relations(customers, ({ one, many }) => ({
  user: one(users, { fields: [customers.userId], references: [users.id] }),
  addresses: many(addresses),
  kyc: one(kycRecords, { fields: [customers.id], references: [kycRecords.customerId] }),
  transactions: many(transactions),
}));

export const addressesRelations = relations(addresses, ({ one }) => ({
  customer: one(customers, { fields: [addresses.customerId], references: [customers.id] }),
}));

export const kycRecordsRelations = relations(kycRecords, ({ one }) => ({
  customer: one(customers, { fields: [kycRecords.customerId], references: [customers.id] }),
  reviewer: one(users, { fields: [kycRecords.reviewedBy], references: [users.id] }),
}));

export const transactionsRelations = relations(transactions, ({ one, many }) => ({
  customer: one(customers, { fields: [transactions.customerId], references: [customers.id] }),
  events: many(paymentEvents),
}));

export const paymentReversalsRelations = relations(paymentReversals, ({ one }) => ({
  transaction: one(transactions, { fields: [paymentReversals.transactionId], references: [transactions.id] }),
}));

export const paymentEventsRelations = relations(paymentEvents, ({ one }) => ({
  transaction: one(transactions, { fields: [paymentEvents.transactionId], references: [transactions.id] }),
}));

export const idempotencyRecordsRelations = relations(idempotencyRecords, ({ one }) => ({
  user: one(users, { fields: [idempotencyRecords.userId], references: [users.id] }),
}));

export const emailEventsRelations = relations(emailEvents, ({ one }) => ({
  user: one(users, { fields: [emailEvents.userId], references: [users.id] }),
}));

export const auditLogRelations = relations(auditLog, ({ one }) => ({
  actor: one(users, { fields: [auditLog.actorUserId], references: [users.id] }),
}));

export const adminSessionsRelations = relations(adminSessions, ({ one }) => ({
  user: one(users, { fields: [adminSessions.userId], references: [users.id] }),
}));
export * from './webhook-tables';
