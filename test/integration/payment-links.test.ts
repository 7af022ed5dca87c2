import { eq } from 'drizzle-orm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { paymentLinks, transactions, webhookEndpoints } from '../../src/db/schema';
import type { PaymentLinkView } from '../../src/payment-links/schemas';
import type { TransactionView } from '../../src/transactions/schemas';
import { createEndpoint } from '../../src/webhooks/endpoints';
import { createKey } from './api-keys-support';
import {
  api,
  apiWithEnv,
  createUser,
  describeAuthorization,
  type Problem,
  readJson,
  recordingQueue,
  testDb,
} from './helpers';
import {
  createLink,
  deliverFor,
  INTENTION,
  LINKS,
  linkEvents,
  linkRow,
  linkStaff,
  linkTransactions,
  PAYER,
  pagePath,
  payCheckout,
  startCheckout,
  submitForm,
} from './payment-links-support';
import {
  CARDS,
  clearFaults,
  createPayer,
  deliverRecorded,
  recordedCallbacks,
  TXN,
} from './transactions-support';
import { merchantReceiver, WebhookHarness } from './webhooks-support';

afterEach(clearFaults);

const endpoints: string[] = [];
afterAll(async () => {
  for (const id of endpoints) await testDb().delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
});

describe('payment links: who may create, read and deactivate', () => {
  it('refuses anonymous callers (401) and customers (403); staff and ADMIN create', async () => {
    const body = { amount: '10.00', description: 'x' };
    expect((await api(LINKS, { method: 'POST', json: body })).status).toBe(401);
    const customer = await createUser();
    const refused = await api(LINKS, { method: 'POST', token: customer.access, json: body });
    expect(refused.status).toBe(403);
    expect((await api(LINKS, { token: customer.access })).status).toBe(403);
    const link = await createLink(body);
    expect(link).toMatchObject({
      amount: '10.00',
      amount_cents: 1000,
      currency: 'EGP',
      status: 'active',
      single_use: true,
    });
    const admin = await createUser({ role: 'ADMIN' });
    await createLink(body, admin.access);
    const id = (await createLink(body)).id;
    expect((await api(`${LINKS}${id}/deactivate/`, { method: 'POST', token: customer.access })).status).toBe(
      403,
    );
    expect((await api(`${LINKS}${id}/`, { token: customer.access })).status).toBe(403);
  });

  it('API keys: payments:write creates and deactivates; payments:read only reads', async () => {
    const writer = await createKey(['payments:write']);
    const reader = await createKey(['payments:read']);
    const created = await api(LINKS, {
      method: 'POST',
      token: writer.secret,
      json: { amount: '20.00', description: 'Key link' },
    });
    expect(created.status).toBe(201);
    const link = await readJson<PaymentLinkView>(created);
    expect((await linkRow(link.id)).createdByApiKeyId).toBe(writer.id);
    const refused = await api(LINKS, {
      method: 'POST',
      token: reader.secret,
      json: { amount: '1.00', description: 'x' },
    });
    expect(refused.status).toBe(403);
    expect((await readJson<Problem>(refused)).code).toBe('insufficient_scope');
    const read = await api(`${LINKS}${link.id}/`, { token: reader.secret });
    expect(read.status).toBe(200);
    expect((await readJson<PaymentLinkView>(read)).url).toBe(link.url);
    expect((await api(LINKS, { token: writer.secret })).status).toBe(403);
    const list = await api(`${LINKS}?page_size=100`, { token: reader.secret });
    expect(list.status).toBe(200);
    const deactivated = await api(`${LINKS}${link.id}/deactivate/`, { method: 'POST', token: writer.secret });
    expect(deactivated.status).toBe(200);
    expect(await readJson(deactivated)).toMatchObject({ status: 'deactivated' });
  });

  it('validates the body: amount, expiry (one of expires_at / expires_in, 5 minutes to 90 days), unknown fields', async () => {
    const token = (await linkStaff()).access;
    const post = (json: unknown) => api(LINKS, { method: 'POST', token, json });
    const cases: Array<[unknown, string]> = [
      [{ description: 'x' }, 'amount'],
      [{ amount: '-1', description: 'x' }, 'amount'],
      [{ amount: '1.001', description: 'x' }, 'amount'],
      [{ amount: '1.00' }, 'description'],
      [{ amount: '1.00', description: 'x', expires_in: 60 }, 'expires_in'],
      [{ amount: '1.00', description: 'x', expires_in: 91 * 86400 }, 'expires_in'],
      [
        { amount: '1.00', description: 'x', expires_in: 3600, expires_at: new Date().toISOString() },
        'expires_in',
      ],
      [{ amount: '1.00', description: 'x', expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
      [{ amount: '1.00', description: 'x', customer_email: 'nope' }, 'customer_email'],
    ];
    for (const [json, field] of cases) {
      const response = await post(json);
      expect(response.status, JSON.stringify(json)).toBe(400);
      expect(Object.keys((await readJson<Problem>(response)).errors ?? {})).toContain(field);
    }
    expect((await post({ amount: '1.00', description: 'x', surprise: 1 })).status).toBe(400);
    const inOneHour = new Date(Date.now() + 3600_000).toISOString();
    const link = await createLink({ expires_at: inOneHour, single_use: false });
    expect(link).toMatchObject({ expires_at: inOneHour, single_use: false });
  });

  it('an unknown or malformed id is a 404', async () => {
    const token = (await linkStaff()).access;
    expect((await api(`${LINKS}999999999/`, { token })).status).toBe(404);
    expect((await api(`${LINKS}abc/`, { token })).status).toBe(404);
    expect((await api(`${LINKS}0/deactivate/`, { method: 'POST', token })).status).toBe(404);
  });
});

describe('payment links: e-mail through the notifications queue', () => {
  it('queues the link on create with customer_email, and again on send; a closed link is not sent', async () => {
    const token = (await linkStaff()).access;
    const { queue, sent } = recordingQueue();
    const created = await apiWithEnv(
      LINKS,
      {
        method: 'POST',
        token,
        json: { amount: '75.50', description: 'Order 7', customer_email: 'payer@example.com' },
      },
      { NOTIFICATIONS: queue },
    );
    expect(created.status).toBe(201);
    const link = await readJson<PaymentLinkView>(created);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      type: 'payment_link',
      to: 'payer@example.com',
      url: link.url,
      amount: '75.50',
    });
    const send = (json?: unknown) =>
      apiWithEnv(`${LINKS}${link.id}/send/`, { method: 'POST', token, json }, { NOTIFICATIONS: queue });
    expect((await send()).status).toBe(202);
    expect((await send({ email: 'other@example.com' })).status).toBe(202);
    expect(sent.map((m) => m.to)).toEqual(['payer@example.com', 'payer@example.com', 'other@example.com']);
    expect(new Set(sent.map((m) => m.idempotency_key)).size).toBe(3);

    const bare = await createLink();
    const noAddress = await apiWithEnv(
      `${LINKS}${bare.id}/send/`,
      { method: 'POST', token },
      { NOTIFICATIONS: queue },
    );
    expect(noAddress.status).toBe(400);
    await api(`${LINKS}${link.id}/deactivate/`, { method: 'POST', token });
    const closed = await send();
    expect(closed.status).toBe(409);
    expect((await readJson<Problem>(closed)).code).toBe('payment_link_not_active');
    expect(sent).toHaveLength(3);
  });
});

