import { DurableObject } from 'cloudflare:workers';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends. */
  resetSeconds: number;
}

interface WindowRow extends Record<string, SqlStorageValue> {
  count: number;
}

/**
 * One object per (scope, shard) keeps the fixed windows of many keys in its SQLite table `windows` (docs/
 * security.md §1). A Durable Object handles one request at a time and each call below reads and writes its row
 * in one synchronous statement, so every count is exact under any concurrency. An alarm at the earliest window
 * end deletes the rows whose window has ended, so idle keys keep no storage; when no row is left the object
 * deletes all its storage (this also clears an object of the earlier one-object-per-key layout, whose alarm
 * still fires once).
 */
export class RateLimiter extends DurableObject {
  /** Whether `windows` exists in this object's storage (created on first use, dropped by an idle sweep). */
  private tableReady = false;
  /** The alarm's time as last read or set; undefined until read (one storage read per object lifetime). */
  private alarmAt: number | null | undefined;

  private table(): SqlStorage {
    const sql = this.ctx.storage.sql;
    if (!this.tableReady) {
      sql.exec(
        'CREATE TABLE IF NOT EXISTS windows (key TEXT PRIMARY KEY, start INTEGER NOT NULL, ends INTEGER NOT NULL, count INTEGER NOT NULL)',
      );
      this.tableReady = true;
    }
    return sql;
  }

  async consume(key: string, limit: number, windowSeconds: number): Promise<RateLimitDecision> {
    const now = Date.now();
    const windowMs = windowSeconds * 1000;
    const start = Math.floor(now / windowMs) * windowMs;
    const ends = start + windowMs;
    const resetSeconds = Math.max(1, Math.ceil((ends - now) / 1000));
    const refused = { allowed: false, limit, remaining: 0, resetSeconds };
    if (limit < 1) return refused;
    // One statement: a new key or a new window starts at 1; the current window counts up only while under the
    // limit (a refusal changes nothing and returns no row).
    const [row] = this.table()
      .exec<WindowRow>(
        `INSERT INTO windows (key, start, ends, count) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN windows.start = excluded.start THEN windows.count + 1 ELSE 1 END,
           start = excluded.start, ends = excluded.ends
         WHERE windows.start <> excluded.start OR windows.count < ?4
         RETURNING count`,
        key,
        start,
        ends,
        limit,
      )
      .toArray();
    if (!row) return refused;
    if (row.count === 1) await this.sweepBy(ends);
    return { allowed: true, limit, remaining: limit - row.count, resetSeconds };
  }

  /**
   * Gives back one unit of the key's current window: a request another of its keys refused (src/middleware/
   * rate-limit.ts) is not counted against this key. A unit of an earlier window is not returned.
   */
  async refund(key: string, windowSeconds: number): Promise<void> {
    const windowMs = windowSeconds * 1000;
    const start = Math.floor(Date.now() / windowMs) * windowMs;
    this.table().exec(
      'UPDATE windows SET count = count - 1 WHERE key = ?1 AND start = ?2 AND count > 0',
      key,
      start,
    );
  }

  /**
   * Makes sure a sweep is due by `ends` (called when a key starts a window): sets the alarm only when none is
   * set or the one set is later (a shorter window in the same object), so a consume writes no alarm otherwise.
   */
  private async sweepBy(ends: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt !== null && this.alarmAt <= ends) return;
    this.alarmAt = ends;
    await this.ctx.storage.setAlarm(ends);
  }

  /** Deletes the windows that have ended, then waits for the next window end, or frees all storage. */
  override async alarm(): Promise<void> {
    const sql = this.table();
    sql.exec('DELETE FROM windows WHERE ends <= ?1', Date.now());
    const [next] = sql.exec<{ ends: number | null }>('SELECT MIN(ends) AS ends FROM windows').toArray();
    if (next?.ends != null) {
      this.alarmAt = next.ends;
      await this.ctx.storage.setAlarm(next.ends);
      return;
    }
    this.tableReady = false;
    this.alarmAt = null;
    await this.ctx.storage.deleteAll();
  }
}
