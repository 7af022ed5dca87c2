import { z } from 'zod';
import type { ServiceContext } from '../context';
import { describeError } from '../lib/logger';
import { handleWebhookMessage } from './delivery';
import type { WebhookMessage } from './events';

/** Queue name as declared in wrangler.toml. */
export const WEBHOOK_QUEUE = 'webhook-deliveries';

const Message = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fanout'), event_id: z.string().min(1).max(40) }),
  z.object({
    kind: z.literal('deliver'),
    delivery_id: z.number().int().positive(),
    attempt: z.number().int().positive(),
  }),
]);

// A message whose work threw (database down): tried again by the Queue after a minute.
const ERROR_RETRY_SECONDS = 60;

/** Handles a batch with one service context; every message is acked or retried on its own. */
export async function handleWebhookBatch(ctx: ServiceContext, batch: MessageBatch<unknown>): Promise<void> {
  for (const message of batch.messages) {
    const parsed = Message.safeParse(message.body);
    if (!parsed.success) {
      ctx.logger.error('malformed webhook queue message dropped', { id: message.id });
      message.ack();
      continue;
    }
    try {
      await handleWebhookMessage(ctx, parsed.data satisfies WebhookMessage);
      message.ack();
    } catch (err) {
      ctx.logger.error('webhook queue message failed', { kind: parsed.data.kind, ...describeError(err) });
      message.retry({ delaySeconds: ERROR_RETRY_SECONDS });
    }
  }
}
