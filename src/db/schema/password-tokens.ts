/** Single-use password tokens: the "set your password" link of a staff account (src/users/password-tokens.ts). */
import { char, index, mysqlEnum, mysqlTable, uniqueIndex } from 'drizzle-orm/mysql-core';
import { createdAt, id, ref, timestamp } from './common';

/**
 * What a token lets its holder do. `set_password` is the first password of an account created by an admin;
 * `reset` is reserved for the forgotten-password flow, so both share one table and one consumption rule.
 */
export const PASSWORD_TOKEN_PURPOSES = ['set_password', 'reset'] as const;
export type PasswordTokenPurpose = (typeof PASSWORD_TOKEN_PURPOSES)[number];

// Only the SHA-256 of the token is stored (32 random bytes: a hash is enough, nothing to brute-force).
export const passwordTokens = mysqlTable(
  'password_tokens',
  {
    id: id(),
    userId: ref('user_id').notNull(),
    purpose: mysqlEnum('purpose', PASSWORD_TOKEN_PURPOSES).notNull(),
    tokenHash: char('token_hash', { length: 64 }).notNull(),
    expiresAt: timestamp('expires_at').notNull(),
    usedAt: timestamp('used_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('password_tokens_hash_unique').on(t.tokenHash),
    index('password_tokens_user_idx').on(t.userId, t.purpose),
    index('password_tokens_expires_idx').on(t.expiresAt),
  ],
);
