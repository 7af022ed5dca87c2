// `npm run db:migrate` (tools/migrate.mjs) as a user runs it: a child process reading DATABASE_URL, against a
// fresh database on the local server and against the PlanetScale simulator over its HTTP API.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, ensureDatabase, ensureMysql, migrate, parseMysqlUrl } from '../../tools/db.mjs';
import { readJournal } from '../../tools/migration-journal.mjs';
import { startSimulator } from '../../tools/psdb-sim/server.mjs';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const TAGS = readJournal(join(REPO_ROOT, 'drizzle')).map((entry) => entry.tag);

type Mysql = Awaited<ReturnType<typeof ensureMysql>>;
let server: Mysql;
const databases: string[] = [];

async function freshDatabase(label: string): Promise<string> {
  const name = `stackpay_migrate_${label}_${process.pid}`;
  databases.push(name);
  await dropDatabase(server.url, name);
  return name;
}

/** Runs `npm run db:migrate`'s script with DATABASE_URL; resolves with its output. */
async function dbMigrate(databaseUrl: string): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['tools/migrate.mjs'], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    timeout: 60_000,
  });
  return `${stdout}${stderr}`;
}

async function journalRows(database: string): Promise<{ hash: string; created_at: string }[]> {
  const { host, port, user, password } = parseMysqlUrl(server.url);
  const connection = await mysql.createConnection({ host, port, user, password, database });
  try {
    const [rows] = await connection.query('SELECT hash, created_at FROM `__drizzle_migrations` ORDER BY id');
    return rows as { hash: string; created_at: string }[];
  } finally {
    await connection.end();
  }
}

async function tables(database: string): Promise<string[]> {
  const { host, port, user, password } = parseMysqlUrl(server.url);
  const connection = await mysql.createConnection({ host, port, user, password, database });
  try {
    const [rows] = await connection.query('SHOW TABLES');
    return (rows as Record<string, string>[]).map((row) => Object.values(row)[0] ?? '');
  } finally {
    await connection.end();
  }
}

beforeAll(async () => {
  server = await ensureMysql();
});

afterAll(async () => {
  for (const name of databases) await dropDatabase(server.url, name);
  await server.stop();
});

describe('npm run db:migrate', () => {
  it('against a local server applies every migration, records the journal, then has nothing to do', async () => {
    expect(TAGS.length).toBeGreaterThan(0);
    const database = await freshDatabase('local');
    const url = `${server.url}/${database}`;

    const first = await dbMigrate(url);
    for (const tag of TAGS) expect(first).toContain(`applied ${tag}`);
    expect(first).not.toContain('nothing to do');
    expect(await tables(database)).toEqual(expect.arrayContaining(['__drizzle_migrations', 'users']));
    expect(await journalRows(database)).toHaveLength(TAGS.length);

    const second = await dbMigrate(url);
    expect(second).toContain('nothing to do');
    expect(second).not.toContain('applied ');
    expect(await journalRows(database)).toHaveLength(TAGS.length);

    // The dev/test path (tools/db.mjs, drizzle's mysql2 migrator) reads the same journal: 0000 is not re-run.
    await expect(migrate(server.url, database)).resolves.toEqual([]);
  });

  it('against the PlanetScale simulator over its HTTP API applies, then has nothing to do', async () => {
    const database = await freshDatabase('psdb');
    await ensureDatabase(server.url, database);
    const simulator = await startSimulator({ port: 0, mysqlUrl: server.url, database });
    try {
      const first = await dbMigrate(simulator.url);
      expect(first).toContain('PlanetScale HTTP API');
      expect(first).not.toContain('stackpay-local'); // the password is never printed
      for (const tag of TAGS) expect(first).toContain(`applied ${tag}`);
      expect(await journalRows(database)).toHaveLength(TAGS.length);
      expect(await tables(database)).toEqual(expect.arrayContaining(['users', 'transactions']));

      const second = await dbMigrate(simulator.url);
      expect(second).toContain('nothing to do');
      expect(await journalRows(database)).toHaveLength(TAGS.length);
    } finally {
      await simulator.close();
    }
    // Two CLI processes, and every statement of every migration is one HTTP call: the time grows with the
    // migrations (7 now), not with a fault.
  }, 60_000);

  it('refuses plain http to a non-loopback host (credentials would travel in clear)', async () => {
    await expect(dbMigrate('http://user:secret@db.example.com')).rejects.toMatchObject({
      stderr: expect.stringContaining('Refusing to send database credentials over plain http'),
    });
  });
});
