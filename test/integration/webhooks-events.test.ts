/**
 * Every state change emits its event exactly once, atomically with the change (docs/webhooks.md §1–§2): the
 * processed callback marks its stored report in the guarded update itself (no extra round trip), the queue
 * consumer materialises the `events` row and fans it out, the sweep recovers a mark whose message was lost.
 * Payments run through the real sandbox; deliveries reach the sandbox's merchant receiver.
 */
import { and, eq, isNotNull } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { events, paymentEvents, webhookDeliveries, webhookEndpoints } from '../../src/db/schema';
import { reconcilePayments } from '../../src/transactions/reconcile';
import { createEndpoint } from '../../src/webhooks/endpoints';
import { sweepWebhookOutbox } from '../../src/webhooks/sweep';
import {
  customerIdOf,
  documentBytes,
  newCustomer,
  review,
  reviewBody,
  staffKyc,
  uploadDocument,
} from './customers-fixtures';
import { api, apiWithEnv, createUser, readJson, roundTrips, testDb, uniqueRequestId } from './helpers';
import {
  CARDS,
  createPayer,
  createPendingPayment,
  deliverRecorded,
  pay,
  recordedCallbacks,
  TXN,
  transactionRow,
} from './transactions-support';
import { merchantReceiver, WebhookHarness } from './webhooks-support';

const MINUTE = 60_000;

const created: string[] = [];
afterAll(async () => {
  for (const id of created) await testDb().delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
});

/** A receiver on the sandbox and an endpoint subscribed to every event, the receiver knowing its secret. */
async function subscribed(harness: WebhookHarness) {
  const receiver = merchantReceiver();
  const endpoint = await createEndpoint(harness.ctx(), { url: receiver.url, events: ['*'] });
  created.push(endpoint.id);
  await receiver.configure({ secret: endpoint.secret });
  return { receiver, endpoint };
}

async function eventRows(objectType: string, objectId: number) {
  return testDb()
    .select()
    .from(events)
    .where(and(eq(events.objectType, objectType), eq(events.objectId, String(objectId))))
    .orderBy(events.createdAt, events.id);
}

async function deliveriesOf(eventId: string) {
  return testDb().select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, eventId));
}

async function marksOf(transactionId: number) {
  return testDb()
    .select({ eventId: paymentEvents.eventId, eventType: paymentEvents.eventType, kind: paymentEvents.kind })
    .from(paymentEvents)
    .where(and(eq(paymentEvents.transactionId, transactionId), isNotNull(paymentEvents.eventId)));
}

/** Runs the queued fan-outs and this endpoint's attempts. */
const runFor = (harness: WebhookHarness, endpointId: string) => harness.runDue(endpointId);

/** The transaction as GET reads it now. */
async function readTransaction(id: number, token: string) {
  const response = await api(`${TXN}${id}/`, { token });
  expect(response.status).toBe(200);
  return readJson(response);
}

/** A paid, pending-callback payment: the payer, the transaction and the signed callback the sandbox sent. */
async function paidWith(card: string, amount = '150.00') {
  const payer = await createPayer();
  const txn = await createPendingPayment(payer, amount);
  await pay(txn, card);
  const [callback] = await recordedCallbacks(txn.merchant_order_id, 1);
  if (!callback) throw new Error('no callback');
  return { payer, txn, callback };
}

