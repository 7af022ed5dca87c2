import { readFileSync } from 'node:fs';
import { Client, type Field } from '@planetscale/database';
import { describe, expect, it } from 'vitest';
import { fastCast } from '../../src/db/cast';
import { DRIVER_USER_AGENT, executeRaw, forEachValue } from '../../src/db/execute';

// src/db/execute.ts sends and answers exactly as the driver's Client.execute does (docs/benchmarks.md §9).

const version = JSON.parse(
  readFileSync(new URL('../../node_modules/@planetscale/database/package.json', import.meta.url), 'utf8'),
).version;

interface Seen {
  url: string;
  init: { method: string; body: string; headers: Record<string, string>; cache?: string };
}

/** A client whose fetch records each request and answers `answer`. */
function clientAnswering(answer: () => Response, url = 'http://us%40er:p%3Ass@127.0.0.1:8790/some/path') {
  const seen: Seen[] = [];
  const client = new Client({
    url,
    cast: fastCast,
    fetch: async (input: string, init?: RequestInit) => {
      seen.push({ url: input, init: init as Seen['init'] });
      return answer();
    },
  });
  return { client, seen };
}

const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

const FIELDS: Field[] = [
  { name: 'id', type: 'UINT64' },
  { name: 'n', type: 'INT32' },
  { name: 'name', type: 'VARCHAR', charset: 255 },
  { name: 'meta', type: 'JSON', charset: 63 },
  { name: 'at', type: 'DATETIME' },
  { name: 'gone', type: 'VARCHAR', charset: 255 },
  { name: 'raw', type: 'VARBINARY', charset: 63 },
];
const VALUES = ['42', '-7', 'Ünïcödé ✓', '{"a":[1,"é"]}', '2026-01-02 03:04:05.678', null, 'ab'];
const row = {
  lengths: VALUES.map((v) => String(v === null ? -1 : new TextEncoder().encode(v).length)),
  values: b64(VALUES.filter((v) => v !== null).join('')),
};

describe('executeRaw', () => {
  it('uses the installed driver version as its User-Agent', () => {
    expect(DRIVER_USER_AGENT).toBe(`database-js/${version}`);
  });

  it('sends the request the driver sends, and decodes rows to the values the driver gives', async () => {
    const body = JSON.stringify({
      session: { signature: 'x' },
      result: { fields: FIELDS, rows: [row, row], rowsAffected: '2', insertId: '9' },
      timing: 0.001,
    });
    const ours = clientAnswering(() => new Response(body, { status: 200 }));
    const theirs = clientAnswering(() => new Response(body, { status: 200 }));
    const executed = await executeRaw(ours.client, "select 1 from t where a = 'x'");
    const driver = await theirs.client.execute("select 1 from t where a = 'x'", null, { as: 'array' });
    expect(ours.seen).toEqual(theirs.seen);
    expect(executed.rowsAffected).toBe(driver.rowsAffected);
    expect(executed.insertId).toBe(driver.insertId);
    expect(executed.fields).toEqual(driver.fields);
    const rows = executed.rows.map((raw) => {
      const values: unknown[] = [];
      forEachValue(ours.client, executed.fields, raw, (i, value) => {
        values[i] = value;
      });
      return values;
    });
    expect(rows).toEqual(driver.rows);
  });

  it.each([
    [
      'an error in a 200 answer',
      () => new Response(JSON.stringify({ error: { message: 'boom (errno 1062)', code: 'ALREADY_EXISTS' } })),
    ],
    [
      'a JSON error with a 400',
      () =>
        new Response(JSON.stringify({ error: { message: 'bad', code: 'INVALID_ARGUMENT' } }), {
          status: 400,
        }),
    ],
    [
      'a non-JSON 429',
      () =>
        new Response('slow down', { status: 429, statusText: 'Too Many Requests', headers: { 'x-a': 'b' } }),
    ],
    ['a Cloudflare 522', () => new Response('<html>', { status: 522 })],
    ['an empty 404', () => new Response('', { status: 404 })],
    [
      'a long HTML 502',
      () => new Response(`<html>${'x'.repeat(5000)}</html>`, { status: 502, statusText: 'Bad Gateway' }),
    ],
  ])('throws what the driver throws on %s', async (_name, answer) => {
    const ours = clientAnswering(answer);
    const theirs = clientAnswering(answer);
    const mine = await executeRaw(ours.client, 'select 1').catch((err: unknown) => err);
    const driver = await theirs.client.execute('select 1').catch((err: unknown) => err);
    expect(mine).toBeInstanceOf(Error);
    expect((mine as Error).constructor).toBe((driver as Error).constructor);
    expect(mine).toEqual(driver);
    expect({ ...(mine as object) }).toEqual({ ...(driver as object) });
    expect((mine as Error).message).toBe((driver as Error).message);
  });

  it('an answer without a result is no rows', async () => {
    const ours = clientAnswering(() => new Response(JSON.stringify({ session: null })));
    expect(await executeRaw(ours.client, 'do 1')).toEqual({
      fields: [],
      rows: [],
      rowsAffected: 0,
      insertId: '0',
    });
  });
});
