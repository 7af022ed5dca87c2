import type { Context } from 'hono';
import { adminRoutes } from './admin';
import { apiKeysRoutes } from './api-keys/routes';
import { createServiceContext } from './context';
import { customersRoutes } from './customers/routes';
import { createDatabase } from './db/client';
import { type AppEnv, getConfig } from './env';
import { classifyError } from './lib/error-classifier';
import { AppError } from './lib/errors';
import { createLogger } from './lib/logger';
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

app.onError((err, c) => {
  const requestId = c.get('requestId') ?? requestIdFrom(undefined);
  const { kind, error, log } = classifyError(err);
  if (log) (c.get('logger') ?? createLogger({ request_id: requestId }))[log.level](log.message, log.fields);
  // The generic 500 has always carried a relative `type` (no base URL); kept so the answer stays the same.
  return problemResponse(error, requestId, kind === 'unknown' ? undefined : publicBase(c));
});

export type App = typeof app;
