import type { events, webhookEndpoints } from '../db/schema';
import type { EventView, WebhookEndpointView } from './schemas';

/** The endpoint's `events` column (a JSON list) as a list; a damaged value subscribes to nothing. */
export function subscribedTypes(stored: string): string[] {
  try {
    const parsed: unknown = JSON.parse(stored);
    return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

export function toEndpointView(row: typeof webhookEndpoints.$inferSelect): WebhookEndpointView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: subscribedTypes(row.events),
    enabled: row.enabled,
    disabled_reason: row.disabledReason,
    failing_since: row.failingSince?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

type EventRow = Pick<typeof events.$inferSelect, 'id' | 'type' | 'data' | 'createdAt'>;

/**
 * The event body exactly as delivered and listed: `{id, type, created_at, data: {object}}` (docs/webhooks.md).
 * Built as text around the stored `data` so every delivery of an event signs the same bytes.
 */
export function eventBody(row: EventRow): string {
  return `{"id":${JSON.stringify(row.id)},"type":${JSON.stringify(row.type)},"created_at":${JSON.stringify(
    row.createdAt.toISOString(),
  )},"data":{"object":${row.data}}}`;
}

export function toEventView(row: EventRow): EventView {
  return JSON.parse(eventBody(row)) as EventView;
}
