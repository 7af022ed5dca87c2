import { and, eq, inArray } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { auditLog, webhookAttempts, webhookDeliveries, webhookEndpoints } from '../../src/db/schema';
import { AppError } from '../../src/lib/errors';
import { createEndpoint } from '../../src/webhooks/endpoints';
import { publishEvent, recordEvent } from '../../src/webhooks/events';
import { resendEvent } from '../../src/webhooks/resend';
import { openSecret } from '../../src/webhooks/secrets';
import { type AdminBrowser, signedIn, textOf } from './admin-helpers';
import { createUser, type TestUser, testConfig, testDb, uniqueName } from './helpers';
import { merchantReceiver, WebhookHarness } from './webhooks-support';

/**
 * The admin's webhooks section (docs/webhooks.md, "Admin"): ADMIN manages endpoints through the same
 * services as the API (secret shown once, sealed at rest, audit-logged), sees each endpoint's attempts and
 * each event's deliveries, and resends an event with the same webhook-id; STAFF only look.
 */

const created: string[] = [];
afterAll(async () => {
  // Other test files fan events out to every enabled endpoint: leave none of these behind.
  if (created.length > 0)
    await testDb().delete(webhookEndpoints).where(inArray(webhookEndpoints.id, created));
});

// `.invalid` never resolves (RFC 2606): nothing is ever delivered to these endpoints.
const shopUrl = () => `https://${uniqueName('shop').toLowerCase()}.example.invalid/hooks`;

const nonceIn = (html: string) => /name="confirmation" value="([0-9a-f]{32})"/.exec(html)?.[1] ?? 'missing';
const secretIn = (html: string) => /value="(whsec_[A-Za-z0-9+/=]+)"/.exec(html)?.[1];

async function endpointsAt(url: string) {
  return testDb().select().from(webhookEndpoints).where(eq(webhookEndpoints.url, url));
}

async function endpointById(id: string) {
  const [row] = await testDb().select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  return row;
}

async function auditOf(targetId: string, action: string) {
  return testDb()
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.targetId, targetId), eq(auditLog.action, action)));
}

/** An endpoint made by the service (the API's path), for the tests about pages other than create. */
async function serviceEndpoint(url = shopUrl(), events?: string[]) {
  const endpoint = await createEndpoint(new WebhookHarness().ctx(), { url, description: 'Shop', events });
  created.push(endpoint.id);
  return endpoint;
}

/** Creates an endpoint through the admin's form; returns the page the POST answered and the new row. */
async function createThroughForm(browser: AdminBrowser, fields: Record<string, string>) {
  const confirmation = nonceIn(await browser.page('/admin/webhooks/new'));
  const response = await browser.post('/admin/webhooks', { confirmation, ...fields });
  const html = await response.text();
  const rows = fields.url ? await endpointsAt(fields.url) : [];
  for (const row of rows) created.push(row.id);
  return { response, html, rows, confirmation };
}

let adminUser: TestUser | undefined;
async function admin() {
  adminUser ??= await createUser({ role: 'ADMIN' });
  return { user: adminUser, browser: await signedIn(adminUser) };
}

