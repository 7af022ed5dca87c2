import { env } from 'cloudflare:workers';
import { and, eq, inArray } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { createServiceContext } from '../../src/context';
import { events, webhookAttempts, webhookDeliveries, webhookEndpoints } from '../../src/db/schema';
import { createLogger } from '../../src/lib/logger';
import { createEndpoint } from '../../src/webhooks/endpoints';
import { publishEvent, recordEvent } from '../../src/webhooks/events';
import { sweepWebhookOutbox } from '../../src/webhooks/sweep';
import { createUser, testConfig, testDb } from './helpers';
import { merchantReceiver, WebhookHarness } from './webhooks-support';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const created: string[] = [];
afterAll(async () => {
  for (const id of created) await testDb().delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
});

/** A receiver on the sandbox and a StackPay endpoint pointing at it, with the receiver knowing the secret. */
async function subscribed(harness: WebhookHarness, events?: string[]) {
  const receiver = merchantReceiver();
  const endpoint = await createEndpoint(harness.ctx(), { url: receiver.url, events });
  created.push(endpoint.id);
  await receiver.configure({ secret: endpoint.secret });
  return { receiver, endpoint };
}

const transaction = (id: number) => ({
  id,
  customer: 7,
  merchant_order_id: `SP-${id}`,
  amount: '100.00',
  amount_cents: 10000,
  currency: 'EGP',
  status: 'succeeded',
  refunded_cents: 0,
});

async function deliveryOf(eventId: string, endpointId: string) {
  const [row] = await testDb()
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.eventId, eventId), eq(webhookDeliveries.endpointId, endpointId)));
  if (!row) throw new Error('no delivery');
  return row;
}

async function attemptsOf(deliveryId: number) {
  return testDb()
    .select()
    .from(webhookAttempts)
    .where(eq(webhookAttempts.deliveryId, deliveryId))
    .orderBy(webhookAttempts.attempt);
}

