import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/sandbox/server.mjs';

const API_KEY = 'key-sandbox-test';
const DOMAIN = 'mg.stackpay.test';
const SIGNING_KEY = 'signing-key-sandbox-test';
const WEBHOOK_DELAY_MS = 20;
const WEBHOOK_PATH = '/api/v1/notifications/mailgun-webhook/';

interface MailgunEvent {
  signature: { timestamp: string; token: string; signature: string };
  'event-data': {
    event: string;
    id: string;
    timestamp: number;
    recipient: string;
    severity?: string;
    message: { headers: Record<string, string> };
    'user-variables': Record<string, string>;
    'delivery-status': { code: number; message: string };
  };
}

interface StoredMessage {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text: string | null;
  html: string | null;
  headers: Record<string, string>;
  variables: Record<string, string>;
  options: Record<string, string[]>;
  attachments: { filename: string; size: number }[];
  received_at: string;
}

interface WebhookRecord {
  url: string;
  event: string;
  recipient: string;
  status: number | null;
  error: string | null;
}

interface SendAnswer {
  id: string;
  message: string;
}

type Fields = Record<string, string | string[]>;

let sandbox: Sandbox;
let worker: Server;
const received: { path: string; body: MailgunEvent }[] = [];

// Stands in for the Worker's webhook route: records every signed event it is sent.
function startWorkerStandIn(): Promise<string> {
  worker = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
  });
  return new Promise((resolve) => {
    worker.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(worker.address() as AddressInfo).port}`),
    );
  });
}

function basicAuth(user: string, key: string): string {
  return `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}`;
}

function multipart(fields: Fields): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    for (const item of [value].flat()) form.append(name, item);
  }
  return form;
}

function urlencoded(fields: Fields): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const item of [value].flat()) params.append(name, item);
  }
  return params;
}

function send(
  fields: Fields,
  {
    auth = basicAuth('api', API_KEY),
    domain = DOMAIN,
    body = multipart(fields) as FormData | URLSearchParams,
  } = {},
): Promise<Response> {
  return fetch(`${sandbox.url}/v3/${domain}/messages`, {
    method: 'POST',
    headers: { authorization: auth },
    body,
  });
}

const validMessage = (to: string | string[] = 'alice@example.com'): Fields => ({
  from: 'StackPay <no-reply@mg.stackpay.test>',
  to,
  subject: 'Verify your email',
  text: 'Your code is 123456',
});

// Response.json() is untyped; each caller names the shape the sandbox documents.
async function json<T>(response: Response | Promise<Response>): Promise<T> {
  return (await (await response).json()) as T;
}

async function mailbox(to?: string): Promise<StoredMessage[]> {
  const query = to === undefined ? '' : `?to=${encodeURIComponent(to)}`;
  return json<StoredMessage[]>(fetch(`${sandbox.url}/mailbox/messages${query}`));
}

async function addFault(fault: Record<string, unknown>): Promise<Response> {
  return fetch(`${sandbox.url}/sandbox/faults`, { method: 'POST', body: JSON.stringify(fault) });
}

async function webhookRecords(baseUrl = sandbox.url): Promise<WebhookRecord[]> {
  return json<WebhookRecord[]>(fetch(`${baseUrl}/sandbox/mailgun/webhooks`));
}

async function waitFor<T>(probe: () => T | Promise<T>, timeoutMs = 3000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error('timed out waiting for condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The delivery events received for one sent message (its id as the send answered it, `<…>`). */
function ofMessage(id: string) {
  return received.filter((post) => post.body['event-data'].message.headers['message-id'] === id.slice(1, -1));
}

beforeAll(async () => {
  sandbox = await startSandbox({
    port: 0,
    mailgunApiKey: API_KEY,
    mailgunDomain: DOMAIN,
    mailgunWebhookSigningKey: SIGNING_KEY,
    mailgunWebhookDelayMs: WEBHOOK_DELAY_MS,
    workerBaseUrl: await startWorkerStandIn(),
  });
});

afterAll(async () => {
  await sandbox?.close();
  await new Promise((resolve) => worker?.close(resolve));
});

beforeEach(async () => {
  await fetch(`${sandbox.url}/sandbox/reset`, { method: 'POST' });
  received.length = 0;
});

describe('sandbox basics', () => {
  it('listens on the requested free port and reports health', async () => {
    expect(sandbox.port).toBeGreaterThan(0);
    const response = await fetch(`${sandbox.url}/health`);
    expect(await response.json()).toEqual({ status: 'ok', services: ['mailgun', 'paymob', 'merchant'] });
  });
});

describe('Mailgun messages API', () => {
  it.each([
    ['a wrong key', basicAuth('api', 'key-wrong')],
    ['a wrong user', basicAuth('user', API_KEY)],
    ['no credentials', ''],
  ])('answers 401 Forbidden for %s', async (_case, auth) => {
    const response = await send(validMessage(), { auth });
    expect(response.status).toBe(401);
    expect(await response.text()).toBe('Forbidden');
  });

  it('answers 404 for a domain that is not configured', async () => {
    const response = await send(validMessage(), { domain: 'other.example.com' });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Domain not found: other.example.com' });
  });

  it.each([
    ['from', "'from' parameter is missing"],
    ['to', "'to' parameter is missing"],
    ['subject', "'subject' parameter is missing"],
    ['text', "Need at least one of 'text', 'html' or 'template' parameters specified"],
  ])('rejects a message without %s in Mailgun wording', async (field, message) => {
    const fields = validMessage();
    delete fields[field];
    const response = await send(fields);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message });
  });

  it('rejects an invalid recipient address', async () => {
    const response = await send(validMessage('not-an-address'));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      message: "'to' parameter is not a valid address. please check documentation",
    });
  });

  it('accepts html or template instead of text', async () => {
    const { text: _text, ...withoutText } = validMessage();
    expect((await send({ ...withoutText, html: '<p>Hi</p>' })).status).toBe(200);
    expect((await send({ ...withoutText, template: 'verify-email' })).status).toBe(200);
  });

  it('answers with a queued Message-Id on the sending domain', async () => {
    const response = await send(validMessage());
    expect(response.status).toBe(200);
    const body = await json<SendAnswer>(response);
    expect(body.message).toBe('Queued. Thank you.');
    expect(body.id).toMatch(/^<\d{14}\.[0-9a-f]+@mg\.stackpay\.test>$/);
  });

  it('stores a multipart message with repeated recipients, headers, variables, options and files', async () => {
    const form = multipart({
      ...validMessage(['alice@example.com', 'Bob <bob@example.com>']),
      html: '<p>Your code</p>',
      'h:Reply-To': 'support@stackpay.test',
      'v:email_event_id': 'evt-1',
      'o:tag': ['verification', 'dev'],
    });
    form.append('attachment', new Blob(['hello']), 'note.txt');
    const response = await send({}, { body: form });
    const { id } = await json<SendAnswer>(response);

    const [stored] = await mailbox();
    expect(stored).toMatchObject({
      id,
      from: 'StackPay <no-reply@mg.stackpay.test>',
      to: ['alice@example.com', 'Bob <bob@example.com>'],
      subject: 'Verify your email',
      text: 'Your code is 123456',
      html: '<p>Your code</p>',
      headers: { 'Reply-To': 'support@stackpay.test' },
      variables: { email_event_id: 'evt-1' },
      options: { tag: ['verification', 'dev'] },
      attachments: [{ filename: 'note.txt', size: 5 }],
    });
    expect(Date.parse(stored?.received_at ?? '')).not.toBeNaN();
  });

  it('accepts a urlencoded body with comma-separated recipients', async () => {
    const fields = validMessage('carol@example.com, "Doe, Dan" <dan@example.com>');
    const response = await send(fields, { body: urlencoded(fields) });
    expect(response.status).toBe(200);
    const [stored] = await mailbox();
    expect(stored?.to).toEqual(['carol@example.com', '"Doe, Dan" <dan@example.com>']);
  });
});

describe('captured mailbox', () => {
  it('lists messages newest first and filters by recipient case-insensitively', async () => {
    await send({ ...validMessage('alice@example.com'), subject: 'first' });
    await send({ ...validMessage('bob@example.com'), subject: 'second' });
    await send({ ...validMessage('Alice <alice@example.com>'), subject: 'third' });

    expect((await mailbox()).map((message) => message.subject)).toEqual(['third', 'second', 'first']);
    expect((await mailbox('ALICE@Example.com')).map((message) => message.subject)).toEqual([
      'third',
      'first',
    ]);
    expect(await mailbox('nobody@example.com')).toEqual([]);
  });

  it('clears on DELETE', async () => {
    await send(validMessage());
    const response = await fetch(`${sandbox.url}/mailbox/messages`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await mailbox()).toEqual([]);
  });

  it('escapes subjects and shows the HTML body only inside a sandboxed iframe', async () => {
    await send({
      ...validMessage(),
      subject: '<script>alert(1)</script>',
      html: '<p onclick="x()">Hi</p><script>steal()</script>',
    });
    const response = await fetch(`${sandbox.url}/mailbox`);
    const page = await response.text();
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('<script>');
    expect(page).toContain(
      '<iframe sandbox title="HTML body" srcdoc="&lt;p onclick=&quot;x()&quot;&gt;Hi&lt;/p&gt;',
    );
  });
});

describe('signed delivery events', () => {
  it('posts a delivered event whose signature verifies with the signing key', async () => {
    const { id } = await json<SendAnswer>(send({ ...validMessage(), 'v:email_event_id': 'evt-42' }));
    // A delivery event of an earlier test may still be in flight after the reset: wait for this message's.
    const post = await waitFor(() => ofMessage(id)[0]);

    expect(post.path).toBe(WEBHOOK_PATH);
    const { signature, 'event-data': event } = post.body;
    expect(signature.token).toMatch(/^[0-9a-f]{50}$/);
    expect(Math.abs(Number(signature.timestamp) - Date.now() / 1000)).toBeLessThan(5);
    const expected = createHmac('sha256', SIGNING_KEY)
      .update(signature.timestamp + signature.token)
      .digest('hex');
    expect(signature.signature).toBe(expected);
    expect(event).toMatchObject({
      event: 'delivered',
      recipient: 'alice@example.com',
      message: { headers: { 'message-id': id.slice(1, -1) } },
      'user-variables': { email_event_id: 'evt-42' },
      'delivery-status': { code: 250 },
    });
    expect(typeof event.timestamp).toBe('number');
  });

  it('sends one event per recipient and records each attempt', async () => {
    const { id } = await json<SendAnswer>(send(validMessage('alice@example.com, bob@example.com')));
    await waitFor(() => ofMessage(id).length === 2);
    expect(
      ofMessage(id)
        .map((post) => post.body['event-data'].recipient)
        .sort(),
    ).toEqual(['alice@example.com', 'bob@example.com']);
    const records = await waitFor(async () => {
      const list = await webhookRecords();
      return list.every((record) => record.status === 200) && list.length === 2 ? list : null;
    });
    expect(records[0]).toMatchObject({ url: expect.stringContaining(WEBHOOK_PATH), event: 'delivered' });
  });

  it('records the error when the webhook target is unreachable, and sends nothing without a target', async () => {
    // Port 2 is privileged, unassigned and not on fetch's blocked-port list, so nothing listens on it; a
    // port freed by closing a server could be handed to the next server started on port 0 before the send.
    const closedPort = 2;
    const unreachable = await startSandbox({
      port: 0,
      mailgunWebhookSigningKey: SIGNING_KEY,
      mailgunWebhookDelayMs: 0,
      workerBaseUrl: `http://127.0.0.1:${closedPort}`,
    });
    const silent = await startSandbox({ port: 0, mailgunWebhookDelayMs: 0, workerBaseUrl: '' });
    try {
      for (const target of [unreachable, silent]) {
        await fetch(`${target.url}/v3/any.example.com/messages`, {
          method: 'POST',
          headers: { authorization: basicAuth('api', 'any-key') },
          body: multipart(validMessage()),
        });
      }
      const [record] = await waitFor(async () => {
        const list = await webhookRecords(unreachable.url);
        return list[0]?.error ? list : null;
      });
      expect(record).toMatchObject({ status: null, error: 'ECONNREFUSED' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await webhookRecords(silent.url)).toEqual([]);
    } finally {
      await unreachable.close();
      await silent.close();
    }
  });
});

