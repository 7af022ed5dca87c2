import { and, eq, ne } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { writeAudit } from '../db/audit';
import { isDuplicateKey } from '../db/client';
import { events, webhookDeliveries, webhookEndpoints } from '../db/schema';
import { conflict, notFound } from '../lib/errors';
import { enqueueDeliveries } from './delivery';
import { ENDPOINT_ID, EVENT_ID } from './schemas';

/**
 * ADMIN resends one event to one endpoint (docs/webhooks.md, "Admin"): a new series of attempts on Stripe's
 * schedule, each with the SAME `webhook-id` (the event id), so a receiver that already handled the event
 * de-duplicates it (Standard Webhooks, spec/standard-webhooks.md, "Webhook identifier"). The (event, endpoint)
 * delivery is reused: its attempt count restarts and its `created_at` becomes the start of the new series
 * (the three-day retry window counts from there); the earlier attempts stay in `webhook_attempts`. When the
 * endpoint never had a delivery of the event (created later, or not subscribed to the type), one is created.
 */

export interface ResendInput {
  eventId: string;
  endpointId: string;
}

export interface ResendResult {
  deliveryId: number;
}

export async function resendEvent(ctx: ServiceContext, input: ResendInput): Promise<ResendResult> {
  if (!EVENT_ID.test(input.eventId)) throw notFound('No such event.');
  if (!ENDPOINT_ID.test(input.endpointId)) throw notFound('No such webhook endpoint.');
  const [[event], [endpoint]] = await Promise.all([
    ctx.db.select({ id: events.id, type: events.type }).from(events).where(eq(events.id, input.eventId)),
    ctx.db
      .select({ id: webhookEndpoints.id, enabled: webhookEndpoints.enabled })
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, input.endpointId)),
  ]);
  if (!event) throw notFound('No such event.');
  if (!endpoint) throw notFound('No such webhook endpoint.');
  // A disabled endpoint's deliveries end as failed at once (src/webhooks/delivery.ts): enable it first.
  if (!endpoint.enabled) {
    throw conflict('webhook_endpoint_disabled', 'This endpoint is disabled: enable it, then resend.');
  }

  const deliveryId = await ctx.db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.eventId, event.id), eq(webhookDeliveries.endpointId, endpoint.id)));
    let id: number;
    if (existing) {
      // Guarded: a delivery still pending has its own series under way (and a message in the queue).
      const restarted = await tx
        .update(webhookDeliveries)
        .set({ state: 'pending', attempts: 0, nextAttemptAt: ctx.now, deliveredAt: null, createdAt: ctx.now })
        .where(and(eq(webhookDeliveries.id, existing.id), ne(webhookDeliveries.state, 'pending')));
      if (restarted.rowsAffected !== 1) throw inProgress();
      id = existing.id;
    } else {
      const inserted = await tx
        .insert(webhookDeliveries)
        .values({ eventId: event.id, endpointId: endpoint.id, nextAttemptAt: ctx.now, createdAt: ctx.now })
        .catch((err: unknown) => {
          // The fan-out (or another resend) created it meanwhile: that series is under way.
          throw isDuplicateKey(err) ? inProgress() : err;
        });
      id = Number(inserted.insertId);
    }
    await writeAudit(tx, {
      actorUserId: ctx.actor?.id ?? null,
      action: 'webhook.resend',
      targetType: 'event',
      targetId: event.id,
      details: { endpoint_id: endpoint.id, event_type: event.type, delivery_id: id },
      requestId: ctx.requestId,
      createdAt: ctx.now,
    });
    return id;
  });
  // After the commit. A lost message is re-enqueued by the sweep (the delivery is pending and overdue).
  await enqueueDeliveries(ctx, [{ id: deliveryId, attempt: 1, at: ctx.now }]);
  ctx.logger.info('webhook event resent', { event_id: event.id, endpoint_id: endpoint.id });
  return { deliveryId };
}

const inProgress = () =>
  conflict(
    'webhook_delivery_in_progress',
    'This event is still being delivered to this endpoint (its retries are under way): nothing was resent.',
  );
