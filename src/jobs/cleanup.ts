import { lt, or, type SQL } from 'drizzle-orm';
import type { MySqlColumn, MySqlTable } from 'drizzle-orm/mysql-core';
import type { ServiceContext } from '../context';
import type { Database } from '../db/client';
import { idempotencyRecords, refreshTokens, verificationCodes, webhookTokens } from '../db/schema';
import { IDEMPOTENCY_TTL_MS } from '../middleware/idempotency';

/** What the cleanup jobs need of the run's context. */
type CleanupContext = Pick<ServiceContext, 'db' | 'now'>;

// Deletes run in slices, so no statement holds locks for long or trips PlanetScale's per-statement row
// limit; ordered by primary key so each slice is deterministic (safe for statement-based replication).
export const DELETE_BATCH_SIZE = 5_000;
// A backlog bigger than this is left for the next run rather than stretching one cron invocation.
export const MAX_BATCHES_PER_RUN = 20;
// Mailgun's signed timestamps are refused after 5 minutes, so an older token can never be replayed;
// a day keeps them around for inspection.
export const WEBHOOK_TOKEN_RETENTION_MS = 24 * 60 * 60 * 1000;

async function deleteInBatches(
  db: Database,
  table: MySqlTable,
  orderColumn: MySqlColumn,
  where: SQL | undefined,
) {
  let deleted = 0;
  for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
    const result = await db.delete(table).where(where).orderBy(orderColumn).limit(DELETE_BATCH_SIZE);
    deleted += result.rowsAffected;
    if (result.rowsAffected < DELETE_BATCH_SIZE) break;
  }
  return deleted;
}

/**
 * Verification codes that can no longer be used: used, or expired. `used_at < now` rather than
 * `IS NOT NULL` so the job only ever judges rows against the instant it runs for.
 */
export function deleteSpentVerificationCodes({ db, now }: CleanupContext): Promise<number> {
  return deleteInBatches(
    db,
    verificationCodes,
    verificationCodes.id,
    or(lt(verificationCodes.usedAt, now), lt(verificationCodes.expiresAt, now)),
  );
}

/** Refresh tokens past their expiry, revoked or not: an expired token is refused either way. */
export function deleteExpiredRefreshTokens({ db, now }: CleanupContext): Promise<number> {
  return deleteInBatches(db, refreshTokens, refreshTokens.id, lt(refreshTokens.expiresAt, now));
}

/** Accepted webhook tokens older than the retention. */
export function deleteOldWebhookTokens({ db, now }: CleanupContext): Promise<number> {
  const cutoff = new Date(now.getTime() - WEBHOOK_TOKEN_RETENTION_MS);
  return deleteInBatches(db, webhookTokens, webhookTokens.id, lt(webhookTokens.createdAt, cutoff));
}

/**
 * Idempotency records past the 24 hours their answers are replayed for (docs/api.md §4.2): the middleware already
 * ignores them, so deleting them changes no answer.
 */
export function deleteOldIdempotencyRecords({ db, now }: CleanupContext): Promise<number> {
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_TTL_MS);
  return deleteInBatches(
    db,
    idempotencyRecords,
    idempotencyRecords.id,
    lt(idempotencyRecords.createdAt, cutoff),
  );
}
