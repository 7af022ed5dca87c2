import { format } from '@planetscale/database';
import { eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { preparedSelect, preparedStatement, sqlLiteral } from '../../src/db/prepared';
import { paymentEvents, transactions } from '../../src/db/schema';

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

  it('refuse a statement with a ? of its own (the text is split at them)', () => {
    const bad = preparedStatement(
      () =>
        sql`update ${paymentEvents} set ${paymentEvents.message} = 'why?' where ${paymentEvents.id} = ${1}`,
    );
    expect(() => bad.sql).toThrow("prepared statement has 2 '?' for 1 parameters");
  });
});
