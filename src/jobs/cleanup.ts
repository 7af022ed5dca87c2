import { and, isNotNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { MySqlColumn, MySqlTable } from 'drizzle-orm/mysql-core';
import type { ServiceContext } from '../context';
import type { Database } from '../db/client';
import { idempotencyRecords, refreshTokens, users, verificationCodes, webhookTokens } from '../db/schema';
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
  /** Runs before each slice's DELETE (what must be kept of the rows it is about to delete). */
  beforeBatch?: () => Promise<unknown>,
) {
  let deleted = 0;
  for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
    await beforeBatch?.();
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

/**
 * Moves the login times of the next slice of expired refresh tokens into `users.last_login` (never backwards),
 * so the derived `last_login` (src/users/columns.ts `LAST_LOGIN_SQL`) keeps them once the rows are deleted.
 * One set-based UPDATE … JOIN. The slice is the first `DELETE_BATCH_SIZE` expired login rows by id: a superset
 * of the login rows among the first `DELETE_BATCH_SIZE` expired rows the DELETE that follows removes. Folding a
 * login row that stays changes nothing: the derived value is the later of the column and the rows.
 */
export async function foldExpiredLogins({ db, now }: CleanupContext): Promise<number> {
  const t = refreshTokens;
  const result = await db.execute(sql`update ${users} join (
      select expired.user_id, max(expired.login_at) as login_at from (
        select ${t.userId} as user_id, ${t.loginAt} as login_at from ${t}
        where ${and(lt(t.expiresAt, now), isNotNull(t.loginAt))} order by ${t.id} limit ${sql.raw(String(DELETE_BATCH_SIZE))}
      ) expired group by expired.user_id
    ) folded on folded.user_id = ${users.id}
    set ${users.lastLogin} = folded.login_at
    where ${users.lastLogin} is null or ${users.lastLogin} < folded.login_at`);
  return result.rowsAffected;
}

/**
 * Refresh tokens past their expiry, revoked or not: an expired token is refused either way. Before each slice,
 * the login times it holds are folded into `users.last_login` (foldExpiredLogins).
 */
export function deleteExpiredRefreshTokens(ctx: CleanupContext): Promise<number> {
  return deleteInBatches(ctx.db, refreshTokens, refreshTokens.id, lt(refreshTokens.expiresAt, ctx.now), () =>
    foldExpiredLogins(ctx),
  );
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
