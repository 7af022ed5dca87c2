/**
 * Outgoing webhooks (docs/webhooks.md): the event outbox, the merchants' endpoints, one delivery per
 * (event, endpoint) and every HTTP attempt. Same conventions as src/db/schema/index.ts (DATETIME(3) UTC, no SQL
 * foreign keys, an index for every lookup); re-exported from index.ts.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  datetime,
  index,
  int,
  mediumtext,
  mysqlEnum,
  mysqlTable,
  smallint,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';

const timestamp = (name: string) => datetime(name, { mode: 'date', fsp: 3 });
const createdAt = () => timestamp('created_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`);

export const WEBHOOK_DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryState = (typeof WEBHOOK_DELIVERY_STATES)[number];

// The outbox: one row per event, written with the state change it reports. `data` is the JSON text of the
// object's API read shape (text, not a JSON column: it is signed and sent byte for byte as stored).
export const events = mysqlTable(
  'events',
  {
    id: varchar('id', { length: 40 }).primaryKey(), // evt_<ULID>
    type: varchar('type', { length: 64 }).notNull(),
    objectType: varchar('object_type', { length: 32 }).notNull(),
    objectId: varchar('object_id', { length: 64 }).notNull(),
    data: mediumtext('data').notNull(),
    createdAt: createdAt(),
    // Set once the fan-out to the endpoints' deliveries is done; NULL rows are re-enqueued by the sweep.
    dispatchedAt: timestamp('dispatched_at'),
  },
  (t) => [
    index('events_created_idx').on(t.createdAt),
    index('events_type_created_idx').on(t.type, t.createdAt),
    index('events_object_idx').on(t.objectType, t.objectId, t.createdAt),
    index('events_dispatched_idx').on(t.dispatchedAt, t.createdAt),
  ],
);

export const webhookEndpoints = mysqlTable(
  'webhook_endpoints',
  {
    id: varchar('id', { length: 40 }).primaryKey(), // we_<ULID>
    url: varchar('url', { length: 2048 }).notNull(),
    description: varchar('description', { length: 255 }).notNull().default(''),
    // A JSON list of event types, or ["*"].
    events: text('events').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    // `whsec_…` sealed with AES-256-GCM (docs/webhooks.md, "Secrets at rest"): `v1.<iv>.<ciphertext>`.
    secretSealed: varchar('secret_sealed', { length: 255 }).notNull(),
    // The first failure of the current failing streak (cleared by a success); 3 days of it disable the endpoint.
    failingSince: timestamp('failing_since'),
    disabledReason: varchar('disabled_reason', { length: 200 }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at')
      .notNull()
      .default(sql`CURRENT_TIMESTAMP(3)`)
      .$onUpdate(() => new Date()),
  },
  (t) => [index('webhook_endpoints_created_idx').on(t.createdAt)],
);

export const webhookDeliveries = mysqlTable(
  'webhook_deliveries',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    eventId: varchar('event_id', { length: 40 }).notNull(),
    endpointId: varchar('endpoint_id', { length: 40 }).notNull(),
    state: mysqlEnum('state', WEBHOOK_DELIVERY_STATES).notNull().default('pending'),
    attempts: int('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at'),
    lastAttemptAt: timestamp('last_attempt_at'),
    deliveredAt: timestamp('delivered_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_endpoint_unique').on(t.eventId, t.endpointId),
    index('webhook_deliveries_endpoint_created_idx').on(t.endpointId, t.createdAt),
    index('webhook_deliveries_state_next_idx').on(t.state, t.nextAttemptAt),
  ],
);

export const webhookAttempts = mysqlTable(
  'webhook_attempts',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    deliveryId: bigint('delivery_id', { mode: 'number', unsigned: true }).notNull(),
    endpointId: varchar('endpoint_id', { length: 40 }).notNull(),
    attempt: int('attempt').notNull(),
    // The HTTP status, or NULL when no answer came (timeout, connection refused).
    status: smallint('status'),
    durationMs: int('duration_ms').notNull(),
    // The first 1 KiB of the answer's body.
    responseBody: varchar('response_body', { length: 1024 }),
    error: varchar('error', { length: 500 }),
    createdAt: createdAt(),
  },
  (t) => [
    index('webhook_attempts_delivery_idx').on(t.deliveryId, t.attempt),
    index('webhook_attempts_endpoint_created_idx').on(t.endpointId, t.createdAt),
  ],
);
