/**
 * The column conventions every table file uses (see index.ts): ids, references, times and the JSON column
 * that accepts anything a client can send.
 */
import { sql } from 'drizzle-orm';
import { bigint, customType, datetime } from 'drizzle-orm/mysql-core';

/** Replaces lone UTF-16 surrogates (in keys and values) with U+FFFD, recursively. */
function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (Array.isArray(value)) return value.map(wellFormed);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toWellFormed(), wellFormed(v)]));
  }
  return value;
}

/**
 * A JSON column that stores any value a client can send. Not drizzle's `json()`: a lone surrogate (legal in
 * a JS string, e.g. from `"\ud800"` in a request body) serialises to an escape that MySQL and MariaDB refuse
 * as invalid JSON, turning hostile input into a database error.
 */
export const json = customType<{ data: unknown; driverData: string }>({
  dataType: () => 'json',
  toDriver: (value) => JSON.stringify(wellFormed(value)),
  // PlanetScale's driver already parses JSON columns; a server that reports them as text gives a string.
  fromDriver: (value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  },
});

// Not `serial`: drizzle renders it as `serial AUTO_INCREMENT`, which MariaDB refuses.
export const id = () => bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey();
export const ref = (name: string) => bigint(name, { mode: 'number', unsigned: true });
export const timestamp = (name: string) => datetime(name, { mode: 'date', fsp: 3 });
export const createdAt = () => timestamp('created_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`);
export const updatedAt = () =>
  timestamp('updated_at')
    .notNull()
    .default(sql`CURRENT_TIMESTAMP(3)`)
    .$onUpdate(() => new Date());