describe('payment events (docs/webhooks.md §1–§2)', () => {
  it('five concurrent deliveries of the success callback → one payment.succeeded per endpoint, matching GET', async () => {
    const harness = new WebhookHarness();
    const first = await subscribed(harness);
    const second = await subscribed(harness);
    const { payer, txn, callback } = await paidWith(CARDS.success);

    const answers = await Promise.all(
      Array.from({ length: 5 }, () => deliverRecorded(callback, { WEBHOOK_DELIVERIES: harness.queue() })),
    );
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await marksOf(txn.id)).toHaveLength(1);
    await runFor(harness, first.endpoint.id);
    await runFor(harness, second.endpoint.id);

    const rows = await eventRows('transaction', txn.id);
    expect(rows.map((r) => r.type)).toEqual(['payment.succeeded']);
    const [event] = rows;
    if (!event) throw new Error('no event');
    const deliveries = await deliveriesOf(event.id);
    expect(deliveries.map((d) => d.endpointId).sort()).toEqual(
      [first.endpoint.id, second.endpoint.id].sort(),
    );
    expect(deliveries.every((d) => d.state === 'delivered')).toBe(true);

    const read = await readTransaction(txn.id, payer.access);
    for (const { receiver } of [first, second]) {
      const received = (await receiver.deliveries()).filter((d) => d.body.data.object.id === txn.id);
      expect(received).toHaveLength(1);
      expect(received[0]?.verified).toBe(true);
      expect(received[0]?.webhook_id).toBe(event.id);
      expect(received[0]?.body.type).toBe('payment.succeeded');
      // The event's object is the API read as of the change (nothing changed since).
      expect(received[0]?.body.data.object).toEqual(read);
    }
  }, 60_000);

  it('the processed callback costs 3 round trips (first delivery) and 1 (duplicate)', async () => {
    const harness = new WebhookHarness();
    const { txn, callback } = await paidWith(CARDS.success);
    const firstId = uniqueRequestId('events-first');
    const env = { WEBHOOK_DELIVERIES: harness.queue() };
    expect((await deliverRecorded(callback, env, { requestId: firstId })).status).toBe(200);
    const duplicateId = uniqueRequestId('events-duplicate');
    expect((await deliverRecorded(callback, env, { requestId: duplicateId })).status).toBe(200);
    // SELECT target, INSERT payment_events, the guarded multi-table UPDATE that marks the outbox.
    expect(await roundTrips(firstId)).toBe(3);
    // SELECT target, which says the report is stored already: nothing else (docs/round-trips.md).
    expect(await roundTrips(duplicateId)).toBe(1);
    // The callback published the event once; the `events` row is written by the fan-out, after the answer.
    const fanouts = harness.queued.filter((m) => m.body.kind === 'fanout');
    expect(fanouts).toHaveLength(1);
    expect(await eventRows('transaction', txn.id)).toHaveLength(0);
  }, 30_000);

  it('a declined payment → payment.failed with its failure reason', async () => {
    const harness = new WebhookHarness();
    const { endpoint, receiver } = await subscribed(harness);
    const { payer, txn, callback } = await paidWith(CARDS.declined);
    expect((await deliverRecorded(callback, { WEBHOOK_DELIVERIES: harness.queue() })).status).toBe(200);
    await runFor(harness, endpoint.id);
    const rows = await eventRows('transaction', txn.id);
    expect(rows.map((r) => r.type)).toEqual(['payment.failed']);
    const [delivery] = (await receiver.deliveries()).filter((d) => d.body.data.object.id === txn.id);
    expect(delivery?.body.data.object).toEqual(await readTransaction(txn.id, payer.access));
    expect(delivery?.body.data.object.status).toBe('failed');
    expect(delivery?.body.data.object.failure_reason).toEqual(expect.any(String));
  }, 30_000);

  it('reconciliation expiring an abandoned checkout → payment.expired', async () => {
    const harness = new WebhookHarness();
    const { endpoint } = await subscribed(harness);
    const payer = await createPayer();
    const txn = await createPendingPayment(payer);
    const { paymentKeyExpiresAt } = await transactionRow(txn.id);
    if (!paymentKeyExpiresAt) throw new Error('no payment key expiry');
    harness.now = new Date(paymentKeyExpiresAt.getTime() + 17 * MINUTE);
    const summary = await reconcilePayments(harness.ctx(), { transactionIds: [txn.id] });
    expect(summary).toMatchObject({ claimed: 1, expired: 1 });
    // The event row was written in the expiry's transaction, before any fan-out.
    const rows = await eventRows('transaction', txn.id);
    expect(rows.map((r) => r.type)).toEqual(['payment.expired']);
    await runFor(harness, endpoint.id);
    const object = JSON.parse(rows[0]?.data ?? 'null');
    expect(object).toEqual(await readTransaction(txn.id, payer.access));
    expect(object.status).toBe('expired');
    // A second run changes nothing and adds no event.
    harness.now = new Date(harness.now.getTime() + 10 * MINUTE);
    await reconcilePayments(harness.ctx(), { transactionIds: [txn.id] });
    expect(await eventRows('transaction', txn.id)).toHaveLength(1);
  }, 30_000);

  it('a partial then the full refund → two payment.refunded with the refunded total; a void → payment.voided', async () => {
    const harness = new WebhookHarness();
    const { endpoint } = await subscribed(harness);
    const admin = await createUser({ role: 'ADMIN' });
    const env = { WEBHOOK_DELIVERIES: harness.queue() };
    const { payer, txn, callback } = await paidWith(CARDS.success, '100.00');
    expect((await deliverRecorded(callback, env)).status).toBe(200);

    const partial = await apiWithEnv(
      `${TXN}${txn.id}/refund/`,
      { method: 'POST', token: admin.access, json: { amount: '30.00' } },
      env,
    );
    expect(partial.status).toBe(200);
    await runFor(harness, endpoint.id);
    const afterPartial = await readTransaction(txn.id, payer.access);
    const full = await apiWithEnv(`${TXN}${txn.id}/refund/`, { method: 'POST', token: admin.access }, env);
    expect(full.status).toBe(200);
    await runFor(harness, endpoint.id);

    const rows = await eventRows('transaction', txn.id);
    expect(rows.map((r) => r.type)).toEqual(['payment.succeeded', 'payment.refunded', 'payment.refunded']);
    const [, first, second] = rows.map((r) => JSON.parse(r.data));
    expect(first).toMatchObject({ status: 'succeeded', refunded_cents: 3000 });
    expect(first).toEqual(afterPartial);
    expect(second).toMatchObject({ status: 'refunded', refunded_cents: 10000 });
    expect(second).toEqual(await readTransaction(txn.id, payer.access));

    // A voided payment (same business day).
    const paid = await paidWith(CARDS.success);
    expect((await deliverRecorded(paid.callback, env)).status).toBe(200);
    const voided = await apiWithEnv(
      `${TXN}${paid.txn.id}/void/`,
      { method: 'POST', token: admin.access },
      env,
    );
    expect(voided.status).toBe(200);
    await runFor(harness, endpoint.id);
    const voidRows = await eventRows('transaction', paid.txn.id);
    expect(voidRows.map((r) => r.type)).toEqual(['payment.succeeded', 'payment.voided']);
    expect(JSON.parse(voidRows[1]?.data ?? 'null')).toEqual(
      await readTransaction(paid.txn.id, paid.payer.access),
    );
  }, 90_000);

  it('a mark whose queue message was lost (crash between mark and publish) is recovered by the sweep', async () => {
    const harness = new WebhookHarness();
    const { endpoint, receiver } = await subscribed(harness);
    const { txn, callback } = await paidWith(CARDS.success);
    // The queue send is lost: the mark is committed, the fan-out never comes.
    const lost = { send: async () => undefined, sendBatch: async () => undefined } as unknown as Queue;
    expect((await deliverRecorded(callback, { WEBHOOK_DELIVERIES: lost })).status).toBe(200);
    const [mark] = await marksOf(txn.id);
    expect(mark?.eventType).toBe('payment.succeeded');
    expect(await eventRows('transaction', txn.id)).toHaveLength(0);

    harness.now = new Date(Date.now() + 6 * MINUTE);
    const swept = await sweepWebhookOutbox(harness.ctx());
    expect(swept.marks).toBeGreaterThanOrEqual(1);
    // Other files' lost marks and events were swept too: leave them out of this run.
    const foreign = harness.queued.filter(
      (m) => m.body.kind === 'fanout' && m.body.event_id !== mark?.eventId,
    );
    for (const m of foreign) harness.queued.splice(harness.queued.indexOf(m), 1);
    await runFor(harness, endpoint.id);
    const rows = await eventRows('transaction', txn.id);
    expect(rows.map((r) => r.id)).toEqual([mark?.eventId]);
    const received = (await receiver.deliveries()).filter((d) => d.webhook_id === mark?.eventId);
    expect(received.map((d) => d.verified)).toEqual([true]);
    // Swept again: already materialised, so not published again (other tests' marks may be).
    harness.queued.length = 0;
    await sweepWebhookOutbox(harness.ctx());
    expect(
      harness.queued.filter((m) => m.body.kind === 'fanout' && m.body.event_id === mark?.eventId),
    ).toEqual([]);
  }, 30_000);
});

