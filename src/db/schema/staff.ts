/** What staff (and the cron jobs) did, the audit log written through src/db/audit.ts; admin UI sessions. */
import { sql } from 'drizzle-orm';
import { char, index, mysqlTable, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';
import { createdAt, id, json, ref, timestamp } from './common';

export const auditLog = mysqlTable(
  'audit_log',
  {
    id: id(),
    actorUserId: ref('actor_user_id'),
    // One of AUDIT_ACTIONS (src/db/audit.ts), e.g. kyc.review, user.role_change, transaction.refund.
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
    // When this session last accepted a two-factor code (sign-in, enrolment or step-up; docs/accounts.md §3).
    secondFactorAt: timestamp('second_factor_at'),
  },
  (t) => [
    uniqueIndex('admin_sessions_hash_unique').on(t.sessionHash),
    index('admin_sessions_user_idx').on(t.userId),
    index('admin_sessions_expires_idx').on(t.expiresAt),
  ],
);
