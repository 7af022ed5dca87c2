import { Hono } from 'hono';
import { type FieldErrors, notFound } from '../../lib/errors';
import { fieldErrorsFrom } from '../../lib/validation';
import {
  createEndpoint,
  deleteEndpoint,
  rotateEndpointSecret,
  updateEndpoint,
} from '../../webhooks/endpoints';
import { resendEvent } from '../../webhooks/resend';
import { CreateEndpointBody, EVENT_TYPES, UpdateEndpointBody } from '../../webhooks/schemas';
import { claimConfirmation, newConfirmationNonce } from '../common/confirm';
import { formRefusal, listWindow, refuseWithFlash, text, yesNo } from '../common/forms';
import { requireCsrf, requireRole, requireSession } from '../common/guards';
import {
  type AdminContext,
  type AdminEnv,
  describeFieldErrors,
  page,
  pageContext,
  sessionOf,
  setFlash,
} from '../common/http';
import { EventPage, EventsPage } from './events';
import { EndpointConfirmPage, EndpointFormPage, type EndpointFormState, SecretPage } from './forms';
import {
  endpointAttempts,
  endpointChoices,
  endpointRow,
  eventDetail,
  listEndpointRows,
  listEventRows,
  parseEventType,
  parseObjectType,
} from './queries';
import { EndpointPage, EndpointsPage } from './views';

/**
 * Webhooks (docs/webhooks.md, "Admin"): endpoints with their attempts, and the events with their deliveries.
 * ADMIN and STAFF see every page (no secret is ever shown again after create or rotation); only ADMIN
 * creates, edits, rotates, deletes and resends, through the same services as the API.
 */
export const webhooksRoutes = new Hono<AdminEnv>();

const ENDPOINT = ':id{we_[0-9A-HJKMNP-TV-Z]{26}}';
const EVENT = ':id{evt_[0-9A-HJKMNP-TV-Z]{26}}';
const ADMIN_ONLY = ['ADMIN'] as const;
const LABELS = { url: 'URL', description: 'Description', events: 'Events', enabled: 'Enabled' };

async function loadEndpoint(c: AdminContext) {
  const endpoint = await endpointRow(c.var.db, c.req.param('id') ?? '');
  if (!endpoint) throw notFound('No such webhook endpoint.');
  return endpoint;
}

// --- Endpoints ------------------------------------------------------------------------------------------

webhooksRoutes.get('/webhooks', requireSession, async (c) => {
  const filters = { enabled: yesNo(c.req.query('enabled')) };
  const window = listWindow(c);
  const result = await listEndpointRows(c.var.db, filters, window);
  return page(c, EndpointsPage({ ctx: pageContext(c), filters, result, ...window }));
});

webhooksRoutes.get(`/webhooks/${ENDPOINT}`, requireSession, async (c) => {
  const endpoint = await loadEndpoint(c);
  const window = listWindow(c);
  const attempts = await endpointAttempts(c.var.db, endpoint.id, window);
  return page(c, EndpointPage({ ctx: pageContext(c), endpoint, attempts, ...window }));
});

/** The form's fields as the API's body: `*` or the ticked types; `enabled` only when the form has it. */
function formBody(form: Record<string, string>, withEnabled: boolean) {
  const events =
    form.events_mode === 'all' ? ['*'] : EVENT_TYPES.filter((type) => form[`event.${type}`] === 'on');
  return {
    url: form.url ?? '',
    description: form.description ?? '',
    events,
    ...(withEnabled ? { enabled: form.enabled === 'true' } : {}),
  };
}

function formState(body: ReturnType<typeof formBody>, errors: FieldErrors = {}): EndpointFormState {
  return { ...body, enabled: body.enabled ?? true, errors };
}

