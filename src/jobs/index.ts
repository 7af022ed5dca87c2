import type { Env } from '../env';
import { createLogger, describeError, type Logger } from '../lib/logger';

/** Cron expressions as declared in wrangler.toml [triggers]. */
export const CRON = {
  everyFiveMinutes: '*/5 * * * *',
  everyTenMinutes: '*/10 * * * *',
  daily: '0 3 * * *',
} as const;

export interface JobContext {
  env: Env;
  logger: Logger;
  now: Date;
}

export type Job = { name: string; run: (ctx: JobContext) => Promise<Record<string, number> | undefined> };

/** Filled by later features; each job logs what it did. */
export const SCHEDULE: Record<string, Job[]> = {
  [CRON.everyFiveMinutes]: [{ name: 'reconcile-payments', run: async () => ({ checked: 0 }) }],
  [CRON.everyTenMinutes]: [{ name: 'cleanup-verification-codes', run: async () => ({ deleted: 0 }) }],
  [CRON.daily]: [{ name: 'prune-expired-records', run: async () => ({ deleted: 0 }) }],
};

/** Runs every job of a cron expression; one job failing does not stop the others. */
export async function runScheduled(cron: string, env: Env, now = new Date()): Promise<void> {
  const logger = createLogger({ cron, request_id: `cron-${now.getTime()}` });
  const jobs = SCHEDULE[cron];
  if (!jobs) {
    logger.warn('no jobs for cron expression');
    return;
  }
  for (const job of jobs) {
    const started = Date.now();
    try {
      const result = await job.run({ env, logger: logger.child({ job: job.name }), now });
      logger.info('job finished', { job: job.name, duration_ms: Date.now() - started, ...result });
    } catch (err) {
      logger.error('job failed', { job: job.name, ...describeError(err) });
    }
  }
}

/** Queue names as declared in wrangler.toml. */
export const QUEUES = { notifications: 'notifications', deadLetters: 'notifications-dlq' } as const;

export async function runQueue(batch: MessageBatch<unknown>, _env: Env): Promise<void> {
  const logger = createLogger({ queue: batch.queue, request_id: `queue-${Date.now()}` });
  switch (batch.queue) {
    case QUEUES.notifications:
    case QUEUES.deadLetters:
      // Consumers arrive with the e-mail pipeline; until then messages are acknowledged and logged.
      for (const message of batch.messages) {
        logger.info('queue message received', { id: message.id, attempts: message.attempts });
        message.ack();
      }
      return;
    default:
      logger.error('message from an unknown queue', { size: batch.messages.length });
      batch.retryAll();
  }
}
