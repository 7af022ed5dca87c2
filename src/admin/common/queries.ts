import { and, type SQL, sql } from 'drizzle-orm';
import type { MySqlSelect } from 'drizzle-orm/mysql-core';

/**
 * Read-only queries behind the admin pages live with their section (`<section>/queries.ts`); this file holds
 * what every list shares. Each query is one statement (one round trip). Lists return their total next to the
 * page through a window function, so a page never needs a second COUNT query. Writes never happen in the
 * admin's queries: they go through the domain services, like the API's.
 */

/**
 * A role, KYC status, transaction status or e-mail status named in a query string or form field, checked
 * against the schema's enums; anything else is undefined. Routes parse with these so that they never import
 * the schema (CONTRIBUTING.md, "Layering").
 */
export function member<T extends string>(value: string | undefined, allowed: readonly T[]): T | undefined {
  return allowed.find((v) => v === value);
}

export interface PageWindow {
  page: number;
  pageSize: number;
}

export interface ListResult<T> {
  /** Rows matching the filters across all pages (0 when the page is past the end). */
  total: number;
  rows: T[];
}

/** The total of the whole filtered list, on every row of the page. */
export const total = sql<number>`count(*) over ()`.mapWith(Number);

export const whereAll = (conditions: SQL[]) => (conditions.length > 0 ? and(...conditions) : undefined);

/** One page of a list query selecting `total`: LIMIT/OFFSET, and the total taken off the rows. */
export async function pageOf<T extends MySqlSelect>(
  query: T,
  window: PageWindow,
): Promise<ListResult<Omit<Awaited<T>[number], 'total'>>> {
  type Row = Awaited<T>[number];
  const rows = (await query.limit(window.pageSize).offset((window.page - 1) * window.pageSize)) as Array<
    Row & { total: number }
  >;
  return {
    total: rows[0]?.total ?? 0,
    rows: rows.map(({ total: _total, ...row }) => row as Omit<Row, 'total'>),
  };
}
