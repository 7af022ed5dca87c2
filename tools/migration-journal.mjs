// What drizzle's migrator will apply, told before it runs (the migrator itself reports nothing).
// drizzle-orm 0.45 (mysql-core dialect `migrate`): creates `__drizzle_migrations` if missing, reads the
// newest row's `created_at`, and applies every journal entry whose `when` is later, in one transaction,
// recording `(hash, created_at = when)` for each.

import { readFileSync } from 'node:fs';
import path from 'node:path';

export const MIGRATIONS_TABLE = '__drizzle_migrations';

/**
 * @param {string} migrationsFolder
 * @returns {{ tag: string, when: number }[]}
 */
export function readJournal(migrationsFolder) {
  const journal = JSON.parse(readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8'));
  return journal.entries.map((/** @type {{ tag: string, when: number }} */ entry) => ({
    tag: entry.tag,
    when: entry.when,
  }));
}

/**
 * Tags drizzle's migrator will apply, given the newest applied migration's timestamp.
 * @param {string} migrationsFolder
 * @param {number | null} appliedUpTo `created_at` of the newest journal row, null when there is none
 * @returns {string[]}
 */
export function pendingMigrations(migrationsFolder, appliedUpTo) {
  return readJournal(migrationsFolder)
    .filter((entry) => appliedUpTo === null || appliedUpTo < entry.when)
    .map((entry) => entry.tag);
}

/**
 * The newest applied migration's timestamp, or null when the journal table is missing or empty.
 * @param {(sql: string) => Promise<Record<string, unknown>[]>} query runs one statement, returns its rows
 * @returns {Promise<number | null>}
 */
export async function lastAppliedAt(query) {
  try {
    const rows = await query(
      `SELECT created_at FROM \`${MIGRATIONS_TABLE}\` ORDER BY created_at DESC LIMIT 1`,
    );
    return rows[0] ? Number(rows[0].created_at) : null;
  } catch (error) {
    // errno 1146: the table does not exist yet (MySQL, MariaDB, and PlanetScale's message alike).
    if (/1146|doesn't exist/i.test(String(/** @type {Error} */ (error).message ?? error))) return null;
    if (/** @type {{ errno?: number }} */ (error).errno === 1146) return null;
    throw error;
  }
}
