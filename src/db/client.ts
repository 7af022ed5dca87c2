import { Client, DatabaseError } from '@planetscale/database';
import { drizzle } from 'drizzle-orm/planetscale-serverless';
import { fastCast } from './cast';

export type Database = ReturnType<typeof createDatabase>;

/** The database could not be reached (network, auth, or the service itself): answered as 503. */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The database is unreachable.', { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/**
 * The driver's request with `X-Request-Id` added. The driver passes its headers as a plain object it built for
 * this one call (postJSON), so the header is added to it in place, not copied into a new Headers and init on
 * every statement (docs/benchmarks.md §9).
 */
function withRequestId(init: RequestInit | undefined, requestId: string): RequestInit {
  const given = init?.headers;
  if (init && given && typeof given === 'object' && !(given instanceof Headers) && !Array.isArray(given)) {
    (given as Record<string, string>)['X-Request-Id'] = requestId;
    return init;
  }
  const headers = new Headers(given);
  headers.set('X-Request-Id', requestId);
  return { ...init, headers };
}

/**
 * One Drizzle instance per request over PlanetScale's HTTP driver. Each query carries the request id as
 * `X-Request-Id`, so the local simulator can count round trips per API request (PlanetScale ignores it).
 */
export function createDatabase(url: string, requestId: string) {
  const client = new Client({
    url,
    // The driver's value decoding, same results, cheaper (src/db/cast.ts).
    cast: fastCast,
    fetch: async (input: string, init?: RequestInit) => {
      let response: Response;
      try {
        response = await fetch(input, withRequestId(init, requestId));
      } catch (err) {
        throw new DatabaseUnavailableError(err);
      }
      // Auth failures and server-side outages are infrastructure problems, not query errors.
      if (response.status === 401 || response.status === 403 || response.status >= 500) {
        throw new DatabaseUnavailableError(new Error(`database HTTP ${response.status}`));
      }
      return response;
    },
  });
  // No `schema` option: it makes drizzle rebuild its relational-query config on every request, and the
  // services use explicit joins (relational queries with `with:` fail on MariaDB anyway).
  return drizzle({ client });
}

/** Walks an error's cause chain (Drizzle wraps driver errors). */
function* causes(err: unknown): Generator<unknown> {
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    yield current;
    current = current instanceof Error ? current.cause : undefined;
  }
}

// PlanetScale answers an outage of the database behind it with an error body, not an HTTP status.
const UNAVAILABLE_CODES = new Set(['UNAVAILABLE', 'unavailable', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED']);

export function isDatabaseUnavailable(err: unknown): boolean {
  for (const e of causes(err)) {
    if (e instanceof DatabaseUnavailableError) return true;
    if (e instanceof DatabaseError && UNAVAILABLE_CODES.has(String((e.body as { code?: unknown })?.code)))
      return true;
  }
  return false;
}

/**
 * MySQL's "duplicate entry" (errno 1062). Matched on the errno, not the key name: MariaDB and MySQL word
 * the message differently. When `key` is given, the message must also name that unique index.
 */
export function isDuplicateKey(err: unknown, key?: string): boolean {
  for (const e of causes(err)) {
    if (e instanceof DatabaseError && /\b1062\b/.test(e.message)) return key ? e.message.includes(key) : true;
  }
  return false;
}

/**
 * A write that lost to a concurrent one and may simply be run again (docs/security.md §4): deadlock (1213),
 * lock-wait timeout (1205), and MariaDB's "Failed to read auto-increment value" (1467), which is how InnoDB
 * reports a deadlock on the table's AUTO-INC lock (concurrent INSERT … SELECT). The statement or transaction
 * was rolled back whole, so nothing of it remains.
 */
const RETRYABLE_ERRNOS = /\b(1213|1205|1467)\b/;

export function isRetryableConflict(err: unknown): boolean {
  for (const e of causes(err)) {
    if (e instanceof DatabaseError && RETRYABLE_ERRNOS.test(e.message)) return true;
  }
  return false;
}

/**
 * Runs `work` and once more if it lost a lock race (isRetryableConflict); a second loss is thrown to the
 * caller, and app.onError answers it 409 `concurrent_update` with Retry-After. Only for work that is safe
 * to repeat after a rollback: one statement, or one database transaction.
 */
export async function retryingConflicts<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!isRetryableConflict(err)) throw err;
    return work();
  }
}
