import type { Database } from './client';
import { auditLog } from './schema';

/**
 * Every action the audit log records (docs/api.md §8), as a dotted verb. Audit rows are written only through
 * `writeAudit`, so this list is complete: a new kind of audited change adds its action here first.
 */
export const AUDIT_ACTIONS = [
  'kyc.review',
  'user.role_change',
  'user.activation',
  'user.create_staff',
  'user.set_password_email',
  'user.set_password',
  'export.transactions',
  'export.customers',
  'transaction.refund',
  'transaction.void',
  'transaction.needs_attention',
  'user.password_reset_sent',
  'user.totp_reset',
  'webhook_endpoint.create',
  'webhook_endpoint.update',
  'webhook_endpoint.delete',
  'webhook_endpoint.rotate',
  'webhook.resend',
  'api_key.create',
  'api_key.revoke',
  'payment_link.create',
  'payment_link.deactivate',
  'payment_link.send',
  'saved_card.delete',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who did what to which object (docs/api.md §8): KYC reviews, role changes, refunds, voids. */
export interface AuditEntry {
  /**
   * `null` for the system (a cron job) and for a server API key (its id is then `details.api_key_id`,
   * docs/api-keys.md §5); otherwise the acting user.
   */
  actorUserId: number | null;
  action: AuditAction;
  targetType: string;
  targetId: string | number;
  /** Safe facts only: never secrets, tokens or document contents. */
  details?: Record<string, unknown> | null;
  requestId?: string | null;
  /** When the change happened, if the caller holds the request's clock; otherwise the database's time. */
  createdAt?: Date;
}

/** A Drizzle database or an open transaction on it: audit rows belong in the transaction of the change. */
export type AuditWriter = Pick<Database, 'insert'>;

/**
 * Appends audit-log rows: one entry or several (one statement either way; none for an empty list). Call it
 * inside the transaction that makes the change.
 */
export async function writeAudit(
  db: AuditWriter,
  entries: AuditEntry | readonly AuditEntry[],
): Promise<void> {
  const list = [entries].flat();
  if (list.length === 0) return;
  await db.insert(auditLog).values(
    list.map((entry) => ({
      actorUserId: entry.actorUserId,
      action: entry.action,
      targetType: entry.targetType,
      targetId: String(entry.targetId),
      details: entry.details ?? null,
      requestId: entry.requestId ?? null,
      ...(entry.createdAt ? { createdAt: entry.createdAt } : {}),
    })),
  );
}
