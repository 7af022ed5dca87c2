// Fidelity of the PlanetScale HTTP simulator, exercised through the real @planetscale/database driver and
// drizzle-orm/planetscale-serverless, against the private MariaDB (or MYSQL_URL).
import { randomUUID } from 'node:crypto';
import { Client, DatabaseError } from '@planetscale/database';
import { eq, sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  date,
  datetime,
  decimal,
  json,
  mysqlTable,
  text,
  varchar,
} from 'drizzle-orm/mysql-core';
import { drizzle } from 'drizzle-orm/planetscale-serverless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, ensureDatabase, ensureMysql } from '../../tools/db.mjs';
import { startSimulator } from '../../tools/psdb-sim/server.mjs';

const items = mysqlTable('items', {
  id: bigint('id', { mode: 'number', unsigned: true }).primaryKey().autoincrement(),
  name: varchar('name', { length: 64 }).notNull().unique(),
  amountCents: bigint('amount_cents', { mode: 'number' }),
  bigAmount: bigint('big_amount', { mode: 'bigint' }),
  price: decimal('price', { precision: 12, scale: 2 }),
  createdAt: datetime('created_at', { mode: 'date', fsp: 3 }),
  createdText: datetime('created_text', { mode: 'string', fsp: 3 }),
  day: date('day', { mode: 'string' }),
  meta: json('meta').$type<{ tags: string[]; nested: { ok: boolean } }>(),
  active: boolean('active'),
  note: text('note'),
});

const CREATE_ITEMS = `CREATE TABLE items (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  amount_cents BIGINT NULL,
  big_amount BIGINT NULL,
  price DECIMAL(12,2) NULL,
  created_at DATETIME(3) NULL,
  created_text DATETIME(3) NULL,
  day DATE NULL,
  meta JSON NULL,
  active BOOLEAN NULL,
  note TEXT NULL,
  UNIQUE KEY items_name_unique (name)
)`;

type Mysql = Awaited<ReturnType<typeof ensureMysql>>;
type Simulator = Awaited<ReturnType<typeof startSimulator>>;

const database = `psdb_sim_test_${process.pid}_${Date.now()}`;
let mysqlServer: Mysql;
let sim: Simulator;
let client: Client;
let db: ReturnType<typeof drizzle>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const adminUrl = (path: string) => `http://127.0.0.1:${sim.port}${path}`;

/** The DatabaseError behind a driver or Drizzle failure (Drizzle wraps it in DrizzleQueryError). */
async function failure(promise: Promise<unknown>): Promise<DatabaseError> {
  try {
    await promise;
  } catch (error) {
    const cause = error instanceof DatabaseError ? error : (error as { cause?: unknown }).cause;
    if (cause instanceof DatabaseError) return cause;
    throw error;
  }
  throw new Error('expected the statement to fail');
}

beforeAll(async () => {
  mysqlServer = await ensureMysql();
  await ensureDatabase(mysqlServer.url, database);
  sim = await startSimulator({ port: 0, mysqlUrl: mysqlServer.url, database });
  client = new Client({ url: sim.url, fetch });
  db = drizzle({ client });
  await client.execute(CREATE_ITEMS);
}, 60_000);

afterAll(async () => {
  await sim?.close();
  if (mysqlServer) await dropDatabase(mysqlServer.url, database);
  await mysqlServer?.stop();
}, 60_000);

