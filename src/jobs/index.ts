import { createServiceContext } from '../context';
import { createDatabase, type Database } from '../db/client';
import { type Config, type Env, getConfig } from '../env';
import { createLogger, describeError, type Logger } from '../lib/logger';
import { consumeNotifications } from '../notifications/consumer';
import { consumeDeadLetters } from '../notifications/dead-letter';
import { enqueueNotification } from '../notifications/messages';
import { CALL_TIMEOUT_MS, PaymobClient, paymobSettings } from '../paymob/client';
import { RECONCILE_TIME_BUDGET_MS, reconcilePayments } from '../transactions/reconcile';
import { consumeWebhookDeliveries, WEBHOOK_QUEUE } from '../webhooks/consumer';
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

export interface JobContext {
  env: Env;
  config: Config;
  /** One database handle per cron invocation, shared by its jobs. */
  db: Database;
  logger: Logger;
  now: Date;
}

export type Job = { name: string; run: (ctx: JobContext) => Promise<Record<string, number> | undefined> };

/** Each job logs what it did. */
export const SCHEDULE: Record<string, Job[]> = {
  [CRON.everyFiveMinutes]: [{ name: 'reconcile-payments', run: reconcilePaymentsJob }],
  [CRON.everyTenMinutes]: [
    {
      name: 'cleanup-verification-codes',
      run: async ({ db, now }) => ({ deleted: await deleteSpentVerificationCodes(db, now) }),
    },
    { name: 'sweep-webhook-outbox', run: (job) => sweepWebhookOutbox(createServiceContext(job)) },
  ],
  [CRON.daily]: [
    {
      name: 'prune-refresh-tokens',
      run: async ({ db, now }) => ({ deleted: await deleteExpiredRefreshTokens(db, now) }),
    },
    {
      name: 'prune-webhook-tokens',
      run: async ({ db, now }) => ({ deleted: await deleteOldWebhookTokens(db, now) }),
    },
    {
      name: 'prune-idempotency-records',
      run: async ({ db, now }) => ({ deleted: await deleteOldIdempotencyRecords(db, now) }),
    },
  ],
};

/**
 * docs/api.md §4.8, with the cron's clock. The PayMob client carries the run's time budget (plus a little for the
 * lookups in flight when it runs out); status e-mails go straight to the queue.
 */
function reconcilePaymentsJob({ env, config, db, logger, now }: JobContext) {
  const paymob = new PaymobClient({
    settings: paymobSettings(config),
    cache: env.PAYMOB_CACHE,
    logger,
    budgetMs: RECONCILE_TIME_BUDGET_MS + CALL_TIMEOUT_MS,
  });
  return reconcilePayments({
    db,
    logger,
    now,
    paymob,
    notify: (message) => enqueueNotification(env.NOTIFICATIONS, message),
  });
}

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
  const db = createDatabase(config.DATABASE_URL, requestId);
  for (const job of jobs) {
    const started = Date.now();
    try {
      const result = await job.run({ env, config, db, logger: logger.child({ job: job.name }), now });
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

export async function runQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const logger = createLogger({ queue: batch.queue, request_id: `queue-${batch.queue}-${Date.now()}` });
  try {
    switch (batch.queue) {
      case QUEUES.notifications:
        return await consumeNotifications(batch, env, logger);
      case QUEUES.deadLetters:
        return await consumeDeadLetters(batch, env, logger);
      case WEBHOOK_QUEUE:
        return await consumeWebhookDeliveries(batch, env, logger);
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
