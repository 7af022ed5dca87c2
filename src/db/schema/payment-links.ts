/**
 * Payment links (docs/api.md §11): a staff member or a server API key asks for an amount; anyone holding the
 * link's URL pays it through a StackPay page that starts a unified checkout. Only a random `public_id` is
 * stored; the URL's token is `<public_id>.<HMAC>` (src/payment-links/token.ts), so a read of this table alone
 * does not give working links.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  char,
  index,
  int,
  mysqlEnum,
  mysqlTable,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';
import { createdAt, id, ref, timestamp, updatedAt } from './common';

/** `expired` is not stored: a link is expired when `expires_at` has passed (docs/api.md §11). */
export const PAYMENT_LINK_STATUSES = ['active', 'paid', 'deactivated'] as const;
export type PaymentLinkStatus = (typeof PAYMENT_LINK_STATUSES)[number];

export const paymentLinks = mysqlTable(
  'payment_links',
  {
    id: id(),
    // 128 random bits, base64url (22 characters): the first half of the URL's token.
    publicId: varchar('public_id', { length: 32 }).notNull(),
    amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    description: varchar('description', { length: 255 }).notNull(),
    customerEmail: varchar('customer_email', { length: 254 }),
    merchantReference: varchar('merchant_reference', { length: 64 }),
    singleUse: boolean('single_use').notNull().default(true),
    status: mysqlEnum('status', PAYMENT_LINK_STATUSES).notNull().default('active'),
    expiresAt: timestamp('expires_at').notNull(),
    // Successful payments counted for the link (a single-use link: 1 once paid).
    paidCount: int('paid_count').notNull().default(0),
    paidAt: timestamp('paid_at'),
    // A single-use link: the payment that paid it.
    paidTransactionId: ref('paid_transaction_id'),
    // Who created it: a user (staff), or a server API key (then created_by_user_id is NULL).
    createdByUserId: ref('created_by_user_id'),
    createdByApiKeyId: ref('created_by_api_key_id'),
    deactivatedAt: timestamp('deactivated_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('payment_links_public_id_unique').on(t.publicId),
    index('payment_links_created_idx').on(t.createdAt),
    index('payment_links_status_created_idx').on(t.status, t.createdAt),
  ],
);

/**
 * One row per successful payment of a link, written once (unique transaction id) in the database transaction
 * that counts it: a redelivered success callback finds the row and changes nothing (docs/api.md §11).
 * `counted` is false for a success that could not count (a single-use link already paid, or deactivated):
 * that payment is flagged "needs attention" instead.
 */
export const paymentLinkPayments = mysqlTable(
  'payment_link_payments',
  {
    id: id(),
    transactionId: ref('transaction_id').notNull(),
    paymentLinkId: ref('payment_link_id').notNull(),
    counted: boolean('counted').notNull(),
    createdAt: timestamp('created_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
  },
  (t) => [
    uniqueIndex('payment_link_payments_transaction_unique').on(t.transactionId),
    index('payment_link_payments_link_idx').on(t.paymentLinkId, t.createdAt),
  ],
);
