import type { ServiceContext } from '../context';
import { type Config, ConfigError, type Env } from '../env';
import { describeError, type Logger } from '../lib/logger';
import { createMailgunProvider } from '../mail/mailgun';
import { type MailProvider, MailProviderError } from '../mail/provider';
import { createSendEmailProvider } from '../mail/send-email';
import { NotificationMessage } from './messages';
import { emailRecordFor, markEmailSent, recordEmailFailure, reserveEmail } from './service';
import { renderEmail } from './templates';

// Retries wait up to 10, 20, 40, 80 and 160 s (wrangler.toml allows 5), so a provider outage of a few
// minutes is ridden out before the dead-letter queue takes over; the cap bounds a longer max_retries.
export const RETRY_BASE_SECONDS = 5;
export const RETRY_MAX_SECONDS = 15 * 60;

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries after an outage
 * spread out instead of arriving together. `attempts` is the Queue's count, 1 on first delivery.
 */
export function retryDelaySeconds(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** Math.max(1, attempts));
  return Math.ceil(ceiling / 2 + random() * (ceiling / 2));
}

/** One queue batch, the provider that sends its e-mails (tests pass a provider of their own) and the jitter. */
export interface NotificationBatchInput {
  batch: MessageBatch<unknown>;
  provider: MailProvider;
  random?: () => number;
}

/** One message of a batch. */
interface NotificationInput {
  message: Message<unknown>;
  provider: MailProvider;
  random?: () => number;
}

/** The provider MAIL_PROVIDER names; a send_email choice without the binding is a configuration error. */
export function mailProviderFor(config: Config, env: Env): MailProvider {
  if (config.MAIL_PROVIDER === 'send_email') {
    if (!env.SEND_EMAIL)
      throw new ConfigError(['SEND_EMAIL binding is required when MAIL_PROVIDER is send_email']);
    return createSendEmailProvider(env.SEND_EMAIL);
  }
  return createMailgunProvider({
    // getConfig already requires both when MAIL_PROVIDER is mailgun.
    apiKey: config.MAILGUN_API_KEY ?? '',
    domain: config.MAILGUN_DOMAIN ?? '',
    baseUrl: config.MAILGUN_BASE_URL,
  });
}

/** Messages of a batch are independent e-mails: they are handled concurrently, each acked or retried. */
export async function handleNotificationBatch(
  ctx: ServiceContext,
  input: NotificationBatchInput,
): Promise<void> {
  const { batch, provider, random } = input;
  await Promise.all(
    batch.messages.map((message) =>
      handleNotification(ctx, { message, provider, random }).catch((err: unknown) => {
        // A bug in one message's handling must not take the rest of the batch with it.
        ctx.logger.error('notification handling failed; retrying', {
          message_id: message.id,
          ...describeError(err),
        });
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts, random) });
      }),
    ),
  );
}

/**
 * One message: validate → reserve its `email_events` row → render and send → record the outcome.
 * Invalid messages are dropped (a retry cannot fix them); provider hiccups are retried with backoff;
 * a permanent refusal marks the e-mail failed. After a successful send the message is always acked, even
 * if recording fails, because a retry would send the e-mail again.
 */
export async function handleNotification(ctx: ServiceContext, input: NotificationInput): Promise<void> {
  const { message, provider, random } = input;
  const logger = ctx.logger.child({ message_id: message.id, attempts: message.attempts });
  const parsed = NotificationMessage.safeParse(message.body);
  if (!parsed.success) {
    // Only the failing paths are logged: the body may hold a verification code.
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    logger.error('invalid notification message dropped', { fields });
    message.ack();
    return;
  }
  const notification = parsed.data;
  const key = notification.idempotency_key;
  const log = logger.child({ email_key: key, kind: notification.type, provider: provider.name });
  const email = renderEmail(notification);

  let reserved: boolean;
  try {
    reserved = await reserveEmail(
      ctx.db,
      emailRecordFor(notification, email.subject, provider.name),
      message.attempts,
    );
  } catch (err) {
    log.error('could not reserve the email; retrying', describeError(err));
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts, random) });
    return;
  }
  if (!reserved) {
    log.info('email already sent or being sent; not sending again');
    message.ack();
    return;
  }

  let messageId: string | null;
  try {
    ({ messageId } = await provider.send({
      from: ctx.config.MAIL_FROM,
      to: notification.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      idempotencyKey: key,
    }));
  } catch (err) {
    await handleSendFailure(ctx, { message, err, key, random }, log);
    return;
  }

  message.ack();
  try {
    // The moment of the send, not the batch's start.
    await markEmailSent(ctx.db, key, messageId, new Date());
    log.info('email sent', { provider_message_id: messageId });
  } catch (err) {
    log.error('email sent but not recorded as sent', {
      provider_message_id: messageId,
      ...describeError(err),
    });
  }
}

async function handleSendFailure(
  ctx: ServiceContext,
  failure: { message: Message<unknown>; err: unknown; key: string; random?: () => number },
  log: Logger,
): Promise<void> {
  const { message, err, key, random } = failure;
  const permanent = err instanceof MailProviderError && !err.retryable;
  const reason = err instanceof MailProviderError ? err.message : 'unexpected error while sending';
  try {
    await recordEmailFailure(ctx.db, key, reason, permanent);
  } catch (recordErr) {
    log.error('could not record the email failure', describeError(recordErr));
  }
  if (permanent) {
    log.error('email refused by the provider; not retrying', { reason });
    message.ack();
    return;
  }
  const delaySeconds = retryDelaySeconds(message.attempts, random);
  log.warn('email not sent; retrying', { reason, delay_seconds: delaySeconds, ...describeError(err) });
  message.retry({ delaySeconds });
}