/** A refused form: the same form again (400/409), its input kept and each field's message beside it. */
function refusedForm(
  c: AdminContext,
  props: { endpointId?: string; nonce?: string },
  body: ReturnType<typeof formBody>,
  refusal: { message: string; errors?: FieldErrors; status: number },
) {
  const ctx = pageContext(c);
  ctx.flash = {
    kind: 'error',
    message: refusal.message,
    details: describeFieldErrors(refusal.errors, LABELS),
  };
  const status = refusal.status === 409 ? 409 : 400;
  return page(c, EndpointFormPage({ ctx, ...props, state: formState(body, refusal.errors) }), status);
}

webhooksRoutes.get('/webhooks/new', requireSession, requireRole(ADMIN_ONLY, 'add webhook endpoints'), (c) =>
  page(
    c,
    EndpointFormPage({
      ctx: pageContext(c),
      state: { url: '', description: '', events: ['*'], enabled: true, errors: {} },
      nonce: newConfirmationNonce(),
    }),
  ),
);

webhooksRoutes.post(
  '/webhooks',
  requireSession,
  requireCsrf,
  requireRole(ADMIN_ONLY, 'add webhook endpoints'),
  async (c) => {
    const form = c.var.form ?? {};
    const body = formBody(form, false);
    const parsed = CreateEndpointBody.safeParse(body);
    if (!parsed.success) {
      const refusal = {
        message: 'The endpoint was not created.',
        errors: fieldErrorsFrom(parsed.error),
        status: 400,
      };
      return refusedForm(c, { nonce: form.confirmation }, body, refusal);
    }
    // One endpoint per form: a resubmitted (or double-clicked) form finds its confirmation used.
    if (
      !(await claimConfirmation(
        c.env.RATE_LIMITER,
        sessionOf(c).sessionId,
        'webhook_create',
        form.confirmation,
      ))
    ) {
      setFlash(c, { kind: 'error', message: 'This form was already submitted: nothing more was created.' });
      return c.redirect('/admin/webhooks', 303);
    }
    const outcome = await formRefusal(() => createEndpoint(c.var.ctx, parsed.data));
    if ('refused' in outcome) {
      const { message, errors, status } = outcome.refused;
      return refusedForm(c, { nonce: newConfirmationNonce() }, body, { message, errors, status });
    }
    const endpoint = await endpointRow(c.var.db, outcome.value.id);
    if (!endpoint) throw notFound('No such webhook endpoint.');
    return page(
      c,
      SecretPage({ ctx: pageContext(c), endpoint, secret: outcome.value.secret, rotated: false }),
    );
  },
);

webhooksRoutes.get(
  `/webhooks/${ENDPOINT}/edit`,
  requireSession,
  requireRole(ADMIN_ONLY, 'change webhook endpoints'),
  async (c) => {
    const endpoint = await loadEndpoint(c);
    const { url, description, events, enabled } = endpoint;
    return page(
      c,
      EndpointFormPage({
        ctx: pageContext(c),
        endpointId: endpoint.id,
        state: { url, description, events, enabled, errors: {} },
      }),
    );
  },
);

webhooksRoutes.post(
  `/webhooks/${ENDPOINT}/edit`,
  requireSession,
  requireCsrf,
  requireRole(ADMIN_ONLY, 'change webhook endpoints'),
  async (c) => {
    const endpoint = await loadEndpoint(c);
    const body = formBody(c.var.form ?? {}, true);
    const parsed = UpdateEndpointBody.safeParse(body);
    if (!parsed.success) {
      const refusal = {
        message: 'The changes were not saved.',
        errors: fieldErrorsFrom(parsed.error),
        status: 400,
      };
      return refusedForm(c, { endpointId: endpoint.id }, body, refusal);
    }
    const outcome = await formRefusal(() =>
      updateEndpoint(c.var.ctx, { id: endpoint.id, changes: parsed.data }),
    );
    if ('refused' in outcome) {
      const { message, errors, status } = outcome.refused;
      return refusedForm(c, { endpointId: endpoint.id }, body, { message, errors, status });
    }
    setFlash(c, { kind: 'success', message: 'Endpoint saved.' });
    return c.redirect(`/admin/webhooks/${endpoint.id}`, 303);
  },
);

// --- Rotate and delete: a confirmation page, then one POST through the endpoints service ------------------

