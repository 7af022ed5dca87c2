import { format } from '@planetscale/database';
import { eq, sql } from 'drizzle-orm';
import { datetime, int, mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { preparedInsert, preparedSelect, preparedStatement, sqlLiteral } from '../../src/db/prepared';
import { emailEvents, paymentEvents, transactions } from '../../src/db/schema';

// Hot statements (src/db/prepared.ts, docs/design.md "Hot statements"): the literals must be the driver's.
describe('sqlLiteral renders values exactly as @planetscale/database formats them', () => {
  const tricky = fc.constantFrom(
    '\0',
    '\b',
    '\n',
    '\r',
    '\t',
    '\x1a',
    '\\',
    '"',
    "'",
    '/*',
    '*/',
    '?',
    '`',
    'é',
    '😀',
  );
  const text = fc.array(fc.oneof(fc.string({ unit: 'binary' }), tricky)).map((parts) => parts.join(''));

  it('strings, including every escaped character in any mix', () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(sqlLiteral(value)).toBe(format('?', [value]));
      }),
      { numRuns: 2000 },
    );
  });

  it('numbers, booleans, null, dates, bigints', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer(),
          fc.double(),
          fc.boolean(),
          fc.constant(null),
          fc.date({ noInvalidDate: true }),
          fc.bigInt(),
        ),
        (value) => {
          if (typeof value === 'number' && !Number.isFinite(value)) {
            expect(() => sqlLiteral(value)).toThrow();
            return;
          }
          expect(sqlLiteral(value)).toBe(format('?', [value]));
        },
      ),
    );
    expect(sqlLiteral(undefined)).toBe('null');
  });

  it('a JSON body', () => {
    const body = JSON.stringify({ obj: { id: 1, 'data.message': 'it\'s "ok"\n', pan: 'xxxx\\1234' } });
    expect(sqlLiteral(body)).toBe(format('?', [body]));
  });
});

describe('prepared statements', () => {
  it('keep the placeholders of the SQL drizzle builds, once', () => {
    const select = preparedSelect({ id: transactions.id, status: transactions.status }, (s) =>
      s
        .from(transactions)
        .where(eq(transactions.merchantOrderId, sql.placeholder('order')))
        .limit(1),
    );
    expect(select.sql).toBe(
      'select `id`, `status` from `transactions` where `transactions`.`merchant_order_id` = ? limit ?',
    );
    expect(select.sql).toBe(select.sql);
  });

  it("insert a column with an SQL default and $onUpdate by its default, as drizzle's insert; refuse a drizzle-side default", () => {
    // drizzle's insert gives an unlisted column its `$defaultFn`, else its SQL default, else its `$onUpdate`.
    const table = mysqlTable('t', {
      id: int('id').primaryKey(),
      updatedAt: datetime('updated_at')
        .notNull()
        .default(sql`CURRENT_TIMESTAMP`)
        .$onUpdate(() => new Date()),
      touchedAt: datetime('touched_at').$onUpdate(() => new Date()),
      token: varchar('token', { length: 8 }).$defaultFn(() => 'x'),
    });
    expect(preparedInsert(table, ['id', 'touchedAt', 'token']).sql).toBe(
      'insert into `t` (`id`, `touched_at`, `token`) values (?, ?, ?)',
    );
    expect(() => preparedInsert(table, ['id', 'token'])).toThrow('touchedAt has a drizzle-side default');
    expect(() => preparedInsert(table, ['id', 'touchedAt'])).toThrow('token has a drizzle-side default');
    // The e-mail reservation (src/notifications/service.ts) leaves `updated_at` to its default.
    expect(() =>
      preparedInsert(emailEvents, ['idempotencyKey', 'kind', 'userId', 'recipient', 'subject', 'provider']),
    ).not.toThrow();
  });

  it('refuse a statement with a ? of its own (the text is split at them)', () => {
    const bad = preparedStatement(
      () =>
        sql`update ${paymentEvents} set ${paymentEvents.message} = 'why?' where ${paymentEvents.id} = ${1}`,
    );
    expect(() => bad.sql).toThrow("prepared statement has 2 '?' for 1 parameters");
  });
});
