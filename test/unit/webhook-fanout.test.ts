import { describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../src/context';
import { handleWebhookMessage } from '../../src/webhooks/delivery';

/*
 * The fan-out's statements (docs/webhooks.md §3), one by one, with the database answered by a recorder: which
 * statements run, in what order, for each answer. What each statement reads and writes is checked against
 * MariaDB in test/integration/db-prepared-consumers.test.ts; the integration tests cannot pin this order,
 * because other files create enabled endpoints in the shared database while they run.
 */
function recorder(answers: Array<{ rows?: unknown[][]; rowsAffected?: number }>) {
  const statements: string[] = [];
  const db = {
    $client: {
      execute: async (text: string) => {
        statements.push(text.replace(/\s+/g, ' ').trim());
        const answer = answers.shift();
        if (!answer) throw new Error(`no answer left for: ${text}`);
        return { rows: answer.rows ?? [], rowsAffected: answer.rowsAffected ?? 0 };
      },
    },
  };
  const ctx = { db, now: new Date('2026-12-07T00:00:00.000Z') } as unknown as ServiceContext;
  return { ctx, statements, left: answers };
}

const fanOut = (ctx: ServiceContext) => handleWebhookMessage(ctx, { kind: 'fanout', event_id: 'evt_1' });

describe('a fan-out with no enabled endpoint', () => {
  it('is two statements for a marked report: the endpoints, then its row written dispatched', async () => {
    const { ctx, statements, left } = recorder([{ rows: [] }, { rowsAffected: 1 }]);
    await fanOut(ctx);
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatch(
      /^select .* from `webhook_endpoints` where `webhook_endpoints`.`enabled` = /,
    );
    expect(statements[1]).toMatch(/^insert into `events` .* select .* from `payment_events` where .*'evt_1'/);
    expect(statements[1]).toMatch(/on duplicate key update `dispatched_at` = coalesce\(/);
    expect(left).toEqual([]);
  });

  it('marks an event with no report (recordEvent wrote it) with a third, guarded statement', async () => {
    const { ctx, statements } = recorder([{ rows: [] }, { rowsAffected: 0 }, { rowsAffected: 1 }]);
    await fanOut(ctx);
    expect(statements).toHaveLength(3);
    expect(statements[2]).toMatch(
      /^update `events` set `dispatched_at` = .* where `events`.`id` = 'evt_1' and `events`.`dispatched_at` is null$/,
    );
  });
});

describe('a fan-out with enabled endpoints', () => {
  it('materialises and reads the event, and marks it without deliveries when nobody subscribes to its type', async () => {
    const { ctx, statements, left } = recorder([
      { rows: [['we_1', '["customer.kyc_approved"]']] },
      { rowsAffected: 1 },
      { rows: [['payment.succeeded', null]] },
      { rowsAffected: 1 },
    ]);
    await fanOut(ctx);
    expect(statements.map((s) => s.split(' ').slice(0, 3).join(' '))).toEqual([
      'select `id`, `events`',
      'insert ignore into',
      'select `type`, `dispatched_at`',
      'update `events` set',
    ]);
    expect(left).toEqual([]);
  });

  it('stops after reading an event that was dispatched already', async () => {
    const { ctx, statements } = recorder([
      { rows: [['we_1', '["*"]']] },
      { rowsAffected: 0 },
      { rows: [['payment.succeeded', '2026-12-06 23:00:00.000']] },
    ]);
    await fanOut(ctx);
    expect(statements).toHaveLength(3);
  });
});
