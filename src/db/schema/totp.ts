/**
 * Two-factor authentication by TOTP (RFC 6238; docs/accounts.md §2). Keyed by user id in tables of their own
 * (the users table is left as it is). The shared secret is stored encrypted (AES-GCM under ADMIN_TOTP_KEY,
 * bound to the user id); `last_used_step` is the time step of the last accepted code, so a code cannot be
 * used twice. Recovery codes are stored as HMACs, each usable once.
 */
import { sql } from 'drizzle-orm';
import { bigint, char, datetime, mysqlTable, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';

const timestamp = (name: string) => datetime(name, { mode: 'date', fsp: 3 });
const userRef = () => bigint('user_id', { mode: 'number', unsigned: true }).notNull();

export const userTotp = mysqlTable('user_totp', {
  userId: userRef().primaryKey(),
  // `v1:` + base64(12-byte IV ‖ AES-GCM ciphertext and tag).
  secretCiphertext: varchar('secret_ciphertext', { length: 255 }).notNull(),
  // Null while enrolment waits for its first code.
  confirmedAt: timestamp('confirmed_at'),
  lastUsedStep: bigint('last_used_step', { mode: 'number', unsigned: true }),
  createdAt: timestamp('created_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
});

export const totpRecoveryCodes = mysqlTable(
  'totp_recovery_codes',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    userId: userRef(),
    codeHash: char('code_hash', { length: 64 }).notNull(),
    usedAt: timestamp('used_at'),
    createdAt: timestamp('created_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
  },
  // Also the index of the per-user lookups (its first column).
  (t) => [uniqueIndex('totp_recovery_codes_user_hash_unique').on(t.userId, t.codeHash)],
);
