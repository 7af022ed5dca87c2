import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import {
  assign,
  bound,
  preparedInsert,
  preparedSelect,
  preparedShapes,
  preparedStatement,
} from '../db/prepared';
import { events, webhookAttempts, webhookDeliveries, webhookEndpoints } from '../db/schema';

/*
 * The webhook queue consumer's statements (src/webhooks/delivery.ts), built once per isolate (src/db/prepared.ts,
 * docs/design.md "Hot statements"). The fan-out of every event reads the enabled endpoints; with none, it writes
 * the event dispatched in one statement (src/webhooks/events.ts, materialiseEventDispatched). Otherwise it
 * materialises and reads the event and marks it dispatched; when an endpoint subscribes to it, it also inserts
 * the deliveries and reads the pending ones.
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
/**
 * One delivery per target endpoint, keeping a delivery that exists (the (event, endpoint) key is unique): one
 * statement per number of targets, built once (`endpoint0`, `endpoint1`, … name the targets).
 */
const insertDeliveryRows = preparedShapes(8, (count) =>
  preparedStatement(() => {
    const column = (c: { name: string }) => sql.identifier(c.name);
    const rows = Array.from(
      { length: Number(count) },
      (_, i) => sql`(${sql.placeholder('eventId')}, ${sql.placeholder(`endpoint${i}`)},
        ${bound('at', webhookDeliveries.nextAttemptAt)}, ${bound('at', webhookDeliveries.createdAt)})`,
    );
    return sql`insert into ${webhookDeliveries} (${column(webhookDeliveries.eventId)}, ${column(webhookDeliveries.endpointId)},
        ${column(webhookDeliveries.nextAttemptAt)}, ${column(webhookDeliveries.createdAt)})
      values ${sql.join(rows, sql`, `)}
      on duplicate key update ${column(webhookDeliveries.eventId)} = ${webhookDeliveries.eventId}`;
  }),
);

export async function insertDeliveries(
  db: Database,
  eventId: string,
  endpointIds: readonly string[],
  at: Date,
): Promise<void> {
  if (endpointIds.length === 0) return;
  const targets = Object.fromEntries(endpointIds.map((id, i) => [`endpoint${i}`, id]));
  await insertDeliveryRows(String(endpointIds.length)).run(db, { ...targets, eventId, at });
}

/** Marks an event dispatched, once: a repeated fan-out keeps the first time. */
export const markDispatched = preparedStatement(
  () =>
    sql`update ${events} set ${assign(events.dispatchedAt, 'at')}
      where ${events.id} = ${sql.placeholder('id')} and ${events.dispatchedAt} is null`,
);

/*
 * Every delivery attempt reads its delivery with its event and endpoint, claims the attempt, records it and
 * finishes the delivery (delivered, next attempt, or failed). The read is flat here (prepared selects map
 * columns, not nested objects); `deliveryOf` gives it the shape drizzle's nested select gave.
 */
const deliveryRow = preparedSelect(
  {
    state: webhookDeliveries.state,
    attempts: webhookDeliveries.attempts,
    nextAttemptAt: webhookDeliveries.nextAttemptAt,
    createdAt: webhookDeliveries.createdAt,
    eventId: events.id,
    eventType: events.type,
    eventData: events.data,
    eventCreatedAt: events.createdAt,
    endpointId: webhookEndpoints.id,
    endpointUrl: webhookEndpoints.url,
    endpointEnabled: webhookEndpoints.enabled,
    endpointSecretSealed: webhookEndpoints.secretSealed,
    endpointFailingSince: webhookEndpoints.failingSince,
  },
  (select) =>
    select
      .from(webhookDeliveries)
      .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
      .leftJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(eq(webhookDeliveries.id, sql.placeholder('id')))
      .limit(1),
);

export interface DeliveryRow {
  delivery: Pick<typeof webhookDeliveries.$inferSelect, 'state' | 'attempts' | 'nextAttemptAt' | 'createdAt'>;
  event: Pick<typeof events.$inferSelect, 'id' | 'type' | 'data' | 'createdAt'>;
  /** Null when the endpoint was deleted. */
  endpoint: Pick<
    typeof webhookEndpoints.$inferSelect,
    'id' | 'url' | 'enabled' | 'secretSealed' | 'failingSince'
  > | null;
}

/** A delivery with its event and endpoint (undefined when the delivery or its event does not exist). */
export async function deliveryOf(db: Database, deliveryId: number): Promise<DeliveryRow | undefined> {
  const [row] = await deliveryRow.run(db, { id: deliveryId });
  if (!row) return undefined;
  const { state, attempts, nextAttemptAt, createdAt } = row;
  return {
    delivery: { state, attempts, nextAttemptAt, createdAt },
    event: { id: row.eventId, type: row.eventType, data: row.eventData, createdAt: row.eventCreatedAt },
    // The columns are NOT NULL: with an endpoint row every one is set, without it every one is null.
    endpoint:
      row.endpointId === null
        ? null
        : {
            id: row.endpointId,
            url: row.endpointUrl as string,
            enabled: row.endpointEnabled as boolean,
            secretSealed: row.endpointSecretSealed as string,
            failingSince: row.endpointFailingSince,
          },
  };
}

/** Claims attempt `attempt`: only while the delivery is pending at the count the reader saw. */
export const claimAttempt = preparedStatement(
  () => sql`update ${webhookDeliveries} set ${assign(webhookDeliveries.attempts, 'attempt')},
      ${assign(webhookDeliveries.lastAttemptAt, 'at')}, ${assign(webhookDeliveries.nextAttemptAt, 'leaseUntil')}
    where ${webhookDeliveries.id} = ${sql.placeholder('id')} and ${webhookDeliveries.state} = 'pending'
      and ${webhookDeliveries.attempts} = ${sql.placeholder('seen')}`,
);

export const recordAttempt = preparedInsert(webhookAttempts, [
  'deliveryId',
  'endpointId',
  'attempt',
  'status',
  'durationMs',
  'responseBody',
  'error',
  'createdAt',
]);

/** What an attempt's end sets on its delivery. */
export type DeliveryEnd =
  | { state: 'delivered'; deliveredAt: Date; nextAttemptAt: null }
  | { nextAttemptAt: Date }
  | { state: 'failed'; nextAttemptAt: null };

const endStatement = preparedShapes(4, (shape) =>
  preparedStatement(() => {
    const assignments = shape
      .split(',')
      .map((key) => assign(webhookDeliveries[key as 'state' | 'deliveredAt' | 'nextAttemptAt'], key));
    return sql`update ${webhookDeliveries} set ${sql.join(assignments, sql`, `)}
      where ${webhookDeliveries.id} = ${sql.placeholder('id')}`;
  }),
);

/** Sets the attempt's outcome on the delivery (one statement per set of columns, built once). */
export async function endDelivery(db: Database, deliveryId: number, end: DeliveryEnd): Promise<void> {
  await endStatement(Object.keys(end).join(',')).run(db, { ...end, id: deliveryId });
}