describe('fault injection', () => {
  it('fails the next calls with the given status, then recovers', async () => {
    const created = await addFault({ service: 'mailgun', mode: 'status', status: 503, count: 2 });
    expect(created.status).toBe(201);

    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await send(validMessage());
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ message: 'Service Unavailable' });
    }
    expect((await send(validMessage())).status).toBe(200);
    expect(await mailbox()).toHaveLength(1);
    expect(await (await fetch(`${sandbox.url}/sandbox/faults`)).json()).toEqual([]);
  });

  it('scopes a fault to one recipient with match', async () => {
    await addFault({ service: 'mailgun', mode: 'status', status: 500, match: 'to=alice@example.com' });
    expect((await send(validMessage('bob@example.com'))).status).toBe(200);
    expect((await send(validMessage('alice@example.com'))).status).toBe(500);
    expect((await send(validMessage('alice@example.com'))).status).toBe(200);
  });

  it('delays the answer', async () => {
    await addFault({ service: 'mailgun', mode: 'delay', ms: 300, count: 1 });
    const started = Date.now();
    const response = await send(validMessage());
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    const again = Date.now();
    await send(validMessage());
    expect(Date.now() - again).toBeLessThan(250);
  });

  it('turns the next delivery event into a permanent failure', async () => {
    await addFault({ service: 'mailgun', event: 'failed' });
    await send(validMessage());
    await send(validMessage());
    await waitFor(() => received.length === 2);
    const events = received.map((post) => post.body['event-data']);
    expect(events.map((event) => event.event).sort()).toEqual(['delivered', 'failed']);
    expect(events.find((event) => event.event === 'failed')).toMatchObject({
      severity: 'permanent',
      'delivery-status': { code: 550 },
    });
  });

  it('lists and clears faults', async () => {
    await addFault({ service: 'mailgun', mode: 'status', status: 429, count: 3 });
    const listed = await (await fetch(`${sandbox.url}/sandbox/faults`)).json();
    expect(listed).toMatchObject([{ service: 'mailgun', mode: 'status', status: 429, count: 3 }]);
    await fetch(`${sandbox.url}/sandbox/faults`, { method: 'DELETE' });
    expect(await (await fetch(`${sandbox.url}/sandbox/faults`)).json()).toEqual([]);
  });

  it.each([
    [{ service: 'smtp', mode: 'status', status: 500 }],
    [{ service: 'mailgun', mode: 'explode' }],
    [{ service: 'mailgun', mode: 'status' }],
    [{ service: 'mailgun', mode: 'status', status: 503, count: 0 }],
    [{ service: 'mailgun', event: 'bounced' }],
  ])('rejects an invalid fault %j', async (fault) => {
    const response = await addFault(fault);
    expect(response.status).toBe(400);
    expect((await json<{ message: string }>(response)).message).toEqual(expect.any(String));
  });
});

describe('reset', () => {
  it('clears the mailbox, faults and webhook records', async () => {
    await send(validMessage());
    await waitFor(async () => (await webhookRecords()).length === 1);
    await addFault({ service: 'mailgun', mode: 'status', status: 503, count: 5 });

    const response = await fetch(`${sandbox.url}/sandbox/reset`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(await mailbox()).toEqual([]);
    expect(await webhookRecords()).toEqual([]);
    expect(await (await fetch(`${sandbox.url}/sandbox/faults`)).json()).toEqual([]);
    expect((await send(validMessage())).status).toBe(200);
  });
});
