/** Accounts and their credentials: users, verification codes, refresh tokens (src/users). */
import { sql } from 'drizzle-orm';
import {
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

export const ROLES = ['ADMIN', 'STAFF', 'CUSTOMER'] as const;
export type Role = (typeof ROLES)[number];

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
// login together so reuse of a revoked token can revoke them all. `login_at` is set only on the row a login
// stores (not on rotations, nor on the session e-mail verification opens): the newest one is the user's
// last login, folded with users.last_login (src/users/columns.ts `LAST_LOGIN_SQL`, docs/round-trips.md).
export const refreshTokens = mysqlTable(
  'refresh_tokens',
  {
    id: id(),
    userId: ref('user_id').notNull(),
    familyId: char('family_id', { length: 26 }).notNull(),
    tokenHash: char('token_hash', { length: 64 }).notNull(),
    expiresAt: timestamp('expires_at').notNull(),
    revokedAt: timestamp('revoked_at'),
    loginAt: timestamp('login_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('refresh_tokens_hash_unique').on(t.tokenHash),
    // Also the user's tokens (its first column): MAX(login_at) of a user is one index probe.
    index('refresh_tokens_user_login_idx').on(t.userId, t.loginAt),
    index('refresh_tokens_family_idx').on(t.familyId),
    index('refresh_tokens_expires_idx').on(t.expiresAt),
  ],
);
