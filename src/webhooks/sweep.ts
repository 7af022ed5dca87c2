import { and, asc, eq, isNull, lt } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { events, webhookDeliveries } from '../db/schema';
import { enqueueDeliveries } from './delivery';
import type { WebhookMessage } from './events';

/**
 * The outbox sweep (docs/webhooks.md, "Recovery"), every ten minutes: an event whose publish was lost (the
 * Worker stopped between commit and queue send, or the queue refused) is published again, and a pending
 * delivery whose message was lost (its attempt time long past) is enqueued again. Duplicates are harmless:
 * fan-out is idempotent and a delivery message names the attempt it is for.
 */
const GRACE_MS = 5 * 60_000;
const BATCH = 100;

export async function sweepWebhookOutbox(
  ctx: ServiceContext,
): Promise<{ events: number; deliveries: number }> {
  const before = new Date(ctx.now.getTime() - GRACE_MS);
  const [lostEvents, lostDeliveries] = await Promise.all([
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
  ]);
  if (lostEvents.length > 0) {
    await ctx.env.WEBHOOK_DELIVERIES.sendBatch(
      lostEvents.map((e) => ({
        body: { kind: 'fanout', event_id: e.id } satisfies WebhookMessage,
        contentType: 'json' as const,
      })),
    );
  }
  await enqueueDeliveries(
    ctx,
    lostDeliveries.map((d) => ({ id: d.id, attempt: d.attempts + 1, at: ctx.now })),
  );
  return { events: lostEvents.length, deliveries: lostDeliveries.length };
}
