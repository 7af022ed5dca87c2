/** E-mail sending and the Mailgun webhook (src/notifications, src/mail). */
import { index, int, mysqlEnum, mysqlTable, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';
import { createdAt, id, ref, timestamp, updatedAt } from './common';

export const EMAIL_STATUSES = ['queued', 'sent', 'delivered', 'failed'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

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
