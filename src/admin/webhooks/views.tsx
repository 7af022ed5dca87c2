import type { Child } from 'hono/jsx';
import { EVENT_TYPES } from '../../webhooks/schemas';
import { Badge, CsrfField, Empty, Pager, Select, TextInput, Time, yesNoChoices } from '../shared/components';
import { Layout, type PageContext, PageHead } from '../shared/layout';
import { type Column, DataTable, ListPage } from '../shared/list';
import type { ListResult } from '../shared/queries';
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
    <Layout ctx={ctx} title={`Webhook endpoint ${e.id}`} section="webhooks">
      <PageHead
        title="Webhook endpoint"
        crumbs={
          <>
            <a href="/admin/webhooks">Webhooks</a> / <span class="mono">{e.id}</span>
          </>
        }
      />
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
    </Layout>
  );
}

/** What the endpoint form shows: the values typed (or stored) and the messages of a refusal. */
export interface EndpointFormState {
  url: string;
  description: string;
  /** `*` or the chosen types. */
  events: string[];
  enabled: boolean;
  errors: Record<string, string[]>;
}

export interface EndpointFormProps {
  ctx: PageContext;
  /** Undefined when creating. */
  endpointId?: string;
  state: EndpointFormState;
  /** The one-shot confirmation of a create (a resubmitted form creates nothing more). */
  nonce?: string;
}

export function EndpointFormPage({ ctx, endpointId, state, nonce }: EndpointFormProps) {
  const creating = endpointId === undefined;
  const title = creating ? 'New webhook endpoint' : 'Edit webhook endpoint';
  const all = state.events.includes('*');
  const eventErrors = state.errors.events ?? [];
  return (
    <Layout ctx={ctx} title={title} section="webhooks">
      <PageHead
        title={title}
        crumbs={
          <>
            <a href="/admin/webhooks">Webhooks</a> /{' '}
            {creating ? 'new' : <a href={`/admin/webhooks/${endpointId}`}>{endpointId}</a>}
          </>
        }
      />
      <section class="panel" aria-labelledby="endpoint-form">
        <h2 id="endpoint-form">{creating ? 'Register an endpoint' : 'Endpoint settings'}</h2>
        <form method="post" action={creating ? '/admin/webhooks' : `/admin/webhooks/${endpointId}/edit`}>
          <CsrfField token={ctx.csrfToken} />
          {nonce ? <input type="hidden" name="confirmation" value={nonce} /> : null}
          <TextInput
            name="url"
            label="URL (https://; in production a public host)"
            value={state.url}
            errors={state.errors.url}
            maxlength={2048}
            required
          />
          <TextInput
            name="description"
            label="Description"
            value={state.description}
            errors={state.errors.description}
            maxlength={255}
          />
          <fieldset class={eventErrors.length > 0 ? 'field has-error' : 'field'}>
            <legend>Events</legend>
            <label class="check">
              <input type="radio" name="events_mode" value="all" checked={all} /> Every event type (
              <code>*</code>, including types added later)
            </label>
            <label class="check">
              <input type="radio" name="events_mode" value="selected" checked={!all} /> Only these:
            </label>
            {EVENT_TYPES.map((type) => (
              <label class="check">
                <input
                  type="checkbox"
                  name={`event.${type}`}
                  value="on"
                  checked={state.events.includes(type)}
                />{' '}
                <code>{type}</code>
              </label>
            ))}
            {eventErrors.length > 0 ? <p class="field-error">{eventErrors.join(' ')}</p> : null}
          </fieldset>
          {creating ? null : (
            <label class="check">
              <input type="checkbox" name="enabled" value="true" checked={state.enabled} /> Enabled (enabling
              a disabled endpoint clears its failure record)
            </label>
          )}
          <div class="actions">
            <button type="submit">{creating ? 'Create endpoint' : 'Save'}</button>
            <a
              class="button button-secondary"
              href={creating ? '/admin/webhooks' : `/admin/webhooks/${endpointId}`}
            >
              Cancel
            </a>
          </div>
        </form>
      </section>
    </Layout>
  );
}

/** After create or rotation: the secret, this once (only its sealed form is stored). */
export function SecretPage({
  ctx,
  endpoint,
  secret,
  rotated,
}: {
  ctx: PageContext;
  endpoint: EndpointRow;
  secret: string;
  rotated: boolean;
}) {
  const title = rotated ? 'New signing secret' : 'Endpoint created';
  return (
    <Layout ctx={ctx} title={title} section="webhooks">
      <PageHead
        title={title}
        crumbs={
          <>
            <a href="/admin/webhooks">Webhooks</a> /{' '}
            <a href={`/admin/webhooks/${endpoint.id}`}>{endpoint.id}</a>
          </>
        }
      />
      <section class="panel" aria-labelledby="secret">
        <h2 id="secret">Signing secret</h2>
        <p>
          Give this secret to the receiver at <span class="mono">{endpoint.url}</span>: it verifies every
          delivery with it. <strong>Copy it now: it is not shown again.</strong>
          {rotated ? ' The old secret no longer signs anything, retries included.' : ''}
        </p>
        <label for="secret-value">Secret</label>
        <input id="secret-value" type="text" readonly value={secret} class="mono" />
        <div class="actions">
          <a class="button" href={`/admin/webhooks/${endpoint.id}`}>
            Done
          </a>
        </div>
      </section>
    </Layout>
  );
}

/** The confirmation step of rotating a secret or deleting an endpoint; only its POST changes anything. */
export function EndpointConfirmPage({
  ctx,
  endpoint,
  kind,
  nonce,
}: {
  ctx: PageContext;
  endpoint: EndpointRow;
  kind: 'rotate' | 'delete';
  nonce: string;
}) {
  const title = kind === 'rotate' ? 'Rotate the signing secret' : 'Delete the endpoint';
  const what: Child =
    kind === 'rotate'
      ? 'replace this endpoint’s signing secret. Every attempt from now on, retries included, is signed with the new one; the receiver must be given it, or it will refuse deliveries.'
      : 'delete this endpoint. Its pending deliveries are dropped and nothing more is sent to it; its past attempts stay listed on each event’s page.';
  return (
    <Layout ctx={ctx} title={title} section="webhooks">
      <PageHead
        title={title}
        crumbs={
          <>
            <a href="/admin/webhooks">Webhooks</a> /{' '}
            <a href={`/admin/webhooks/${endpoint.id}`}>{endpoint.id}</a> / {kind}
          </>
        }
      />
      <section class="panel" aria-labelledby="confirm">
        <h2 id="confirm">Please confirm</h2>
        <dl class="fields">
          <dt>URL</dt>
          <dd class="mono">{endpoint.url}</dd>
          <dt>Description</dt>
          <dd>{endpoint.description || <span class="muted">—</span>}</dd>
        </dl>
        <p>
          <strong>You are about to {what}</strong> It is recorded in the audit log under your name.
        </p>
        <form method="post" action={`/admin/webhooks/${endpoint.id}/${kind}`} class="actions">
          <CsrfField token={ctx.csrfToken} />
          <input type="hidden" name="confirmation" value={nonce} />
          <button type="submit" class="button-danger">
            {kind === 'rotate' ? 'Confirm rotation' : 'Confirm delete'}
          </button>
          <a class="button button-secondary" href={`/admin/webhooks/${endpoint.id}`}>
            Cancel
          </a>
        </form>
      </section>
    </Layout>
  );
}
