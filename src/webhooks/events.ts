import { and, type Column, count, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import type { Database } from '../db/client';
import { bound, preparedStatement } from '../db/prepared';
import { events, paymentEvents, transactions } from '../db/schema';
import { ulid } from '../lib/crypto';
import { validationError } from '../lib/errors';
import { type Page, pageRequest, pageResponse } from '../lib/pagination';
import { EVENT_TYPES, type EventListQuery, type EventType, type EventView, OBJECT_TYPES } from './schemas';
import { toEventView } from './view';

/**
 * The event outbox (docs/webhooks.md §2). Two ways to record an event atomically with its state change:
 *
 * - A change that applies a stored PayMob report (a `payment_events` row) marks that row in the same guarded
 *   multi-table UPDATE that changes the transaction (`eventMark` + `markAssignments`): no extra round trip.
 *   The `events` row is materialised from the mark later (`materialiseEvent`, by the queue consumer's
 *   fan-out, or the sweep for a mark whose message was lost).
 * - Any other change writes the `events` row itself with `recordEvent`, inside its database transaction.
 *
 * Either way the id is then published (`publishEvent`, a queue send after the response) and the consumer
 * fans it out to the endpoints. A lost publish is found by the sweep (src/webhooks/sweep.ts).
 */

/** A database handle or the transaction handle of `db.transaction(async (tx) => …)`. */
export type EventWriter = Pick<Database, 'insert'>;

/** Messages on the `webhook-deliveries` queue. */
export type WebhookMessage =
  | { kind: 'fanout'; event_id: string }
  | { kind: 'deliver'; delivery_id: number; attempt: number };

export interface RecordEventInput {
  type: EventType;
  /** The object's id (a transaction's or a customer's). */
  objectId: string | number;
  /** The object's API read shape, e.g. `toTransactionView(row)`: becomes `data.object`. */
  object: unknown;
  /** Where to write: the state change's transaction (`tx`). Defaults to `ctx.db` (its own statement). */
  db?: EventWriter;
}

const objectTypeOf = (type: EventType) =>
  type.startsWith('payment.')
    ? 'transaction'
    : type.startsWith('payment_link.')
      ? 'payment_link'
      : 'customer';

/** A new event id: `evt_` + a ULID of the change's time. */
export const newEventId = (now: Date) => `evt_${ulid(now.getTime())}`;

/** The outbox mark a guarded update writes on the `payment_events` row of the report it applies. */
export interface EventMark {
  /** The report's row: its unique (PayMob transaction id, kind). */
  paymobTransactionId: number;
  kind: string;
  eventId: string;
  type: EventType;
  /** JSON text of `data.object`, as of the change. */
  data: string;
  at: Date;
}

export function eventMark(
  ctx: ServiceContext,
  report: { paymobTransactionId: number; kind: string },
  type: EventType,
  object: unknown,
): EventMark {
  return { ...report, eventId: newEventId(ctx.now), type, data: JSON.stringify(object ?? null), at: ctx.now };
}

/** `SET` assignments of the mark, for the multi-table UPDATE of `transactions` that joins the report's row. */
export function markAssignments(mark: EventMark): SQL {
  // The report's transaction too: a report stored before its transaction was known names it now.
  return sql`${paymentEvents.eventId} = ${mark.eventId}, ${paymentEvents.eventType} = ${mark.type},
    ${paymentEvents.transactionId} = ${transactions.id},
    ${paymentEvents.eventData} = ${mark.data}, ${paymentEvents.eventAt} = ${sql.param(mark.at, paymentEvents.eventAt)}`;
}

/** The join condition naming the report's row (`payment_events` by its unique key). */
export function markJoin(mark: EventMark): SQL {
  return sql`${paymentEvents.paymobTransactionId} = ${mark.paymobTransactionId} and ${paymentEvents.kind} = ${mark.kind}`;
}

/**
 * The `INSERT … SELECT` that copies a marked report's event into `events` (docs/webhooks.md §2), keyed on the
 * event id; an id that was never marked (or was recorded with `recordEvent`) selects nothing.
 * - Plain (`dispatched` false): `INSERT IGNORE`, so repeating it (a duplicated message, the sweep) adds nothing.
 * - `dispatched`: for a fan-out with nobody to deliver to (no enabled endpoint), the row is written already
 *   dispatched at the `at` placeholder, and a row written before gets that time unless it has one: one
 *   statement instead of materialise, read and mark (docs/webhooks.md §3).
 */
function copyMarkedEvent(dispatched: boolean): SQL {
  const at = bound('at', events.dispatchedAt);
  const columns: Column[] = [
    events.id,
    events.type,
    events.objectType,
    events.objectId,
    events.data,
    events.createdAt,
  ];
  if (dispatched) columns.push(events.dispatchedAt);
  const select = sql`select ${paymentEvents.eventId}, ${paymentEvents.eventType}, 'transaction',
      ${paymentEvents.transactionId}, ${paymentEvents.eventData}, ${paymentEvents.eventAt}${dispatched ? sql`, ${at}` : sql``}
    from ${paymentEvents} where ${paymentEvents.eventId} = ${sql.placeholder('eventId')}`;
  const into = sql`into ${events} (${sql.join(
    columns.map((column) => sql.identifier(column.name)),
    sql`, `,
  )}) ${select}`;
  return dispatched
    ? sql`insert ${into} on duplicate key update ${sql.identifier(events.dispatchedAt.name)} = coalesce(${events.dispatchedAt}, ${at})`
    : sql`insert ignore ${into}`;
}

// Built once per isolate (src/db/prepared.ts): every fan-out runs one of them.
const materialise = preparedStatement(() => copyMarkedEvent(false));
const materialiseDispatched = preparedStatement(() => copyMarkedEvent(true));

export async function materialiseEvent(db: Database, eventId: string): Promise<void> {
  await materialise.run(db, { eventId });
}

/**
 * Writes a marked report's `events` row as dispatched (copyMarkedEvent). False when no report carries
 * that id (an event `recordEvent` wrote, or none): the caller then marks the row itself. A row dispatched
 * already is left as it is and may answer either way (MySQL counts an unchanged row as affected only with
 * CLIENT_FOUND_ROWS), after which the caller's mark, guarded on `dispatched_at IS NULL`, changes nothing.
 */
export async function materialiseEventDispatched(db: Database, eventId: string, at: Date): Promise<boolean> {
  const written = await materialiseDispatched.run(db, { eventId, at });
  return written.rowsAffected > 0;
}

/**
 * Writes the event row: one INSERT, no read. Call it inside the transaction of the state change, after the
 * guarded update reported a changed row, then `await publishEvent(ctx, id)` once the transaction committed.
 * Returns the event id (`evt_…`).
 */
export async function recordEvent(ctx: ServiceContext, input: RecordEventInput): Promise<string> {
  const id = newEventId(ctx.now);
  await (input.db ?? ctx.db).insert(events).values({
    id,
    type: input.type,
    objectType: objectTypeOf(input.type),
    objectId: String(input.objectId),
    // Text, not a JSON column: JSON.stringify escapes lone surrogates, so any object stores and signs as is.
    data: JSON.stringify(input.object ?? null),
    createdAt: ctx.now,
  });
  return id;
}

/**
 * Hands a committed event to the queue for fan-out, after the response when there is one (`ctx.defer`):
 * a queue failure is logged and left to the sweep, never the caller's error.
 */
export async function publishEvent(ctx: ServiceContext, eventId: string): Promise<void> {
  const message: WebhookMessage = { kind: 'fanout', event_id: eventId };
  await ctx.defer(ctx.env.WEBHOOK_DELIVERIES.send(message, { contentType: 'json' }));
}

function eventFilters(query: EventListQuery): SQL[] {
  const errors: Record<string, string[]> = {};
  const conditions: SQL[] = [];
  if (query.type !== undefined) {
    if ((EVENT_TYPES as readonly string[]).includes(query.type)) {
      conditions.push(eq(events.type, query.type));
    } else errors.type = [`"${query.type.slice(0, 64)}" is not a valid event type.`];
  }
  if (query.object_type !== undefined) {
    if ((OBJECT_TYPES as readonly string[]).includes(query.object_type)) {
      conditions.push(eq(events.objectType, query.object_type));
    } else errors.object_type = [`"${query.object_type.slice(0, 64)}" is not a valid object type.`];
  }
  if (query.object_id !== undefined) {
    if (query.object_type === undefined) errors.object_id = ['Give object_type with object_id.'];
    else if (!/^[A-Za-z0-9_]{1,64}$/.test(query.object_id)) errors.object_id = ['Enter a valid object id.'];
    else conditions.push(eq(events.objectId, query.object_id));
  }
  if (Object.keys(errors).length > 0) throw validationError(errors);
  return conditions;
}

/** Staff: the events, newest first, paginated (docs/api.md §1), filtered by type and object. */
export async function listEvents(
  ctx: ServiceContext,
  input: EventListQuery & { url: string },
): Promise<Page<EventView>> {
  const where = and(...eventFilters(input));
  const request = pageRequest(input);
  const [[total], rows] = await Promise.all([
    ctx.db.select({ n: count() }).from(events).where(where),
    ctx.db
      .select({ id: events.id, type: events.type, data: events.data, createdAt: events.createdAt })
      .from(events)
      .where(where)
      .orderBy(desc(events.createdAt), desc(events.id))
      .limit(request.pageSize)
      .offset(request.offset),
  ]);
  return pageResponse(input.url, request, total?.n ?? 0, rows.map(toEventView));
}