describe('webhook delivery (docs/webhooks.md, Standard Webhooks)', () => {
  it('delivers a recorded event signed so that standardwebhooks verifies it, with the documented body', async () => {
    const harness = new WebhookHarness();
    const { receiver, endpoint } = await subscribed(harness);
    const eventId = await recordEvent(harness.ctx(), {
      type: 'payment.succeeded',
      objectId: 41,
      object: transaction(41),
    });
    await publishEvent(harness.ctx(), eventId);
    expect(await harness.runDue(endpoint.id)).toBe(2); // fan-out, then the one attempt

    const [delivery] = await receiver.deliveries();
    expect(delivery?.verified).toBe(true);
    expect(delivery?.answered).toBe(200);
    expect(delivery?.webhook_id).toBe(eventId);
    expect(delivery?.webhook_signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(delivery?.body).toEqual({
      id: eventId,
      type: 'payment.succeeded',
      created_at: harness.now.toISOString(),
      data: { object: transaction(41) },
    });
    // Verified here too, with the library, from what the receiver got; a wrong secret fails.
    const headers = {
      'webhook-id': delivery?.webhook_id ?? '',
      'webhook-timestamp': delivery?.webhook_timestamp ?? '',
      'webhook-signature': delivery?.webhook_signature ?? '',
    };
    const raw = JSON.stringify(delivery?.body);
    expect(new Webhook(endpoint.secret).verify(raw, headers)).toEqual(delivery?.body);
    expect(() => new Webhook(`whsec_${btoa('another secret of 24 bytes!')}`).verify(raw, headers)).toThrow();

    const row = await deliveryOf(eventId, endpoint.id);
    expect(row).toMatchObject({ state: 'delivered', attempts: 1 });
    const [attempt] = await attemptsOf(row.id);
    expect(attempt).toMatchObject({ attempt: 1, status: 200, error: null });
    expect(attempt?.responseBody).toBe('{"received":true}');
    const [event] = await testDb().select().from(events).where(eq(events.id, eventId));
    expect(event?.dispatchedAt).not.toBeNull();
  });

  it('only subscribed types are delivered; a disabled endpoint gets nothing', async () => {
    const harness = new WebhookHarness();
    const refunds = await subscribed(harness, ['payment.refunded']);
    const off = await subscribed(harness);
    await testDb()
      .update(webhookEndpoints)
      .set({ enabled: false })
      .where(eq(webhookEndpoints.id, off.endpoint.id));
    const succeeded = await recordEvent(harness.ctx(), {
      type: 'payment.succeeded',
      objectId: 42,
      object: transaction(42),
    });
    const refunded = await recordEvent(harness.ctx(), {
      type: 'payment.refunded',
      objectId: 42,
      object: transaction(42),
    });
    await publishEvent(harness.ctx(), succeeded);
    await publishEvent(harness.ctx(), refunded);
    await harness.runDue(refunds.endpoint.id);
    expect((await refunds.receiver.deliveries()).map((d) => d.webhook_id)).toEqual([refunded]);
    await harness.runDue(off.endpoint.id);
    expect(await off.receiver.deliveries()).toEqual([]);
  });

  it('a receiver failing twice then succeeding gets the same webhook-id three times, on Stripe’s schedule', async () => {
    const harness = new WebhookHarness();
    const start = harness.now.getTime();
    const { receiver, endpoint } = await subscribed(harness);
    await receiver.configure({ fail_next: 2, fail_mode: 'status' });
    const eventId = await recordEvent(harness.ctx(), {
      type: 'payment.failed',
      objectId: 43,
      object: transaction(43),
    });
    await publishEvent(harness.ctx(), eventId);
    await harness.runDue(endpoint.id);

    const received = await receiver.deliveries();
    expect(received.map((d) => d.webhook_id)).toEqual([eventId, eventId, eventId]);
    expect(received.map((d) => d.answered)).toEqual([500, 500, 200]);
    expect(received.every((d) => d.verified)).toBe(true);
    const row = await deliveryOf(eventId, endpoint.id);
    expect(row).toMatchObject({ state: 'delivered', attempts: 3 });
    // Immediately, then 5 minutes, then 30 minutes later (by the harness's clock).
    const attempts = await attemptsOf(row.id);
    expect(attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(attempts.map((a) => a.createdAt.getTime() - start)).toEqual([0, 5 * MINUTE, 35 * MINUTE]);
    expect(attempts[0]?.responseBody).toBe('{"error":"receiver told to fail"}');
    // The streak of failures ended with the success.
    const [stored] = await testDb()
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, endpoint.id));
    expect(stored?.failingSince).toBeNull();
  });

  it('an answer after 10 seconds is a failed attempt (timeout), retried with the same id', async () => {
    const harness = new WebhookHarness();
    const { receiver, endpoint } = await subscribed(harness);
    await receiver.configure({ fail_next: 1, fail_mode: 'timeout', timeout_ms: 11_000 });
    const eventId = await recordEvent(harness.ctx(), {
      type: 'payment.expired',
      objectId: 44,
      object: transaction(44),
    });
    await publishEvent(harness.ctx(), eventId);
    await harness.runDue(endpoint.id);
    const row = await deliveryOf(eventId, endpoint.id);
    expect(row).toMatchObject({ state: 'delivered', attempts: 2 });
    const attempts = await attemptsOf(row.id);
    expect(attempts[0]).toMatchObject({ status: null, error: 'no answer within 10 s' });
    expect(attempts[0]?.durationMs).toBeGreaterThanOrEqual(9_900);
    expect(attempts[1]?.status).toBe(200);
    expect((await receiver.deliveries()).map((d) => d.webhook_id)).toEqual([eventId, eventId]);
  }, 60_000);

  it('an endpoint failing for three days is disabled after the last attempt and every ADMIN is e-mailed', async () => {
    const admin = await createUser({ role: 'ADMIN' });
    const harness = new WebhookHarness();
    const start = harness.now.getTime();
    const { receiver, endpoint } = await subscribed(harness);
    await receiver.configure({ fail_next: 1000 });
    const eventId = await recordEvent(harness.ctx(), {
      type: 'payment.voided',
      objectId: 45,
      object: transaction(45),
    });
    await publishEvent(harness.ctx(), eventId);
    await harness.runDue(endpoint.id, 100);

    const row = await deliveryOf(eventId, endpoint.id);
    expect(row.state).toBe('failed');
    const attempts = await attemptsOf(row.id);
    const offsets = attempts.map((a) => a.createdAt.getTime() - start);
    // 0, 5 min, 35 min, 2 h 35, 7 h 35, then every 10 h, and a last attempt at exactly three days.
    expect(offsets.slice(0, 6)).toEqual([
      0,
      5 * MINUTE,
      35 * MINUTE,
      155 * MINUTE,
      455 * MINUTE,
      1055 * MINUTE,
    ]);
    expect(offsets.at(-1)).toBe(3 * DAY);
    expect(attempts.length).toBe(12);
    expect(new Set((await receiver.deliveries()).map((d) => d.webhook_id))).toEqual(new Set([eventId]));

    const [stored] = await testDb()
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, endpoint.id));
    expect(stored).toMatchObject({ enabled: false, disabledReason: 'Every delivery failed for three days.' });
    const mail = harness.notifications.filter(
      (n) => n.type === 'webhook_endpoint_disabled' && n.to === admin.email,
    );
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({ endpoint_id: endpoint.id, url: receiver.url, user_id: admin.id });

    // Disabled: the next event is not even fanned out to it.
    const next = await recordEvent(harness.ctx(), {
      type: 'payment.voided',
      objectId: 46,
      object: transaction(46),
    });
    await publishEvent(harness.ctx(), next);
    await harness.runDue(endpoint.id);
    const after = await testDb().select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, next));
    expect(after.filter((d) => d.endpointId === endpoint.id)).toEqual([]);
  }, 120_000);

  it('the sweep re-publishes an event whose publish was lost and re-enqueues a lost retry', async () => {
    const harness = new WebhookHarness();
    const { receiver, endpoint } = await subscribed(harness);
    await receiver.configure({ fail_next: 1 });
    // Recorded but never published (the Worker stopped after the commit).
    const eventId = await recordEvent(harness.ctx(), {
      type: 'payment.refunded',
      objectId: 47,
      object: transaction(47),
    });
    harness.now = new Date(harness.now.getTime() + 6 * MINUTE);
    const swept = await sweepWebhookOutbox(harness.ctx());
    expect(swept.events).toBeGreaterThanOrEqual(1);
    expect(harness.queued.some((m) => m.body.kind === 'fanout' && m.body.event_id === eventId)).toBe(true);
    // Other files' unpublished events were swept too: leave them out of this run.
    const foreign = harness.queued.filter((m) => m.body.kind === 'fanout' && m.body.event_id !== eventId);
    for (const m of foreign) harness.queued.splice(harness.queued.indexOf(m), 1);
    // Fan-out and the first attempt (a 500); then the retry message is lost.
    await harness.runDue(endpoint.id, 2);
    const row = await deliveryOf(eventId, endpoint.id);
    expect(row).toMatchObject({ state: 'pending', attempts: 1 });
    harness.queued.length = 0;
    harness.now = new Date(harness.now.getTime() + 11 * MINUTE);
    await sweepWebhookOutbox(harness.ctx());
    await harness.runDue(endpoint.id);
    expect(await deliveryOf(eventId, endpoint.id)).toMatchObject({ state: 'delivered', attempts: 2 });
    // The sweep also publishes other files' unpublished events: count this event's deliveries only.
    const mine = (await receiver.deliveries()).filter((d) => d.webhook_id === eventId);
    expect(mine.map((d) => d.answered)).toEqual([500, 200]);
  });

  it('a duplicated delivery message makes one attempt, not two', async () => {
    const harness = new WebhookHarness();
    const { receiver, endpoint } = await subscribed(harness);
    const eventId = await recordEvent(harness.ctx(), {
      type: 'customer.kyc_approved',
      objectId: 48,
      object: { customer_id: 48 },
    });
    await publishEvent(harness.ctx(), eventId);
    await harness.runDue(endpoint.id, 1); // fan-out only
    const copies = harness.queued.filter((m) => m.body.kind === 'deliver');
    harness.queued.push(...copies.map((m) => ({ ...m })));
    await harness.runDue(endpoint.id);
    expect((await receiver.deliveries()).length).toBe(1);
    expect(await deliveryOf(eventId, endpoint.id)).toMatchObject({ state: 'delivered', attempts: 1 });
  });

  it('recordEvent rides in the state change’s transaction: a rollback leaves no event', async () => {
    const harness = new WebhookHarness();
    const ctx = harness.ctx();
    let eventId = '';
    await ctx.db
      .transaction(async (tx) => {
        eventId = await recordEvent(ctx, {
          type: 'payment.succeeded',
          objectId: 49,
          object: transaction(49),
          db: tx,
        });
        throw new Error('the guarded update found nothing to change');
      })
      .catch(() => {});
    expect(eventId).toMatch(/^evt_/);
    expect(await testDb().select().from(events).where(eq(events.id, eventId))).toEqual([]);
  });

  it('end to end through the real webhook-deliveries queue and the Worker’s queue handler (runQueue)', async () => {
    // Last in this file: the endpoints of the tests above stop receiving, so only this one gets the event.
    if (created.length > 0) {
      await testDb()
        .update(webhookEndpoints)
        .set({ enabled: false })
        .where(inArray(webhookEndpoints.id, created));
    }
    const harness = new WebhookHarness();
    const { receiver, endpoint } = await subscribed(harness, ['customer.kyc_rejected']);
    const ctx = createServiceContext({
      env,
      config: testConfig(),
      logger: createLogger({ test: 'webhooks' }, 'error'),
    });
    const eventId = await recordEvent(ctx, {
      type: 'customer.kyc_rejected',
      objectId: 50,
      object: { customer_id: 50, status: 'rejected' },
    });
    await publishEvent(ctx, eventId);
    await expect
      .poll(
        async () =>
          (await receiver.deliveries()).filter((d) => d.webhook_id === eventId && d.verified).length,
        {
          timeout: 20_000,
          interval: 250,
        },
      )
      .toBe(1);
    await expect
      .poll(async () => (await deliveryOf(eventId, endpoint.id)).state, { timeout: 10_000, interval: 250 })
      .toBe('delivered');
  }, 60_000);
});
