import { createRoute, z } from '@hono/zod-openapi';
import { describeError } from '../lib/logger';
import { createRouter } from '../lib/openapi';
import { pingDatabase } from './health';

export const systemRoutes = createRouter();

const HealthSchema = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    database: z.enum(['ok', 'unavailable']),
  })
  .openapi('Health');

systemRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/health',
    operationId: 'getHealth',
    tags: ['System'],
    summary: 'Liveness and database reachability',
    responses: {
      200: {
        description: 'Everything is reachable',
        content: { 'application/json': { schema: HealthSchema } },
      },
      503: { description: 'A dependency is down', content: { 'application/json': { schema: HealthSchema } } },
    },
  }),
  async (c) => {
    try {
      await pingDatabase(c.var.db);
      return c.json({ status: 'ok', database: 'ok' } as const, 200);
    } catch (err) {
      c.var.logger.error('health: database check failed', describeError(err));
      c.header('Cache-Control', 'no-store');
      return c.json({ status: 'unavailable', database: 'unavailable' } as const, 503);
    }
  },
);

const LiveSchema = z.object({ status: z.literal('ok') }).openapi('Live');

// The platform's floor for benchmarks and liveness probes: no database, no bindings, no I/O.
systemRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/health/live',
    operationId: 'getLiveness',
    tags: ['System'],
    summary: 'Liveness only (touches no dependency)',
    responses: {
      200: { description: 'The Worker answers', content: { 'application/json': { schema: LiveSchema } } },
    },
  }),
  (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ status: 'ok' } as const, 200);
  },
);

// `/docs` (Scalar's API reference) and `/docs/errors` are static assets (public/, docs/openapi.md): the asset
// server answers them before the Worker runs.
