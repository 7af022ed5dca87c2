import { describe, expect, it } from 'vitest';
import type { TransactionView } from '../../src/transactions/schemas';
import {
  api,
  createUser,
  describeAuthorization,
  type Problem,
  readJson,
  roundTrips,
  uniqueRequestId,
} from './helpers';
import { createPayer, customerIdOf, insertTransaction, makeReadyToPay, TXN } from './transactions-support';

interface Page {
  count: number;
  next: string | null;
  previous: string | null;
  results: TransactionView[];
}

const day = (iso: string) => new Date(iso);

/** A customer with five transactions on known days and statuses, oldest first. */
async function customerWithHistory() {
  const payer = await createPayer();
  const ids = [];
  for (const [createdAt, status] of [
    ['2026-01-10T08:00:00.000Z', 'succeeded'],
    ['2026-01-11T23:59:59.999Z', 'failed'],
    ['2026-01-12T00:00:00.000Z', 'pending'],
    ['2026-01-12T12:30:00.000Z', 'succeeded'],
    ['2026-01-13T09:15:00.000Z', 'refunded'],
  ] as const) {
    ids.push(await insertTransaction(payer.customerId, { createdAt: day(createdAt), status }));
  }
  return { payer, ids };
}

async function list(token: string, query = '', requestId?: string) {
  const response = await api(`${TXN}${query}`, { token, requestId });
  return { response, body: response.status === 200 ? await readJson<Page>(response) : undefined };
}

describe('GET txn/ — a customer’s own transactions', () => {
  it('lists them newest first with the §4.1 fields', async () => {
    const { payer, ids } = await customerWithHistory();
    const { body } = await list(payer.access);
    expect(body?.count).toBe(5);
    expect(body?.results.map((t) => t.id)).toEqual([...ids].reverse());
    expect(Object.keys(body?.results[0] ?? {}).sort()).toEqual(
      [
        'id',
        'customer',
        'merchant_order_id',
        'amount',
        'amount_cents',
        'currency',
        'status',
        'paymob_order_id',
        'paymob_transaction_id',
        'payment_token',
        'checkout_url',
        'failure_reason',
        'refunded_cents',
        // The merchant's data (docs/api.md §4.9, issue 16).
        'merchant_reference',
        'metadata',
        'description',
        'return_url',
        // The payment link it was paid through (docs/api.md §11, issue 19).
        'payment_link',
        // The payment methods (docs/paymob.md §8, issue 19).
        'payment_methods',
        'payment_method',
        'bill_reference',
        'bill_reference_expires_at',
        'created_at',
        'updated_at',
      ].sort(),
    );
    expect(body?.results[0]).toMatchObject({
      amount: '100.00',
      amount_cents: 10000,
      customer: payer.customerId,
    });
  });

  it('never shows another customer’s transactions', async () => {
    const { payer } = await customerWithHistory();
    const other = await createPayer();
    await insertTransaction(other.customerId);
    const { body } = await list(other.access);
    expect(body?.count).toBe(1);
    expect(body?.results.every((t) => t.customer === other.customerId)).toBe(true);
    const mine = await list(payer.access, `?customer=${other.customerId}`);
    expect(mine.body?.count).toBe(0);
  });

  it('a customer without a profile sees an empty list', async () => {
    const user = await createUser({ customerProfile: false });
    const { body } = await list(user.access);
    expect(body).toEqual({ count: 0, next: null, previous: null, results: [] });
  });

  it('paginates with absolute next/previous links; a page past the end → 404', async () => {
    const { payer, ids } = await customerWithHistory();
    const first = await list(payer.access, '?page_size=2');
    expect(first.body?.results.map((t) => t.id)).toEqual([ids[4], ids[3]]);
    expect(first.body?.next).toBe(`https://stackpay.test${TXN}?page_size=2&page=2`);
    expect(first.body?.previous).toBeNull();
    const last = await list(payer.access, '?page_size=2&page=3');
    expect(last.body?.results.map((t) => t.id)).toEqual([ids[0]]);
    expect(last.body?.next).toBeNull();
    expect((await list(payer.access, '?page_size=2&page=4')).response.status).toBe(404);
  });

  it('costs two database round trips: auth (with the customer id), then the page with its count', async () => {
    const { payer } = await customerWithHistory();
    const requestId = uniqueRequestId('list');
    const { body } = await list(payer.access, '?status=succeeded&page_size=1', requestId);
    expect(body?.count).toBe(2);
    expect(body?.results).toHaveLength(1);
    expect(await roundTrips(requestId)).toBe(2);
  });
});

