import { and, eq } from 'drizzle-orm';
import { createMiddleware } from 'hono/factory';
import { type Database, isDuplicateKey } from '../db/client';
import { idempotencyRecords } from '../db/schema';
import type { AppEnv } from '../env';
import { sha256Hex } from '../lib/crypto';
import { AppError, fieldError, unauthorized } from '../lib/errors';
import { describeError } from '../lib/logger';

/**
 * `Idempotency-Key` for POST routes (docs/api.md §4.2, docs/design.md §6, Stripe's conventions): the first request's
 * status and body are stored and replayed to a retry with the same key and the same body for 24 hours;
 * the same key with another body is refused; a retry while the first is still running waits briefly for
 * its answer, then gets 409. Keys belong to one user and one operation (`scope`).
 *
 * The reservation is a database row with a unique (user, scope, key): its INSERT is the lock, so two
 * concurrent requests can never both run (KV could not do this: no compare-and-set).
 */

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** How long an answer is replayed; the daily cron prunes older records. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
// A request holds its key at most this long: beyond every request's time limit (PayMob's 22 s budget plus
// the database), so a key whose request died (isolate evicted) becomes usable again.
export const IN_PROGRESS_LEASE_MS = 60_000;
// A concurrent retry polls the first request's record with these pauses (about 2.5 s in all) before
// giving up with 409; most creates finish well within that, so the retry gets the same answer.
const WAIT_SCHEDULE_MS = [50, 100, 200, 400, 800, 1000];
// Infrastructure failures are not answers worth keeping: the client should be able to retry them.
const NOT_STORED_STATUSES = new Set([500, 503]);
const VISIBLE_ASCII = /^[\x20-\x7e]+$/;

type StoredAnswer = { status: number; body: string };

type Reservation =
  | { kind: 'reserved'; id: number }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' };

/** JSON with sorted keys, so `{"a":1,"b":2}` and `{ "b": 2, "a": 1 }` are the same request. */
function canonicalBody(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v as Record<string, unknown>)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value));
}

type RecordRow = {
  id: number;
  requestHash: string;
  state: string;
  responseStatus: number | null;
  responseBody: string | null;
  createdAt: Date;
};

async function loadRecord(
  db: Database,
  userId: number,
  scope: string,
  key: string,
): Promise<RecordRow | undefined> {
  const [row] = await db
    .select({
      id: idempotencyRecords.id,
      requestHash: idempotencyRecords.requestHash,
      state: idempotencyRecords.state,
      responseStatus: idempotencyRecords.responseStatus,
      responseBody: idempotencyRecords.responseBody,
      createdAt: idempotencyRecords.createdAt,
    })
    .from(idempotencyRecords)
    .where(
      and(
        eq(idempotencyRecords.userId, userId),
        eq(idempotencyRecords.scope, scope),
        eq(idempotencyRecords.idempotencyKey, key),
      ),
    )
    .limit(1);
  return row;
}

/** Takes over a record that expired (24 h) or whose request died (lease), if nobody else did first. */
async function takeOver(db: Database, row: RecordRow, requestHash: string, now: Date): Promise<boolean> {
  const result = await db
    .update(idempotencyRecords)
    .set({
      requestHash,
      state: 'in_progress',
      responseStatus: null,
      responseBody: null,
      createdAt: now,
      completedAt: null,
    })
    .where(and(eq(idempotencyRecords.id, row.id), eq(idempotencyRecords.createdAt, row.createdAt)));
  return result.rowsAffected === 1;
}

function classify(row: RecordRow, requestHash: string, now: Date): Reservation | 'stale' {
  const age = now.getTime() - row.createdAt.getTime();
  if (age >= IDEMPOTENCY_TTL_MS) return 'stale';
  if (row.state !== 'completed' && age >= IN_PROGRESS_LEASE_MS) return 'stale';
  if (row.requestHash !== requestHash) return { kind: 'mismatch' };
  if (row.state === 'completed' && row.responseStatus !== null && row.responseBody !== null) {
    return { kind: 'replay', answer: { status: row.responseStatus, body: row.responseBody } };
  }
  return { kind: 'in_progress' };
}

