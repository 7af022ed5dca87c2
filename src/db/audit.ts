import type { Database } from './client';
import { auditLog } from './schema';

/** Who did what to which object (docs/api.md §8): KYC reviews, role changes, refunds, voids. */
export interface AuditEntry {
  actorUserId: number | null;
  /** Dotted verb, e.g. `kyc.review`, `user.role_change`, `transaction.refund`. */
  action: string;
  targetType: string;
  targetId: string | number;
  /** Safe facts only: never secrets, tokens or document contents. */
  details?: Record<string, unknown> | null;
  requestId?: string | null;
}

/** A Drizzle database or an open transaction on it: audit rows belong in the transaction of the change. */
export type AuditWriter = Pick<Database, 'insert'>;

/**
 * Appends audit-log rows (one entry, or several in one INSERT). One statement; call it inside the transaction
 * that makes the change.
 */
export async function writeAudit(db: AuditWriter, entries: AuditEntry | AuditEntry[]): Promise<void> {
  const rows = (Array.isArray(entries) ? entries : [entries]).map((entry) => ({
    actorUserId: entry.actorUserId,
    action: entry.action,
    targetType: entry.targetType,
    targetId: String(entry.targetId),
    details: entry.details ?? null,
    requestId: entry.requestId ?? null,
  }));
  if (rows.length > 0) await db.insert(auditLog).values(rows);
}
