import { and, eq, sql } from 'drizzle-orm';
import { preparedSelect, preparedStatement } from '../db/prepared';
import { events, webhookDeliveries, webhookEndpoints } from '../db/schema';

/*
 * The webhook queue consumer's statements (src/webhooks/delivery.ts), built once per isolate (src/db/prepared.ts,
 * docs/design.md "Hot statements"). The fan-out of every event reads the event and the enabled endpoints and
 * marks the event dispatched (after materialising it, src/webhooks/events.ts); it reads the event's pending
 * deliveries when an endpoint subscribes to it.
 */
export const readEvent = preparedSelect({ type: events.type, dispatchedAt: events.dispatchedAt }, (select) =>
  select
    .from(events)
    .where(eq(events.id, sql.placeholder('id')))
    .limit(1),
);
export const enabledEndpoints = preparedSelect(
  { id: webhookEndpoints.id, events: webhookEndpoints.events },
  (select) => select.from(webhookEndpoints).where(eq(webhookEndpoints.enabled, true)),
);
export const pendingDeliveries = preparedSelect(
  { id: webhookDeliveries.id, attempts: webhookDeliveries.attempts },
  (select) =>
    select
      .from(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.eventId, sql.placeholder('eventId')),
          eq(webhookDeliveries.state, 'pending'),
        ),
      ),
);
export const markDispatched = preparedStatement(
  () => sql`update ${events} set ${sql.identifier(events.dispatchedAt.name)} = ${sql.param(sql.placeholder('at'), events.dispatchedAt)}
    where ${events.id} = ${sql.placeholder('id')}`,
);
