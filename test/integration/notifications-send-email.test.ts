import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { createDatabase } from '../../src/db/client';
import { emailEvents } from '../../src/db/schema';
import worker from '../../src/index';
import { QUEUES } from '../../src/jobs';
import { MailProviderError } from '../../src/mail/provider';
import { createSendEmailProvider } from '../../src/mail/send-email';

/**
 * The send_email binding is not declared in wrangler.toml (see src/mail/send-email.ts), so these tests hand
 * the provider a binding that records what it is given. The MIME it builds is covered by test/unit/mail-mime.
 */
const db = createDatabase(env.DATABASE_URL as string, 'test-notifications-send-email');

function recordingBinding(
  behaviour: () => Promise<EmailSendResult> = async () => ({ messageId: '<cf-1@stackpay.app>' }),
) {
  const sent: Array<{ from: string; to: string }> = [];
  const binding = {
    send: vi.fn(async (message: EmailMessage) => {
      sent.push({ from: message.from, to: message.to });
      return behaviour();
    }),
  } as unknown as SendEmail;
  return { binding, sent };
}

const mail = (to: string) => ({
  from: 'StackPay <no-reply@stackpay.app>',
  to,
  subject: 'Verify your email',
  text: 'Hi ada, your code is 482913.',
  html: '<p>Hi ada, your code is 482913.</p>',
  idempotencyKey: `test-send-email:${crypto.randomUUID()}`,
});

describe('send_email provider', () => {
  it('hands the binding an EmailMessage with the bare envelope addresses and returns its Message-Id', async () => {
    const { binding, sent } = recordingBinding();
    const result = await createSendEmailProvider(binding).send(mail('Ada <ada@example.com>'));
    expect(sent).toEqual([{ from: 'no-reply@stackpay.app', to: 'ada@example.com' }]);
    expect(result).toEqual({ messageId: 'cf-1@stackpay.app' });
  });

  it('classifies an unverified destination as permanent', async () => {
    const { binding } = recordingBinding(async () => {
      throw new Error('destination address is not a verified address');
    });
    const err = await createSendEmailProvider(binding)
      .send(mail('ada@example.com'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailProviderError);
    expect(err).toMatchObject({ retryable: false });
  });

  it('classifies other failures as retryable', async () => {
    const { binding } = recordingBinding(async () => {
      throw new Error('internal error; reference = abc123');
    });
    const err = await createSendEmailProvider(binding)
      .send(mail('ada@example.com'))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: true, message: 'send_email: internal error; reference = abc123' });
  });

  it('is what the queue consumer uses when MAIL_PROVIDER is send_email', async () => {
    const { binding, sent } = recordingBinding();
    const key = `test-send-email:${crypto.randomUUID()}`;
    const to = `send-email-${crypto.randomUUID()}@example.com`;
    const batch = createMessageBatch(QUEUES.notifications, [
      {
        id: crypto.randomUUID(),
        timestamp: new Date(),
        attempts: 1,
        body: {
          type: 'verification_code',
          idempotency_key: key,
          to,
          user_id: 5,
          username: 'ada',
          code: '123456',
          valid_minutes: 10,
        },
      },
    ]);
    await worker.queue(batch, { ...env, MAIL_PROVIDER: 'send_email', SEND_EMAIL: binding });
    const result = await getQueueResult(batch, createExecutionContext());

    expect(result.explicitAcks).toHaveLength(1);
    expect(sent).toEqual([{ from: 'no-reply@mg.stackpay.local', to }]);
    const [row] = await db.select().from(emailEvents).where(eq(emailEvents.idempotencyKey, key));
    expect(row).toMatchObject({
      status: 'sent',
      provider: 'send_email',
      providerMessageId: 'cf-1@stackpay.app',
    });
  });

  it('retries the whole batch later when MAIL_PROVIDER is send_email but the binding is missing', async () => {
    const batch = createMessageBatch(QUEUES.notifications, [
      { id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body: { type: 'verification_code' } },
    ]);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await worker.queue(batch, { ...env, MAIL_PROVIDER: 'send_email', SEND_EMAIL: undefined });
    } finally {
      errors.mockRestore();
    }
    const result = await getQueueResult(batch, createExecutionContext());
    expect(result.retryBatch.retry).toBe(true);
    expect(result.explicitAcks).toEqual([]);
  });
});
