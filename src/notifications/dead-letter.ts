import type { ServiceContext } from '../context';
import { describeError } from '../lib/logger';
import { NotificationMessage } from './messages';
import { emailRecordFor, markEmailDeadLettered } from './service';
import { renderEmail } from './templates';

/** Stored when the row has no error of its own (no attempt reached the database). */
const GAVE_UP = 'delivery abandoned after the last retry';
// Only a database hiccup gets here; the DLQ's own 3 retries then span a minute and a half.
const DEAD_LETTER_RETRY_SECONDS = 30;

/**
 * Messages the `notifications` consumer gave up on: each e-mail is marked `failed` with the last error its
 * attempts recorded (the provider recorded on a row written here is MAIL_PROVIDER's). A database failure is retried (the DLQ has retries of its own); nothing is sent here.
 */
export async function handleDeadLetterBatch(
  ctx: ServiceContext,
  batch: MessageBatch<unknown>,
): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      const logger = ctx.logger.child({ message_id: message.id, attempts: message.attempts });
      const parsed = NotificationMessage.safeParse(message.body);
      if (!parsed.success) {
        logger.error('invalid dead-lettered message dropped');
        message.ack();
        return;
      }
      const notification = parsed.data;
      try {
        const outcome = await markEmailDeadLettered(
          ctx.db,
          emailRecordFor(notification, renderEmail(notification).subject, ctx.config.MAIL_PROVIDER),
          GAVE_UP,
        );
        logger.error('email dead-lettered', { email_key: notification.idempotency_key, outcome });
        message.ack();
      } catch (err) {
        logger.error('could not mark the dead-lettered email failed; retrying', describeError(err));
        message.retry({ delaySeconds: DEAD_LETTER_RETRY_SECONDS });
      }
    }),
  );
}
