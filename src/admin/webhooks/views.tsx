import type { Child } from 'hono/jsx';
import { Badge, Empty, Pager, Select, Time, yesNoChoices } from '../common/components';
import { Layout, type PageContext, PageHead } from '../common/layout';
import { type Column, DataTable, ListPage } from '../common/list';
import type { ListResult } from '../common/queries';
import type { AttemptOutcome, AttemptRow, EndpointRow } from './queries';

/**
 * The webhooks section (docs/webhooks.md, "Admin"): endpoints, their attempts, and the forms ADMIN uses to
 * create, edit, rotate and delete them. STAFF see the same pages without the forms. Everything a receiver
 * answered is shown as text (JSX escapes it): an answer body is the merchant's, not ours.
 */

const ANSWER_SHOWN = 200; // characters of the stored 1 KiB shown in a table cell

export function Outcome({ outcome }: { outcome: Pick<AttemptOutcome, 'status' | 'error'> }) {
  const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
  if (outcome.status !== null)
    return <Badge value={ok ? 'delivered' : 'failed'} label={`HTTP ${outcome.status}`} />;
  return <Badge value="failed" label={outcome.error ?? 'no answer'} />;
}

function LastResult({ endpoint }: { endpoint: EndpointRow }) {
  if (!endpoint.lastAttempt) return <span class="muted">none yet</span>;
  return (
    <>
      <Outcome outcome={endpoint.lastAttempt} /> <Time value={endpoint.lastAttempt.at} />
    </>
  );
}

const eventsLabel = (types: string[]) => (types.includes('*') ? 'all events (*)' : types.join(', '));

export interface EndpointsPageProps {
  ctx: PageContext;
  url: URL;
  filters: { enabled?: boolean };
  result: ListResult<EndpointRow>;
  page: number;
  pageSize: number;
}

export function EndpointsPage({ ctx, url, filters, result, page, pageSize }: EndpointsPageProps) {
  const columns: Column<EndpointRow>[] = [
    {
      header: 'URL',
      class: 'mono small',
      cell: (e) => <a href={`/admin/webhooks/${e.id}`}>{e.url}</a>,
    },
    { header: 'Description', cell: (e) => e.description || <span class="muted">—</span> },
    { header: 'Events', class: 'small', cell: (e) => eventsLabel(e.events) },
    {
      header: 'Enabled',
      cell: (e) => (
        <Badge value={e.enabled ? 'active' : 'inactive'} label={e.enabled ? 'Enabled' : 'Disabled'} />
      ),
    },
    { header: 'Last delivery', cell: (e) => <LastResult endpoint={e} /> },
    { header: 'Failing since', cell: (e) => <Time value={e.failingSince} /> },
  ];
  return (
    <ListPage
      ctx={ctx}
      section="webhooks"
      title="Webhook endpoints"
      lead={
        <>
          Where StackPay POSTs signed events (Standard Webhooks). <a href="/admin/webhooks/events">Events</a>
          {ctx.role === 'ADMIN' ? (
            <>
              {' · '}
              <a href="/admin/webhooks/new">New endpoint</a>
            </>
          ) : (
            ' · Only administrators can change endpoints.'
          )}
        </>
      }
      url={url}
      filters={
        <Select
          name="enabled"
          label="Status"
          value={filters.enabled === undefined ? '' : String(filters.enabled)}
          options={yesNoChoices('Any status', 'Enabled', 'Disabled')}
        />
      }
      columns={columns}
      result={result}
      page={page}
      pageSize={pageSize}
      empty="No webhook endpoints match these filters."
    />
  );
}

