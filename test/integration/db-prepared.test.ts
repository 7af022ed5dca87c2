/**
 * Hot statements (src/db/prepared.ts, docs/design.md "Hot statements") give the rows drizzle gives: each is
 * compared with the same query built by drizzle per call (the code before it), on rows with every kind of
 * column (dates, booleans, JSON, nullable left joins, numbers as strings from subqueries).
 */
import { desc, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  addresses,
  customers,
  kycRecords,
  paymentEvents,
  paymentReversals,
  transactions,
  users,
} from '../../src/db/schema';
import { authQuery } from '../../src/middleware/auth';
import { loadTarget } from '../../src/transactions/apply-plan';
import { transactionViewColumns } from '../../src/transactions/columns';
import { listTransactions } from '../../src/transactions/list';
import { ownerColumns } from '../../src/transactions/status-mail';
import { toTransactionView } from '../../src/transactions/view';
import { authQueryColumns } from '../../src/users/columns';
import { contextAs } from './context-support';
import { createUser, testDb } from './helpers';
import { createPayer, insertTransaction } from './transactions-support';

const drizzleAuthRow = (userId: number) =>
  testDb()
    .select(authQueryColumns)
    .from(users)
    .leftJoin(customers, eq(customers.userId, users.id))
    .leftJoin(kycRecords, eq(kycRecords.customerId, customers.id))
    .leftJoin(addresses, eq(addresses.mainOf, customers.id))
    .where(eq(users.id, userId))
    .limit(1);

