import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/client';
import { emailEvents, webhookTokens } from '../../src/db/schema';
import worker from '../../src/index';
import { QUEUES } from '../../src/jobs';
import { EMAIL_KEY_VARIABLE } from '../../src/mail/mailgun';
import { markEmailSent, reserveEmail } from '../../src/notifications/service';

const BASE = 'https://stackpay.test';
const PATH = '/api/v1/notifications/mailgun-webhook/';
const db = createDatabase(env.DATABASE_URL as string, 'test-notifications-webhook');
const encoder = new TextEncoder();

const nowSeconds = () => Math.floor(Date.now() / 1000);
const randomToken = () => crypto.randomUUID().replaceAll('-', '') + crypto.randomUUID().slice(0, 18);

async function hmacHex(key: string, data: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey(
    'raw',
    encoder.encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(data)));
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** A webhook body as Mailgun (and the sandbox) sends it, signed with the test signing key. */
async function signedEvent(
  eventData: Record<string, unknown>,
  options: { timestamp?: number; token?: string; key?: string } = {},
) {
  const timestamp = String(options.timestamp ?? nowSeconds());
  const token = options.token ?? randomToken();
  const signature = await hmacHex(
    options.key ?? (env.MAILGUN_WEBHOOK_SIGNING_KEY as string),
    timestamp + token,
  );
  return { signature: { timestamp, token, signature }, 'event-data': eventData };
}

function deliveredData(messageId: string, extra: Record<string, unknown> = {}) {
  return {
    event: 'delivered',
    id: crypto.randomUUID(),
    timestamp: Date.now() / 1000,
    recipient: 'someone@example.com',
    message: { headers: { 'message-id': messageId } },
    'delivery-status': { code: 250, message: 'OK' },
    ...extra,
  };
}

function failedData(messageId: string, severity: 'permanent' | 'temporary') {
  return {
    event: 'failed',
    id: crypto.randomUUID(),
    timestamp: Date.now() / 1000,
    severity,
    reason: severity === 'permanent' ? 'bounce' : 'generic',
    message: { headers: { 'message-id': messageId } },
    'delivery-status':
      severity === 'permanent'
        ? { code: 550, message: '5.1.1 The email account that you tried to reach does not exist.' }
        : { code: 452, message: '4.2.2 The email account that you tried to reach is over quota.' },
  };
}