describe('admin webhooks: endpoints (ADMIN)', () => {
  it('create shows the secret once, stores only its sealed form, and a resubmitted form creates nothing', async () => {
    const { user, browser } = await admin();
    const url = shopUrl();
    const { response, html, rows, confirmation } = await createThroughForm(browser, {
      url,
      description: 'Main <shop>',
      events_mode: 'selected',
      'event.payment.succeeded': 'on',
      'event.payment.refunded': 'on',
    });
    expect(response.status, html.slice(0, 1500)).toBe(200);
    expect(rows).toHaveLength(1);
    const row = rows[0];
    if (!row) throw new Error('no endpoint');
    const secret = secretIn(html);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(textOf(html)).toContain('not shown again');
    expect(JSON.parse(row.events)).toEqual(['payment.succeeded', 'payment.refunded']);
    expect(row.description).toBe('Main <shop>');
    // At rest only the sealed form, which opens to the secret shown (docs/webhooks.md §4).
    expect(row.secretSealed).toMatch(/^v1\./);
    expect(row.secretSealed).not.toContain((secret ?? '').slice(6));
    expect(await openSecret(testConfig().JWT_SECRET, row.id, row.secretSealed)).toBe(secret);
    // Never again: not on the endpoint page, not in the list.
    const pageHtml = await browser.page(`/admin/webhooks/${row.id}`);
    expect(pageHtml).not.toContain(secret);
    expect(pageHtml).toContain('Main &lt;shop&gt;');
    const list = await browser.page('/admin/webhooks');
    expect(list).toContain(url);
    expect(list).not.toContain(secret);
    // The same form again (a reload or a double click): its confirmation is used, nothing more is created.
    const again = await browser.post('/admin/webhooks', { confirmation, url, events_mode: 'all' });
    expect(again.status).toBe(303);
    expect(await endpointsAt(url)).toHaveLength(1);
    expect(textOf(await browser.page('/admin/webhooks'))).toContain('already submitted');

    const [audit] = await auditOf(row.id, 'webhook_endpoint.create');
    expect(audit).toMatchObject({ actorUserId: user.id, targetType: 'webhook_endpoint' });
    expect(audit?.details).toMatchObject({ url, events: ['payment.succeeded', 'payment.refunded'] });
    expect(JSON.stringify(audit?.details)).not.toContain('whsec_');
  });

  it('a refused URL or event list re-renders the form with the message and its input; nothing is stored', async () => {
    const { browser } = await admin();
    for (const [url, message] of [
      [`http://${uniqueName('plain').toLowerCase()}.example.invalid/hooks`, 'The URL must use https://.'],
      [
        `https://user:pw@${uniqueName('cred').toLowerCase()}.example.invalid/`,
        'must not contain credentials',
      ],
      ['not a url', 'Enter a valid URL.'],
    ] as const) {
      const { response, html, rows } = await createThroughForm(browser, { url, events_mode: 'all' });
      expect(response.status, html.slice(0, 1500)).toBe(400);
      expect(textOf(html)).toContain(message);
      expect(html).toContain(`value="${url.replaceAll('&', '&amp;')}"`); // the input is kept
      expect(nonceIn(html)).toMatch(/^[0-9a-f]{32}$/); // a fresh confirmation to try again with
      expect(rows).toEqual([]);
    }
    // No event type ticked: the schema's message, next to the events.
    const url = shopUrl();
    const { response, html, rows } = await createThroughForm(browser, { url, events_mode: 'selected' });
    expect(response.status).toBe(400);
    expect(textOf(html)).toContain('Name at least one event type');
    expect(rows).toEqual([]);
  });

  it('edit changes url, events, description and enabled through the service, audit-logged; a bad URL is refused', async () => {
    const { user, browser } = await admin();
    const endpoint = await serviceEndpoint();
    const form = await browser.page(`/admin/webhooks/${endpoint.id}/edit`);
    expect(form).toContain(`value="${endpoint.url}"`);
    const url = shopUrl();
    const response = await browser.post(`/admin/webhooks/${endpoint.id}/edit`, {
      url,
      description: 'Renamed',
      events_mode: 'selected',
      'event.customer.kyc_approved': 'on',
      // `enabled` unticked: the endpoint is disabled
    });
    expect(response.status, (await response.clone().text()).slice(0, 1500)).toBe(303);
    expect(response.headers.get('Location')).toBe(`/admin/webhooks/${endpoint.id}`);
    const row = await endpointById(endpoint.id);
    expect(row).toMatchObject({ url, description: 'Renamed', enabled: false });
    expect(JSON.parse(row?.events ?? '')).toEqual(['customer.kyc_approved']);
    const [audit] = await auditOf(endpoint.id, 'webhook_endpoint.update');
    expect(audit?.actorUserId).toBe(user.id);
    expect(audit?.details).toMatchObject({
      url: { from: endpoint.url, to: url },
      enabled: { from: true, to: false },
      events: { from: ['*'], to: ['customer.kyc_approved'] },
    });

    const refused = await browser.post(`/admin/webhooks/${endpoint.id}/edit`, {
      url: 'http://10.0.0.1/hook',
      events_mode: 'all',
      enabled: 'true',
    });
    const html = await refused.text();
    expect(refused.status).toBe(400);
    expect(textOf(html)).toContain('The URL must use https://.');
    expect(html).toContain('value="http://10.0.0.1/hook"');
    expect(await endpointById(endpoint.id)).toMatchObject({ url, enabled: false });
  });

  it('rotate: a confirmation page, then the new secret once; a resubmission rotates nothing more', async () => {
    const { browser } = await admin();
    const endpoint = await serviceEndpoint();
    const confirmation = nonceIn(await browser.page(`/admin/webhooks/${endpoint.id}/rotate`));
    const response = await browser.post(`/admin/webhooks/${endpoint.id}/rotate`, { confirmation });
    const html = await response.text();
    expect(response.status, html.slice(0, 1500)).toBe(200);
    const secret = secretIn(html);
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(endpoint.secret);
    const sealed = (await endpointById(endpoint.id))?.secretSealed ?? '';
    expect(await openSecret(testConfig().JWT_SECRET, endpoint.id, sealed)).toBe(secret);

    const again = await browser.post(`/admin/webhooks/${endpoint.id}/rotate`, { confirmation });
    expect(again.status).toBe(303);
    expect((await endpointById(endpoint.id))?.secretSealed).toBe(sealed);
    expect(await auditOf(endpoint.id, 'webhook_endpoint.rotate')).toHaveLength(1);
  });

  it('delete needs its confirmation page; then the endpoint is gone and the deletion audit-logged', async () => {
    const { user, browser } = await admin();
    const endpoint = await serviceEndpoint();
    await browser.page(`/admin/webhooks/${endpoint.id}`); // a CSRF token, but no confirmation
    const unconfirmed = await browser.post(`/admin/webhooks/${endpoint.id}/delete`, {});
    expect(unconfirmed.status).toBe(303);
    expect(await endpointById(endpoint.id)).toBeDefined();

    const confirm = await browser.page(`/admin/webhooks/${endpoint.id}/delete`);
    expect(textOf(confirm)).toContain(endpoint.url);
    const response = await browser.post(`/admin/webhooks/${endpoint.id}/delete`, {
      confirmation: nonceIn(confirm),
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('Location')).toBe('/admin/webhooks');
    expect(await endpointById(endpoint.id)).toBeUndefined();
    const [audit] = await auditOf(endpoint.id, 'webhook_endpoint.delete');
    expect(audit).toMatchObject({ actorUserId: user.id, details: { url: endpoint.url } });
    await browser.page(`/admin/webhooks/${endpoint.id}`, 404);
  });
});

describe('admin webhooks: STAFF may look, not change', () => {
  it('STAFF sees endpoints and events without forms, and every change is a 403 page that changes nothing', async () => {
    const staff = await signedIn(await createUser({ role: 'STAFF' }));
    const endpoint = await serviceEndpoint();
    const list = await staff.page('/admin/webhooks');
    expect(list).toContain(endpoint.url);
    expect(list).not.toContain('/admin/webhooks/new');
    const detail = await staff.page(`/admin/webhooks/${endpoint.id}`);
    expect(detail).not.toContain(`/admin/webhooks/${endpoint.id}/edit`);
    expect(detail).not.toContain(`/admin/webhooks/${endpoint.id}/delete`);
    await staff.page('/admin/webhooks/events');

    for (const path of [
      '/admin/webhooks/new',
      ...['edit', 'rotate', 'delete'].map((k) => `/admin/webhooks/${endpoint.id}/${k}`),
    ]) {
      await staff.page(path, 403);
    }
    const eventId = await recordEvent(new WebhookHarness().ctx(), {
      type: 'payment.voided',
      objectId: 990001,
      object: { id: 990001, status: 'voided' },
    });
    const eventPage = await staff.page(`/admin/webhooks/events/${eventId}`);
    expect(eventPage).not.toContain('/resend');
    const confirmation = '0123456789abcdef0123456789abcdef';
    for (const [path, form] of [
      ['/admin/webhooks', { url: shopUrl(), events_mode: 'all', confirmation }],
      [`/admin/webhooks/${endpoint.id}/edit`, { url: shopUrl(), events_mode: 'all' }],
      [`/admin/webhooks/${endpoint.id}/rotate`, { confirmation }],
      [`/admin/webhooks/${endpoint.id}/delete`, { confirmation }],
      [`/admin/webhooks/events/${eventId}/resend`, { endpoint_id: endpoint.id }],
    ] as const) {
      const response = await staff.post(path, form);
      expect(response.status, path).toBe(403);
      expect(textOf(await response.text())).toContain('Only ADMIN users can');
    }
    const row = await endpointById(endpoint.id);
    expect(row).toMatchObject({ url: endpoint.url, enabled: true });
    expect(await openSecret(testConfig().JWT_SECRET, endpoint.id, row?.secretSealed ?? '')).toBe(
      endpoint.secret,
    );
    expect(
      await testDb().select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, eventId)),
    ).toEqual([]);
    expect(await testDb().select().from(auditLog).where(eq(auditLog.targetId, endpoint.id))).toHaveLength(1); // its create
  });
});