describe('prepared hot statements return what drizzle returns', () => {
  it('the auth query: a payer with profile, KYC and main address, a staff user without, an unknown id', async () => {
    const payer = await createPayer();
    await testDb()
      .update(users)
      .set({
        lastLogin: new Date('2026-03-04T05:06:07.891Z'),
        tokensValidAfter: new Date('2026-01-01T00:00:00Z'),
      })
      .where(eq(users.id, payer.id));
    await testDb()
      .update(customers)
      .set({ dob: '1990-02-03', isVerified: true })
      .where(eq(customers.id, payer.customerId));
    const staff = await createUser({ role: 'STAFF' });
    for (const id of [payer.id, staff.id, 987_654_321]) {
      const prepared = await authQuery.run(testDb(), { userId: id });
      expect(prepared).toEqual(await drizzleAuthRow(id));
    }
    const [row] = await authQuery.run(testDb(), { userId: payer.id });
    expect(row?.lastLogin).toEqual(new Date('2026-03-04T05:06:07.891Z'));
    expect(row?.isVerified).toBe(true);
    expect(row?.dob).toBe('1990-02-03');
    const [none] = await authQuery.run(testDb(), { userId: staff.id });
    expect(none?.customerId).toBeNull();
  });

  it('the transaction list: its page equals the drizzle query, with JSON, dates and filters', async () => {
    const payer = await createPayer();
    const created = new Date('2026-05-06T07:08:09.123Z');
    const first = await insertTransaction(payer.customerId, {
      createdAt: created,
      metadata: { order: 'A-1', note: 'it\'s "quoted"\n\\' },
      paymentMethods: ['card', 'wallet'],
      description: 'Ünïcödé ✓',
      billExpiresAt: new Date('2026-05-07T00:00:00.500Z'),
      status: 'succeeded',
      paymobOrderId: 42,
    });
    await insertTransaction(payer.customerId, { createdAt: new Date(created.getTime() + 1000) });
    const expected = (
      await testDb()
        .select(transactionViewColumns)
        .from(transactions)
        .where(eq(transactions.customerId, payer.customerId))
        .orderBy(desc(transactions.createdAt), desc(transactions.id))
    ).map(toTransactionView);
    const ctx = contextAs(payer);
    ctx.actor = {
      ...payer,
      ...(await drizzleAuthRow(payer.id))[0],
      customer: { id: payer.customerId },
    } as never;
    const page = await listTransactions(ctx, {
      query: {},
      requestUrl: 'https://x.test/api/v1/transactions/txn/',
    });
    expect(page.count).toBe(2);
    expect(page.results).toEqual(expected);
    const filtered = await listTransactions(ctx, {
      query: {
        status: ['succeeded', 'succeeded'],
        created_at: '2026-05-06',
        created_after: '2026-05-06T07:08:09.123Z',
      },
      requestUrl: 'https://x.test/api/v1/transactions/txn/',
    });
    expect(filtered.results.map((t) => t.id)).toEqual([first]);
    const before = await listTransactions(ctx, {
      query: { created_before: '2026-05-06T07:08:09.123Z' },
      requestUrl: 'https://x.test/api/v1/transactions/txn/',
    });
    expect(before.count).toBe(0);
  });

  it("the webhook's read of its transaction, for every shape", async () => {
    const payer = await createPayer();
    const paymobOrderId = 700_000_000 + Math.floor(Math.random() * 1e8);
    const id = await insertTransaction(payer.customerId, {
      status: 'succeeded',
      paymobOrderId,
      metadata: { a: '1' },
    });
    const [{ merchantOrderId } = { merchantOrderId: '' }] = await testDb()
      .select({ merchantOrderId: transactions.merchantOrderId })
      .from(transactions)
      .where(eq(transactions.id, id));
    const child = paymobOrderId + 5;
    await testDb().insert(paymentReversals).values({
      transactionId: id,
      paymobChildId: child,
      kind: 'refund',
      amountCents: 2500,
      state: 'applied',
    });
    await testDb().insert(paymentEvents).values({
      transactionId: id,
      paymobTransactionId: child,
      kind: 'refund',
      source: 'processed_callback',
      type: 'TRANSACTION',
      outcome: 'applied',
      rawBody: {},
    });
    const oracle = async (by: 'merchant' | 'paymob', isChild: boolean, kind?: string) => {
      const [row] = await testDb()
        .select({
          ...transactionViewColumns,
          paymobRefundedCents: transactions.paymobRefundedCents,
          ...ownerColumns,
          ledgerKind: (isChild
            ? sql<string | null>`(SELECT ${paymentReversals.kind} FROM ${paymentReversals}
                WHERE ${paymentReversals.paymobChildId} = ${child} AND ${paymentReversals.transactionId} = ${transactions.id})`
            : sql<string | null>`NULL`
          ).as('ledger_kind'),
          seen: (kind === undefined
            ? sql<number>`0`
            : sql<number>`exists (select 1 from ${paymentEvents} where ${paymentEvents.paymobTransactionId} = ${child}
                and ${paymentEvents.kind} = ${kind})`
          ).as('seen'),
          childrenCents:
            sql<string>`(SELECT COALESCE(SUM(${paymentReversals.amountCents}), 0) FROM ${paymentReversals}
            WHERE ${paymentReversals.transactionId} = ${transactions.id} AND ${paymentReversals.kind} = 'refund'
              AND ${paymentReversals.state} = 'applied')`.as('children_cents'),
        })
        .from(transactions)
        .leftJoin(customers, eq(customers.id, transactions.customerId))
        .leftJoin(users, eq(users.id, customers.userId))
        .where(
          by === 'merchant'
            ? eq(transactions.merchantOrderId, merchantOrderId)
            : eq(transactions.paymobOrderId, paymobOrderId),
        )
        .limit(1);
      return row && { ...row, childrenCents: Number(row.childrenCents), seen: Number(row.seen) === 1 };
    };
    for (const by of ['merchant', 'paymob'] as const) {
      for (const isChild of [false, true]) {
        for (const kind of [undefined, 'refund', 'void']) {
          const facts = {
            merchantOrderId: by === 'merchant' ? merchantOrderId : null,
            paymobOrderId,
            paymobTransactionId: child,
            hasParentTransaction: isChild,
          } as Parameters<typeof loadTarget>[1];
          const target = await loadTarget(testDb(), facts, kind);
          expect(target).toEqual(await oracle(by, isChild, kind));
          expect(target?.childrenCents).toBe(2500);
          expect(target?.seen).toBe(kind === 'refund');
          expect(target?.ledgerKind).toBe(isChild ? 'refund' : null);
        }
      }
    }
  });
});