for (const kind of ['rotate', 'delete'] as const) {
  const what = kind === 'rotate' ? 'rotate webhook secrets' : 'delete webhook endpoints';

  webhooksRoutes.get(
    `/webhooks/${ENDPOINT}/${kind}`,
    requireSession,
    requireRole(ADMIN_ONLY, what),
    async (c) =>
      page(
        c,
        EndpointConfirmPage({
          ctx: pageContext(c),
          endpoint: await loadEndpoint(c),
          kind,
          nonce: newConfirmationNonce(),
        }),
      ),
  );

  webhooksRoutes.post(
    `/webhooks/${ENDPOINT}/${kind}`,
    requireSession,
    requireCsrf,
    requireRole(ADMIN_ONLY, what),
    async (c) => {
      const endpoint = await loadEndpoint(c);
      const claimed = await claimConfirmation(
        c.env.RATE_LIMITER,
        sessionOf(c).sessionId,
        `webhook_${kind}:${endpoint.id}`,
        c.var.form?.confirmation,
      );
      if (!claimed) {
        setFlash(c, {
          kind: 'error',
          message: `This ${kind === 'rotate' ? 'rotation' : 'deletion'} was already submitted (or its confirmation expired): nothing more was done.`,
        });
        return c.redirect(`/admin/webhooks/${endpoint.id}`, 303);
      }
      if (kind === 'delete') {
        await deleteEndpoint(c.var.ctx, endpoint.id);
        setFlash(c, { kind: 'success', message: `Endpoint ${endpoint.url} deleted.` });
        return c.redirect('/admin/webhooks', 303);
      }
      const rotated = await rotateEndpointSecret(c.var.ctx, endpoint.id);
      return page(c, SecretPage({ ctx: pageContext(c), endpoint, secret: rotated.secret, rotated: true }));
    },
  );
}

// --- Events ---------------------------------------------------------------------------------------------

webhooksRoutes.get('/webhooks/events', requireSession, async (c) => {
  const objectType = parseObjectType(c.req.query('object_type'));
  const objectId = text(c.req.query('object_id'));
  const filters = {
    type: parseEventType(c.req.query('type')),
    objectType,
    objectId: objectId && /^[A-Za-z0-9_]{1,64}$/.test(objectId) ? objectId : undefined,
  };
  const window = listWindow(c);
  const result = await listEventRows(c.var.db, filters, window);
  const ctx = pageContext(c);
  if (objectId && !(objectType && filters.objectId) && !ctx.flash) {
    ctx.flash = {
      kind: 'info',
      message: 'The object id needs an object type and a valid id: it was ignored.',
    };
  }
  return page(c, EventsPage({ ctx, filters: { ...filters, objectId }, result, ...window }));
});

webhooksRoutes.get(`/webhooks/events/${EVENT}`, requireSession, async (c) => {
  const [event, endpoints] = await Promise.all([
    eventDetail(c.var.db, c.req.param('id') ?? ''),
    endpointChoices(c.var.db),
  ]);
  if (!event) throw notFound('No such event.');
  return page(c, EventPage({ ctx: pageContext(c), event, endpoints }));
});

webhooksRoutes.post(
  `/webhooks/events/${EVENT}/resend`,
  requireSession,
  requireCsrf,
  requireRole(ADMIN_ONLY, 'resend events'),
  async (c) => {
    const eventId = c.req.param('id') ?? '';
    const endpointId = c.var.form?.endpoint_id ?? '';
    const back = `/admin/webhooks/events/${eventId}`;
    // A second click finds the new series under way (409); a vanished endpoint is a 404: both said here.
    const outcome = await formRefusal(() => resendEvent(c.var.ctx, { eventId, endpointId }), [404, 409]);
    if ('refused' in outcome) return refuseWithFlash(c, outcome.refused, { endpoint_id: 'Endpoint' }, back);
    setFlash(c, {
      kind: 'success',
      message: `Resent: a new series of attempts has started, with the same webhook-id (${eventId}).`,
    });
    return c.redirect(back, 303);
  },
);
