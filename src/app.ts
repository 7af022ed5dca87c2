import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { adminRoutes } from './admin/routes';
import { createServiceContext } from './context';
import { customersRoutes } from './customers/routes';
import { createDatabase, isDatabaseUnavailable, isRetryableConflict } from './db/client';
import { type AppEnv, ConfigError, getConfig } from './env';
import { AppError } from './lib/errors';
import { createLogger, describeError } from './lib/logger';
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
import { systemRoutes } from './system/routes';
import { transactionsRoutes } from './transactions/routes';
import { MAX_WEBHOOK_BODY_BYTES } from './transactions/webhook';
import { usersRoutes } from './users/routes';
import { registerWebhookDocs } from './webhooks/openapi';
import { eventsRoutes, webhookEndpointsRoutes } from './webhooks/routes';

export const app = createRouter();

/** The public base URL (links, problem types), or the request's origin when it is not configured. */
function publicBase(c: Context<AppEnv>): string {
  return (c.var.config?.PUBLIC_BASE_URL ?? new URL(c.req.url).origin).replace(/\/+$/, '');
}

// Request id and the one access-log line per request (id, method, route, status, duration).
app.use('*', async (c, next) => {
  const started = Date.now();
  const requestId = requestIdFrom(c.req.header('X-Request-Id'));
  c.set('requestId', requestId);
  const logger = createLogger({ request_id: requestId }, (c.env.LOG_LEVEL as 'info' | undefined) ?? 'info');
  c.set('logger', logger);
  await next();
  c.header('X-Request-Id', requestId);
  logger.info('request', {
    method: c.req.method,
    route: c.req.routePath,
    status: c.res.status,
    duration_ms: Date.now() - started,
  });
});

// Configuration (parsed once per isolate) and the per-request database handle.
app.use('*', async (c, next) => {
  const config = getConfig(c.env);
  c.set('config', config);
  const db = createDatabase(config.DATABASE_URL, c.get('requestId'));
  c.set('db', db);
  let waitUntil: ((work: Promise<unknown>) => void) | undefined;
  try {
    const executionCtx = c.executionCtx;
    waitUntil = (work) => executionCtx.waitUntil(work);
  } catch {
    // No execution context (app.request in unit tests): deferred work is awaited in place.
  }
  c.set(
    'ctx',
    createServiceContext({
      env: c.env,
      config,
      logger: c.var.logger,
      requestId: c.var.requestId,
      db,
      waitUntil,
    }),
  );
  await next();
});

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
app.route('/api/v1/notifications', notificationsRoutes);
app.route('/api/v1/webhook-endpoints', webhookEndpointsRoutes);
app.route('/api/v1/events', eventsRoutes);

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

app.onError((err, c) => {
  const requestId = c.get('requestId') ?? requestIdFrom(undefined);
  const logger = c.get('logger') ?? createLogger({ request_id: requestId });
  const base = publicBase(c);
  if (err instanceof AppError) return problemResponse(err, requestId, base);
  if (err instanceof HTTPException) {
    // Hono's own refusals (malformed JSON or form data).
    const code = err.status === 400 ? 'malformed_body' : 'http_error';
    const detail = err.status === 400 ? 'The request body could not be parsed.' : err.message;
    return problemResponse(new AppError(err.status, code, detail), requestId, base);
  }
  if (isDatabaseUnavailable(err)) {
    logger.error('database unavailable', describeError(err));
    return problemResponse(
      new AppError(503, 'database_unavailable', 'The database is unavailable. Try again shortly.', {
        headers: { 'Retry-After': '5' },
      }),
      requestId,
      base,
    );
  }
  // docs/security.md §4: a write that lost a lock race (deadlock, lock wait, AUTO-INC 1467) changed nothing
  // and may be retried: a 409 with Retry-After, never a 500, on every route.
  if (isRetryableConflict(err)) {
    logger.warn('concurrent update conflict', describeError(err));
    return problemResponse(
      new AppError(409, 'concurrent_update', 'A concurrent request changed the same data. Try again.', {
        headers: { 'Retry-After': '1' },
      }),
      requestId,
      base,
    );
  }
  if (err instanceof ConfigError) {
    logger.error('configuration error', { problems: err.problems.join('; ') });
    return problemResponse(
      new AppError(503, 'service_misconfigured', 'The service is not configured correctly.'),
      requestId,
      base,
    );
  }
  logger.error('unhandled error', describeError(err));
  return problemResponse(
    new AppError(500, 'internal_error', 'An unexpected error occurred. It has been logged.'),
    requestId,
  );
});

export type App = typeof app;
