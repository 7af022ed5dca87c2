import type { Child } from 'hono/jsx';
import { EVENT_TYPES } from '../../webhooks/schemas';
import { CsrfField, TextInput } from '../common/components';
import type { PageContext } from '../common/layout';
import type { EndpointRow } from './queries';
import { EndpointFrame } from './views';

/**
 * The endpoint forms of the webhooks section (docs/webhooks.md §8), ADMIN only: create and edit, the secret
 * shown once after create or rotation, and the confirmation step of rotation and deletion.
 */

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
    <EndpointFrame ctx={ctx} title={title} endpointId={endpointId} step={creating ? undefined : 'edit'}>
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
    </EndpointFrame>
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
    <EndpointFrame ctx={ctx} title={title} endpointId={endpoint.id}>
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
    </EndpointFrame>
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
    <EndpointFrame ctx={ctx} title={title} endpointId={endpoint.id} step={kind}>
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
    </EndpointFrame>
  );
}
