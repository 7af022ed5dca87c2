import { asc, desc, eq, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/mysql-core';
import type { Database } from '../../db/client';
import { events, webhookAttempts, webhookDeliveries, webhookEndpoints } from '../../db/schema';
import { EVENT_TYPES, type EventType, OBJECT_TYPES } from '../../webhooks/schemas';
import { eventBody, subscribedTypes } from '../../webhooks/view';
import { type ListResult, member, type PageWindow, pageOf, total, whereAll } from '../common/queries';

/**
 * Read-only queries of the webhooks section (docs/webhooks.md, "Admin"): endpoints with their latest attempt,
 * an endpoint's attempts, the events and one event's deliveries. Writes go through src/webhooks/ services.
 */

export const parseEventType = (value: string | undefined): EventType | undefined =>
  member(value, EVENT_TYPES);
export const parseObjectType = (value: string | undefined) => member(value, OBJECT_TYPES);

/** An attempt's outcome as the pages show it. */
export interface AttemptOutcome {
  at: Date;
  status: number | null;
  error: string | null;
}

export interface EndpointRow {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
  lastAttempt: AttemptOutcome | null;
}

const lastAttempt = alias(webhookAttempts, 'last_attempt');
const a2 = alias(webhookAttempts, 'a2');

const endpointColumns = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  description: webhookEndpoints.description,
  events: webhookEndpoints.events,
  enabled: webhookEndpoints.enabled,
  disabledReason: webhookEndpoints.disabledReason,
  failingSince: webhookEndpoints.failingSince,
  createdAt: webhookEndpoints.createdAt,
  updatedAt: webhookEndpoints.updatedAt,
  lastAt: lastAttempt.createdAt,
  lastStatus: lastAttempt.status,
  lastError: lastAttempt.error,
};

type SelectedEndpoint = Omit<Awaited<ReturnType<typeof endpointsQuery>>[number], 'total'>;

function toEndpointRow({
  lastAt,
  lastStatus,
  lastError,
  events: stored,
  ...rest
}: SelectedEndpoint): EndpointRow {
  return {
    ...rest,
    events: subscribedTypes(stored),
    lastAttempt: lastAt ? { at: lastAt, status: lastStatus, error: lastError } : null,
  };
}

/** Endpoints with their latest attempt (one index lookup per endpoint: endpoint_id, created_at). */
function endpointsQuery(db: Database) {
  const latestId = db
    .select({ id: a2.id })
    .from(a2)
    .where(eq(a2.endpointId, webhookEndpoints.id))
    .orderBy(desc(a2.createdAt), desc(a2.id))
    .limit(1);
  return db
    .select({ ...endpointColumns, total })
    .from(webhookEndpoints)
    .leftJoin(lastAttempt, eq(lastAttempt.id, sql`(${latestId})`));
}

export async function listEndpointRows(
  db: Database,
  filters: { enabled?: boolean },
  window: PageWindow,
): Promise<ListResult<EndpointRow>> {
  const conditions: SQL[] = [];
  if (filters.enabled !== undefined) conditions.push(eq(webhookEndpoints.enabled, filters.enabled));
  const result = await pageOf(
    endpointsQuery(db)
      .where(whereAll(conditions))
      .orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id))
      .$dynamic(),
    window,
  );
  return { total: result.total, rows: result.rows.map(toEndpointRow) };
}

export async function endpointRow(db: Database, id: string): Promise<EndpointRow | undefined> {
  const [row] = await endpointsQuery(db).where(eq(webhookEndpoints.id, id)).limit(1);
  return row ? toEndpointRow(row) : undefined;
}

/** Every endpoint, for the event page's "send to" choice. */
export async function endpointChoices(db: Database) {
  return db
    .select({ id: webhookEndpoints.id, url: webhookEndpoints.url, enabled: webhookEndpoints.enabled })
    .from(webhookEndpoints)
    .orderBy(asc(webhookEndpoints.url), asc(webhookEndpoints.id))
    .limit(200);
}

export interface AttemptRow {
  id: number;
  createdAt: Date;
  attempt: number;
  status: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
  eventId: string;
  eventType: string;
  endpointId: string;
}

