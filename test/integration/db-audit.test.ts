/**
 * writeAudit (src/db/audit.ts), the one way audit rows are written: one entry or several in one statement,
 * the caller's clock when it passes one, nothing for an empty list.
 */
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { writeAudit } from '../../src/db/audit';
import { auditLog } from '../../src/db/schema';
import { testDb, uniqueName } from './helpers';

const rowsFor = (targetId: string) =>
  testDb()
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.targetType, 'user'), eq(auditLog.targetId, targetId)))
    .orderBy(auditLog.id);

describe('writeAudit', () => {
  it('writes one entry, with the database clock when none is given', async () => {
    const target = uniqueName('audit');
    const before = Date.now();
    await writeAudit(testDb(), {
      actorUserId: null,
      action: 'user.activation',
      targetType: 'user',
      targetId: target,
      details: { from: true, to: false },
    });
    const rows = await rowsFor(target);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actorUserId: null,
      action: 'user.activation',
      details: { from: true, to: false },
      requestId: null,
    });
    // The database's CURRENT_TIMESTAMP(3): near now (the server's clock may drift a little from workerd's).
    expect(Math.abs((rows[0]?.createdAt.getTime() ?? 0) - before)).toBeLessThan(60_000);
  });

  it('writes a list of entries in order, keeping a given createdAt', async () => {
    const target = uniqueName('audit');
    const at = new Date('2026-01-02T03:04:05.678Z');
    await writeAudit(testDb(), [
      { actorUserId: null, action: 'user.role_change', targetType: 'user', targetId: target, createdAt: at },
      {
        actorUserId: null,
        action: 'user.activation',
        targetType: 'user',
        targetId: target,
        requestId: 'req-1',
      },
    ]);
    const rows = await rowsFor(target);
    expect(rows.map((r) => [r.action, r.requestId, r.details])).toEqual([
      ['user.role_change', null, null],
      ['user.activation', 'req-1', null],
    ]);
    expect(rows[0]?.createdAt.toISOString()).toBe(at.toISOString());
    expect(rows[1]?.createdAt.toISOString()).not.toBe(at.toISOString());
  });

  it('writes nothing for an empty list', async () => {
    await expect(writeAudit(testDb(), [])).resolves.toBeUndefined();
  });
});
