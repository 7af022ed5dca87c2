/**
 * The TOTP core (docs/accounts.md §2) against the real database and rate limiter: enrolment with a QR code,
 * confirmation with a code computed here with otpauth, replay refused, recovery codes single use, the secret
 * encrypted at rest, the per-user rate limit, the admin reset (audited) and the step-up freshness check.
 */
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { auditLog, totpRecoveryCodes, userTotp } from '../../src/db/schema';
import { getConfig } from '../../src/env';
import {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  isStepUpFresh,
  resetTotp,
  totpStatus,
  verifyTotp,
} from '../../src/users/totp';
import { decryptTotpSecret } from '../../src/users/totp-secret';
import { contextAs as withContext } from './context-support';
import { createUser, type TestUser, testDb } from './helpers';

const contextAs = (actor: TestUser | undefined, now: Date) => withContext(actor, { now });

const codeAt = (secret: string, at: Date) =>
  new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({
    timestamp: at.getTime(),
  });

/** A time at the start of a 30-second step, so `+ n × 30 s` lands n steps later. */
function stepStart(): Date {
  return new Date(Math.floor(Date.now() / 30_000) * 30_000);
}

async function enrolled(role: 'ADMIN' | 'STAFF' = 'STAFF') {
  const user = await createUser({ role });
  const t0 = stepStart();
  const enrolment = await beginTotpEnrolment(contextAs(user, t0));
  const { recovery_codes } = await confirmTotpEnrolment(contextAs(user, t0), {
    code: codeAt(enrolment.secret, t0),
  });
  return { user, t0, secret: enrolment.secret, recoveryCodes: recovery_codes };
}

async function rejectionOf(work: Promise<unknown>): Promise<{ status: number; code: string }> {
  const error = await work.then(
    () => undefined,
    (err: unknown) => err as { status: number; code: string },
  );
  expect(error, 'expected a refusal').toBeDefined();
  return { status: error?.status ?? 0, code: error?.code ?? '' };
}

describe('TOTP enrolment', () => {
  it('returns the secret, an otpauth URI and an inline SVG QR code; stores the secret encrypted', async () => {
    const user = await createUser({ role: 'STAFF' });
    const enrolment = await beginTotpEnrolment(contextAs(user, new Date()));
    expect(enrolment.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(enrolment.otpauth_uri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('secret')).toBe(enrolment.secret);
    expect(uri.searchParams.get('issuer')).toBe('StackPay');
    expect(uri.searchParams.get('algorithm')).toBe('SHA1');
    expect(uri.searchParams.get('digits')).toBe('6');
    expect(uri.searchParams.get('period')).toBe('30');
    expect(enrolment.qr_svg).toMatch(/^<svg[\s\S]*<\/svg>$/);
    expect(enrolment.qr_svg).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);

    const [row] = await testDb().select().from(userTotp).where(eq(userTotp.userId, user.id));
    expect(row?.secretCiphertext).toBeDefined();
    expect(row?.secretCiphertext).not.toContain(enrolment.secret);
    expect(row?.confirmedAt).toBeNull();
    expect(await decryptTotpSecret(getConfig(env), user.id, row?.secretCiphertext ?? '')).toBe(
      enrolment.secret,
    );
    // Bound to the user: the same ciphertext does not open as another user's.
    await expect(
      decryptTotpSecret(getConfig(env), user.id + 1, row?.secretCiphertext ?? ''),
    ).rejects.toThrow();
    expect(await totpStatus(contextAs(user, new Date()), user.id)).toEqual({
      enabled: false,
      pending: true,
      recovery_codes_left: 0,
    });
  });

  it('confirms with a code, returns 10 recovery codes stored as hashes, and refuses a second enrolment', async () => {
    const { user, recoveryCodes } = await enrolled();
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    const stored = await testDb()
      .select()
      .from(totpRecoveryCodes)
      .where(eq(totpRecoveryCodes.userId, user.id));
    expect(stored).toHaveLength(10);
    for (const row of stored) {
      expect(row.codeHash).toMatch(/^[0-9a-f]{64}$/);
      expect(recoveryCodes.join()).not.toContain(row.codeHash);
    }
    expect(await totpStatus(contextAs(user, new Date()), user.id)).toEqual({
      enabled: true,
      pending: false,
      recovery_codes_left: 10,
    });
    expect(await rejectionOf(beginTotpEnrolment(contextAs(user, new Date())))).toEqual({
      status: 409,
      code: 'totp_already_enabled',
    });
  });

  it('refuses a wrong confirmation code and leaves the enrolment pending', async () => {
    const user = await createUser({ role: 'STAFF' });
    const now = stepStart();
    const { secret } = await beginTotpEnrolment(contextAs(user, now));
    const wrong = codeAt(secret, new Date(now.getTime() + 5 * 30_000));
    expect(await rejectionOf(confirmTotpEnrolment(contextAs(user, now), { code: wrong }))).toEqual({
      status: 400,
      code: 'invalid_totp_code',
    });
    expect((await totpStatus(contextAs(user, now), user.id)).pending).toBe(true);
  });
});

