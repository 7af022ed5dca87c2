import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { createDatabase } from '../../src/db/client';
import { emailEvents } from '../../src/db/schema';
import worker from '../../src/index';
import { QUEUES } from '../../src/jobs';
import { createLogger } from '../../src/lib/logger';
import { createMailgunProvider } from '../../src/mail/mailgun';
import {
  handleNotificationBatch,
  RETRY_BASE_SECONDS,
  retryDelaySeconds,
} from '../../src/notifications/consumer';
import type { NotificationMessage } from '../../src/notifications/messages';
import { testContext } from './context-support';

const db = createDatabase(env.DATABASE_URL as string, 'test-notifications-pipeline');
// Matches max_retries of the notifications consumer in wrangler.toml: 1 delivery + 5 retries.
const MAX_DELIVERIES = 6;

const uniqueAddress = () => `pipeline-${crypto.randomUUID()}@example.com`;

function verificationMessage(to: string, overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    type: 'verification_code',
    idempotency_key: `test-verification:${crypto.randomUUID()}`,
    to,
    user_id: 4242,
    username: 'pipeline_user',
    code: '604817',
    valid_minutes: 10,
    ...overrides,
  } as NotificationMessage;
}

let sequence = 0;
/**
 * Runs the Worker's queue handler on one batch, as the Queues runtime would. getQueueResult reports which
 * messages were retried but not their delay, so `retry` is spied on for that.
 */
async function deliver(queue: string, bodies: unknown[], attempts = 1) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body) => ({
      id: `msg-${++sequence}-${crypto.randomUUID()}`,
      timestamp: new Date(),
      attempts,
      body,
    })),
  );
  const retries = batch.messages.map((message) => vi.spyOn(message, 'retry'));
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, ctx);
  const retryDelays = retries.flatMap((spy) => spy.mock.calls.map(([options]) => options?.delaySeconds));
  return { ...result, retryDelays };
}

async function mailbox(to: string) {
  const res = await fetch(`${env.SANDBOX_URL}/mailbox/messages?to=${encodeURIComponent(to)}`);
  return (await res.json()) as Array<{
    id: string;
    subject: string;
    text: string;
    html: string;
    to: string[];
  }>;
}

