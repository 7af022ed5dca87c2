/**
 * Password-reset tokens (docs/accounts.md §1). At most one live token per user:
 * the unique user_id makes a newer request overwrite the older token, which then no longer matches anything.
 * Only the SHA-256 of the token is stored; the token itself exists only in the e-mail.
 */
import { sql } from 'drizzle-orm';
import { bigint, char, datetime, index, mysqlTable, uniqueIndex } from 'drizzle-orm/mysql-core';

const timestamp = (name: string) => datetime(name, { mode: 'date', fsp: 3 });

export const passwordResetTokens = mysqlTable(
  'password_reset_tokens',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    userId: bigint('user_id', { mode: 'number', unsigned: true }).notNull(),
    tokenHash: char('token_hash', { length: 64 }).notNull(),
    expiresAt: timestamp('expires_at').notNull(),
    createdAt: timestamp('created_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
  },
  (t) => [
    uniqueIndex('password_reset_tokens_user_unique').on(t.userId),
    uniqueIndex('password_reset_tokens_hash_unique').on(t.tokenHash),
    index('password_reset_tokens_expires_idx').on(t.expiresAt),
  ],
);
