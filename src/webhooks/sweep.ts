import { and, asc, eq, gte, isNotNull, isNull, lt } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { events, paymentEvents, webhookDeliveries } from '../db/schema';
import { enqueueDeliveries } from './delivery';
import type { WebhookMessage } from './events';

/**
 * The outbox sweep (docs/webhooks.md, "Recovery"), every ten minutes: an event whose publish was lost (the
 * Worker stopped between commit and queue send, or the queue refused) is published again, and a pending
 * delivery whose message was lost (its attempt time long past) is enqueued again. An outbox mark on a
 * `payment_events` row whose `events` row was never materialised (the Worker stopped between the guarded
 * update and the queue send, docs/webhooks.md §2) is published again too: its fan-out materialises it.
 * Duplicates are harmless: fan-out is idempotent and a delivery message names the attempt it is for.
 */
const GRACE_MS = 5 * 60_000;
const BATCH = 100;
// Outbox marks are looked for this far back (by their index on `event_at`): the sweep runs every ten minutes,
// so a mark whose message was lost is found hundreds of times before it leaves the window.
const MARK_WINDOW_MS = 3 * 24 * 60 * 60_000;

export async function sweepWebhookOutbox(
  ctx: ServiceContext,
): Promise<{ events: number; deliveries: number; marks: number }> {
  const before = new Date(ctx.now.getTime() - GRACE_MS);
  const [lostEvents, lostDeliveries, lostMarks] = await Promise.all([
    ctx.db
      .select({ id: events.id })
      .from(events)
      .where(and(isNull(events.dispatchedAt), lt(events.createdAt, before)))
      .orderBy(asc(events.createdAt))
      .limit(BATCH),
    ctx.db
      .select({ id: webhookDeliveries.id, attempts: webhookDeliveries.attempts })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.state, 'pending'), lt(webhookDeliveries.nextAttemptAt, before)))
      .orderBy(asc(webhookDeliveries.nextAttemptAt))
      .limit(BATCH),
    ctx.db
      .select({ id: paymentEvents.eventId })
      .from(paymentEvents)
      .leftJoin(events, eq(events.id, paymentEvents.eventId))
      .where(
        and(
          isNotNull(paymentEvents.eventId),
          gte(paymentEvents.eventAt, new Date(ctx.now.getTime() - MARK_WINDOW_MS)),
          lt(paymentEvents.eventAt, before),
          isNull(events.id),
        ),
      )
      .orderBy(asc(paymentEvents.eventAt))
      .limit(BATCH),
  ]);
  const toPublish = [...lostEvents.map((e) => e.id), ...lostMarks.flatMap((m) => (m.id ? [m.id] : []))];
  if (toPublish.length > 0) {
    await ctx.env.WEBHOOK_DELIVERIES.sendBatch(
      toPublish.map((id) => ({
        body: { kind: 'fanout', event_id: id } satisfies WebhookMessage,
        contentType: 'json' as const,
      })),
    );
  }
  await enqueueDeliveries(
    ctx,
    lostDeliveries.map((d) => ({ id: d.id, attempt: d.attempts + 1, at: ctx.now })),
  );
  return { events: lostEvents.length, deliveries: lostDeliveries.length, marks: lostMarks.length };
}
