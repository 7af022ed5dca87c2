#!/usr/bin/env node
// `npm run db:migrate`: applies the migrations in drizzle/ with drizzle's migrator, which keeps its journal
// in `__drizzle_migrations`, so running it again applies only what is new ("nothing to do" otherwise).
//
// Where, from DATABASE_URL:
//   https://user:password@host   PlanetScale over its HTTP API (TLS), the same value as the Worker's secret;
//                                drizzle-orm/planetscale-serverless's migrator through @planetscale/database.
//                                (http:// only for a loopback host: the local simulator, tools/psdb-sim.)
//   mysql://user:password@host:port/database   a MySQL-compatible server (created if missing).
//   unset                        the local development database `stackpay` (private MariaDB or MYSQL_URL),
//                                as `npm run dev` uses it.
// PlanetScale with safe migrations: run it against a development branch, then open a deploy request
// (README, "Deploying").

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@planetscale/database';
import { drizzle } from 'drizzle-orm/planetscale-serverless';
import { migrate as drizzleMigrate } from 'drizzle-orm/planetscale-serverless/migrator';
import { ensureDatabase, ensureMysql, migrate as migrateMysql, parseMysqlUrl, REPO_ROOT } from './db.mjs';
import { lastAppliedAt, pendingMigrations } from './migration-journal.mjs';

const DEFAULT_MIGRATIONS = path.join(REPO_ROOT, 'drizzle');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** @param {string} url */
export function redactUrl(url) {
  return url.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');
}

/**
 * Applies pending migrations through the PlanetScale HTTP API.
 * @param {string} databaseUrl https://user:password@host (http:// only on loopback)
 * @param {string} [migrationsFolder]
 * @returns {Promise<string[]>} the tags applied
 */
export async function migratePlanetScale(databaseUrl, migrationsFolder = DEFAULT_MIGRATIONS) {
  const url = new URL(databaseUrl);
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
    throw new Error(`Refusing to send database credentials over plain http to ${url.hostname}; use https://`);
  }
  const client = new Client({ url: databaseUrl });
  const pending = pendingMigrations(
    migrationsFolder,
    await lastAppliedAt(async (query) => (await client.execute(query)).rows),
  );
  await drizzleMigrate(drizzle({ client }), { migrationsFolder });
  return pending;
}

/**
 * One command for every target (see the header).
 * @param {{ databaseUrl?: string, migrationsFolder?: string, log?: (message: string) => void }} [options]
 * @returns {Promise<string[]>} the tags applied
 */
export async function runMigrations({
  databaseUrl = process.env.DATABASE_URL,
  migrationsFolder = DEFAULT_MIGRATIONS,
  log = console.log,
} = {}) {
  let target;
  let applied;
  if (databaseUrl && /^https?:\/\//.test(databaseUrl)) {
    target = `PlanetScale HTTP API at ${redactUrl(databaseUrl)}`;
    log(`migrating ${target}`);
    applied = await migratePlanetScale(databaseUrl, migrationsFolder);
  } else if (databaseUrl?.startsWith('mysql://')) {
    const { database } = parseMysqlUrl(databaseUrl);
    if (!database)
      throw new Error('DATABASE_URL=mysql://… must name the database: mysql://user@host:port/name');
    const server = new URL(databaseUrl);
    server.pathname = '';
    target = `${database} on ${redactUrl(server.toString())}`;
    log(`migrating ${target}`);
    await ensureDatabase(server.toString(), database);
    applied = await migrateMysql(server.toString(), database, migrationsFolder);
  } else if (databaseUrl) {
    throw new Error('DATABASE_URL must be https://… (PlanetScale) or mysql://…/database');
  } else {
    const mysql = await ensureMysql({ log, detach: true });
    const database = process.env.STACKPAY_DATABASE ?? 'stackpay';
    target = `${database} on ${redactUrl(mysql.url)} (local development database)`;
    log(`migrating ${target}`);
    await ensureDatabase(mysql.url, database);
    applied = await migrateMysql(mysql.url, database, migrationsFolder);
  }
  if (applied.length === 0) log('nothing to do: every migration is already applied');
  else for (const tag of applied) log(`applied ${tag}`);
  return applied;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runMigrations().catch((error) => {
    console.error(`db:migrate failed: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 1;
  });
}
