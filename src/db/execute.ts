import { type Client, DatabaseError, type Field, UnknownError } from '@planetscale/database';
import { fastCast } from './cast';

/**
 * One statement sent the way `@planetscale/database` 1.20 sends it outside a transaction (`Client.execute` →
 * `Connection.execute` → `postJSON`; the API in docs/design.md §4): the same URL, Basic auth, headers and
 * body `{"query", "session": null}` through the client's own `fetch` (src/db/client.ts: `X-Request-Id`, the
 * 503 mapping), and the same errors (`DatabaseError`, `UnknownError` with the driver's messages). Used by the
 * hot statements only (src/db/prepared.ts, docs/benchmarks.md §9), because the driver's general path builds,
 * per statement, a `Connection` (three URL parses), a `types` map copied once per column, and a row of cast
 * values that the hot statements then map again: here each value is cast and decoded straight into its row.
 */

/** The driver's User-Agent; test/unit/db-execute.test.ts checks it against the installed version. */
export const DRIVER_USER_AGENT = 'database-js/1.20.2';

// Cloudflare Workers say so in navigator.userAgent; the driver words HTTP errors differently there.
const isCloudflareWorker = typeof navigator !== 'undefined' && navigator.userAgent === 'Cloudflare-Workers';

interface Endpoint {
  url: string;
  authorization: string;
}

// Per database URL (one or two per isolate): the Execute URL and the Basic credentials, as the driver derives them.
const endpoints = new Map<string, Endpoint>();

function endpointOf(databaseUrl: string): Endpoint {
  let endpoint = endpoints.get(databaseUrl);
  if (!endpoint) {
    const url = new URL(databaseUrl);
    const scheme = url.protocol === 'http:' ? 'http:' : 'https:';
    endpoint = {
      url: new URL('/psdb.v1alpha1.Database/Execute', `${scheme}//${url.host}`).toString(),
      authorization: `Basic ${btoa(`${url.username}:${url.password}`)}`,
    };
    if (endpoints.size < 16) endpoints.set(databaseUrl, endpoint);
  }
  return endpoint;
}

interface RawRow {
  lengths: string[];
  values?: string;
}

interface ExecuteResponse {
  result?: { fields?: Field[]; rows?: RawRow[]; rowsAffected?: string; insertId?: string } | null;
  error?: { message: string; code: string };
}

/** What a hot statement needs of the answer. */
export interface Executed {
  fields: Field[];
  rows: RawRow[];
  rowsAffected: number;
  insertId: string;
}

async function post(client: Client, query: string): Promise<ExecuteResponse> {
  const { url, authorization } = endpointOf(client.config.url ?? '');
  const send = client.config.fetch ?? fetch;
  const response = await send(url, {
    method: 'POST',
    body: JSON.stringify({ query, session: null }),
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': DRIVER_USER_AGENT,
      Authorization: authorization,
    },
    cache: 'no-store',
  });
  const text = await response.text();
  if (response.ok) return JSON.parse(text) as ExecuteResponse;
  let parsed: ExecuteResponse | undefined;
  try {
    parsed = JSON.parse(text) as ExecuteResponse;
  } catch {}
  if (parsed?.error) throw new DatabaseError(parsed.error.message, response.status, parsed.error);
  const headers: Record<string, string> = {};
  try {
    response.headers?.forEach((value, key) => {
      headers[key] = value;
    });
  } catch {}
  const cloudflare = (response.status >= 520 && response.status <= 530) || isCloudflareWorker;
  const status = response.statusText ? `${response.status} ${response.statusText}` : `${response.status}`;
  const message = cloudflare
    ? `Cloudflare error: HTTP ${status} (not a database error)`
    : `Expected JSON response from database API, got HTTP ${status}`;
  throw new UnknownError(message, {
    status: response.status,
    statusText: response.statusText,
    body: text.substring(0, 4096),
    headers,
  });
}

/** Sends `query` (final SQL, values already in it) on the client's database, outside any transaction. */
export async function executeRaw(client: Client, query: string): Promise<Executed> {
  const { result, error } = await post(client, query);
  if (error) throw new DatabaseError(error.message, 400, error);
  const fields = result?.fields ?? [];
  for (const field of fields) field.type ||= 'NULL';
  return {
    fields,
    rows: result?.rows ?? [],
    rowsAffected: result?.rowsAffected ? Number.parseInt(result.rowsAffected, 10) : 0,
    insertId: result?.insertId ?? '0',
  };
}

/**
 * A row's values as the driver casts them (the client's `cast`: `fastCast`, equal to the driver's), passed one by one to `each`
 * with their column index: the row is base64 of the concatenated bytes, `lengths` each value's (-1 = NULL).
 */
export function forEachValue(
  client: Client,
  fields: Field[],
  row: RawRow,
  each: (index: number, value: unknown) => void,
): void {
  const cast = client.config.cast ?? fastCast;
  const bytes = row.values ? atob(row.values) : '';
  let offset = 0;
  for (let i = 0; i < row.lengths.length; i++) {
    const width = Number.parseInt(row.lengths[i] as string, 10);
    if (width < 0) {
      each(i, null);
      continue;
    }
    const raw = bytes.substring(offset, offset + width);
    offset += width;
    each(i, cast(fields[i] as Field, raw));
  }
}
