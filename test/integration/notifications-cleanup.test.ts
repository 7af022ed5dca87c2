import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { inArray } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client';
import { refreshTokens, verificationCodes, webhookTokens } from '../../src/db/schema';
import worker from '../../src/index';
import { CRON } from '../../src/jobs';
import {
  deleteExpiredRefreshTokens,
  deleteOldWebhookTokens,
  deleteSpentVerificationCodes,
} from '../../src/jobs/cleanup';

/**
 * Every row here lives around the year 2000 and every job runs "as of" 2001-01-01, so the jobs can only
 * ever judge this file's rows: other tests' rows (dated now) are neither expired nor used before 2001.
 */
const db = createDatabase(env.DATABASE_URL as string, 'test-notifications-cleanup');
const NOW = new Date('2001-01-01T00:00:00Z');
const at = (iso: string) => new Date(iso);
const hex64 = () => (crypto.randomUUID() + crypto.randomUUID()).replaceAll('-', '');
// Far above any id the other tests' users get, and distinct per row (verification_codes.user_id is unique).
const userId = () => 9_000_000_000 + Math.floor(Math.random() * 1_000_000_000);

const created = { codes: [] as number[], refresh: [] as number[], webhook: [] as number[] };

afterAll(async () => {
  if (created.codes.length)
    await db.delete(verificationCodes).where(inArray(verificationCodes.id, created.codes));
  if (created.refresh.length)
    await db.delete(refreshTokens).where(inArray(refreshTokens.id, created.refresh));
  if (created.webhook.length)
    await db.delete(webhookTokens).where(inArray(webhookTokens.id, created.webhook));
});

async function insertCode(values: { expiresAt: Date; usedAt?: Date | null }) {
  const [row] = await db
    .insert(verificationCodes)
    .values({ userId: userId(), codeHash: hex64(), createdAt: at('2000-06-01T00:00:00Z'), ...values })
    .$returningId();
  if (!row) throw new Error('insert failed');
  created.codes.push(row.id);
  return row.id;
}

async function insertRefreshToken(values: { expiresAt: Date; revokedAt?: Date | null }) {
  const [row] = await db
    .insert(refreshTokens)
    .values({ userId: userId(), familyId: hex64().slice(0, 26).toUpperCase(), tokenHash: hex64(), ...values })
    .$returningId();
  if (!row) throw new Error('insert failed');
  created.refresh.push(row.id);
  return row.id;
}

async function insertWebhookToken(createdAt: Date) {
  const [row] = await db
    .insert(webhookTokens)
    .values({ provider: 'mailgun', token: hex64(), createdAt })
    .$returningId();
  if (!row) throw new Error('insert failed');
  created.webhook.push(row.id);
  return row.id;
}

async function remaining<T extends typeof verificationCodes | typeof refreshTokens | typeof webhookTokens>(
  table: T,
  ids: number[],
): Promise<number[]> {
  const rows = await db.select({ id: table.id }).from(table).where(inArray(table.id, ids));
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

describe('verification-code cleanup (every 10 minutes)', () => {
  it('deletes used codes and expired codes, and keeps live ones', async () => {
    const used = await insertCode({
      expiresAt: at('2000-06-01T00:10:00Z'),
      usedAt: at('2000-06-01T00:02:00Z'),
    });
    const usedButNotExpired = await insertCode({
      expiresAt: at('2001-01-01T00:05:00Z'),
      usedAt: at('2000-12-31T23:58:00Z'),
    });
    const expired = await insertCode({ expiresAt: at('2000-12-31T23:59:59Z') });
    const live = await insertCode({ expiresAt: at('2001-01-01T00:05:00Z') });

    const deleted = await deleteSpentVerificationCodes({ db, now: NOW });

    expect(deleted).toBeGreaterThanOrEqual(3);
    expect(await remaining(verificationCodes, [used, usedButNotExpired, expired, live])).toEqual([live]);
  });

  it("runs from the Worker's scheduled handler on the 10-minute cron", async () => {
    const expired = await insertCode({ expiresAt: at('2000-11-01T00:00:00Z') });
    const live = await insertCode({ expiresAt: at('2001-01-01T00:09:00Z') });

    const ctx = createExecutionContext();
    worker.scheduled(createScheduledController({ cron: CRON.everyTenMinutes, scheduledTime: NOW }), env, ctx);
    await waitOnExecutionContext(ctx);

    expect(await remaining(verificationCodes, [expired, live])).toEqual([live]);
  });
});

describe('daily pruning', () => {
  it('deletes refresh tokens past expiry, revoked or not, and keeps unexpired ones', async () => {
    const expired = await insertRefreshToken({ expiresAt: at('2000-12-31T00:00:00Z') });
    const expiredRevoked = await insertRefreshToken({
      expiresAt: at('2000-12-30T00:00:00Z'),
      revokedAt: at('2000-12-29T00:00:00Z'),
    });
    const revokedButUnexpired = await insertRefreshToken({
      expiresAt: at('2001-01-01T12:00:00Z'),
      revokedAt: at('2000-12-31T12:00:00Z'),
    });
    const valid = await insertRefreshToken({ expiresAt: at('2001-01-01T12:00:00Z') });

    await deleteExpiredRefreshTokens({ db, now: NOW });

    expect(await remaining(refreshTokens, [expired, expiredRevoked, revokedButUnexpired, valid])).toEqual(
      [revokedButUnexpired, valid].sort((a, b) => a - b),
    );
  });

  it('deletes webhook tokens older than a day', async () => {
    const old = await insertWebhookToken(at('2000-12-30T23:59:00Z'));
    const recent = await insertWebhookToken(at('2000-12-31T12:00:00Z'));

    await deleteOldWebhookTokens({ db, now: NOW });

    expect(await remaining(webhookTokens, [old, recent])).toEqual([recent]);
  });

  it("runs both from the Worker's scheduled handler on the daily cron", async () => {
    const token = await insertRefreshToken({ expiresAt: at('2000-10-01T00:00:00Z') });
    const webhook = await insertWebhookToken(at('2000-10-01T00:00:00Z'));
    const code = await insertCode({ expiresAt: at('2000-10-01T00:00:00Z') });

    const ctx = createExecutionContext();
    worker.scheduled(createScheduledController({ cron: CRON.daily, scheduledTime: NOW }), env, ctx);
    await waitOnExecutionContext(ctx);

    expect(await remaining(refreshTokens, [token])).toEqual([]);
    expect(await remaining(webhookTokens, [webhook])).toEqual([]);
    // Codes are the 10-minute job's business, not the daily one's.
    expect(await remaining(verificationCodes, [code])).toEqual([code]);
  });
});