describe('GET txn/ — filters', () => {
  it.each<[string, number[]]>([
    ['?status=succeeded', [3, 0]],
    ['?status=succeeded&status=failed', [3, 1, 0]],
    ['?created_at=2026-01-12', [3, 2]],
    ['?created_after=2026-01-12', [4, 3, 2]],
    ['?created_before=2026-01-12', [1, 0]],
    ['?created_after=2026-01-11&created_before=2026-01-13', [3, 2, 1]],
    ['?created_after=2026-01-12T12:00:00Z', [4, 3]],
    ['?created_after=2026-01-12T14:00:00%2B02:00', [4, 3]],
    ['?created_before=2026-01-12T00:00:00.001Z', [2, 1, 0]],
    ['?status=succeeded&created_after=2026-01-11', [3]],
    ['?status=expired', []],
  ])('%s', async (query, expectedIndexes) => {
    const { payer, ids } = await customerWithHistory();
    const { body } = await list(payer.access, query);
    expect(body?.results.map((t) => t.id)).toEqual(expectedIndexes.map((i) => ids[i]));
    expect(body?.count).toBe(expectedIndexes.length);
  });

  it('merchant_order_id finds exactly one', async () => {
    const { payer, ids } = await customerWithHistory();
    const target = (await list(payer.access)).body?.results.find((t) => t.id === ids[2]);
    const { body } = await list(payer.access, `?merchant_order_id=${target?.merchant_order_id}`);
    expect(body?.results.map((t) => t.id)).toEqual([ids[2]]);
  });

  it.each<[string, string]>([
    ['?status=paid', 'status'],
    ['?status=succeeded&status=bogus', 'status'],
    ['?created_at=2026-02-30', 'created_at'],
    ['?created_at=yesterday', 'created_at'],
    ['?created_after=2026-13-01', 'created_after'],
    ['?created_before=2026-01-01T25:00:00Z', 'created_before'],
    ['?customer=abc', 'customer'],
    ['?customer=-1', 'customer'],
  ])('%s → 400 naming %s', async (query, field) => {
    const payer = await createPayer();
    const { response } = await list(payer.access, query);
    expect(response.status).toBe(400);
    expect(Object.keys((await readJson<Problem>(response)).errors ?? {})).toEqual([field]);
  });
});

describe('GET txn/ — staff', () => {
  it('staff see every customer’s transactions and may filter by customer', async () => {
    const { payer, ids } = await customerWithHistory();
    const other = await createPayer();
    const otherId = await insertTransaction(other.customerId);
    const staff = await createUser({ role: 'STAFF' });
    // Other test files insert transactions concurrently: walk every page rather than trusting the first.
    const seen: number[] = [];
    let query = '?page_size=100';
    for (let page = 1; page <= 100 && query; page++) {
      const { body } = await list(staff.access, query);
      seen.push(...(body?.results.map((t) => t.id) ?? []));
      query = body?.next ? new URL(body.next).search : '';
    }
    expect(seen).toEqual(expect.arrayContaining([...ids, otherId]));
    const one = await list(staff.access, `?customer=${payer.customerId}`);
    expect(one.body?.results.map((t) => t.id)).toEqual([...ids].reverse());
  });
});

describe('GET txn/{id}/', () => {
  it('the owner reads it; another customer gets 404; staff read it', async () => {
    const payer = await createPayer();
    const id = await insertTransaction(payer.customerId, { status: 'failed', failureReason: 'Do not honor' });
    const own = await api(`${TXN}${id}/`, { token: payer.access });
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ id, status: 'failed', failure_reason: 'Do not honor' });
    const other = await createPayer();
    const foreign = await api(`${TXN}${id}/`, { token: other.access });
    expect(foreign.status).toBe(404);
    expect((await readJson<Problem>(foreign)).code).toBe('transaction_not_found');
    const staff = await createUser({ role: 'STAFF' });
    expect((await api(`${TXN}${id}`, { token: staff.access })).status).toBe(200);
  });

  it.each(['0', 'abc', '99999999999999999999', '1.5'])('id %s → 404', async (id) => {
    const payer = await createPayer();
    expect((await api(`${TXN}${id}/`, { token: payer.access })).status).toBe(404);
  });

  it('other methods → 405 with Allow', async () => {
    const payer = await createPayer();
    const id = await insertTransaction(payer.customerId);
    const response = await api(`${TXN}${id}/`, { method: 'DELETE', token: payer.access });
    expect(response.status).toBe(405);
    expect(response.headers.get('Allow')).toBe('GET, HEAD');
  });
});

describeAuthorization(
  'POST txn/',
  {
    method: 'POST',
    path: async (owner) => {
      await makeReadyToPay(owner.id).catch(() => undefined);
      return TXN;
    },
    body: () => ({ amount: '10.00' }),
  },
  { customer: 201, otherCustomer: [201, 403], staff: 403, admin: 403 },
);

describeAuthorization(
  'GET txn/',
  { method: 'GET', path: () => TXN },
  { customer: 200, otherCustomer: 200, staff: 200, admin: 200 },
);

describeAuthorization(
  'GET txn/{id}/',
  {
    method: 'GET',
    path: async (owner) => `${TXN}${await insertTransaction(await customerIdOf(owner.id))}/`,
  },
  { customer: 200, otherCustomer: 404, staff: 200, admin: 200 },
);
