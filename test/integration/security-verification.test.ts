import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { verificationCodes } from '../../src/db/schema';
import { hashVerificationCode } from '../../src/users/verification';
import {
  api,
  createUser,
  queryLog,
  readJson,
  testConfig,
  testDb,
  uniqueIp,
  uniqueName,
  uniqueRequestId,
} from './helpers';

/**
 * docs/security.md §6 (issue 13 item 10): a wrong code for an unknown e-mail and for a pending account must be
 * indistinguishable — same status, body, headers, and the same database work (round trips and statement
 * kinds), so neither the answer nor its timing enumerates accounts.
 */
const VALIDATE = '/api/v1/users/verify-code/validate/';

async function pendingUser() {
  const user = await createUser({ active: false });
  const now = Date.now();
  await testDb()
    .insert(verificationCodes)
    .values({
      userId: user.id,
      codeHash: await hashVerificationCode(testConfig().JWT_SECRET, user.id, '482913'),
      attempts: 0,
      createdAt: new Date(now),
      expiresAt: new Date(now + 10 * 60_000),
    });
  return user;
}

async function probe(email: string, ip: string) {
  const requestId = uniqueRequestId('probe');
  const res = await api(VALIDATE, { method: 'POST', ip, requestId, json: { email, code: '000000' } });
  const body = await readJson<Record<string, unknown>>(res);
  const headers = [...res.headers].filter(([name]) => !['x-request-id', 'ratelimit'].includes(name));
  const log = await queryLog(requestId);
  // Statement kinds in order (select, update…), without their parameters.
  const kinds = log.statements.map((s) => s.trim().split(/\s+/)[0]?.toLowerCase());
  return { status: res.status, body: { ...body, request_id: undefined }, headers, kinds };
}

describe('verify-code/validate: an unknown e-mail and a pending account answer and work alike', () => {
  it('same status, body and headers; same round trips and statement kinds', async () => {
    const user = await pendingUser();
    const active = await createUser();
    const unknown = await probe(`${uniqueName('ghost')}@example.com`, uniqueIp());
    const pending = await probe(user.email, uniqueIp());
    const verified = await probe(active.email, uniqueIp());
    expect(pending.status).toBe(400);
    expect(unknown.status).toBe(pending.status);
    expect(unknown.body).toEqual(pending.body);
    expect(unknown.headers).toEqual(pending.headers);
    expect(unknown.kinds).toEqual(pending.kinds);
    expect(verified.kinds).toEqual(pending.kinds);
    expect(pending.kinds).toEqual(['select', 'update']);
    // The pending account's guess was spent; the unknown e-mail's touched nothing.
    const [row] = await testDb()
      .select()
      .from(verificationCodes)
      .where(eq(verificationCodes.userId, user.id));
    expect(row?.attempts).toBe(1);
  });
});
