import type { Context } from 'hono';
import { adminRoutes } from './admin';
import { apiKeysRoutes } from './api-keys/routes';
import { createServiceContext, type ServiceContext } from './context';
import { customersRoutes } from './customers/routes';
import type { Database } from './db/client';
import { type AppEnv, type Config, getConfig } from './env';
import { classifyError } from './lib/error-classifier';
import { AppError } from './lib/errors';
import { createLogger, type Logger } from './lib/logger';
import { createRouter } from './lib/openapi';
import {
  buildOpenApiDocument,
  type OpenApiDocument,
  registerOpenApiComponents,
} from './lib/openapi-document';
import { problemResponse } from './lib/problem';
import { requestIdFrom } from './lib/request-id';
import { allowedMethods } from './lib/routes';
import { bodyGuard, MULTIPART_OVERHEAD_BYTES } from './middleware/body-guard';
import { apiCors } from './middleware/cors';
import { notificationsRoutes } from './notifications/routes';
import { paymentLinkPageRoutes } from './payment-links/page';
import { paymentLinksRoutes } from './payment-links/routes';
import { systemRoutes } from './system/routes';
import { transactionsRoutes } from './transactions/routes';
import { MAX_WEBHOOK_BODY_BYTES } from './transactions/webhook';
import { passwordResetRoutes } from './users/password-reset-routes';
import { usersRoutes } from './users/routes';
import { registerWebhookDocs } from './webhooks/openapi';
import { eventsRoutes, webhookEndpointsRoutes } from './webhooks/routes';

export const app = createRouter();

/** The public base URL (links, problem types), or the request's origin when it is not configured. */
function publicBase(c: Context<AppEnv>): string {
  return (c.var.config?.PUBLIC_BASE_URL ?? new URL(c.req.url).origin).replace(/\/+$/, '');
}

/**
 * The request's variables as one plain object (`c.var`, `c.get`, `c.set` all read and write it): Hono's own
 * `c.var` copies its Map into a new object on every access (docs/benchmarks.md §6).
 * `db` is the service context's, built on first use.
 */
class RequestVariables {
  [key: string]: unknown;
  constructor(
    readonly requestId: string,
    readonly logger: Logger,
    readonly config: Config,
    readonly ctx: ServiceContext,
  ) {}
  get db(): Database {
    return this.ctx.db;
  }
  set db(value: Database) {
    this.ctx.db = value;
  }
}

function useVariables(c: Context<AppEnv>, variables: RequestVariables): void {
  Object.defineProperty(c, 'var', { value: variables });
  const store = variables as unknown as Record<string, unknown>;
  c.set = ((key: string, value: unknown) => {
    store[key] = value;
  }) as typeof c.set;
  c.get = ((key: string) => store[key]) as typeof c.get;
}

/** The execution context's waitUntil, or undefined without one (app.request in unit tests). */
function waitUntilOf(c: Context<AppEnv>): ((work: Promise<unknown>) => void) | undefined {
  try {
    const executionCtx = c.executionCtx;
    return (work) => executionCtx.waitUntil(work);
  } catch {
    return undefined;
  }
}

// Request id, configuration (parsed once per isolate), the service context, and the one access-log line per
// request (id, method, route, status, duration).
app.use('*', async (c, next) => {
  const started = Date.now();
  const requestId = requestIdFrom(c.req.header('X-Request-Id'));
  const logger = createLogger({ request_id: requestId }, (c.env.LOG_LEVEL as 'info' | undefined) ?? 'info');
  let config: Config | undefined;
  try {
    config = getConfig(c.env);
  } catch (err) {
    // A bad configuration is answered as any error (503), with the request id and the access-log line.
    c.set('requestId', requestId);
    c.set('logger', logger);
    c.res = answerError(err, c);
  }
  if (config) {
    const ctx = createServiceContext({ env: c.env, config, logger, requestId, waitUntil: waitUntilOf(c) });
    useVariables(c, new RequestVariables(requestId, logger, config, ctx));
    await next();
  }
  setHeader(c, 'X-Request-Id', requestId);
  logger.info('request', {
    method: c.req.method,
    route: c.req.routePath,
    status: c.res.status,
    duration_ms: Date.now() - started,
  });
});

/**
 * Sets a header on the finished response in place. Hono's `c.header` after the handler copies the whole
 * Response first; only a response with immutable headers (one passed through from `fetch`) needs that.
 */
function setHeader(c: Context<AppEnv>, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}

app.use('/api/v1/*', apiCors);

app.use(
  '/api/*',
  bodyGuard([
    {
      pattern: /^\/api\/v1\/customers\/profile\/upload-docs\/?$/,
      mediaTypes: ['application/json', 'multipart/form-data'],
      maxBytes: (c) => c.var.config.KYC_MAX_BYTES + MULTIPART_OVERHEAD_BYTES,
    },
    // docs/api.md §4.4: PayMob callbacks are small; anything over 64 KiB is refused before it is read.
    {
      pattern: /^\/api\/v1\/transactions\/webhook\/?$/,
      // PayMob's Content-Type is unverified (docs/paymob.md §6): the body is read as JSON whatever it says.
      mediaTypes: '*',
      maxBytes: () => MAX_WEBHOOK_BODY_BYTES,
    },
  ]),
);

app.route('/', systemRoutes);
app.route('/admin', adminRoutes);
app.route('/api/v1/transactions', transactionsRoutes);
app.route('/api/v1/customers', customersRoutes);
app.route('/api/v1/users', usersRoutes);
app.route('/', passwordResetRoutes);
app.route('/api/v1/notifications', notificationsRoutes);
app.route('/api/v1/webhook-endpoints', webhookEndpointsRoutes);
app.route('/api/v1/events', eventsRoutes);
app.route('/api/v1/api-keys', apiKeysRoutes);
app.route('/api/v1/payment-links', paymentLinksRoutes);
app.route('/', paymentLinkPageRoutes);

// Generated once per isolate (it walks every route's schemas); docs/openapi.md. Not `doc31()`: that one
// answers a generation failure with the serialised exception and a raw 500 instead of going through onError.
let openApiDocument: OpenApiDocument | undefined;
app.get('/openapi.json', (c) => {
  openApiDocument ??= buildOpenApiDocument(app);
  c.header('Cache-Control', 'public, max-age=300');
  return c.json({ ...openApiDocument, servers: [{ url: publicBase(c) }] });
});
registerOpenApiComponents(app.openAPIRegistry);
registerWebhookDocs(app.openAPIRegistry);

app.notFound((c) => {
  const requestId = c.get('requestId') ?? requestIdFrom(undefined);
  const allow = allowedMethods(app, c.req.path);
  if (allow.length > 0) {
    const err = new AppError(405, 'method_not_allowed', `Method "${c.req.method}" is not allowed here.`, {
      headers: { Allow: allow.join(', ') },
    });
    return problemResponse(err, requestId, publicBase(c));
  }
  return problemResponse(new AppError(404, 'not_found', 'No such resource.'), requestId, publicBase(c));
});

function answerError(err: unknown, c: Context<AppEnv>): Response {
  const requestId = c.get('requestId') ?? requestIdFrom(undefined);
  const { kind, error, log } = classifyError(err);
  if (log) (c.get('logger') ?? createLogger({ request_id: requestId }))[log.level](log.message, log.fields);
  // The generic 500 has always carried a relative `type` (no base URL); kept so the answer stays the same.
  return problemResponse(error, requestId, kind === 'unknown' ? undefined : publicBase(c));
}

app.onError(answerError);

export type App = typeof app;
