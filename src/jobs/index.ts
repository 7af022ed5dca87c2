import { createServiceContext, type ServiceContext } from '../context';
import { createDatabase } from '../db/client';
import { type Config, type Env, getConfig } from '../env';
import { createLogger, describeError, type Logger } from '../lib/logger';
import { handleNotificationBatch, mailProviderFor } from '../notifications/consumer';
import { handleDeadLetterBatch } from '../notifications/dead-letter';
import { CALL_TIMEOUT_MS } from '../paymob/client';
import { RECONCILE_TIME_BUDGET_MS, reconcilePayments } from '../transactions/reconcile';
import { handleWebhookBatch, WEBHOOK_QUEUE } from '../webhooks/consumer';
import { sweepWebhookOutbox } from '../webhooks/sweep';
import {
  deleteExpiredRefreshTokens,
  deleteOldIdempotencyRecords,
  deleteOldWebhookTokens,
  deleteSpentVerificationCodes,
} from './cleanup';

/** Cron expressions as declared in wrangler.toml [triggers]. */
export const CRON = {
  everyFiveMinutes: '*/5 * * * *',
  everyTenMinutes: '*/10 * * * *',
  daily: '0 3 * * *',
} as const;

/** A job gets the cron run's context (one per run, shared by its jobs; docs/design.md "Services"). */
export type Job = { name: string; run: (ctx: ServiceContext) => Promise<Record<string, number> | undefined> };

/** Each job logs what it did. */
export const SCHEDULE: Record<string, Job[]> = {
  [CRON.everyFiveMinutes]: [{ name: 'reconcile-payments', run: async (ctx) => reconcilePayments(ctx) }],
  [CRON.everyTenMinutes]: [
    {
      name: 'cleanup-verification-codes',
      run: async (ctx) => ({ deleted: await deleteSpentVerificationCodes(ctx) }),
    },
    { name: 'sweep-webhook-outbox', run: sweepWebhookOutbox },
  ],
  [CRON.daily]: [
    {
      name: 'prune-refresh-tokens',
      run: async (ctx) => ({ deleted: await deleteExpiredRefreshTokens(ctx) }),
    },
    {
      name: 'prune-webhook-tokens',
      run: async (ctx) => ({ deleted: await deleteOldWebhookTokens(ctx) }),
    },
    {
      name: 'prune-idempotency-records',
      run: async (ctx) => ({ deleted: await deleteOldIdempotencyRecords(ctx) }),
    },
  ],
};

/**
 * docs/api.md §4.8, with the cron's clock: the run's PayMob client carries the reconciliation's time budget
 * (plus a little for the lookups in flight when it runs out); status e-mails go straight to the queue.
 */
export const CRON_PAYMOB_BUDGET_MS = RECONCILE_TIME_BUDGET_MS + CALL_TIMEOUT_MS;

/** Runs every job of a cron expression; one job failing does not stop the others. */
export async function runScheduled(cron: string, env: Env, now = new Date()): Promise<void> {
  const requestId = `cron-${now.getTime()}`;
  const logger = createLogger({ cron, request_id: requestId });
  const jobs = SCHEDULE[cron];
  if (!jobs) {
    logger.warn('no jobs for cron expression');
    return;
  }
  let config: Config;
  try {
    config = getConfig(env);
  } catch (err) {
    logger.error('jobs skipped: invalid configuration', describeError(err));
    return;
  }
  const ctx = createServiceContext({
    env,
    config,
    logger,
    now,
    db: createDatabase(config.DATABASE_URL, requestId),
    paymob: { budgetMs: CRON_PAYMOB_BUDGET_MS },
  });
  for (const job of jobs) {
    const started = Date.now();
    try {
      const result = await job.run({ ...ctx, logger: logger.child({ job: job.name }) });
      logger.info('job finished', { job: job.name, duration_ms: Date.now() - started, ...result });
    } catch (err) {
      logger.error('job failed', { job: job.name, ...describeError(err) });
    }
  }
}

/** Queue names as declared in wrangler.toml. */
export const QUEUES = { notifications: 'notifications', deadLetters: 'notifications-dlq' } as const;

// A configuration error will not fix itself within seconds; retry late rather than burn the retries.
const CONFIG_ERROR_RETRY_SECONDS = 300;

/** One context per queue batch. */
function batchContext(batch: MessageBatch<unknown>, env: Env, logger: Logger): ServiceContext {
  const config = getConfig(env);
  const db = createDatabase(config.DATABASE_URL, `queue-${batch.queue}-${Date.now()}`);
  return createServiceContext({ env, config, logger, db });
}

export async function runQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const logger = createLogger({ queue: batch.queue, request_id: `queue-${batch.queue}-${Date.now()}` });
  try {
    switch (batch.queue) {
      case QUEUES.notifications: {
        const ctx = batchContext(batch, env, logger);
        return await handleNotificationBatch(ctx, { batch, provider: mailProviderFor(ctx.config, env) });
      }
      case QUEUES.deadLetters:
        return await handleDeadLetterBatch(batchContext(batch, env, logger), batch);
      case WEBHOOK_QUEUE:
        return await handleWebhookBatch(batchContext(batch, env, logger), batch);
      default:
        logger.error('message from an unknown queue', { size: batch.messages.length });
        batch.retryAll();
    }
  } catch (err) {
    // Only setup can throw here (configuration, provider choice): each message's own failures are handled.
    logger.error('queue batch not processed', describeError(err));
    batch.retryAll({ delaySeconds: CONFIG_ERROR_RETRY_SECONDS });
  }
}
