import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { createServiceContext, type ServiceContext } from '../../src/context';
import { webhookDeliveries } from '../../src/db/schema';
import type { Env } from '../../src/env';
import { createLogger } from '../../src/lib/logger';
import type { NotificationMessage } from '../../src/notifications/messages';
import { handleWebhookMessage } from '../../src/webhooks/delivery';
import type { WebhookMessage } from '../../src/webhooks/events';
import { testConfig, testDb, uniqueName } from './helpers';

/**
 * Drives webhook deliveries deterministically (docs/webhooks.md): the service context's queue is a recorder
 * that keeps each message with the time it becomes due, and `runDue` hands due messages to the real consumer
 * logic with the clock set to their due time — Stripe's three days of retries run in a second, against the
 * real database and the sandbox's merchant receiver over HTTP.
 */
export interface QueuedMessage {
  body: WebhookMessage;
  dueAt: number;
}

export class WebhookHarness {
  readonly queued: QueuedMessage[] = [];
  readonly notifications: NotificationMessage[] = [];
  now: Date;

  constructor(start = new Date()) {
    this.now = start;
  }

  /** The recording queue, also to pass to a request as its `WEBHOOK_DELIVERIES` binding. */
  queue(): Queue {
    const record = (body: WebhookMessage, delaySeconds = 0) => {
      this.queued.push({ body, dueAt: this.now.getTime() + delaySeconds * 1000 });
    };
    return {
      send: async (body: WebhookMessage, options?: QueueSendOptions) => record(body, options?.delaySeconds),
      sendBatch: async (messages: Iterable<MessageSendRequest<WebhookMessage>>) => {
        for (const m of messages) record(m.body, m.delaySeconds);
      },
    } as unknown as Queue;
  }

  /** A service context at the harness's clock whose queue and notifications are recorded. */
  ctx(): ServiceContext {
    const ctx = createServiceContext({
      env: { ...env, WEBHOOK_DELIVERIES: this.queue() } as Env,
      config: testConfig(),
      logger: createLogger({ test: 'webhooks' }, 'error'),
      now: this.now,
      db: testDb(),
    });
    ctx.notify = async (message) => {
      this.notifications.push(message);
    };
    return ctx;
  }

  /**
   * Runs, in due order, every queued message that concerns `endpointId` (other test files' endpoints are
   * ignored), advancing the clock to each one's due time; stops after `limit` messages.
   */
  async runDue(endpointId: string, limit = 50): Promise<number> {
    let ran = 0;
    while (ran < limit) {
      this.queued.sort((a, b) => a.dueAt - b.dueAt);
      const index = await this.findMine(endpointId);
      if (index < 0) break;
      const [next] = this.queued.splice(index, 1);
      if (!next) break;
      this.now = new Date(Math.max(this.now.getTime(), next.dueAt));
      await handleWebhookMessage(this.ctx(), next.body);
      ran += 1;
    }
    return ran;
  }

  private async findMine(endpointId: string): Promise<number> {
    for (const [index, message] of this.queued.entries()) {
      if (message.body.kind === 'fanout') return index;
      const [row] = await testDb()
        .select({ endpointId: webhookDeliveries.endpointId })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.id, message.body.delivery_id));
      if (row?.endpointId === endpointId) return index;
    }
    return -1;
  }
}

/** A fresh receiver on the sandbox: its URL (to register) and helpers to configure and read it. */
export function merchantReceiver() {
  const base = `${env.SANDBOX_URL}/sandbox/merchant/${uniqueName('shop')}`;
  return {
    url: `${base}/webhook`,
    async configure(settings: {
      secret?: string;
      fail_next?: number;
      fail_mode?: 'status' | 'timeout';
      timeout_ms?: number;
    }) {
      const response = await fetch(base, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(settings),
      });
      if (!response.ok) throw new Error(`receiver configuration failed: ${response.status}`);
    },
    async deliveries(): Promise<
      Array<{
        webhook_id: string | null;
        webhook_timestamp: string | null;
        webhook_signature: string | null;
        verified: boolean;
        error: string | null;
        answered: number;
        body: { id: string; type: string; created_at: string; data: { object: Record<string, unknown> } };
      }>
    > {
      return (await fetch(`${base}/deliveries`)).json();
    },
  };
}