describe('payment links: the public page', () => {
  it('shows amount and description; a forged or unknown token is a 404 page', async () => {
    const link = await createLink({ description: 'Invoice <b>9</b>', customer_email: 'pre@example.com' });
    const page = await api(pagePath(link));
    expect(page.status).toBe(200);
    expect(page.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(page.headers.get('Content-Security-Policy')).toContain("default-src 'none'");
    const text = await page.text();
    expect(text).toContain('250.00 EGP');
    expect(text).toContain('Invoice &lt;b&gt;9&lt;/b&gt;');
    expect(text).toContain('value="pre@example.com"');
    const [publicId, mac] = pagePath(link).split('/').at(-1)?.split('.') ?? [];
    const forged = `/pay/link/${publicId}.${'0'.repeat(32)}`;
    expect(mac).toMatch(/^[0-9a-f]{32}$/);
    expect((await api(forged)).status).toBe(404);
    expect((await submitForm({ url: `http://x${forged}` })).status).toBe(404);
    expect((await api('/pay/link/nonsense')).status).toBe(404);
    expect(await linkTransactions(link.id)).toHaveLength(0);
  });

  it('refuses an incomplete form with a 400 page and starts nothing', async () => {
    const link = await createLink();
    const response = await submitForm(link, { ...PAYER, phone_number: 'call me', email: '' });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toContain('This field is required.');
    expect(text).toContain('country code');
    expect(await linkTransactions(link.id)).toHaveLength(0);
  });
});

describe('payment links: paying through the page', () => {
  it('single use: page → unified checkout → transaction tied to the link → success → link paid, event, 410 after', async () => {
    const link = await createLink({ merchant_reference: 'inv-1' });
    const checkout = await startCheckout(link);
    expect(checkout.location.pathname).toBe('/unifiedcheckout/');
    const [txn] = await linkTransactions(link.id);
    expect(txn).toMatchObject({
      customerId: null,
      paymentLinkId: link.id,
      amountCents: 25000,
      status: 'pending',
      apiMode: 'intention',
      merchantReference: 'inv-1',
      description: 'Invoice 1042',
    });
    if (!txn) throw new Error('no transaction');
    await payCheckout(checkout);
    const callback = await deliverFor(txn.merchantOrderId, INTENTION);

    const paid = await linkRow(link.id);
    expect(paid).toMatchObject({ status: 'paid', paidCount: 1, paidTransactionId: txn.id });
    const events = await linkEvents(link.id);
    expect(events.map((e) => e.type)).toEqual(['payment_link.paid']);
    expect(JSON.parse(events[0]?.data ?? '{}')).toMatchObject({
      id: link.id,
      status: 'paid',
      transaction: txn.id,
    });

    // A duplicate callback changes nothing: still one payment counted, one event.
    expect((await deliverRecorded(callback, INTENTION)).status).toBe(200);
    expect(await linkRow(link.id)).toMatchObject({ paidCount: 1 });
    expect(await linkEvents(link.id)).toHaveLength(1);

    // The transaction reads like any other, with its link and no customer.
    const staff = await linkStaff();
    const read = await api(`${TXN}${txn.id}/`, { token: staff.access });
    expect(await readJson<TransactionView>(read)).toMatchObject({
      customer: null,
      payment_link: link.id,
      status: 'succeeded',
    });
    const detail = await api(`${LINKS}${link.id}/`, { token: staff.access });
    expect(await readJson(detail)).toMatchObject({ status: 'paid', paid_count: 1, paid_transaction: txn.id });

    // Closed now: the page says so (410) and starts no checkout.
    const page = await api(pagePath(link));
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('already been paid');
    expect((await submitForm(link)).status).toBe(410);
    expect(await linkTransactions(link.id)).toHaveLength(1);
    // Deactivating a paid link is refused.
    const refused = await api(`${LINKS}${link.id}/deactivate/`, { method: 'POST', token: staff.access });
    expect(refused.status).toBe(409);
  });

  it('single use, two checkouts both paid: the first success pays the link, the second is flagged for staff', async () => {
    const link = await createLink();
    const first = await startCheckout(link);
    const second = await startCheckout(link);
    const [a, b] = await linkTransactions(link.id);
    if (!a || !b) throw new Error('two transactions expected');
    await payCheckout(second);
    await payCheckout(first);
    await deliverFor(b.merchantOrderId, INTENTION);
    await deliverFor(a.merchantOrderId, INTENTION);
    expect(await linkRow(link.id)).toMatchObject({ status: 'paid', paidCount: 1, paidTransactionId: b.id });
    const [ra, rb] = await linkTransactions(link.id);
    expect(ra).toMatchObject({ status: 'succeeded' });
    expect(ra?.needsAttentionAt).toBeInstanceOf(Date);
    expect(ra?.attentionReason).toMatch(/already paid or deactivated/);
    expect(rb).toMatchObject({ status: 'succeeded', needsAttentionAt: null });
    expect(await linkEvents(link.id)).toHaveLength(1);
  });

  it('multi-use: every success counts and emits an event; the link stays active', async () => {
    const link = await createLink({ single_use: false, amount: '5.00' });
    for (let i = 0; i < 2; i++) {
      const checkout = await startCheckout(link);
      await payCheckout(checkout);
    }
    for (const txn of await linkTransactions(link.id)) await deliverFor(txn.merchantOrderId, INTENTION);
    expect(await linkRow(link.id)).toMatchObject({ status: 'active', paidCount: 2, paidTransactionId: null });
    expect(await linkEvents(link.id)).toHaveLength(2);
    expect((await api(pagePath(link))).status).toBe(200);
  });

  it('a success applied before a crash: the redelivered callback finishes the link once', async () => {
    const link = await createLink();
    const checkout = await startCheckout(link);
    await payCheckout(checkout);
    const [txn] = await linkTransactions(link.id);
    if (!txn) throw new Error('no transaction');
    // The payment's success was applied but the link's update never ran (as if the Worker died in between).
    await testDb().update(transactions).set({ status: 'succeeded' }).where(eq(transactions.id, txn.id));
    expect(await linkRow(link.id)).toMatchObject({ status: 'active', paidCount: 0 });
    const callback = await deliverFor(txn.merchantOrderId, INTENTION);
    expect(await linkRow(link.id)).toMatchObject({ status: 'paid', paidCount: 1, paidTransactionId: txn.id });
    expect((await deliverRecorded(callback, INTENTION)).status).toBe(200);
    expect(await linkRow(link.id)).toMatchObject({ paidCount: 1 });
    expect(await linkEvents(link.id)).toHaveLength(1);
  });

  it('ADMIN refunds a link payment like any other; the link stays paid', async () => {
    const link = await createLink({ amount: '30.00' });
    await payCheckout(await startCheckout(link));
    const [txn] = await linkTransactions(link.id);
    if (!txn) throw new Error('no transaction');
    await deliverFor(txn.merchantOrderId, INTENTION);
    const admin = await createUser({ role: 'ADMIN' });
    const refunded = await apiWithEnv(
      `${TXN}${txn.id}/refund/`,
      { method: 'POST', token: admin.access, json: { amount: '10.00' } },
      INTENTION,
    );
    expect(refunded.status).toBe(200);
    expect(await readJson(refunded)).toMatchObject({
      status: 'succeeded',
      refunded_cents: 1000,
      customer: null,
      payment_link: link.id,
    });
    expect(await linkRow(link.id)).toMatchObject({ status: 'paid', paidCount: 1 });
  });

  it('a declined payment leaves the link active', async () => {
    const link = await createLink();
    await payCheckout(await startCheckout(link), CARDS.declined);
    const [txn] = await linkTransactions(link.id);
    if (!txn) throw new Error('no transaction');
    await deliverFor(txn.merchantOrderId, INTENTION);
    expect((await linkTransactions(link.id))[0]?.status).toBe('failed');
    expect(await linkRow(link.id)).toMatchObject({ status: 'active', paidCount: 0 });
    expect(await linkEvents(link.id)).toHaveLength(0);
  });

  it('legacy mode: the page sends the browser to PayMob’s iframe page (card only), and the payment counts', async () => {
    const link = await createLink();
    const checkout = await startCheckout(link, {});
    expect(checkout.location.pathname).toMatch(/^\/api\/acceptance\/iframes\//);
    await payCheckout(checkout);
    const [txn] = await linkTransactions(link.id);
    if (!txn) throw new Error('no transaction');
    await deliverFor(txn.merchantOrderId);
    expect(await linkRow(link.id)).toMatchObject({ status: 'paid' });
  });

  it('a customer’s own list never shows link payments', async () => {
    const link = await createLink();
    await startCheckout(link);
    const payer = await createPayer();
    const list = await readJson<{ results: TransactionView[] }>(
      await api(`${TXN}?page_size=100`, { token: payer.access }),
    );
    expect(list.results.every((t) => t.customer === payer.customerId)).toBe(true);
  });
});

describe('payment links: expired and deactivated', () => {
  it('an expired link: 410 page, no checkout, listed as expired', async () => {
    const link = await createLink();
    await testDb()
      .update(paymentLinks)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(paymentLinks.id, link.id));
    const page = await api(pagePath(link));
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('expired');
    const post = await submitForm(link);
    expect(post.status).toBe(410);
    expect(await linkTransactions(link.id)).toHaveLength(0);
    const token = (await linkStaff()).access;
    expect(await readJson(await api(`${LINKS}${link.id}/`, { token }))).toMatchObject({ status: 'expired' });
    const expired = await readJson<{ results: PaymentLinkView[] }>(
      await api(`${LINKS}?status=expired&page_size=100`, { token }),
    );
    expect(expired.results.map((l) => l.id)).toContain(link.id);
    expect(expired.results.every((l) => l.status === 'expired')).toBe(true);
    expect((await api(`${LINKS}?status=bogus`, { token })).status).toBe(400);
  });

  it('a deactivated link: 410 page; deactivating again changes nothing; an open checkout paid later is flagged', async () => {
    const link = await createLink();
    const checkout = await startCheckout(link);
    const token = (await linkStaff()).access;
    const first = await api(`${LINKS}${link.id}/deactivate/`, { method: 'POST', token });
    expect(first.status).toBe(200);
    const again = await api(`${LINKS}${link.id}/deactivate/`, { method: 'POST', token });
    expect(await readJson(again)).toMatchObject({ status: 'deactivated' });
    expect((await api(pagePath(link))).status).toBe(410);
    expect((await submitForm(link)).status).toBe(410);
    await payCheckout(checkout);
    const [txn] = await linkTransactions(link.id);
    if (!txn) throw new Error('no transaction');
    await deliverFor(txn.merchantOrderId, INTENTION);
    expect(await linkRow(link.id)).toMatchObject({ status: 'deactivated', paidCount: 0 });
    expect((await linkTransactions(link.id))[0]?.needsAttentionAt).toBeInstanceOf(Date);
    expect(await linkEvents(link.id)).toHaveLength(0);
    expect(await recordedCallbacks(txn.merchantOrderId, 1)).toHaveLength(1);
  });
});

describe('payment links: the payment_link.paid webhook', () => {
  it('reaches a subscribed merchant endpoint, signed, with the link and its payment', async () => {
    const harness = new WebhookHarness();
    const receiver = merchantReceiver();
    const endpoint = await createEndpoint(harness.ctx(), {
      url: receiver.url,
      events: ['payment_link.paid'],
    });
    endpoints.push(endpoint.id);
    await receiver.configure({ secret: endpoint.secret });
    const link = await createLink();
    await payCheckout(await startCheckout(link));
    const [txn] = await linkTransactions(link.id);
    if (!txn) throw new Error('no transaction');
    await deliverFor(txn.merchantOrderId, { ...INTENTION, WEBHOOK_DELIVERIES: harness.queue() });
    await harness.runDue(endpoint.id);
    const deliveries = await receiver.deliveries();
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ verified: true, answered: 200 });
    expect(deliveries[0]?.body).toMatchObject({
      type: 'payment_link.paid',
      data: { object: { id: link.id, status: 'paid', paid_count: 1, transaction: txn.id, url: link.url } },
    });
  });
});

