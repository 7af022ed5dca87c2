/**
 * The queue consumers' hot statements (src/db/prepared.ts, docs/design.md "Hot statements"): the status
 * e-mail's reservation and `sent` UPDATE (src/notifications/service.ts) and the webhook fan-out's statements
 * (src/webhooks/events.ts, src/webhooks/statements.ts) read and write what the drizzle build they replaced
 * did. A write is run twice, on twin rows: once prepared, once as drizzle built it per call; the rows must
 * then be equal but for their keys and the clock.
 */
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import {
  emailEvents,
  events,
  paymentEvents,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
} from '../../src/db/schema';
import { type EmailRecord, markEmailSent, reserveEmail } from '../../src/notifications/service';
import { materialiseEvent, materialiseEventDispatched, recordEvent } from '../../src/webhooks/events';
import * as statements from '../../src/webhooks/statements';
import { createUser, testDb, uniqueName } from './helpers';
import { createPayer, insertTransaction } from './transactions-support';

async function emailRow(key: string) {
  const [row] = await testDb().select().from(emailEvents).where(eq(emailEvents.idempotencyKey, key));
  if (!row) throw new Error(`no email_events row ${key}`);
  const { id, idempotencyKey, createdAt, updatedAt, ...rest } = row;
  return { rest, createdAt, updatedAt };
}

/** The clock columns are the database's or the isolate's time of the write: recent, not equal. */
function recent(at: Date, since: number) {
  expect(at.getTime()).toBeGreaterThanOrEqual(since - 2000);
  expect(at.getTime()).toBeLessThanOrEqual(Date.now() + 2000);
}

describe("the status e-mail's statements write what drizzle wrote", () => {
  it('the reservation INSERT, its claim on a retry, and the sent UPDATE (queued, and already delivered)', async () => {
    const user = await createUser();
    const record = (key: string, userId: number | null): EmailRecord => ({
      idempotencyKey: key,
      kind: 'transaction_status',
      userId,
      recipient: user.email,
      subject: `Paiement reçu — "it's" \\ done ✓ ?`,
      provider: 'mailgun',
    });
    const since = Date.now();
    for (const userId of [user.id, null]) {
      const prepared = uniqueName('mail-p');
      const drizzle = uniqueName('mail-d');
      expect(await reserveEmail(testDb(), record(prepared, userId), 2)).toBe(true);
      // The drizzle build reserveEmail ran before.
      await testDb()
        .insert(emailEvents)
        .values({ ...record(drizzle, userId), status: 'queued', attempts: 2 });
      const [p, d] = [await emailRow(prepared), await emailRow(drizzle)];
      expect(p.rest).toEqual(d.rest);
      expect(p.rest).toMatchObject({ status: 'queued', attempts: 2, userId, sentAt: null, lastError: null });
      recent(p.createdAt, since);
      recent(p.updatedAt, since);

      // A retry of the message claims the row once; a duplicate of the same attempt does not.
      expect(await reserveEmail(testDb(), record(prepared, userId), 3)).toBe(true);
      expect(await reserveEmail(testDb(), record(prepared, userId), 3)).toBe(false);
      await testDb()
        .update(emailEvents)
        .set({ attempts: 3 })
        .where(
          and(
            eq(emailEvents.idempotencyKey, drizzle),
            eq(emailEvents.status, 'queued'),
            lt(emailEvents.attempts, 3),
          ),
        );

      const sentAt = new Date('2026-07-08T09:10:11.123Z');
      await markEmailSent(testDb(), prepared, "<20260708.1@mg.example> it's", sentAt);
      // The drizzle build markEmailSent ran before.
      await testDb()
        .update(emailEvents)
        .set({
          status: sql`case when ${emailEvents.status} = 'queued' then 'sent' else ${emailEvents.status} end`,
          providerMessageId: "<20260708.1@mg.example> it's",
          sentAt,
          lastError: null,
        })
        .where(eq(emailEvents.idempotencyKey, drizzle));
      const [ps, ds] = [await emailRow(prepared), await emailRow(drizzle)];
      expect(ps.rest).toEqual(ds.rest);
      expect(ps.rest).toMatchObject({ status: 'sent', attempts: 3, sentAt: ds.rest.sentAt });
      expect(ps.rest.sentAt?.getTime()).toBe(sentAt.getTime());
      recent(ps.updatedAt, since);
    }

    // A delivery report that arrived first: the row stays delivered, the rest is recorded.
    const key = uniqueName('mail-delivered');
    expect(await reserveEmail(testDb(), record(key, user.id), 1)).toBe(true);
    await testDb()
      .update(emailEvents)
      .set({ status: 'delivered', lastError: 'deferred once' })
      .where(eq(emailEvents.idempotencyKey, key));
    await markEmailSent(testDb(), key, null, new Date('2026-07-08T09:10:12.000Z'));
    expect((await emailRow(key)).rest).toMatchObject({
      status: 'delivered',
      providerMessageId: null,
      lastError: null,
    });
  });
});

