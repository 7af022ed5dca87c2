import { createDatabase, type Database } from '../db/client';
import { type Config, ConfigError, type Env, getConfig } from '../env';
import { describeError, type Logger } from '../lib/logger';
import { createMailgunProvider } from '../mail/mailgun';
import { type MailProvider, MailProviderError } from '../mail/provider';
import { createSendEmailProvider } from '../mail/send-email';
import { renderEmail } from '../mail/templates';
import { NotificationMessage } from './messages';
import { emailRecordFor, markEmailSent, recordEmailFailure, reserveEmail } from './service';

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

export interface NotificationDeps {
  db: Database;
  provider: MailProvider;
  from: string;
  logger: Logger;
  now?: () => Date;
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

/** The `notifications` queue consumer for the deployed Worker: builds its dependencies from the env. */
export async function consumeNotifications(
  batch: MessageBatch<unknown>,
  env: Env,
  logger: Logger,
): Promise<void> {
  const config = getConfig(env);
  await handleNotificationBatch(batch, {
    db: createDatabase(config.DATABASE_URL, `queue-${batch.queue}-${Date.now()}`),
    provider: mailProviderFor(config, env),
    from: config.MAIL_FROM,
    logger,
  });
}

/** Messages of a batch are independent e-mails: they are handled concurrently, each acked or retried. */
export async function handleNotificationBatch(
  batch: MessageBatch<unknown>,
  deps: NotificationDeps,
): Promise<void> {
  await Promise.all(
    batch.messages.map((message) =>
      handleNotification(message, deps).catch((err: unknown) => {
        // A bug in one message's handling must not take the rest of the batch with it.
        deps.logger.error('notification handling failed; retrying', {
          message_id: message.id,
          ...describeError(err),
        });
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts, deps.random) });
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
export async function handleNotification(message: Message<unknown>, deps: NotificationDeps): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger.child({ message_id: message.id, attempts: message.attempts });
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
  const log = logger.child({ email_key: key, kind: notification.type, provider: deps.provider.name });
  const email = renderEmail(notification);

  let reserved: boolean;
  try {
    reserved = await reserveEmail(
      deps.db,
      emailRecordFor(notification, email.subject, deps.provider.name),
      message.attempts,
    );
  } catch (err) {
    log.error('could not reserve the email; retrying', describeError(err));
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts, deps.random) });
    return;
  }
  if (!reserved) {
    log.info('email already sent or being sent; not sending again');
    message.ack();
    return;
  }

  let messageId: string | null;
  try {
    ({ messageId } = await deps.provider.send({
      from: deps.from,
      to: notification.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      idempotencyKey: key,
    }));
  } catch (err) {
    await handleSendFailure(message, err, key, deps, log);
    return;
  }

  message.ack();
  try {
    await markEmailSent(deps.db, key, messageId, now());
    log.info('email sent', { provider_message_id: messageId });
  } catch (err) {
    log.error('email sent but not recorded as sent', {
      provider_message_id: messageId,
      ...describeError(err),
    });
  }
}

async function handleSendFailure(
  message: Message<unknown>,
  err: unknown,
  key: string,
  deps: NotificationDeps,
  log: Logger,
): Promise<void> {
  const permanent = err instanceof MailProviderError && !err.retryable;
  const reason = err instanceof MailProviderError ? err.message : 'unexpected error while sending';
  try {
    await recordEmailFailure(deps.db, key, reason, permanent);
  } catch (recordErr) {
    log.error('could not record the email failure', describeError(recordErr));
  }
  if (permanent) {
    log.error('email refused by the provider; not retrying', { reason });
    message.ack();
    return;
  }
  const delaySeconds = retryDelaySeconds(message.attempts, deps.random);
  log.warn('email not sent; retrying', { reason, delay_seconds: delaySeconds, ...describeError(err) });
  message.retry({ delaySeconds });
}