describe('KYC events (docs/webhooks.md §1)', () => {
  async function submitted(): Promise<{ customerId: number }> {
    const user = await newCustomer();
    await uploadDocument(user, { bytes: documentBytes('pdf', 3000), name: 'national-id.pdf' });
    return { customerId: await customerIdOf(user) };
  }

  for (const decision of ['approved', 'rejected'] as const) {
    it(`a review ${decision} → customer.kyc_${decision} with the staff read of the record`, async () => {
      const harness = new WebhookHarness();
      const { endpoint, receiver } = await subscribed(harness);
      const staff = await createUser({ role: 'STAFF' });
      const { customerId } = await submitted();
      const response = await apiWithEnv(
        review(customerId),
        {
          method: 'POST',
          token: staff.access,
          json: await reviewBody(customerId, { status: decision, reason: 'The photo is unreadable.' }),
        },
        { WEBHOOK_DELIVERIES: harness.queue() },
      );
      expect(response.status).toBe(200);
      await runFor(harness, endpoint.id);
      const rows = await eventRows('customer', customerId);
      expect(rows.map((r) => r.type)).toEqual([`customer.kyc_${decision}`]);
      const read = await readJson(await api(staffKyc(customerId), { token: staff.access }));
      const [delivery] = (await receiver.deliveries()).filter((d) => d.webhook_id === rows[0]?.id);
      expect(delivery?.verified).toBe(true);
      expect(delivery?.body.data.object).toEqual(read);
    }, 30_000);
  }
});
