import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailgunProvider } from '../../src/mail/mailgun';
import {
  isFreshTimestamp,
  MailgunWebhookSchema,
  toDeliveryEvent,
  verifyMailgunSignature,
  WEBHOOK_TOLERANCE_SECONDS,
} from '../../src/notifications/webhook';
import { type Sandbox, startSandbox } from '../../tools/sandbox/server.mjs';

/**
 * The sandbox's signed delivery events, fed through the Worker's own verification and parsing: proves the
 * two agree on Mailgun's format (signature, Message-Id without brackets, our key variable, severity).
 */
const API_KEY = 'key-webhook-unit-test';
const DOMAIN = 'mg.stackpay.test';
const SIGNING_KEY = 'signing-key-webhook-unit-test';

let sandbox: Sandbox;
let receiver: Server;
const received: unknown[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  sandbox = await startSandbox({
    port: 0,
    mailgunApiKey: API_KEY,
    mailgunDomain: DOMAIN,
    mailgunWebhookSigningKey: SIGNING_KEY,
    mailgunWebhookDelayMs: 10,
    workerBaseUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
  });
});

afterAll(async () => {
  await sandbox.close();
  await new Promise((resolve) => receiver.close(resolve));
});

const provider = () => createMailgunProvider({ apiKey: API_KEY, domain: DOMAIN, baseUrl: sandbox.url });

async function sendAndReceiveEvent(fault?: Record<string, unknown>) {
  const to = `events-${crypto.randomUUID()}@example.com`;
  if (fault) {
    await fetch(`${sandbox.url}/sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'mailgun', match: `to=${to}`, ...fault }),
    });
  }
  const idempotencyKey = `verification:1:${crypto.randomUUID()}`;
  const { messageId } = await provider().send({
    from: 'StackPay <no-reply@mg.stackpay.test>',
    to,
    subject: 'Verify your email',
    text: 'code',
    html: '<p>code</p>',
    idempotencyKey,
  });
  const find = () =>
    received.find((body) => JSON.stringify(body).includes(to)) as Record<string, unknown> | undefined;
  await expect.poll(find, { timeout: 5_000, interval: 20 }).toBeDefined();
  return { body: MailgunWebhookSchema.parse(find()), messageId, idempotencyKey };
}

describe("the sandbox's Mailgun events, read by the Worker's webhook code", () => {
  it('verify with the signing key and are fresh', async () => {
    const { body } = await sendAndReceiveEvent();
    expect(await verifyMailgunSignature(SIGNING_KEY, body.signature)).toBe(true);
    expect(await verifyMailgunSignature('another-key', body.signature)).toBe(false);
    expect(isFreshTimestamp(body.signature.timestamp, new Date())).toBe(true);
    const later = new Date((Number(body.signature.timestamp) + WEBHOOK_TOLERANCE_SECONDS + 1) * 1000);
    expect(isFreshTimestamp(body.signature.timestamp, later)).toBe(false);
  });

  it('name the sent message by the id the send answered and carry our idempotency key', async () => {
    const { body, messageId, idempotencyKey } = await sendAndReceiveEvent();
    expect(toDeliveryEvent(body['event-data'], new Date())).toMatchObject({
      outcome: 'delivered',
      messageId,
      idempotencyKey,
    });
  });

  it('report a permanent failure with its reason', async () => {
    const { body } = await sendAndReceiveEvent({ mode: 'event', event: 'failed', severity: 'permanent' });
    expect(toDeliveryEvent(body['event-data'], new Date())).toMatchObject({
      outcome: 'failed',
      reason: 'mailgun failed: bounce 550 5.1.1 The email account that you tried to reach does not exist.',
    });
  });

  it('report a temporary failure as deferred', async () => {
    const { body } = await sendAndReceiveEvent({ mode: 'event', event: 'failed', severity: 'temporary' });
    expect(toDeliveryEvent(body['event-data'], new Date())?.outcome).toBe('deferred');
  });
});