async function insertRecord(
  db: Database,
  userId: number,
  scope: string,
  key: string,
  requestHash: string,
): Promise<number | undefined> {
  try {
    const result = await db.insert(idempotencyRecords).values({
      userId,
      scope,
      idempotencyKey: key,
      requestHash,
      state: 'in_progress',
      createdAt: new Date(),
    });
    return Number(result.insertId);
  } catch (err) {
    if (isDuplicateKey(err)) return undefined;
    throw err;
  }
}

/**
 * One INSERT in the usual case. On a duplicate key the stored record decides: replay, mismatch, or (while
 * the first request runs) a few short waits for its answer.
 */
async function reserve(
  db: Database,
  userId: number,
  scope: string,
  key: string,
  requestHash: string,
): Promise<Reservation> {
  let waits = 0;
  // Bounded: each turn either returns, waits (at most WAIT_SCHEDULE_MS.length times) or lost a race.
  for (let turn = 0; turn < WAIT_SCHEDULE_MS.length + 4; turn++) {
    const row = await loadRecord(db, userId, scope, key);
    if (!row) {
      const id = await insertRecord(db, userId, scope, key, requestHash);
      if (id !== undefined) return { kind: 'reserved', id };
      continue;
    }
    const decision = classify(row, requestHash, new Date());
    if (decision === 'stale') {
      if (await takeOver(db, row, requestHash, new Date())) return { kind: 'reserved', id: row.id };
      continue;
    }
    if (decision.kind !== 'in_progress' || waits >= WAIT_SCHEDULE_MS.length) return decision;
    await new Promise((resolve) => setTimeout(resolve, WAIT_SCHEDULE_MS[waits]));
    waits++;
  }
  return { kind: 'in_progress' };
}

function replay(answer: StoredAnswer): Response {
  const contentType = answer.status >= 400 ? 'application/problem+json' : 'application/json';
  return new Response(answer.body, {
    status: answer.status,
    headers: { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'Idempotent-Replayed': 'true' },
  });
}

/**
 * Use after requireAuth on a JSON POST route: `idempotency('transactions.create')`. Without the header the
 * request runs as usual.
 */
export function idempotency(scope: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = c.req.header(IDEMPOTENCY_HEADER);
    if (key === undefined) return next();
    if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !VISIBLE_ASCII.test(key)) {
      throw fieldError(
        IDEMPOTENCY_HEADER,
        `The ${IDEMPOTENCY_HEADER} header must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters.`,
        'invalid_idempotency_key',
      );
    }
    // A server API key's keys are its own (docs/api-keys.md §4): kept under its creator's user id with the key
    // id in the scope, so neither the admin nor another key can replay them.
    const apiKey = c.var.ctx.apiKey;
    const owner = apiKey ? apiKey.createdBy : c.var.ctx.actor?.id;
    if (owner === undefined) throw unauthorized('Authentication credentials were not provided.');
    const recordScope = apiKey ? `key:${apiKey.id}:${scope}` : scope;
    const { db, logger } = c.var;
    const requestHash = await sha256Hex(`${c.req.method} ${scope}\n${canonicalBody(await c.req.text())}`);

    const first = await insertRecord(db, owner, recordScope, key, requestHash);
    const reservation: Reservation =
      first !== undefined
        ? { kind: 'reserved', id: first }
        : await reserve(db, owner, recordScope, key, requestHash);
    if (reservation.kind === 'replay') return replay(reservation.answer);
    if (reservation.kind === 'mismatch') {
      throw new AppError(
        422,
        'idempotency_key_reused',
        `This ${IDEMPOTENCY_HEADER} was already used with a different request body.`,
      );
    }
    if (reservation.kind === 'in_progress') {
      throw new AppError(
        409,
        'idempotency_request_in_progress',
        `A request with this ${IDEMPOTENCY_HEADER} is still being processed. Retry shortly.`,
        { headers: { 'Retry-After': '1' } },
      );
    }

    await next();

    const status = c.res.status;
    try {
      if (NOT_STORED_STATUSES.has(status)) {
        await db.delete(idempotencyRecords).where(eq(idempotencyRecords.id, reservation.id));
        return;
      }
      const body = await c.res.clone().text();
      await db
        .update(idempotencyRecords)
        .set({ state: 'completed', responseStatus: status, responseBody: body, completedAt: new Date() })
        .where(eq(idempotencyRecords.id, reservation.id));
    } catch (err) {
      // The answer stands; the key frees itself when its lease runs out.
      logger.error('idempotency record not completed', { scope, status, ...describeError(err) });
    }
  });
}