async function addFault(fault: Record<string, unknown>) {
  const res = await fetch(`${env.SANDBOX_URL}/sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ service: 'mailgun', ...fault }),
  });
  expect(res.status).toBe(201);
}

async function emailRow(key: string) {
  const [row] = await db.select().from(emailEvents).where(eq(emailEvents.idempotencyKey, key));
  return row;
}

describe('sending the verification e-mail', () => {
  it('renders and delivers a message put on the real notifications queue', async () => {
    const to = uniqueAddress();
    const message = verificationMessage(to);
    await env.NOTIFICATIONS.send(message, { contentType: 'json' });

    let received: Awaited<ReturnType<typeof mailbox>> = [];
    await expect
      .poll(
        async () => {
          received = await mailbox(to);
          return received.length;
        },
        { timeout: 15_000, interval: 250 },
      )
      .toBe(1);
    const [mail] = received;
    expect(mail?.subject).toBe('Verify your email');
    expect(mail?.text).toContain('Hi pipeline_user,');
    expect(mail?.text).toContain('604817');
    expect(mail?.text).toContain('valid for 10 minutes');
    expect(mail?.html).toContain('604817');

    await expect
      .poll(async () => (await emailRow(message.idempotency_key))?.status, { timeout: 5_000 })
      .toBe('sent');
  });

  it('records the e-mail as sent with the provider message id and acks the message', async () => {
    const to = uniqueAddress();
    const message = verificationMessage(to);
    const result = await deliver(QUEUES.notifications, [message]);

    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    const [mail] = await mailbox(to);
    const row = await emailRow(message.idempotency_key);
    expect(row).toMatchObject({
      status: 'sent',
      kind: 'verification_code',
      recipient: to,
      subject: 'Verify your email',
      provider: 'mailgun',
      userId: 4242,
      attempts: 1,
      lastError: null,
    });
    expect(row?.providerMessageId).toBe(mail?.id.slice(1, -1));
    expect(row?.sentAt).toBeInstanceOf(Date);
  });
});

describe('a redelivered message never sends a duplicate', () => {
  it('acks a second delivery of an e-mail already sent without sending it', async () => {
    const to = uniqueAddress();
    const message = verificationMessage(to);
    await deliver(QUEUES.notifications, [message]);
    const again = await deliver(QUEUES.notifications, [message], 2);

    expect(again.explicitAcks).toHaveLength(1);
    expect(again.retryMessages).toEqual([]);
    expect(await mailbox(to)).toHaveLength(1);
    expect((await emailRow(message.idempotency_key))?.status).toBe('sent');
  });

  it('sends once when two copies arrive in the same batch', async () => {
    const to = uniqueAddress();
    const message = verificationMessage(to);
    const result = await deliver(QUEUES.notifications, [message, message]);

    expect(result.explicitAcks).toHaveLength(2);
    expect(await mailbox(to)).toHaveLength(1);
  });

  it('does not send again once delivery was confirmed', async () => {
    const to = uniqueAddress();
    const message = verificationMessage(to);
    await deliver(QUEUES.notifications, [message]);
    await db
      .update(emailEvents)
      .set({ status: 'delivered' })
      .where(eq(emailEvents.idempotencyKey, message.idempotency_key));
    await deliver(QUEUES.notifications, [message], 3);
    expect(await mailbox(to)).toHaveLength(1);
  });
});

describe('a failing provider', () => {
  it('is retried with exponential backoff, and after the last retry the dead-letter consumer marks the e-mail failed', async () => {
    const to = uniqueAddress();
    const message = verificationMessage(to);
    await addFault({ mode: 'status', status: 503, count: MAX_DELIVERIES, match: `to=${to}` });

    const delays: number[] = [];
    for (let attempt = 1; attempt <= MAX_DELIVERIES; attempt++) {
      const result = await deliver(QUEUES.notifications, [message], attempt);
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages).toHaveLength(1);
      delays.push(result.retryDelays[0] ?? 0);
      const row = await emailRow(message.idempotency_key);
      expect(row).toMatchObject({ status: 'queued', attempts: attempt });
      expect(row?.lastError).toMatch(/^mailgun: HTTP 503/);
    }
    delays.forEach((delay, i) => {
      const ceiling = RETRY_BASE_SECONDS * 2 ** (i + 1);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    });

    // The Queues runtime moves the message to notifications-dlq after max_retries.
    const dead = await deliver(QUEUES.deadLetters, [message]);
    expect(dead.explicitAcks).toHaveLength(1);
    const row = await emailRow(message.idempotency_key);
    expect(row?.status).toBe('failed');
    expect(row?.lastError).toMatch(/^mailgun: HTTP 503/);
    expect(await mailbox(to)).toHaveLength(0);
  });

  it('sends on the retry once the provider recovers', async () => {
    const to = uniqueAddress();
    const message = verificationMessage(to);
    await addFault({ mode: 'status', status: 502, count: 1, match: `to=${to}` });

    const first = await deliver(QUEUES.notifications, [message], 1);
    expect(first.retryMessages).toHaveLength(1);
    const second = await deliver(QUEUES.notifications, [message], 2);
    expect(second.explicitAcks).toHaveLength(1);

    expect(await mailbox(to)).toHaveLength(1);
    expect(await emailRow(message.idempotency_key)).toMatchObject({
      status: 'sent',
      attempts: 2,
      lastError: null,
    });
  });

  it('marks the e-mail failed without retrying when the provider refuses it for good (4xx)', async () => {
    const to = uniqueAddress();
    const message = verificationMessage(to);
    await addFault({ mode: 'status', status: 400, match: `to=${to}` });

    const result = await deliver(QUEUES.notifications, [message]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    const row = await emailRow(message.idempotency_key);
    expect(row?.status).toBe('failed');
    expect(row?.lastError).toMatch(/^mailgun: HTTP 400/);
  });

  it('retries a provider that answers too slowly', async () => {
    const to = uniqueAddress();
    const message = verificationMessage(to);
    await addFault({ mode: 'delay', ms: 1_500, match: `to=${to}` });
    const batch = createMessageBatch(QUEUES.notifications, [
      { id: `slow-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body: message },
    ]);
    const ctx = createExecutionContext();
    await handleNotificationBatch(
      testContext({ db, logger: createLogger({ test: 'slow-provider' }, 'error') }),
      {
        batch,
        provider: createMailgunProvider({
          apiKey: env.MAILGUN_API_KEY as string,
          domain: env.MAILGUN_DOMAIN as string,
          baseUrl: env.SANDBOX_URL,
          timeoutMs: 200,
        }),
      },
    );
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages).toHaveLength(1);
    expect((await emailRow(message.idempotency_key))?.lastError).toBe('mailgun: no answer within 200 ms');
  });
});