describe('TOTP verification', () => {
  it('accepts a later code once and refuses its replay within its window, and the enrolment code', async () => {
    const { user, t0, secret } = await enrolled();
    const ctx = (at: Date) => contextAs(undefined, at);
    const t1 = new Date(t0.getTime() + 30_000);
    // The enrolment code (step t0) is spent: replaying it is refused.
    expect((await rejectionOf(verifyTotp(ctx(t0), { userId: user.id, code: codeAt(secret, t0) }))).code).toBe(
      'invalid_totp_code',
    );
    const ok = await verifyTotp(ctx(t1), { userId: user.id, code: codeAt(secret, t1) });
    expect(ok).toEqual({ method: 'totp', verifiedAt: t1 });
    // Replay of the same code within its window (10 s later) is refused.
    const replay = verifyTotp(ctx(new Date(t1.getTime() + 10_000)), {
      userId: user.id,
      code: codeAt(secret, t1),
    });
    expect((await rejectionOf(replay)).code).toBe('invalid_totp_code');
    const [row] = await testDb().select().from(userTotp).where(eq(userTotp.userId, user.id));
    expect(row?.lastUsedStep).toBe(Math.floor(t1.getTime() / 30_000));
  });

  it('allows one step of clock drift, not two (each check on a fresh user: 5 checks a minute)', async () => {
    const { user, t0, secret } = await enrolled();
    const ctx = (at: Date) => contextAs(undefined, at);
    // A code one step ahead of the server's clock is accepted ...
    const t3 = new Date(t0.getTime() + 3 * 30_000);
    const ahead = new Date(t3.getTime() + 30_000);
    expect((await verifyTotp(ctx(t3), { userId: user.id, code: codeAt(secret, ahead) })).method).toBe('totp');
    // ... two steps away (either way) is not.
    const t6 = new Date(t0.getTime() + 6 * 30_000);
    const far = codeAt(secret, new Date(t6.getTime() + 2 * 30_000));
    expect((await rejectionOf(verifyTotp(ctx(t6), { userId: user.id, code: far }))).code).toBe(
      'invalid_totp_code',
    );
    const behind = codeAt(secret, new Date(t6.getTime() - 2 * 30_000));
    expect((await rejectionOf(verifyTotp(ctx(t6), { userId: user.id, code: behind }))).code).toBe(
      'invalid_totp_code',
    );
  });

  it('accepts each recovery code once, in any spelling', async () => {
    const { user, recoveryCodes } = await enrolled();
    const ctx = contextAs(undefined, new Date());
    const [first = '', second = ''] = recoveryCodes;
    expect((await verifyTotp(ctx, { userId: user.id, code: first })).method).toBe('recovery_code');
    expect((await rejectionOf(verifyTotp(ctx, { userId: user.id, code: first }))).code).toBe(
      'invalid_totp_code',
    );
    const sloppy = ` ${second.toLowerCase().replace('-', ' ')} `;
    expect((await verifyTotp(ctx, { userId: user.id, code: sloppy })).method).toBe('recovery_code');
    expect((await totpStatus(ctx, user.id)).recovery_codes_left).toBe(8);
    expect((await rejectionOf(verifyTotp(ctx, { userId: user.id, code: 'AAAAA-AAAAA' }))).code).toBe(
      'invalid_totp_code',
    );
  });

  it('refuses a user without two-factor and limits checks per user (5 a minute)', async () => {
    const plain = await createUser({ role: 'STAFF' });
    expect(
      (await rejectionOf(verifyTotp(contextAs(undefined, new Date()), { userId: plain.id, code: '123456' })))
        .code,
    ).toBe('totp_not_enrolled');
    const { user } = await enrolled();
    const statuses: number[] = [];
    // 12 units with the confirmation's: whichever way a minute boundary splits them, one window gets 6.
    for (let i = 0; i < 11; i++) {
      statuses.push(
        (await rejectionOf(verifyTotp(contextAs(undefined, new Date()), { userId: user.id, code: '000000' })))
          .status,
      );
    }
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 400).length).toBeLessThanOrEqual(10);
  });

  it('step-up freshness: a code checked within 5 minutes, not later and not in the future', () => {
    const now = new Date('2026-12-06T12:00:00Z');
    expect(isStepUpFresh(new Date('2026-12-06T11:55:00Z'), now)).toBe(true);
    expect(isStepUpFresh(new Date('2026-12-06T11:54:59Z'), now)).toBe(false);
    expect(isStepUpFresh(new Date('2026-12-06T12:00:01Z'), now)).toBe(false);
    expect(isStepUpFresh(null, now)).toBe(false);
  });
});

describe('TOTP reset by an ADMIN', () => {
  it('removes the secret and recovery codes, is audited, and is refused to STAFF', async () => {
    const { user } = await enrolled();
    const admin = await createUser({ role: 'ADMIN' });
    const staff = await createUser({ role: 'STAFF' });
    expect((await rejectionOf(resetTotp(contextAs(staff, new Date()), { userId: user.id }))).status).toBe(
      403,
    );
    expect(await resetTotp(contextAs(admin, new Date()), { userId: user.id })).toBe(true);
    expect(await totpStatus(contextAs(admin, new Date()), user.id)).toEqual({
      enabled: false,
      pending: false,
      recovery_codes_left: 0,
    });
    const codes = await testDb()
      .select()
      .from(totpRecoveryCodes)
      .where(eq(totpRecoveryCodes.userId, user.id));
    expect(codes).toHaveLength(0);
    const audit = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'user.totp_reset'), eq(auditLog.targetId, String(user.id))));
    expect(audit.map((a) => a.actorUserId)).toEqual([admin.id]);
    // Enrolment is open again.
    expect((await beginTotpEnrolment(contextAs(user, new Date()))).secret).toMatch(/^[A-Z2-7]{32}$/);
  });
});
