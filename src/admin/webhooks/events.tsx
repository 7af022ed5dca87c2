import { EVENT_TYPES, OBJECT_TYPES } from '../../webhooks/schemas';
import { Badge, CsrfField, choices, Empty, Select, TextInput, Time } from '../common/components';
import { Layout, type PageContext, PageHead } from '../common/layout';
import { type Column, DataTable, ListPage } from '../common/list';
import type { ListResult } from '../common/queries';
import type { DeliveryRow, EventDetail, EventFilters, EventRow } from './queries';
import { attemptColumns } from './views';

/** The events pages of the webhooks section (docs/webhooks.md, "Admin"): the outbox and one event's deliveries. */

/** Where the event's object has an admin page. */
function objectHref(objectType: string, objectId: string): string | undefined {
  if (!/^\d+$/.test(objectId)) return undefined;
  if (objectType === 'transaction') return `/admin/transactions/${objectId}`;
  if (objectType === 'customer') return `/admin/customers/${objectId}`;
  if (objectType === 'payment_link') return `/admin/payment-links/${objectId}`;
  return undefined;
}

function ObjectLink({ event }: { event: Pick<EventRow, 'objectType' | 'objectId'> }) {
  const href = objectHref(event.objectType, event.objectId);
  const label = `${event.objectType} #${event.objectId}`;
  return href ? <a href={href}>{label}</a> : <span>{label}</span>;
}

export interface EventsPageProps {
  ctx: PageContext;
  url: URL;
  filters: EventFilters;
  result: ListResult<EventRow>;
  page: number;
  pageSize: number;
}

export function EventsPage({ ctx, url, filters, result, page, pageSize }: EventsPageProps) {
  const columns: Column<EventRow>[] = [
    { header: 'When', cell: (e) => <Time value={e.createdAt} /> },
    {
      header: 'Event',
      class: 'mono small',
      cell: (e) => <a href={`/admin/webhooks/events/${e.id}`}>{e.id}</a>,
    },
    { header: 'Type', class: 'mono', cell: (e) => e.type },
    { header: 'Object', cell: (e) => <ObjectLink event={e} /> },
    {
      header: 'Dispatched',
      cell: (e) => (e.dispatchedAt ? <Time value={e.dispatchedAt} /> : <Badge value="pending" />),
    },
  ];
  return (
    <ListPage
      ctx={ctx}
      section="webhooks"
      path="/admin/webhooks/events"
      title="Events"
      lead={
        <>
          Every event StackPay recorded, as <span class="mono">GET /api/v1/events/</span> lists them.{' '}
          <a href="/admin/webhooks">Endpoints</a>
        </>
      }
      url={url}
      filters={
        <>
          <Select
            name="type"
            label="Type"
            value={filters.type}
            options={choices('Any type', EVENT_TYPES, (t) => t)}
          />
          <Select
            name="object_type"
            label="Object"
            value={filters.objectType}
            options={choices('Any object', OBJECT_TYPES)}
          />
          <TextInput name="object_id" label="Object id (with an object)" value={filters.objectId} />
        </>
      }
      columns={columns}
      result={result}
      page={page}
      pageSize={pageSize}
      empty="No events match these filters."
    />
  );
}

/** The body as delivered, indented for reading (the stored text is what is signed and sent). */
function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

export interface EventPageProps {
  ctx: PageContext;
  event: EventDetail;
  endpoints: Array<{ id: string; url: string; enabled: boolean }>;
}

export function EventPage({ ctx, event, endpoints }: EventPageProps) {
  const canResend = ctx.role === 'ADMIN';
  const resendForm = (endpointId: string) => (
    <form method="post" action={`/admin/webhooks/events/${event.id}/resend`} class="actions">
      <CsrfField token={ctx.csrfToken} />
      <input type="hidden" name="endpoint_id" value={endpointId} />
      <button type="submit" class="button-small">
        Resend
      </button>
    </form>
  );
  const columns: Column<DeliveryRow>[] = [
    {
      header: 'Endpoint',
      class: 'mono small',
      cell: (d) =>
        d.url ? (
          <a href={`/admin/webhooks/${d.endpointId}`}>{d.url}</a>
        ) : (
          <span class="muted">{d.endpointId} (deleted)</span>
        ),
    },
    { header: 'State', cell: (d) => <Badge value={d.state} /> },
    { header: 'Attempts', num: true, cell: (d) => d.attempts },
    { header: 'Last attempt', cell: (d) => <Time value={d.lastAttemptAt} /> },
    {
      header: 'Next attempt',
      cell: (d) => (d.state === 'pending' ? <Time value={d.nextAttemptAt} /> : <span class="muted">—</span>),
    },
    { header: 'Delivered', cell: (d) => <Time value={d.deliveredAt} /> },
  ];
  if (canResend) {
    columns.push({
      header: 'Resend',
      cell: (d) =>
        d.url && d.endpointEnabled && d.state !== 'pending' ? (
          resendForm(d.endpointId)
        ) : (
          <span class="muted small">
            {d.state === 'pending' ? 'under way' : 'endpoint disabled or deleted'}
          </span>
        ),
    });
  }
  const others = endpoints.filter((e) => e.enabled && !event.deliveries.some((d) => d.endpointId === e.id));
  return (
    <Layout ctx={ctx} title={`Event ${event.id}`} section="webhooks">
      <PageHead
        title={`Event ${event.type}`}
        crumbs={
          <>
            <a href="/admin/webhooks">Webhooks</a> / <a href="/admin/webhooks/events">Events</a> /{' '}
            <span class="mono">{event.id}</span>
          </>
        }
      />
      <section class="panel" aria-labelledby="event">
        <h2 id="event">Event</h2>
        <dl class="fields">
          <dt>Id (webhook-id)</dt>
          <dd class="mono">{event.id}</dd>
          <dt>Type</dt>
          <dd class="mono">{event.type}</dd>
          <dt>Object</dt>
          <dd>
            <ObjectLink event={event} />
          </dd>
          <dt>Created</dt>
          <dd>
            <Time value={event.createdAt} />
          </dd>
          <dt>Dispatched</dt>
          <dd>
            <Time value={event.dispatchedAt} />
          </dd>
        </dl>
        <h3>Payload</h3>
        <pre>{pretty(event.body)}</pre>
      </section>
      <section aria-labelledby="deliveries">
        <h2 id="deliveries">Deliveries</h2>
        {canResend ? (
          <p class="muted small">
            Resending starts a new series of attempts (with retries) carrying the same webhook-id, so a
            receiver that already handled the event can ignore it.
          </p>
        ) : null}
        {event.deliveries.length === 0 ? (
          <Empty>This event was not delivered to any endpoint.</Empty>
        ) : (
          <DataTable label="Deliveries" columns={columns} rows={event.deliveries} />
        )}
        {canResend && others.length > 0 ? (
          <form method="post" action={`/admin/webhooks/events/${event.id}/resend`} class="actions">
            <CsrfField token={ctx.csrfToken} />
            <label for="resend-endpoint">Send to another endpoint</label>
            <select id="resend-endpoint" name="endpoint_id">
              {others.map((e) => (
                <option value={e.id}>{e.url}</option>
              ))}
            </select>
            <button type="submit" class="button-small">
              Send
            </button>
          </form>
        ) : null}
      </section>
      <section aria-labelledby="attempts">
        <h2 id="attempts">Attempts</h2>
        {event.attempts.length === 0 ? (
          <Empty>No attempts yet.</Empty>
        ) : (
          <DataTable label="Attempts" columns={attemptColumns(false)} rows={event.attempts} />
        )}
      </section>
    </Layout>
  );
}