/** Columns of an attempts table: the event of each on an endpoint's page, the endpoint on an event's page. */
export function attemptColumns(withEvent: boolean): Column<AttemptRow>[] {
  const columns: Column<AttemptRow>[] = [
    { header: 'When', cell: (a) => <Time value={a.createdAt} /> },
    withEvent
      ? {
          header: 'Event',
          class: 'mono small',
          cell: (a) => (
            <>
              <a href={`/admin/webhooks/events/${a.eventId}`}>{a.eventId}</a> {a.eventType}
            </>
          ),
        }
      : {
          header: 'Endpoint',
          class: 'mono small',
          cell: (a) => <a href={`/admin/webhooks/${a.endpointId}`}>{a.endpointId}</a>,
        },
    { header: 'Attempt', num: true, cell: (a) => a.attempt },
    { header: 'Result', cell: (a) => <Outcome outcome={a} /> },
    { header: 'Duration', num: true, cell: (a) => `${a.durationMs} ms` },
    {
      header: 'Answer',
      class: 'mono small',
      cell: (a) =>
        a.responseBody ? (
          <code>{a.responseBody.slice(0, ANSWER_SHOWN)}</code>
        ) : (
          <span class="muted">{a.error ?? '—'}</span>
        ),
    },
  ];
  return columns;
}

/** The frame of the endpoint pages: layout and heading, with crumbs Webhooks / the endpoint / `step`. */
export function EndpointFrame(props: {
  ctx: PageContext;
  title: string;
  endpointId?: string;
  step?: string;
  children: Child;
}) {
  const { ctx, title, endpointId, step, children } = props;
  return (
    <Layout ctx={ctx} title={title} section="webhooks">
      <PageHead
        title={title}
        crumbs={
          <>
            <a href="/admin/webhooks">Webhooks</a> /{' '}
            {endpointId ? <a href={`/admin/webhooks/${endpointId}`}>{endpointId}</a> : 'new'}
            {step ? ` / ${step}` : null}
          </>
        }
      />
      {children}
    </Layout>
  );
}

export interface EndpointPageProps {
  ctx: PageContext;
  endpoint: EndpointRow;
  attempts: ListResult<AttemptRow>;
  url: URL;
  page: number;
  pageSize: number;
}

export function EndpointPage({ ctx, endpoint: e, attempts, url, page, pageSize }: EndpointPageProps) {
  return (
    <EndpointFrame ctx={ctx} title="Webhook endpoint" endpointId={e.id}>
      <section class="panel" aria-labelledby="endpoint">
        <h2 id="endpoint">Endpoint</h2>
        <dl class="fields">
          <dt>URL</dt>
          <dd class="mono">{e.url}</dd>
          <dt>Description</dt>
          <dd>{e.description || <span class="muted">—</span>}</dd>
          <dt>Events</dt>
          <dd>{eventsLabel(e.events)}</dd>
          <dt>Enabled</dt>
          <dd>
            {e.enabled ? 'yes' : 'no'}
            {e.disabledReason ? <span class="muted"> ({e.disabledReason})</span> : null}
          </dd>
          <dt>Last delivery</dt>
          <dd>
            <LastResult endpoint={e} />
          </dd>
          <dt>Failing since</dt>
          <dd>
            <Time value={e.failingSince} />
          </dd>
          <dt>Created</dt>
          <dd>
            <Time value={e.createdAt} />
          </dd>
          <dt>Signing secret</dt>
          <dd class="muted">shown only when created or rotated; stored sealed</dd>
        </dl>
        {ctx.role === 'ADMIN' ? (
          <div class="actions">
            <a class="button" href={`/admin/webhooks/${e.id}/edit`}>
              Edit
            </a>
            <a class="button button-secondary" href={`/admin/webhooks/${e.id}/rotate`}>
              Rotate secret…
            </a>
            <a class="button button-danger" href={`/admin/webhooks/${e.id}/delete`}>
              Delete…
            </a>
          </div>
        ) : null}
      </section>
      <section aria-labelledby="attempts">
        <h2 id="attempts">Delivery attempts</h2>
        {attempts.rows.length === 0 ? (
          <Empty>No delivery attempts {page > 1 ? 'on this page' : 'yet'}.</Empty>
        ) : (
          <DataTable label="Delivery attempts" columns={attemptColumns(true)} rows={attempts.rows} />
        )}
        <Pager
          url={url}
          page={page}
          pageSize={pageSize}
          total={attempts.total}
          shown={attempts.rows.length}
        />
      </section>
    </EndpointFrame>
  );
}
