import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { idempotencyRecords } from '../../src/db/schema';
import { type Problem, readJson, roundTrips, testDb, uniqueRequestId } from './helpers';
import {
  addFault,
  clearFaults,
  createPayer,
  createPayment,
  transactionsOfCustomer,
} from './transactions-support';

afterEach(clearFaults);

const withKey = (key: string, extra: Record<string, string> = {}) => ({
  headers: { 'Idempotency-Key': key, ...extra },
});

describe('Idempotency-Key on POST txn/', () => {
  it('a retry with the same key and body replays the first answer; one transaction', async () => {
    const payer = await createPayer();
    const key = crypto.randomUUID();
    const first = await createPayment(payer, '25.00', withKey(key));
    expect(first.status).toBe(201);
    const firstBody = await first.text();
    const retry = await createPayment(payer, '25.00', withKey(key));
    expect(retry.status).toBe(201);
    expect(await retry.text()).toBe(firstBody);
    expect(retry.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await transactionsOfCustomer(payer.customerId)).toHaveLength(1);
  });

  it('the same body with keys in another order and other whitespace is the same request', async () => {
    const payer = await createPayer();
    const key = crypto.randomUUID();
    expect(
      (await createPayment(payer, '25.00', { ...withKey(key), json: { amount: '25.00', note: 1 } })).status,
    ).toBe(201);
    const retry = await createPayment(payer, '25.00', {
      ...withKey(key),
      json: undefined,
      body: '{ "note": 1,   "amount": "25.00" }',
      headers: { 'Idempotency-Key': key, 'Content-Type': 'application/json' },
    });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('Idempotent-Replayed')).toBe('true');
  });

  it('the same key with another body → 422 idempotency_key_reused', async () => {
    const payer = await createPayer();
    const key = crypto.randomUUID();
    expect((await createPayment(payer, '25.00', withKey(key))).status).toBe(201);
    const reused = await createPayment(payer, '26.00', withKey(key));
    expect(reused.status).toBe(422);
    expect((await readJson<Problem>(reused)).code).toBe('idempotency_key_reused');
    expect(await transactionsOfCustomer(payer.customerId)).toHaveLength(1);
  });

  it('keys belong to one user: another user with the same key gets their own payment', async () => {
    const [a, b] = await Promise.all([createPayer(), createPayer()]);
    const key = crypto.randomUUID();
    const first = await readJson<{ id: number }>(await createPayment(a, '25.00', withKey(key)));
    const second = await readJson<{ id: number }>(await createPayment(b, '25.00', withKey(key)));
    expect(second.id).not.toBe(first.id);
  });

  it('10 concurrent requests with one key → one PayMob order, one row, identical answers', async () => {
    const payer = await createPayer();
    const key = crypto.randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => createPayment(payer, '42.00', withKey(key))),
    );
    const answers = await Promise.all(responses.map(async (r) => `${r.status} ${await r.text()}`));
    expect(new Set(answers).size).toBe(1);
    expect(responses[0]?.status).toBe(201);
    const rows = await transactionsOfCustomer(payer.customerId);
    expect(rows).toHaveLength(1);
    const [body] = answers;
    expect(body).toContain(`"paymob_order_id":${rows[0]?.paymobOrderId}`);
  });

  it('errors are stored and replayed too (a PayMob failure is not retried under the same key)', async () => {
    const payer = await createPayer();
    const key = crypto.randomUUID();
    await addFault({ mode: 'status', status: 503, endpoint: 'orders', count: 4 });
    const first = await createPayment(payer, '25.00', withKey(key));
    expect(first.status).toBe(502);
    const firstBody = await first.text();
    const retry = await createPayment(payer, '25.00', withKey(key));
    expect(retry.status).toBe(502);
    expect(await retry.text()).toBe(firstBody);
    expect(await transactionsOfCustomer(payer.customerId)).toHaveLength(1);
  });

  it('a validation failure is replayed with the same 400', async () => {
    const payer = await createPayer();
    const key = crypto.randomUUID();
    expect((await createPayment(payer, '0', withKey(key))).status).toBe(400);
    const retry = await createPayment(payer, '0', withKey(key));
    expect(retry.status).toBe(400);
    expect(retry.headers.get('Content-Type')).toBe('application/problem+json');
  });

  it('a key over 255 characters → 400; 255 is fine', async () => {
    const payer = await createPayer();
    const long = await createPayment(payer, '25.00', withKey('k'.repeat(256)));
    expect(long.status).toBe(400);
    expect((await readJson<Problem>(long)).code).toBe('invalid_idempotency_key');
    expect((await createPayment(payer, '25.00', withKey('k'.repeat(255)))).status).toBe(201);
  });

  it('records are kept for 24 hours; an older record no longer binds the key', async () => {
    const payer = await createPayer();
    const key = crypto.randomUUID();
    const first = await readJson<{ id: number }>(await createPayment(payer, '25.00', withKey(key)));
    await testDb()
      .update(idempotencyRecords)
      .set({ createdAt: new Date(Date.now() - 25 * 60 * 60 * 1000) })
      .where(and(eq(idempotencyRecords.userId, payer.id), eq(idempotencyRecords.idempotencyKey, key)));
    const second = await createPayment(payer, '30.00', withKey(key));
    expect(second.status).toBe(201);
    expect((await readJson<{ id: number }>(second)).id).not.toBe(first.id);
  });

  it('adds two round trips (reserve and complete) to a create', async () => {
    const payer = await createPayer();
    const requestId = uniqueRequestId('idem');
    const response = await createPayment(payer, '25.00', { ...withKey(crypto.randomUUID()), requestId });
    expect(response.status).toBe(201);
    // The create's three (docs/round-trips.md) and the two of the key.
    expect(await roundTrips(requestId)).toBe(5);
  });
});