const endpointIds: string[] = [];
afterAll(async () => {
  if (endpointIds.length > 0) {
    await testDb().delete(webhookEndpoints).where(inArray(webhookEndpoints.id, endpointIds));
  }
});

/** A stored PayMob report of the transaction carrying an outbox mark (docs/webhooks.md §2); its event id. */
async function markReport(transactionId: number, at: Date, data: object): Promise<string> {
  const eventId = uniqueName('evt_p').slice(0, 40);
  await testDb()
    .insert(paymentEvents)
    .values({
      transactionId,
      paymobTransactionId: 800_000_000 + Math.floor(Math.random() * 1e8),
      kind: 'transaction',
      source: 'processed_callback',
      type: 'TRANSACTION',
      outcome: 'applied',
      rawBody: {},
      eventId,
      eventType: 'payment.succeeded',
      eventData: JSON.stringify(data),
      eventAt: at,
    });
  return eventId;
}

describe("the webhook fan-out's statements read and write what drizzle did", () => {
  it('materialising a marked report, reading the event, marking it dispatched', async () => {
    const payer = await createPayer();
    const transactionId = await insertTransaction(payer.customerId);
    // Recent, so that a sweep another file runs meanwhile does not take these rows for lost ones.
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 345);
    const mark = () => markReport(transactionId, at, { id: transactionId, note: 'it\'s "quoted"\n\\ ✓ ?' });
    const [prepared, drizzle] = [await mark(), await mark()];
    await materialiseEvent(testDb(), prepared);
    await materialiseEvent(testDb(), prepared); // a duplicated message adds nothing
    // The drizzle build materialiseEvent ran before.
    await testDb().execute(sql`insert ignore into ${events}
      (${sql.identifier(events.id.name)}, ${sql.identifier(events.type.name)}, ${sql.identifier(events.objectType.name)},
       ${sql.identifier(events.objectId.name)}, ${sql.identifier(events.data.name)}, ${sql.identifier(events.createdAt.name)})
      select ${paymentEvents.eventId}, ${paymentEvents.eventType}, 'transaction', ${paymentEvents.transactionId},
        ${paymentEvents.eventData}, ${paymentEvents.eventAt}
      from ${paymentEvents} where ${paymentEvents.eventId} = ${drizzle}`);
    const eventRows = async (id: string) => testDb().select().from(events).where(eq(events.id, id));
    const [p] = await eventRows(prepared);
    const [d] = await eventRows(drizzle);
    expect(p && { ...p, id: '' }).toEqual(d && { ...d, id: '' });
    expect(p).toMatchObject({ type: 'payment.succeeded', objectId: String(transactionId), createdAt: at });
    expect(await eventRows(prepared)).toHaveLength(1);
    // An id never marked selects nothing.
    await materialiseEvent(testDb(), 'evt_never_marked');
    expect(await eventRows('evt_never_marked')).toEqual([]);

    const drizzleRead = (id: string) =>
      testDb()
        .select({ type: events.type, dispatchedAt: events.dispatchedAt })
        .from(events)
        .where(eq(events.id, id))
        .limit(1);
    for (const id of [prepared, 'evt_never_marked']) {
      expect(await statements.readEvent.run(testDb(), { id })).toEqual(await drizzleRead(id));
    }
    const dispatchedAt = new Date(at.getTime() + 1111);
    await statements.markDispatched.run(testDb(), { id: prepared, at: dispatchedAt });
    await testDb().update(events).set({ dispatchedAt }).where(eq(events.id, drizzle));
    const [read] = await statements.readEvent.run(testDb(), { id: prepared });
    expect(read).toEqual((await drizzleRead(drizzle))[0]);
    expect(read?.dispatchedAt).toEqual(dispatchedAt);
    expect(await statements.readEvent.run(testDb(), { id: prepared })).toEqual(await drizzleRead(prepared));
  });

  it('with nobody to deliver to: a marked report’s row written dispatched in one statement, once', async () => {
    const payer = await createPayer();
    const transactionId = await insertTransaction(payer.customerId);
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 678);
    const mark = () => markReport(transactionId, at, { id: transactionId });
    const eventRow = async (id: string) => (await testDb().select().from(events).where(eq(events.id, id)))[0];
    const first = new Date(at.getTime() + 1000);
    const later = new Date(at.getTime() + 9000);

    // No row yet: written whole, already dispatched — the same row materialise + mark would leave.
    const [fresh, twin] = [await mark(), await mark()];
    expect(await materialiseEventDispatched(testDb(), fresh, first)).toBe(true);
    await materialiseEvent(testDb(), twin);
    await statements.markDispatched.run(testDb(), { id: twin, at: first });
    const [f, t] = [await eventRow(fresh), await eventRow(twin)];
    expect(f && { ...f, id: '' }).toEqual(t && { ...t, id: '' });
    expect(f).toMatchObject({
      type: 'payment.succeeded',
      objectId: String(transactionId),
      dispatchedAt: first,
    });
    // Again (a duplicated message): the first dispatch time is kept. (Whether the unchanged row counts as
    // affected depends on the connection's CLIENT_FOUND_ROWS; the fan-out is right either way.)
    await materialiseEventDispatched(testDb(), fresh, later);
    expect((await eventRow(fresh))?.dispatchedAt).toEqual(first);

    // A row materialised before but not dispatched gets its dispatch time.
    const undispatched = await mark();
    await materialiseEvent(testDb(), undispatched);
    expect((await eventRow(undispatched))?.dispatchedAt).toBeNull();
    expect(await materialiseEventDispatched(testDb(), undispatched, first)).toBe(true);
    expect((await eventRow(undispatched))?.dispatchedAt).toEqual(first);

    // An event recordEvent wrote has no mark: nothing here; markDispatched marks it, once.
    const ctx = { now: at, db: testDb() } as unknown as Parameters<typeof recordEvent>[0];
    const recorded = await recordEvent(ctx, {
      type: 'customer.kyc_approved',
      objectId: 1,
      object: { id: 1 },
    });
    expect(await materialiseEventDispatched(testDb(), recorded, first)).toBe(false);
    expect((await eventRow(recorded))?.dispatchedAt).toBeNull();
    await statements.markDispatched.run(testDb(), { id: recorded, at: first });
    await statements.markDispatched.run(testDb(), { id: recorded, at: later });
    expect((await eventRow(recorded))?.dispatchedAt).toEqual(first);
    // An id nobody wrote: nothing.
    expect(await materialiseEventDispatched(testDb(), 'evt_never_marked_d', first)).toBe(false);
    expect(await eventRow('evt_never_marked_d')).toBeUndefined();
  });

  it('the enabled endpoints and an event’s pending deliveries', async () => {
    const endpoint = (enabled: boolean) => ({
      id: uniqueName('we_t').slice(0, 40),
      url: 'https://merchant.example/hooks?a=1',
      // Subscribed to a type no event has: other files' fan-outs running now deliver nothing to it.
      events: '["test.none","it\'s"]',
      enabled,
      secretSealed: 'v1.x.y',
    });
    const rows = [endpoint(true), endpoint(false), endpoint(true)];
    endpointIds.push(...rows.map((r) => r.id));
    await testDb().insert(webhookEndpoints).values(rows);
    const mine = (list: Array<{ id: string }>) =>
      list.filter((r) => endpointIds.includes(r.id)).sort((a, b) => a.id.localeCompare(b.id));
    const prepared = mine(await statements.enabledEndpoints.run(testDb(), {}));
    const drizzle = mine(
      await testDb()
        .select({ id: webhookEndpoints.id, events: webhookEndpoints.events })
        .from(webhookEndpoints)
        .where(eq(webhookEndpoints.enabled, true)),
    );
    expect(prepared).toEqual(drizzle);
    expect(prepared.map((r) => r.id)).toEqual([rows[0]?.id, rows[2]?.id].sort());

    const eventId = uniqueName('evt_d').slice(0, 40);
    await testDb()
      .insert(webhookDeliveries)
      .values(
        rows.map((r, i) => ({
          eventId,
          endpointId: r.id,
          state: i === 1 ? ('delivered' as const) : ('pending' as const),
          attempts: i,
        })),
      );
    const drizzlePending = await testDb()
      .select({ id: webhookDeliveries.id, attempts: webhookDeliveries.attempts })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.eventId, eventId), eq(webhookDeliveries.state, 'pending')));
    const preparedPending = await statements.pendingDeliveries.run(testDb(), { eventId });
    expect(preparedPending).toEqual(drizzlePending);
    expect(preparedPending.map((r) => r.attempts).sort()).toEqual([0, 2]);
    await testDb().delete(webhookDeliveries).where(eq(webhookDeliveries.eventId, eventId));
  });

  it("the fan-out's INSERT of deliveries, for one and for several endpoints, twice", async () => {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 321);
    const rowsOf = async (eventId: string) =>
      (await testDb().select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, eventId)))
        .map(({ id, eventId, ...rest }) => rest)
        .sort((a, b) => a.endpointId.localeCompare(b.endpointId));
    for (const count of [1, 3]) {
      const endpoints = Array.from({ length: count }, () => uniqueName('we_i').slice(0, 40));
      const [prepared, drizzle] = [uniqueName('evt_ip').slice(0, 40), uniqueName('evt_id').slice(0, 40)];
      // The drizzle build the fan-out ran before.
      const drizzleInsert = () =>
        testDb()
          .insert(webhookDeliveries)
          .values(
            endpoints.map((endpointId) => ({
              eventId: drizzle,
              endpointId,
              nextAttemptAt: at,
              createdAt: at,
            })),
          )
          .onDuplicateKeyUpdate({ set: { eventId: sql`${webhookDeliveries.eventId}` } });
      await statements.insertDeliveries(testDb(), prepared, endpoints, at);
      await drizzleInsert();
      expect(await rowsOf(prepared)).toEqual(await rowsOf(drizzle));
      expect(await rowsOf(prepared)).toHaveLength(count);
      // A repeated fan-out keeps what the deliveries have done since.
      for (const eventId of [prepared, drizzle]) {
        await testDb()
          .update(webhookDeliveries)
          .set({ attempts: 4 })
          .where(eq(webhookDeliveries.eventId, eventId));
      }
      await statements.insertDeliveries(testDb(), prepared, endpoints, new Date(at.getTime() + 5000));
      await drizzleInsert();
      expect(await rowsOf(prepared)).toEqual(await rowsOf(drizzle));
      expect((await rowsOf(prepared)).map((r) => [r.attempts, r.createdAt])).toEqual(
        endpoints.map(() => [4, at]),
      );
      await testDb()
        .delete(webhookDeliveries)
        .where(inArray(webhookDeliveries.eventId, [prepared, drizzle]));
    }
  });

  it("a delivery attempt's read, claim, record and end", async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000 + 789);
    const endpoint = {
      id: uniqueName('we_a').slice(0, 40),
      url: 'https://merchant.example/a',
      events: '["test.none"]',
      enabled: false,
      secretSealed: 'v1.a.b',
      failingSince: new Date(now.getTime() - 3600_000),
    };
    endpointIds.push(endpoint.id);
    await testDb().insert(webhookEndpoints).values(endpoint);
    const eventId = uniqueName('evt_a').slice(0, 40);
    await testDb().insert(events).values({
      id: eventId,
      type: 'payment.succeeded',
      objectType: 'transaction',
      objectId: '1',
      data: '{"note":"it\'s ✓ ?"}',
      createdAt: now,
      dispatchedAt: now,
    });
    // Twin deliveries of the event: one to the endpoint, one to an endpoint that no longer exists.
    const gone = uniqueName('we_gone').slice(0, 40);
    await testDb()
      .insert(webhookDeliveries)
      .values(
        [endpoint.id, gone].map((endpointId) => ({
          eventId,
          endpointId,
          attempts: 1,
          nextAttemptAt: now,
          createdAt: now,
        })),
      );
    const ids = (
      await testDb()
        .select({ id: webhookDeliveries.id, endpointId: webhookDeliveries.endpointId })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.eventId, eventId))
    ).sort((a, b) => (a.endpointId === endpoint.id ? -1 : b.endpointId === endpoint.id ? 1 : 0));
    const [p, d] = ids.map((r) => r.id) as [number, number];
    // The drizzle build loadDelivery ran before (the endpoint's columns the attempt uses).
    const drizzleRead = async (id: number) => {
      const [row] = await testDb()
        .select({
          delivery: {
            state: webhookDeliveries.state,
            attempts: webhookDeliveries.attempts,
            nextAttemptAt: webhookDeliveries.nextAttemptAt,
            createdAt: webhookDeliveries.createdAt,
          },
          event: { id: events.id, type: events.type, data: events.data, createdAt: events.createdAt },
          endpoint: {
            id: webhookEndpoints.id,
            url: webhookEndpoints.url,
            enabled: webhookEndpoints.enabled,
            secretSealed: webhookEndpoints.secretSealed,
            failingSince: webhookEndpoints.failingSince,
          },
        })
        .from(webhookDeliveries)
        .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
        .leftJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
        .where(eq(webhookDeliveries.id, id))
        .limit(1);
      return row;
    };
    for (const id of [p, d, 987_654_321])
      expect(await statements.deliveryOf(testDb(), id)).toEqual(await drizzleRead(id));
    expect((await statements.deliveryOf(testDb(), p))?.endpoint).toMatchObject({
      enabled: false,
      failingSince: endpoint.failingSince,
    });
    expect((await statements.deliveryOf(testDb(), d))?.endpoint).toBeNull();

    const deliveryRows = async () => {
      const rows = await testDb()
        .select()
        .from(webhookDeliveries)
        .where(inArray(webhookDeliveries.id, [p, d]));
      const byId = new Map(rows.map(({ id, endpointId, ...rest }) => [id, rest]));
      return [byId.get(p), byId.get(d)];
    };
    const leaseUntil = new Date(now.getTime() + 120_000);
    // The claim: the prepared one on p, drizzle's on d; a second claim at the old count changes nothing.
    const claim = await statements.claimAttempt.run(testDb(), {
      id: p,
      seen: 1,
      attempt: 2,
      at: now,
      leaseUntil,
    });
    expect(claim.rowsAffected).toBe(1);
    expect(
      (await statements.claimAttempt.run(testDb(), { id: p, seen: 1, attempt: 2, at: now, leaseUntil }))
        .rowsAffected,
    ).toBe(0);
    await testDb()
      .update(webhookDeliveries)
      .set({ attempts: 2, lastAttemptAt: now, nextAttemptAt: leaseUntil })
      .where(
        and(
          eq(webhookDeliveries.id, d),
          eq(webhookDeliveries.state, 'pending'),
          eq(webhookDeliveries.attempts, 1),
        ),
      );
    let [rp, rd] = await deliveryRows();
    expect(rp).toEqual(rd);
    expect(rp).toMatchObject({ attempts: 2, lastAttemptAt: now, nextAttemptAt: leaseUntil });

    const attempt = (deliveryId: number) => ({
      deliveryId,
      endpointId: endpoint.id,
      attempt: 2,
      status: 503,
      durationMs: 12,
      responseBody: '{"error":"it\'s down"}\n\\ ✓',
      error: 'HTTP 503',
      createdAt: now,
    });
    await statements.recordAttempt.run(testDb(), attempt(p));
    await statements.recordAttempt.run(testDb(), {
      ...attempt(p),
      attempt: 3,
      status: null,
      responseBody: null,
      error: null,
    });
    await testDb().insert(webhookAttempts).values(attempt(d));
    await testDb()
      .insert(webhookAttempts)
      .values({ ...attempt(d), attempt: 3, status: null, responseBody: null, error: null });
    const attemptRows = async (deliveryId: number) =>
      (
        await testDb()
          .select()
          .from(webhookAttempts)
          .where(eq(webhookAttempts.deliveryId, deliveryId))
          .orderBy(webhookAttempts.attempt)
      ).map(({ id, deliveryId, ...rest }) => rest);
    expect(await attemptRows(p)).toEqual(await attemptRows(d));
    expect(await attemptRows(p)).toHaveLength(2);

    // Each end of an attempt, prepared on p and as drizzle built it on d.
    const next = new Date(now.getTime() + 300_000);
    for (const end of [
      { nextAttemptAt: next },
      { state: 'failed' as const, nextAttemptAt: null },
      { state: 'delivered' as const, deliveredAt: now, nextAttemptAt: null },
    ]) {
      await statements.endDelivery(testDb(), p, end);
      await testDb().update(webhookDeliveries).set(end).where(eq(webhookDeliveries.id, d));
      [rp, rd] = await deliveryRows();
      expect(rp).toEqual(rd);
      expect(rp).toMatchObject(end);
    }
    await testDb()
      .delete(webhookAttempts)
      .where(inArray(webhookAttempts.deliveryId, [p, d]));
    await testDb().delete(webhookDeliveries).where(eq(webhookDeliveries.eventId, eventId));
  });
});