function post(body: unknown, init: RequestInit = {}) {
  return exports.default.fetch(
    new Request(`${BASE}${PATH}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      ...init,
    }),
  );
}

async function emailRow(key: string) {
  const [row] = await db.select().from(emailEvents).where(eq(emailEvents.idempotencyKey, key));
  return row;
}

/** Sends a real verification e-mail through the consumer and the sandbox; returns its row's identifiers. */
async function sentEmail() {
  const key = `test-webhook:${crypto.randomUUID()}`;
  const message = {
    type: 'verification_code',
    idempotency_key: key,
    to: `webhook-${crypto.randomUUID()}@example.com`,
    user_id: 77,
    username: 'webhook_user',
    code: '111222',
    valid_minutes: 10,
  };
  const batch = createMessageBatch(QUEUES.notifications, [
    { id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body: message },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  await getQueueResult(batch, ctx);
  const row = await emailRow(key);
  if (row?.status !== 'sent' || !row.providerMessageId) throw new Error('setup: e-mail was not sent');
  return { key, messageId: row.providerMessageId };
}

async function problem(res: Response) {
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  return (await res.json()) as { code: string; status: number };
}

describe('signed delivery events', () => {
  it('a delivered event marks the e-mail delivered', async () => {
    const { key, messageId } = await sentEmail();
    const res = await post(await signedEvent(deliveredData(messageId)));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true });
    const row = await emailRow(key);
    expect(row?.status).toBe('delivered');
    expect(row?.deliveredAt).toBeInstanceOf(Date);
  });

  it('a permanent failure marks the e-mail failed with the reason', async () => {
    const { key, messageId } = await sentEmail();
    const res = await post(await signedEvent(failedData(messageId, 'permanent')));
    expect(res.status).toBe(200);
    const row = await emailRow(key);
    expect(row?.status).toBe('failed');
    expect(row?.lastError).toBe(
      'mailgun failed: bounce 550 5.1.1 The email account that you tried to reach does not exist.',
    );
  });

  it('a temporary failure keeps the e-mail sent (Mailgun retries) and records the reason', async () => {
    const { key, messageId } = await sentEmail();
    expect((await post(await signedEvent(failedData(messageId, 'temporary')))).status).toBe(200);
    const row = await emailRow(key);
    expect(row?.status).toBe('sent');
    expect(row?.lastError).toContain('452');
  });

  it('a late permanent failure never undoes a delivery', async () => {
    const { key, messageId } = await sentEmail();
    await post(await signedEvent(deliveredData(messageId)));
    expect((await post(await signedEvent(failedData(messageId, 'permanent')))).status).toBe(200);
    expect((await emailRow(key))?.status).toBe('delivered');
  });

  it('finds the e-mail by our idempotency-key variable when it arrives before the send was recorded', async () => {
    const key = `test-webhook-race:${crypto.randomUUID()}`;
    const record = {
      idempotencyKey: key,
      kind: 'verification_code',
      userId: null,
      recipient: 'race@example.com',
      subject: 'Verify your email',
      provider: 'mailgun',
    };
    expect(await reserveEmail(db, record, 1)).toBe(true);
    const messageId = `${crypto.randomUUID()}@mg.stackpay.test`;
    const res = await post(
      await signedEvent(deliveredData(messageId, { 'user-variables': { [EMAIL_KEY_VARIABLE]: key } })),
    );
    expect(res.status).toBe(200);
    expect((await emailRow(key))?.status).toBe('delivered');

    await markEmailSent(db, key, messageId, new Date());
    const row = await emailRow(key);
    expect(row?.status).toBe('delivered');
    expect(row?.providerMessageId).toBe(messageId);
  });

  it('acknowledges events it does not track (opened, clicked) without changing anything', async () => {
    const { key, messageId } = await sentEmail();
    const res = await post(await signedEvent({ ...deliveredData(messageId), event: 'opened' }));
    expect(res.status).toBe(200);
    expect((await emailRow(key))?.status).toBe('sent');
  });

  it('acknowledges an event for an unknown message', async () => {
    const res = await post(await signedEvent(deliveredData(`${crypto.randomUUID()}@mg.stackpay.test`)));
    expect(res.status).toBe(200);
  });

  it('still applies an event whose optional fields have unexpected types', async () => {
    const { key, messageId } = await sentEmail();
    const data = {
      ...deliveredData(messageId),
      timestamp: 'yesterday',
      'delivery-status': 'ok',
      'user-variables': [],
    };
    expect((await post(await signedEvent(data))).status).toBe(200);
    expect((await emailRow(key))?.status).toBe('delivered');
  });
});

describe('signature checks', () => {
  it('a wrong signature is 401 and changes nothing', async () => {
    const { key, messageId } = await sentEmail();
    const body = await signedEvent(deliveredData(messageId), { key: 'not-the-signing-key' });
    const res = await post(body);
    expect(res.status).toBe(401);
    expect((await problem(res)).code).toBe('invalid_signature');
    expect(res.headers.get('WWW-Authenticate')).toBeTruthy();
    expect((await emailRow(key))?.status).toBe('sent');
    // The refused request did not use the token up.
    const [stored] = await db
      .select()
      .from(webhookTokens)
      .where(eq(webhookTokens.token, body.signature.token));
    expect(stored).toBeUndefined();
  });

  it('a signature over a different token is 401', async () => {
    const body = await signedEvent(deliveredData('x@mg.stackpay.test'));
    body.signature.token = randomToken();
    expect((await post(body)).status).toBe(401);
  });

  it('a signature that is not hex is 401', async () => {
    const body = await signedEvent(deliveredData('x@mg.stackpay.test'));
    body.signature.signature = 'zz'.repeat(32);
    expect((await post(body)).status).toBe(401);
  });

  it('a correctly signed but stale timestamp (over 5 minutes old) is 401', async () => {
    const { key, messageId } = await sentEmail();
    const res = await post(await signedEvent(deliveredData(messageId), { timestamp: nowSeconds() - 301 }));
    expect(res.status).toBe(401);
    expect((await problem(res)).code).toBe('signature_expired');
    expect((await emailRow(key))?.status).toBe('sent');
  });

  it('a timestamp more than 5 minutes in the future is 401', async () => {
    const res = await post(
      await signedEvent(deliveredData('x@mg.stackpay.test'), { timestamp: nowSeconds() + 600 }),
    );
    expect(res.status).toBe(401);
  });

  it('a timestamp within the tolerance is accepted', async () => {
    const res = await post(
      await signedEvent(deliveredData('x@mg.stackpay.test'), { timestamp: nowSeconds() - 240 }),
    );
    expect(res.status).toBe(200);
  });

  it('a replayed token is refused with 409', async () => {
    const { key, messageId } = await sentEmail();
    const body = await signedEvent(deliveredData(messageId));
    expect((await post(body)).status).toBe(200);
    const replay = await post({ ...body, 'event-data': failedData(messageId, 'permanent') });
    expect(replay.status).toBe(409);
    expect((await problem(replay)).code).toBe('webhook_replayed');
    expect((await emailRow(key))?.status).toBe('delivered');
  });

  it('is answered 503 (so Mailgun retries later) when no signing key is configured', async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`${BASE}${PATH}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(await signedEvent(deliveredData('x@mg.stackpay.test'))),
      }),
      { ...env, MAILGUN_WEBHOOK_SIGNING_KEY: undefined },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect((await problem(res)).code).toBe('webhook_not_configured');
  });
});

