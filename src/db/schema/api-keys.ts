/** Server API keys for merchant backends (docs/api-keys.md): only the secret's SHA-256 is stored. */
import { char, index, mysqlTable, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';
import { createdAt, id, json, ref, timestamp } from './common';

/** What a key may do; each key-accessible route names the one scope it needs (docs/api-keys.md §2). */
export const API_KEY_SCOPES = ['payments:read', 'payments:write', 'refunds:write', 'customers:read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const apiKeys = mysqlTable(
  'api_keys',
  {
    id: id(),
    name: varchar('name', { length: 100 }).notNull(),
    // The first 12 characters of the secret (`sk_test_AbCd`), to recognise a key in lists and logs.
    prefix: varchar('prefix', { length: 16 }).notNull(),
    // Hex SHA-256 of the whole secret: the lookup key, so authentication never compares secrets.
    secretHash: char('secret_hash', { length: 64 }).notNull(),
    // A JSON list of ApiKeyScope values.
    scopes: json('scopes').notNull(),
    // The ADMIN who created it.
    createdBy: ref('created_by').notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at'),
    revokedAt: timestamp('revoked_at'),
  },
  (t) => [
    uniqueIndex('api_keys_secret_hash_unique').on(t.secretHash),
    index('api_keys_created_idx').on(t.createdAt),
  ],
);