describe('an unreachable database', () => {
  it('retries the message with backoff and sends nothing', async () => {
    const to = uniqueAddress();
    const batch = createMessageBatch(QUEUES.notifications, [
      {
        id: `db-down-${crypto.randomUUID()}`,
        timestamp: new Date(),
        attempts: 1,
        body: verificationMessage(to),
      },
    ]);
    const retry = vi.spyOn(batch.messages[0] as Message<unknown>, 'retry');
    const ctx = testContext({
      db: createDatabase('http://stackpay:stackpay-local@127.0.0.1:9', 'test-db-down'),
      logger: createLogger({ test: 'db-down' }, 'error'),
    });
    await handleNotificationBatch(ctx, {
      batch,
      provider: createMailgunProvider({
        apiKey: env.MAILGUN_API_KEY as string,
        domain: env.MAILGUN_DOMAIN as string,
        baseUrl: env.SANDBOX_URL,
      }),
    });
    const result = await getQueueResult(batch, createExecutionContext());
    expect(result.retryMessages).toHaveLength(1);
    expect(retry.mock.calls[0]?.[0]?.delaySeconds).toBeGreaterThanOrEqual(5);
    expect(await mailbox(to)).toHaveLength(0);
  });
});

describe('messages that cannot be e-mails', () => {
  it('are acknowledged and dropped, never retried', async () => {
    const to = uniqueAddress();
    const result = await deliver(QUEUES.notifications, [
      { type: 'verification_code', to, idempotency_key: 'x' },
      { type: 'no_such_type', to },
      'not an object',
      null,
    ]);
    expect(result.explicitAcks).toHaveLength(4);
    expect(result.retryMessages).toEqual([]);
    expect(await mailbox(to)).toHaveLength(0);
  });
});

describe('the dead-letter consumer', () => {
  it('records a failed e-mail even when no attempt reached the database', async () => {
    const message = verificationMessage(uniqueAddress());
    const result = await deliver(QUEUES.deadLetters, [message]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await emailRow(message.idempotency_key)).toMatchObject({
      status: 'failed',
      lastError: 'delivery abandoned after the last retry',
      subject: 'Verify your email',
    });
  });

  it('leaves an e-mail that was sent alone', async () => {
    const to = uniqueAddress();
    const message = verificationMessage(to);
    await deliver(QUEUES.notifications, [message]);
    await deliver(QUEUES.deadLetters, [message]);
    expect((await emailRow(message.idempotency_key))?.status).toBe('sent');
  });
});

describe('retry backoff', () => {
  it('doubles per attempt with half of each delay random, up to the cap', () => {
    expect(retryDelaySeconds(1, () => 0)).toBe(5);
    expect(retryDelaySeconds(1, () => 1)).toBe(10);
    expect(retryDelaySeconds(3, () => 0)).toBe(20);
    expect(retryDelaySeconds(3, () => 1)).toBe(40);
    expect(retryDelaySeconds(30, () => 1)).toBe(900);
  });
});
