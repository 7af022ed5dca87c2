/**
 * docs/round-trips.md: the database, Durable Object and KV round trips of each request path, measured here
 * and compared with the doc's table. Database statements are the simulator's count for the request id
 * (`roundTrips`); Durable Object calls and KV reads are the bench's binding counters
 * (tools/bench/worker-counters.js) wrapped around the real Worker and bindings, in the same isolate.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import doc from '../../docs/round-trips.md?raw';
import { paymentEvents } from '../../src/db/schema';
import type { Env } from '../../src/env';
import worker from '../../src/index';
// @ts-expect-error -- Node-side JavaScript typed by JSDoc (tools/), without a declaration file for this project.
import { withCounters } from '../../tools/bench/worker-counters.js';
import { BASE_URL, createUser, roundTrips, testDb, uniqueIp, uniqueRequestId } from './helpers';
import {
  CARDS,
  createPayer,
  createPendingPayment,
  hmacOf,
  pay,
  recordedCallbacks,
  TXN,
  WEBHOOK,
} from './transactions-support';

interface Trips {
  db: number;
  do: number;
  kv: number;
}

const counted = withCounters(worker as never) as {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>;
};

interface Call {
  method?: string;
  token?: string;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

/** One request through the counting wrapper: its status and its round trips. */
async function measure(path: string, call: Call = {}): Promise<Trips & { status: number }> {
  const requestId = uniqueRequestId('trips');
  const headers = new Headers(call.headers);
  headers.set('X-Request-Id', requestId);
  headers.set('CF-Connecting-IP', uniqueIp());
  if (call.token) headers.set('Authorization', `Bearer ${call.token}`);
  if (call.json !== undefined) headers.set('Content-Type', 'application/json');
  const request = new Request(`${BASE_URL}${path}`, {
    method: call.method ?? 'GET',
    headers,
    body: call.json !== undefined ? JSON.stringify(call.json) : call.body,
  });
  const ctx = createExecutionContext();
  const response = await counted.fetch(request, env as Env, ctx);
  await response.arrayBuffer();
  await waitOnExecutionContext(ctx);
  const lookup = await counted.fetch(
    new Request(`${BASE_URL}/__bench/counters`, { method: 'POST', body: JSON.stringify([requestId]) }),
    env as Env,
    createExecutionContext(),
  );
  const [counts] = (await lookup.json()) as Array<{ doCalls: number; kvReads: number } | null>;
  return {
    status: response.status,
    db: await roundTrips(requestId),
    do: counts?.doCalls ?? 0,
    kv: counts?.kvReads ?? 0,
  };
}

/** The doc's table: `| \`ROUTE\` | DB | DO | KV | … |` rows, by route. */
function documented(): Map<string, Trips> {
  const rows = new Map<string, Trips>();
  for (const line of doc.split('\n')) {
    const m = /^\| `([^`]+)` \| (\d+) \| (\d+) \| (\d+) \|/.exec(line);
    if (m?.[1]) rows.set(m[1], { db: Number(m[2]), do: Number(m[3]), kv: Number(m[4]) });
  }
  return rows;
}

function expectDocumented(route: string, measured: Trips & { status: number }, status: number) {
  expect(measured.status, route).toBe(status);
  const row = documented().get(route);
  expect(row, `docs/round-trips.md has no row for ${route}`).toBeDefined();
  expect({ db: measured.db, do: measured.do, kv: measured.kv }, route).toEqual(row);
}

describe('docs/round-trips.md matches the measured round trips (issue 18 item 3 paths)', () => {
  it('GET users/profiles/mine/: the auth query, the rate limiter', async () => {
    const user = await createUser();
    expectDocumented(
      'GET users/profiles/mine/',
      await measure('/api/v1/users/profiles/mine/', { token: user.access }),
      200,
    );
  });

  it('GET customers/profile/: the auth query carries the profile', async () => {
    const user = await createUser();
    expectDocumented(
      'GET customers/profile/',
      await measure('/api/v1/customers/profile/', { token: user.access }),
      200,
    );
  });

  it('GET transactions/txn/?page_size=10: auth, then the page with its count in one statement', async () => {
    const payer = await createPayer();
    await createPendingPayment(payer, '10.00');
    await createPendingPayment(payer, '11.00');
    const measured = await measure(`${TXN}?page_size=10`, { token: payer.access });
    expectDocumented('GET transactions/txn/', measured, 200);
  });

  it('POST transactions/txn/ on a warm isolate: three statements, no KV read (the token is in memory)', async () => {
    const payer = await createPayer();
    // The isolate's first payment may read KV for the auth token (at most once: test/unit/paymob-client.test.ts
    // counts the reads); later ones do not.
    const cold = await measure(TXN, { method: 'POST', token: payer.access, json: { amount: '10.00' } });
    expect(cold.status).toBe(201);
    expect(cold.kv).toBeLessThanOrEqual(1);
    const measured = await measure(TXN, { method: 'POST', token: payer.access, json: { amount: '12.00' } });
    expectDocumented('POST transactions/txn/', measured, 201);
  });

  it('POST transactions/webhook/: first delivery and a duplicate', async () => {
    const payer = await createPayer();
    const txn = await createPendingPayment(payer, '20.00');
    await pay(txn, CARDS.success);
    const [callback] = await recordedCallbacks(txn.merchant_order_id);
    if (!callback) throw new Error('no callback');
    const deliver = () =>
      measure(`${WEBHOOK}?hmac=${hmacOf(callback)}`, { method: 'POST', json: callback.body });
    expectDocumented('POST transactions/webhook/', await deliver(), 200);
    expectDocumented('POST transactions/webhook/ (duplicate)', await deliver(), 200);
  });

  it('a redelivery after a first delivery that stored the report but died before applying it still applies it', async () => {
    const payer = await createPayer();
    const txn = await createPendingPayment(payer, '21.00');
    const paid = await pay(txn, CARDS.success);
    const [callback] = await recordedCallbacks(txn.merchant_order_id);
    if (!callback) throw new Error('no callback');
    // What the first delivery left: the report stored (as it would be), the transaction still pending.
    await testDb().insert(paymentEvents).values({
      transactionId: txn.id,
      paymobTransactionId: paid.transaction_id,
      kind: 'transaction',
      source: 'processed_callback',
      type: 'TRANSACTION',
      merchantOrderId: txn.merchant_order_id,
      outcome: 'applied',
      rawBody: callback.body,
      receivedAt: new Date(),
    });
    const measured = await measure(`${WEBHOOK}?hmac=${hmacOf(callback)}`, {
      method: 'POST',
      json: callback.body,
    });
    expect(measured.status).toBe(200);
    // The read (which finds the report stored) and the guarded update: no INSERT.
    expect(measured.db).toBe(2);
    const read = await measure(`${TXN}${txn.id}/`, { token: payer.access });
    expect(read.status).toBe(200);
    const [event] = await testDb()
      .select({ eventType: paymentEvents.eventType })
      .from(paymentEvents)
      .where(eq(paymentEvents.paymobTransactionId, paid.transaction_id));
    expect(event?.eventType).toBe('payment.succeeded');
  });

  it('POST users/login/: the credential lookup and the refresh-token INSERT that records the login', async () => {
    const user = await createUser();
    const measured = await measure('/api/v1/users/login/', {
      method: 'POST',
      json: { username: user.username, password: user.password },
    });
    expectDocumented('POST users/login/', measured, 200);
    // Issue 18 item 3's target, whatever the doc says.
    expect(measured.db).toBe(2);
  });
});
