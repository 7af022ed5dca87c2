import { describe, expect, it } from 'vitest';
import {
  ADDRESSES,
  addressRows,
  as,
  customerIdOf,
  customerRow,
  newCustomer,
  PROFILE,
} from './customers-fixtures';
import { createPayer, createPayment, transactionsOfCustomer } from './transactions-support';

/**
 * docs/security.md §4: state-changing routes under real parallel requests against the real database. Every
 * answer is a 2xx or a 4xx (never a 5xx) and the final state keeps every rule.
 */

const statusesOf = (responses: Response[]) => responses.map((r) => r.status);
const no5xx = (statuses: number[]) =>
  expect(
    statuses.filter((s) => s >= 500),
    statuses.join(','),
  ).toEqual([]);

describe('addresses: concurrent creation (issue 13 item 9)', () => {
  it('twelve customers each sending six creates at once: no 5xx, at most three addresses, exactly one main', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => newCustomer()));
    const responses = await Promise.all(
      users.flatMap((user) =>
        Array.from({ length: 6 }, (_, i) =>
          as(user, ADDRESSES, {
            method: 'POST',
            json: { country: 'EG', city: `City ${i}`, line: `${i} Nile St`, main_address: i % 2 === 0 },
          }),
        ),
      ),
    );
    const statuses = statusesOf(responses);
    no5xx(statuses);
    for (const r of responses) {
      if (r.status === 409) expect(r.headers.get('Retry-After')).toMatch(/^\d+$/);
      await r.body?.cancel();
    }
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThan(0);
    for (const user of users) {
      const rows = await addressRows(await customerIdOf(user));
      expect(rows.length).toBeLessThanOrEqual(3);
      expect(rows.filter((a) => a.mainAddress)).toHaveLength(1);
    }
  });
});

describe('customer profile: deletion racing a payment (issue 13 item 6)', () => {
  it('twenty races of DELETE profile against POST txn never leave a transaction without its customer', async () => {
    const payers = await Promise.all(Array.from({ length: 20 }, () => createPayer()));
    const outcomes = await Promise.all(
      payers.map(async (payer) => {
        const [created, deleted] = await Promise.all([
          createPayment(payer, '25.00'),
          as(payer, PROFILE, { method: 'DELETE' }),
        ]);
        await created.body?.cancel();
        await deleted.body?.cancel();
        return { payer, created: created.status, deleted: deleted.status };
      }),
    );
    const summary = outcomes.map((o) => `${o.created}/${o.deleted}`).join(' ');
    console.log(`create/delete outcomes: ${summary}`);
    for (const { payer, created, deleted } of outcomes) {
      no5xx([created, deleted]);
      const customer = await customerRow(payer.customerId);
      const transactions = await transactionsOfCustomer(payer.customerId);
      // The rule: a customer with a transaction cannot be deleted, whichever request ran first.
      if (transactions.length > 0) expect(customer, summary).toBeDefined();
      if (created === 201) expect(deleted, summary).toBe(409);
      if (deleted === 204) {
        expect(created, summary).toBe(404);
        expect(transactions, summary).toEqual([]);
      }
    }
  });
});
