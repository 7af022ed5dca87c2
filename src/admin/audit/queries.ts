import { desc, eq, like, or, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';

/** The filter's choices: every action the audit log records (one list, src/db/audit.ts). */
export { AUDIT_ACTIONS } from '../../db/audit';

import { startingWith } from '../../db/like';
import { auditLog, users } from '../../db/schema';
import { type ListResult, type PageWindow, pageOf, total, whereAll } from '../common/queries';

export interface AuditFilters {
  /** An action (`kyc.review`) or a prefix ending in a dot (`user.`). */
  action?: string;
  /** The actor's username, or their user id. */
  actor?: string;
  targetType?: string;
  targetId?: string;
}

/**
 * Who an audit row names: the user, else a server API key (its id in the details: docs/api-keys.md §5), else
 * undefined for the system (a cron job).
 */
export function auditActorLabel(entry: Pick<AuditRow, 'actorUserId' | 'actorUsername' | 'details'>) {
  if (entry.actorUsername) return entry.actorUsername;
  if (entry.actorUserId) return `user #${entry.actorUserId}`;
  const details = entry.details as { api_key_id?: unknown; api_key_name?: unknown } | null;
  if (typeof details?.api_key_id === 'number') {
    return `API key #${details.api_key_id}${typeof details.api_key_name === 'string' ? ` (${details.api_key_name})` : ''}`;
  }
  return undefined;
}

export interface AuditRow {
  id: number;
  actorUserId: number | null;
  actorUsername: string | null;
  action: string;
  targetType: string;
  targetId: string;
  details: unknown;
  requestId: string | null;
  createdAt: Date;
}

/** Audit-log entries, newest first, with the actor's username. */
export async function listAudit(
  db: Database,
  filters: AuditFilters,
  window: PageWindow,
): Promise<ListResult<AuditRow>> {
  const conditions: SQL[] = [];
  if (filters.action) {
    conditions.push(
      filters.action.endsWith('.')
        ? like(auditLog.action, startingWith(filters.action))
        : eq(auditLog.action, filters.action),
    );
  }
  if (filters.actor) {
    const actor = filters.actor;
    conditions.push(
      /^\d{1,15}$/.test(actor)
        ? (or(eq(auditLog.actorUserId, Number(actor)), eq(users.username, actor)) as SQL)
        : eq(users.username, actor),
    );
  }
  if (filters.targetType) conditions.push(eq(auditLog.targetType, filters.targetType));
  if (filters.targetId) conditions.push(eq(auditLog.targetId, filters.targetId));
  return pageOf(
    db
      .select({
        id: auditLog.id,
        actorUserId: auditLog.actorUserId,
        actorUsername: users.username,
        action: auditLog.action,
        targetType: auditLog.targetType,
        targetId: auditLog.targetId,
        details: auditLog.details,
        requestId: auditLog.requestId,
        createdAt: auditLog.createdAt,
        total,
      })
      .from(auditLog)
      .leftJoin(users, eq(users.id, auditLog.actorUserId))
      .where(whereAll(conditions))
      .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
      .$dynamic(),
    window,
  );
}