describe('payment links: hostile requests to the page change nothing', () => {
  it('wrong media type → 415, oversized body → 413, odd tokens → 404; no transaction', async () => {
    const link = await createLink();
    const path = pagePath(link);
    const json = await api(path, { method: 'POST', json: PAYER });
    expect(json.status).toBe(415);
    const huge = await api(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...PAYER, first_name: 'x'.repeat(10_000) }).toString(),
    });
    expect(huge.status).toBe(413);
    const long = await submitForm(link, { ...PAYER, last_name: 'y'.repeat(200) });
    expect(long.status).toBe(400);
    for (const token of ['%00', '%E2%80%AE', 'a'.repeat(500), `${path.split('/').at(-1)}%20`]) {
      expect((await api(`/pay/link/${token}`)).status, token.slice(0, 20)).toBe(404);
    }
    expect(await linkTransactions(link.id)).toHaveLength(0);
  });
});

// The shared authorisation suite (anonymous and bad tokens → 401; customers → 403; staff → ok).
const AUTH_BODY = () => ({ amount: '1.00', description: 'Authorization suite' });
describeAuthorization(
  'POST /api/v1/payment-links/',
  { method: 'POST', path: () => LINKS, body: AUTH_BODY },
  { customer: 403, otherCustomer: 403, staff: 201, admin: 201 },
);
describeAuthorization(
  'GET /api/v1/payment-links/',
  { method: 'GET', path: () => LINKS },
  { customer: 403, otherCustomer: 403, staff: 200, admin: 200 },
);
describeAuthorization(
  'GET /api/v1/payment-links/{id}/',
  { method: 'GET', path: async () => `${LINKS}${(await createLink()).id}/` },
  { customer: 403, otherCustomer: 403, staff: 200, admin: 200 },
);
describeAuthorization(
  'POST /api/v1/payment-links/{id}/deactivate/',
  { method: 'POST', path: async () => `${LINKS}${(await createLink()).id}/deactivate/` },
  { customer: 403, otherCustomer: 403, staff: 200, admin: 200 },
);
describeAuthorization(
  'POST /api/v1/payment-links/{id}/send/',
  {
    method: 'POST',
    path: async () => `${LINKS}${(await createLink()).id}/send/`,
    body: () => ({ email: 'auth-suite@example.com' }),
  },
  { customer: 403, otherCustomer: 403, staff: 202, admin: 202 },
);
