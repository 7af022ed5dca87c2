import type { ApiKeyCaller } from './api-keys/caller';
import { createDatabase, type Database } from './db/client';
import type { Config, Env } from './env';
import { describeError, type Logger } from './lib/logger';
import { enqueueNotification, type NotificationMessage } from './notifications/messages';
import { PaymobClient, type PaymobClientDeps, paymobSettings } from './paymob/client';
import type { AuthenticatedUser } from './users/actor';

/**
 * The one context every service takes (docs/design.md, "Services"): `service(ctx, input)`. Built once per
 * request by a middleware in src/app.ts, once per cron run and once per queue batch in src/jobs/. Services
 * read what they need from it and never build their own clients.
 */
export interface ServiceContext {
  db: Database;
  config: Config;
  /** The Worker's bindings, for the few services that need one the context does not name. */
  env: Env;
  logger: Logger;
  /** The request's (or run's) clock: one moment, so every row a request writes agrees on the time. */
  now: Date;
  /** For audit rows and logs; null in cron runs and queue batches. */
  requestId: string | null;
  /** Set by the auth middleware (or the admin session); undefined for anonymous requests and jobs. */
  actor: AuthenticatedUser | undefined;
  /**
   * The server API key of the request (docs/api-keys.md §3), set by `requireScope` once the route's scope is
   * checked; then `actor` is undefined. Undefined for users, admin sessions and jobs.
   */
  apiKey?: ApiKeyCaller;
  /** The PayMob client, built on first use and kept for the rest of the request or run. */
  paymob(): PaymobClient;
  /** Queues a notification e-mail (validated before it is sent to the queue). */
  notify(message: NotificationMessage): Promise<void>;
  /**
   * Keeps work running after the response (`waitUntil`; a failure is logged, never thrown). Where there is no
   * execution context the returned promise waits for the work instead: always `await ctx.defer(…)`.
   */
  defer(work: Promise<unknown>): Promise<void>;
  /** KYC documents (R2). */
  documents: R2Bucket;
}

export interface ServiceContextInit {
  env: Env;
  config: Config;
  logger: Logger;
  now?: Date;
  requestId?: string | null;
  /** The request's database handle when one exists already; otherwise one is created on first use. */
  db?: Database;
  /** Workers' `waitUntil`, when there is an execution context. */
  waitUntil?: (work: Promise<unknown>) => void;
  /** Options for the PayMob client (a cron run's time budget). */
  paymob?: Pick<PaymobClientDeps, 'budgetMs' | 'fetch'>;
}

/** Builds the context (one per request, cron run or queue batch). */
export function createServiceContext(init: ServiceContextInit): ServiceContext {
  const { env, config, logger, waitUntil } = init;
  const requestId = init.requestId ?? null;
  let paymob: PaymobClient | undefined;
  let db = init.db;
  return {
    // Built on first use: a request that reads no table (GET /health/live, a 401) builds no client.
    get db() {
      db ??= createDatabase(config.DATABASE_URL, requestId ?? 'job');
      return db;
    },
    set db(value) {
      db = value;
    },
    config,
    env,
    logger,
    now: init.now ?? new Date(),
    requestId,
    actor: undefined,
    paymob() {
      paymob ??= new PaymobClient({
        settings: paymobSettings(config),
        cache: env.PAYMOB_CACHE,
        logger,
        ...init.paymob,
      });
      return paymob;
    },
    notify: (message) => enqueueNotification(env.NOTIFICATIONS, message),
    async defer(work) {
      const guarded = work.then(
        () => undefined,
        (err: unknown) => logger.error('deferred work failed', describeError(err)),
      );
      if (waitUntil) waitUntil(guarded);
      else await guarded;
    },
    documents: env.KYC_DOCUMENTS,
  };
}
