import { desc, eq, like, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { containing } from '../../db/like';
import { EMAIL_STATUSES, type EmailStatus, emailEvents } from '../../db/schema';
import { type ListResult, member, type PageWindow, pageOf, total, whereAll } from '../common/queries';

export const parseEmailStatus = (value: string | undefined): EmailStatus | undefined =>
  member(value, EMAIL_STATUSES);

export interface EmailFilters {
  status?: EmailStatus;
  kind?: string;
  recipient?: string;
}

export interface EmailRow {
  id: number;
  kind: string;
  recipient: string;
  subject: string;
  status: EmailStatus;
  provider: string;
  providerMessageId: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
  deliveredAt: Date | null;
}

/** E-mail events, newest first. */
export async function listEmails(
  db: Database,
  filters: EmailFilters,
  window: PageWindow,
): Promise<ListResult<EmailRow>> {
  const conditions: SQL[] = [];
  if (filters.status) conditions.push(eq(emailEvents.status, filters.status));
  if (filters.kind) conditions.push(eq(emailEvents.kind, filters.kind));
  if (filters.recipient) conditions.push(like(emailEvents.recipient, containing(filters.recipient)));
  return pageOf(
    db
      .select({
        id: emailEvents.id,
        kind: emailEvents.kind,
        recipient: emailEvents.recipient,
        subject: emailEvents.subject,
        status: emailEvents.status,
        provider: emailEvents.provider,
        providerMessageId: emailEvents.providerMessageId,
        attempts: emailEvents.attempts,
        lastError: emailEvents.lastError,
        createdAt: emailEvents.createdAt,
        sentAt: emailEvents.sentAt,
        deliveredAt: emailEvents.deliveredAt,
        total,
      })
      .from(emailEvents)
      .where(whereAll(conditions))
      .orderBy(desc(emailEvents.createdAt), desc(emailEvents.id))
      .$dynamic(),
    window,
  );
}
