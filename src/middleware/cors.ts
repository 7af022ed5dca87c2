import { cors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { IDEMPOTENCY_HEADER } from './idempotency';

/**
 * CORS for `/api/v1/*` (README, "Calling StackPay from a web app"): browsers on the exact origins listed in
 * CORS_ALLOWED_ORIGINS may call the API with a bearer token. The allowed origin is echoed (never `*`; no
 * cookies are involved, so no credentials mode). A request from any other origin gets no CORS header at all
 * (a preflight then falls through to the usual 405), and the providers' webhooks never get CORS: they are
 * server-to-server.
 */
const NO_CORS = [/^\/api\/v1\/transactions\/webhook\/?$/, /^\/api\/v1\/notifications\/mailgun-webhook\/?$/];

const allowed = cors({
  origin: (origin) => origin,
  allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
  allowHeaders: ['Authorization', 'Content-Type', IDEMPOTENCY_HEADER, 'X-Request-Id'],
  exposeHeaders: [
    'X-Request-Id',
    'Location',
    'Retry-After',
    'RateLimit',
    'RateLimit-Policy',
    'Idempotent-Replayed',
  ],
  maxAge: 600,
});

export const apiCors = createMiddleware<AppEnv>(async (c, next) => {
  const origin = c.req.header('Origin');
  if (origin === undefined || NO_CORS.some((pattern) => pattern.test(c.req.path))) return next();
  if (!c.var.config.CORS_ALLOWED_ORIGINS.includes(origin.toLowerCase())) {
    await next();
    // The answer differs by origin: caches must not hand an allowed origin's answer to another.
    c.header('Vary', 'Origin', { append: true });
    return;
  }
  return allowed(c, next);
});