describe('raw driver', () => {
  it('returns every column type the way PlanetScale does', async () => {
    const inserted = await client.execute(
      `INSERT INTO items (name, amount_cents, big_amount, price, created_at, created_text, day, meta, active, note)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        'raw',
        1234,
        '9007199254740993',
        '12.50',
        '2026-01-02 03:04:05.678',
        '2026-01-02 03:04:05.600',
        '2026-01-02',
        '{"tags":["a","ü"],"nested":{"ok":true}}',
        true,
        'héllo 😀',
      ],
    );
    expect(inserted.rowsAffected).toBe(1);
    expect(inserted.insertId).toMatch(/^[1-9]\d*$/);

    const { rows, types } = await client.execute('SELECT * FROM items WHERE id = ?', [inserted.insertId]);
    expect(types).toMatchObject({
      id: 'UINT64',
      name: 'VARCHAR',
      amount_cents: 'INT64',
      price: 'DECIMAL',
      created_at: 'DATETIME',
      day: 'DATE',
      meta: 'JSON',
      active: 'INT8',
      note: 'TEXT',
    });
    expect(rows[0]).toEqual({
      id: inserted.insertId,
      name: 'raw',
      amount_cents: '1234',
      big_amount: '9007199254740993',
      price: '12.50',
      created_at: '2026-01-02 03:04:05.678',
      created_text: '2026-01-02 03:04:05.600',
      day: '2026-01-02',
      meta: { tags: ['a', 'ü'], nested: { ok: true } },
      active: 1,
      note: 'héllo 😀',
    });
  });

  it('returns NULLs, NULL-typed columns and computed values', async () => {
    await client.execute("INSERT INTO items (name) VALUES ('nulls')");
    const { rows, types } = await client.execute(
      "SELECT price, meta, active, note, NULL AS nothing, COUNT(*) OVER () AS total FROM items WHERE name = 'nulls'",
    );
    expect(rows[0]).toEqual({ price: null, meta: null, active: null, note: null, nothing: null, total: '1' });
    expect(types.nothing).toBe('NULL');
    expect(types.total).toBe('INT64');
  });

  it('reports matched rows for UPDATE (clientFoundRows) and zero for no match', async () => {
    await client.execute("INSERT INTO items (name, note) VALUES ('same', 'x')");
    const unchanged = await client.execute("UPDATE items SET note = 'x' WHERE name = 'same'");
    expect(unchanged.rowsAffected).toBe(1);
    const none = await client.execute("UPDATE items SET note = 'y' WHERE name = 'missing'");
    expect(none.rowsAffected).toBe(0);
    expect(none.insertId).toBe('0');
  });

  it('carries errno 1062 in duplicate-key errors', async () => {
    await client.execute("INSERT INTO items (name) VALUES ('dup')");
    const error = await failure(client.execute("INSERT INTO items (name) VALUES ('dup')"));
    expect(error.status).toBe(400);
    expect(error.body.code).toBe('ALREADY_EXISTS');
    expect(error.message).toContain('(errno 1062) (sqlstate 23000)');
    // Like PlanetScale, literals in the echoed SQL are redacted (MySQL's own text still names the key value).
    expect(error.message).toContain('Sql: "INSERT INTO items (name) VALUES (:vtg1)"');
  });

  it('rejects wrong credentials with 401', async () => {
    const url = new URL(sim.url);
    url.password = 'wrong';
    const error = await failure(new Client({ url: url.toString(), fetch }).execute('SELECT 1'));
    expect(error.status).toBe(401);
    expect(error.body).toEqual({ code: 'unauthenticated', message: 'invalid auth credentials' });
  });

  it('creates sessions', async () => {
    const connection = client.connection();
    // createSession is the driver's own (TypeScript-private) call; the simulator must answer it.
    const session = await (
      connection as unknown as { createSession(): Promise<{ vitessSession: { SessionUUID: string } }> }
    ).createSession();
    expect(session.vitessSession.SessionUUID).toEqual(expect.any(String));
    const result = await connection.execute('SELECT 1 AS one');
    expect(result.rows).toEqual([{ one: 1 }]);
  });

  it('runs every statement in UTC with strict sql_mode, as PlanetScale does', async () => {
    const { rows } = await client.execute('SELECT @@session.time_zone AS tz, @@session.sql_mode AS mode');
    expect(rows[0]).toMatchObject({ tz: '+00:00', mode: expect.stringContaining('STRICT_TRANS_TABLES') });
  });

  it('commits and rolls back driver transactions', async () => {
    await client.transaction(async (tx) => {
      await tx.execute("INSERT INTO items (name) VALUES ('tx-commit')");
    });
    await expect(
      client.transaction(async (tx) => {
        await tx.execute("INSERT INTO items (name) VALUES ('tx-rollback')");
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await client.execute("SELECT name FROM items WHERE name LIKE 'tx-%' ORDER BY name");
    expect(rows).toEqual([{ name: 'tx-commit' }]);
  });

  it('keeps concurrent transactions on separate sessions isolated', async () => {
    const first = client.connection();
    const second = client.connection();
    await first.execute('BEGIN');
    await second.execute('BEGIN');
    await first.execute("INSERT INTO items (name) VALUES ('iso-first')");
    await second.execute("INSERT INTO items (name) VALUES ('iso-second')");
    const countOf = async (connection: typeof first, name: string) =>
      (await connection.execute('SELECT COUNT(*) AS n FROM items WHERE name = ?', [name])).rows[0]?.n;
    expect(await countOf(first, 'iso-second')).toBe('0');
    expect(await countOf(second, 'iso-first')).toBe('0');
    expect(await countOf(first, 'iso-first')).toBe('1');
    await first.execute('COMMIT');
    await second.execute('ROLLBACK');
    expect(await countOf(client.connection(), 'iso-first')).toBe('1');
    expect(await countOf(client.connection(), 'iso-second')).toBe('0');
  });

  it('refuses concurrent statements on one transaction, as vttablet does', async () => {
    const error = await failure(
      client.transaction(async (tx) => {
        await Promise.all([tx.execute('SELECT SLEEP(0.3)'), sleep(50).then(() => tx.execute('SELECT 1'))]);
      }),
    );
    expect(error.body.code).toBe('ABORTED');
    expect(error.message).toMatch(/transaction \d+: in use/);
  });
});

describe('drizzle', () => {
  it('round-trips every column mode', async () => {
    const createdAt = new Date('2026-03-04T05:06:07.891Z');
    const [{ id } = { id: 0 }] = await db
      .insert(items)
      .values({
        name: 'drizzle',
        amountCents: 250_000,
        bigAmount: 9_007_199_254_740_993n,
        price: '99.95',
        createdAt,
        createdText: '2026-03-04 05:06:07.891',
        day: '2026-03-04',
        meta: { tags: ['x'], nested: { ok: false } },
        active: true,
        note: 'note',
      })
      .$returningId();
    expect(id).toEqual(expect.any(Number));

    const [row] = await db.select().from(items).where(eq(items.id, id));
    expect(row).toEqual({
      id,
      name: 'drizzle',
      amountCents: 250_000,
      bigAmount: 9_007_199_254_740_993n,
      price: '99.95',
      createdAt,
      createdText: '2026-03-04 05:06:07.891',
      day: '2026-03-04',
      meta: { tags: ['x'], nested: { ok: false } },
      active: true,
      note: 'note',
    });

    const [empty] = await db.insert(items).values({ name: 'drizzle-nulls', active: false }).$returningId();
    const [nulls] = await db
      .select()
      .from(items)
      .where(eq(items.id, empty?.id ?? 0));
    expect(nulls).toMatchObject({
      amountCents: null,
      createdAt: null,
      meta: null,
      active: false,
      note: null,
    });

    const [{ total } = { total: -1 }] = await db
      .select({ total: sql`count(*)`.mapWith(Number) })
      .from(items)
      .where(eq(items.name, 'drizzle'));
    expect(total).toBe(1);
  });

  it('reports affected rows', async () => {
    await db.insert(items).values([{ name: 'upd-a' }, { name: 'upd-b' }]);
    const result = await db.update(items).set({ note: 'n' }).where(sql`${items.name} like 'upd-%'`);
    expect(result.rowsAffected).toBe(2);
  });

  it('rolls back a transaction that throws', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(items).values({ name: 'dz-rollback' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await db.select().from(items).where(eq(items.name, 'dz-rollback'))).toEqual([]);
  });

  it('supports savepoints through nested transactions', async () => {
    await db.transaction(async (tx) => {
      await tx.insert(items).values({ name: 'sp-outer' });
      await expect(
        tx.transaction(async (inner) => {
          await inner.insert(items).values({ name: 'sp-discarded' });
          throw new Error('inner');
        }),
      ).rejects.toThrow('inner');
      await tx.transaction(async (inner) => {
        await inner.insert(items).values({ name: 'sp-kept' });
      });
    });
    const names = await db
      .select({ name: items.name })
      .from(items)
      .where(sql`${items.name} like 'sp-%'`)
      .orderBy(items.name);
    expect(names.map((row) => row.name)).toEqual(['sp-kept', 'sp-outer']);
  });

  it('surfaces duplicate keys with errno 1062', async () => {
    await db.insert(items).values({ name: 'dz-dup' });
    const error = await failure(db.insert(items).values({ name: 'dz-dup' }));
    expect(error.message).toContain('errno 1062');
  });
});

describe('idle transactions', () => {
  it('rolls back a transaction idle longer than idleTimeoutMs and fails its next statement', async () => {
    const impatient = await startSimulator({
      port: 0,
      mysqlUrl: mysqlServer.url,
      database,
      idleTimeoutMs: 200,
    });
    try {
      const shortClient = new Client({ url: impatient.url, fetch });
      const error = await failure(
        shortClient.transaction(async (tx) => {
          await tx.execute("INSERT INTO items (name) VALUES ('idle')");
          await sleep(600);
          await tx.execute('SELECT 1');
        }),
      );
      expect(error.body.code).toBe('ABORTED');
      expect(error.message).toMatch(/transaction \d+: ended at .* \(exceeded timeout: 0.2s\)/);
      const { rows } = await shortClient.execute("SELECT COUNT(*) AS n FROM items WHERE name = 'idle'");
      expect(rows[0]?.n).toBe('0');
    } finally {
      await impatient.close();
    }
  });
});

describe('unreachable MySQL', () => {
  it('makes the driver throw an UNAVAILABLE error', async () => {
    const orphan = await startSimulator({ port: 0, mysqlUrl: 'mysql://root@127.0.0.1:1', database });
    try {
      const error = await failure(new Client({ url: orphan.url, fetch }).execute('SELECT 1'));
      expect(error.body.code).toBe('UNAVAILABLE');
    } finally {
      await orphan.close();
    }
  });
});

describe('query counter', () => {
  it('counts statements per X-Request-Id', async () => {
    const requestId = `req-${randomUUID()}`;
    const countingClient = new Client({
      url: sim.url,
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...init?.headers, 'X-Request-Id': requestId } }),
    });
    const before = (await (await fetch(adminUrl('/_sim/stats'))).json()) as { total: number };
    await countingClient.execute('SELECT 1');
    await countingClient.transaction(async (tx) => {
      await tx.execute('SELECT 2');
    });
    await drizzle({ client: countingClient }).select().from(items).limit(1);

    const perRequest = (await (await fetch(adminUrl(`/_sim/stats/requests/${requestId}`))).json()) as {
      request_id: string;
      queries: number;
      statements: string[];
    };
    expect(perRequest.request_id).toBe(requestId);
    expect(perRequest.queries).toBe(5);
    expect(perRequest.statements.slice(0, 4)).toEqual(['SELECT 1', 'BEGIN', 'SELECT 2', 'COMMIT']);
    expect(perRequest.statements[4]).toMatch(/^select .* from `items` limit/);

    const summary = (await (await fetch(adminUrl('/_sim/stats'))).json()) as {
      total: number;
      requests: Record<string, number>;
    };
    expect(summary.requests[requestId]).toBe(5);
    expect(summary.total).toBeGreaterThanOrEqual(before.total + 5);
    expect(await (await fetch(adminUrl('/_sim/health'))).json()).toEqual({ status: 'ok' });
  });

  it('resets', async () => {
    await fetch(adminUrl('/_sim/stats/reset'), { method: 'POST' });
    expect(await (await fetch(adminUrl('/_sim/stats'))).json()).toEqual({ total: 0, requests: {} });
  });
});