describe('malformed requests are 4xx, never 5xx', () => {
  const valid = { timestamp: '1700000000', token: 'a'.repeat(50), signature: 'b'.repeat(64) };
  it.each([
    ['invalid JSON', '{"signature": '],
    ['a JSON array', '[]'],
    ['a JSON string', '"hello"'],
    ['null', 'null'],
    ['no signature', { 'event-data': { event: 'delivered' } }],
    ['no event-data', { signature: valid }],
    ['no event name', { signature: valid, 'event-data': {} }],
    [
      'a numeric timestamp',
      { signature: { ...valid, timestamp: 1700000000 }, 'event-data': { event: 'delivered' } },
    ],
    [
      'a non-numeric timestamp',
      { signature: { ...valid, timestamp: 'now' }, 'event-data': { event: 'delivered' } },
    ],
    [
      'an overlong token',
      { signature: { ...valid, token: 'a'.repeat(129) }, 'event-data': { event: 'delivered' } },
    ],
    ['an empty signature', { signature: { ...valid, signature: '' }, 'event-data': { event: 'delivered' } }],
  ])('%s → 400', async (_name, body) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect((await problem(res)).status).toBe(400);
  });

  it('an empty body → 400', async () => {
    const res = await post('', { headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(400);
  });

  it('a form-encoded body → 415', async () => {
    const res = await post('signature=x', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
  });

  it('GET → 405 with Allow: POST', async () => {
    const res = await exports.default.fetch(new Request(`${BASE}${PATH}`));
    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toBe('POST');
  });

  it('works without the trailing slash', async () => {
    const res = await exports.default.fetch(
      new Request(`${BASE}/api/v1/notifications/mailgun-webhook`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(await signedEvent(deliveredData('x@mg.stackpay.test'))),
      }),
    );
    expect(res.status).toBe(200);
  });
});

describe('the webhook route', () => {
  it('is not rate limited', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 40 }, async () => (await post(await signedEvent({ event: 'opened' }))).status),
    );
    expect(new Set(statuses)).toEqual(new Set([200]));
  });

  it('is documented in OpenAPI under Notifications', async () => {
    const doc = (await (await exports.default.fetch(new Request(`${BASE}/openapi.json`))).json()) as {
      paths: Record<string, { post?: { tags?: string[]; responses: Record<string, unknown> } }>;
    };
    const entry = doc.paths['/api/v1/notifications/mailgun-webhook']?.post;
    expect(entry?.tags).toEqual(['Notifications']);
    expect(Object.keys(entry?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '409']));
  });
});