const attemptColumns = {
  id: webhookAttempts.id,
  createdAt: webhookAttempts.createdAt,
  attempt: webhookAttempts.attempt,
  status: webhookAttempts.status,
  durationMs: webhookAttempts.durationMs,
  responseBody: webhookAttempts.responseBody,
  error: webhookAttempts.error,
  eventId: events.id,
  eventType: events.type,
  endpointId: webhookAttempts.endpointId,
};

/** One endpoint's attempts, newest first. */
export async function endpointAttempts(
  db: Database,
  endpointId: string,
  window: PageWindow,
): Promise<ListResult<AttemptRow>> {
  return pageOf(
    db
      .select({ ...attemptColumns, total })
      .from(webhookAttempts)
      .innerJoin(webhookDeliveries, eq(webhookDeliveries.id, webhookAttempts.deliveryId))
      .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
      .where(eq(webhookAttempts.endpointId, endpointId))
      .orderBy(desc(webhookAttempts.createdAt), desc(webhookAttempts.id))
      .$dynamic(),
    window,
  );
}

export interface EventFilters {
  type?: EventType;
  objectType?: (typeof OBJECT_TYPES)[number];
  objectId?: string;
}

export interface EventRow {
  id: string;
  type: string;
  objectType: string;
  objectId: string;
  createdAt: Date;
  dispatchedAt: Date | null;
}

const eventColumns = {
  id: events.id,
  type: events.type,
  objectType: events.objectType,
  objectId: events.objectId,
  createdAt: events.createdAt,
  dispatchedAt: events.dispatchedAt,
};

/** The events, newest first (the indexes of GET /api/v1/events/: type, object, created). */
export async function listEventRows(
  db: Database,
  filters: EventFilters,
  window: PageWindow,
): Promise<ListResult<EventRow>> {
  const conditions: SQL[] = [];
  if (filters.type) conditions.push(eq(events.type, filters.type));
  if (filters.objectType) conditions.push(eq(events.objectType, filters.objectType));
  if (filters.objectType && filters.objectId) conditions.push(eq(events.objectId, filters.objectId));
  return pageOf(
    db
      .select({ ...eventColumns, total })
      .from(events)
      .where(whereAll(conditions))
      .orderBy(desc(events.createdAt), desc(events.id))
      .$dynamic(),
    window,
  );
}

export interface DeliveryRow {
  id: number;
  endpointId: string;
  /** NULL when the endpoint was deleted since. */
  url: string | null;
  endpointEnabled: boolean | null;
  state: string;
  attempts: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

export interface EventDetail extends EventRow {
  /** The body exactly as delivered (src/webhooks/view.ts). */
  body: string;
  deliveries: DeliveryRow[];
  attempts: AttemptRow[];
}

const EVENT_ATTEMPTS_SHOWN = 100;

/** One event with its deliveries (one per endpoint) and their attempts. Three queries. */
export async function eventDetail(db: Database, id: string): Promise<EventDetail | undefined> {
  const [[event], deliveries, attempts] = await Promise.all([
    db
      .select({ ...eventColumns, data: events.data })
      .from(events)
      .where(eq(events.id, id))
      .limit(1),
    db
      .select({
        id: webhookDeliveries.id,
        endpointId: webhookDeliveries.endpointId,
        url: webhookEndpoints.url,
        endpointEnabled: webhookEndpoints.enabled,
        state: webhookDeliveries.state,
        attempts: webhookDeliveries.attempts,
        nextAttemptAt: webhookDeliveries.nextAttemptAt,
        lastAttemptAt: webhookDeliveries.lastAttemptAt,
        deliveredAt: webhookDeliveries.deliveredAt,
        createdAt: webhookDeliveries.createdAt,
      })
      .from(webhookDeliveries)
      .leftJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(eq(webhookDeliveries.eventId, id))
      .orderBy(asc(webhookDeliveries.id)),
    db
      .select(attemptColumns)
      .from(webhookAttempts)
      .innerJoin(webhookDeliveries, eq(webhookDeliveries.id, webhookAttempts.deliveryId))
      .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
      .where(eq(webhookDeliveries.eventId, id))
      .orderBy(desc(webhookAttempts.createdAt), desc(webhookAttempts.id))
      .limit(EVENT_ATTEMPTS_SHOWN),
  ]);
  if (!event) return undefined;
  const { data, ...rest } = event;
  return { ...rest, body: eventBody({ ...rest, data }), deliveries, attempts };
}