describe('admin webhooks: attempts, events and resend', () => {
  it('shows attempts with the answer escaped, the event’s payload escaped, and resends with the same webhook-id', async () => {
    const { user, browser } = await admin();
    const receiver = merchantReceiver();
    const { html, rows } = await createThroughForm(browser, {
      url: receiver.url,
      description: 'Sandbox receiver',
      events_mode: 'selected',
      'event.customer.kyc_rejected': 'on',
    });
    const endpointId = rows[0]?.id ?? 'missing';
    const secret = secretIn(html) ?? 'missing';
    await receiver.configure({ secret });

    // The first delivery, driven through the consumer's logic (webhooks-support.ts).
    const harness = new WebhookHarness();
    const objectId = 990000 + Math.floor(Math.random() * 9999);
    const eventId = await recordEvent(harness.ctx(), {
      type: 'customer.kyc_rejected',
      objectId,
      object: {
        customer_id: objectId,
        status: 'rejected',
        rejection_reason: '<script>alert("payload")</script>',
      },
    });
    await publishEvent(harness.ctx(), eventId);
    await harness.runDue(endpointId);
    expect((await receiver.deliveries()).map((d) => [d.webhook_id, d.verified])).toEqual([[eventId, true]]);
    const [delivery] = await testDb()
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.eventId, eventId), eq(webhookDeliveries.endpointId, endpointId)));
    expect(delivery).toMatchObject({ endpointId, state: 'delivered', attempts: 1 });
    // What a hostile receiver could answer (the sandbox's answers are JSON): stored as an attempt of it.
    await testDb()
      .insert(webhookAttempts)
      .values({
        deliveryId: delivery?.id ?? 0,
        endpointId,
        attempt: 1,
        status: 500,
        durationMs: 12,
        responseBody: '<script>alert("answer")</script>',
        error: 'HTTP 500',
        createdAt: new Date(harness.now.getTime() - 1000),
      });

    const endpointPage = await browser.page(`/admin/webhooks/${endpointId}`);
    expect(endpointPage).toContain(eventId);
    expect(textOf(endpointPage)).toContain('HTTP 200');
    expect(textOf(endpointPage)).toContain('{"received":true}');
    expect(endpointPage).toContain('&lt;script&gt;alert(&quot;answer&quot;)&lt;/script&gt;');
    expect(endpointPage).not.toContain('<script>');
    const list = await browser.page('/admin/webhooks');
    expect(list).toContain(receiver.url);

    const events = await browser.page('/admin/webhooks/events?type=customer.kyc_rejected');
    expect(events).toContain(eventId);
    expect(await browser.page('/admin/webhooks/events?type=payment.succeeded')).not.toContain(eventId);
    expect(await browser.page(`/admin/webhooks/events?object_type=customer&object_id=${objectId}`)).toContain(
      eventId,
    );

    const eventPage = await browser.page(`/admin/webhooks/events/${eventId}`);
    expect(eventPage).toContain('&lt;script&gt;alert(\\&quot;payload\\&quot;)&lt;/script&gt;');
    expect(eventPage).not.toContain('<script>');
    expect(textOf(eventPage)).toContain(`"customer_id": ${objectId}`);

    // Resend through the real queue and the Worker's consumer: a new series, the same webhook-id.
    const response = await browser.post(`/admin/webhooks/events/${eventId}/resend`, {
      endpoint_id: endpointId,
    });
    expect(response.status).toBe(303);
    expect(textOf(await browser.page(`/admin/webhooks/events/${eventId}`))).toContain('Resent');
    await expect
      .poll(async () => (await receiver.deliveries()).length, { timeout: 20_000, interval: 250 })
      .toBe(2);
    const received = await receiver.deliveries();
    expect(received.map((d) => [d.webhook_id, d.verified])).toEqual([
      [eventId, true],
      [eventId, true],
    ]);
    const second = received[1];
    // And verified here with the receivers' library.
    const body = JSON.stringify(second?.body);
    expect(
      new Webhook(secret).verify(body, {
        'webhook-id': second?.webhook_id ?? '',
        'webhook-timestamp': second?.webhook_timestamp ?? '',
        'webhook-signature': second?.webhook_signature ?? '',
      }),
    ).toMatchObject({ id: eventId, type: 'customer.kyc_rejected' });
    await expect
      .poll(
        async () =>
          (
            await testDb()
              .select()
              .from(webhookDeliveries)
              .where(eq(webhookDeliveries.id, delivery?.id ?? 0))
          )[0]?.state,
        { timeout: 10_000, interval: 250 },
      )
      .toBe('delivered');
    const [audit] = await auditOf(eventId, 'webhook.resend');
    expect(audit).toMatchObject({ actorUserId: user.id, targetType: 'event' });
    expect(audit?.details).toMatchObject({ endpoint_id: endpointId, delivery_id: delivery?.id });
  }, 60_000);

  it('resend refuses a series under way (409) and a disabled endpoint; it reaches an endpoint that never had the event', async () => {
    const harness = new WebhookHarness();
    const endpoint = await serviceEndpoint(shopUrl(), ['payment.expired']);
    const eventId = await recordEvent(harness.ctx(), {
      type: 'payment.failed',
      objectId: 990002,
      object: { id: 990002, status: 'failed' },
    });
    // Not subscribed: no delivery yet; a resend creates one and queues its first attempt.
    const first = await resendEvent(harness.ctx(), { eventId, endpointId: endpoint.id });
    expect(harness.queued.map((m) => m.body)).toEqual([
      { kind: 'deliver', delivery_id: first.deliveryId, attempt: 1 },
    ]);
    const refusal = await resendEvent(harness.ctx(), { eventId, endpointId: endpoint.id }).catch(
      (e: unknown) => e,
    );
    expect(refusal).toBeInstanceOf(AppError);
    expect(refusal).toMatchObject({ status: 409, code: 'webhook_delivery_in_progress' });

    await testDb()
      .update(webhookEndpoints)
      .set({ enabled: false })
      .where(eq(webhookEndpoints.id, endpoint.id));
    const disabled = await resendEvent(harness.ctx(), { eventId, endpointId: endpoint.id }).catch(
      (e: unknown) => e,
    );
    expect(disabled).toMatchObject({ status: 409, code: 'webhook_endpoint_disabled' });
    expect(await auditOf(eventId, 'webhook.resend')).toHaveLength(1);
  });
});
