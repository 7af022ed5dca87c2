import { createRoute, z } from '@hono/zod-openapi';
import { createRouter, jsonBody, jsonResponse } from '../lib/openapi';
import { paginationQuery } from '../lib/pagination';
import { problemResponses } from '../lib/problem';
import { byApiKey, requireScope } from '../middleware/api-key';
import { requireAuth, requireRole } from '../middleware/auth';
import { byUser, rateLimit } from '../middleware/rate-limit';
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listEndpoints,
  rotateEndpointSecret,
  updateEndpoint,
} from './endpoints';
import { listEvents } from './events';
import {
  CreateEndpointBody,
  EndpointIdParams,
  EventListQuery,
  EventPage,
  UpdateEndpointBody,
  WebhookEndpointPage,
  WebhookEndpointSchema,
  WebhookEndpointWithSecret,
} from './schemas';

/** docs/webhooks.md: `/api/v1/webhook-endpoints/…` (ADMIN) and `/api/v1/events/` (staff). */
export const webhookEndpointsRoutes = createRouter();
export const eventsRoutes = createRouter();

const TAGS = ['Webhooks'];
const BEARER = [{ bearerAuth: [] }];
const ListQuery = z.object(paginationQuery);

webhookEndpointsRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/',
    operationId: 'createWebhookEndpoint',
    tags: TAGS,
    security: BEARER,
    summary: 'Register a webhook endpoint (the signing secret is shown once)',
    description:
      'ADMIN only. `events` defaults to `["*"]`. In production the URL must be https:// on a public host (400 `webhook_url_refused`).',
    middleware: [requireAuth, requireRole('ADMIN'), rateLimit('default', byUser)] as const,
    request: { body: jsonBody(CreateEndpointBody) },
    responses: {
      201: jsonResponse(WebhookEndpointWithSecret, 'The endpoint with its secret'),
      ...problemResponses(400, 401, 403, 413, 415, 429),
    },
  }),
  async (c) => {
    const endpoint = await createEndpoint(c.var.ctx, c.req.valid('json'));
    c.header('Location', `/api/v1/webhook-endpoints/${endpoint.id}/`);
    return c.json(endpoint, 201);
  },
);

webhookEndpointsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    operationId: 'listWebhookEndpoints',
    tags: TAGS,
    security: BEARER,
    summary: 'List webhook endpoints, newest first',
    middleware: [requireAuth, requireRole('ADMIN'), rateLimit('default', byUser)] as const,
    request: { query: ListQuery },
    responses: {
      200: jsonResponse(WebhookEndpointPage, 'One page of endpoints'),
      ...problemResponses(401, 403, 404, 429),
    },
  }),
  async (c) => c.json(await listEndpoints(c.var.ctx, { ...c.req.valid('query'), url: c.req.url }), 200),
);

webhookEndpointsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{id}',
    operationId: 'getWebhookEndpoint',
    tags: TAGS,
    security: BEARER,
    summary: 'One webhook endpoint',
    middleware: [requireAuth, requireRole('ADMIN'), rateLimit('default', byUser)] as const,
    request: { params: EndpointIdParams },
    responses: {
      200: jsonResponse(WebhookEndpointSchema, 'The endpoint'),
      ...problemResponses(401, 403, 404, 429),
    },
  }),
  async (c) => c.json(await getEndpoint(c.var.ctx, c.req.valid('param').id), 200),
);

webhookEndpointsRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/{id}',
    operationId: 'updateWebhookEndpoint',
    tags: TAGS,
    security: BEARER,
    summary: 'Change an endpoint’s URL, description, events or enabled flag',
    description: 'Enabling a disabled endpoint clears its failure record.',
    middleware: [requireAuth, requireRole('ADMIN'), rateLimit('default', byUser)] as const,
    request: { params: EndpointIdParams, body: jsonBody(UpdateEndpointBody) },
    responses: {
      200: jsonResponse(WebhookEndpointSchema, 'The endpoint'),
      ...problemResponses(400, 401, 403, 404, 413, 415, 429),
    },
  }),
  async (c) =>
    c.json(
      await updateEndpoint(c.var.ctx, { id: c.req.valid('param').id, changes: c.req.valid('json') }),
      200,
    ),
);

webhookEndpointsRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/{id}',
    operationId: 'deleteWebhookEndpoint',
    tags: TAGS,
    security: BEARER,
    summary: 'Delete a webhook endpoint (pending deliveries to it are dropped)',
    middleware: [requireAuth, requireRole('ADMIN'), rateLimit('default', byUser)] as const,
    request: { params: EndpointIdParams },
    responses: { 204: { description: 'Deleted' }, ...problemResponses(401, 403, 404, 429) },
  }),
  async (c) => {
    await deleteEndpoint(c.var.ctx, c.req.valid('param').id);
    return c.body(null, 204);
  },
);

webhookEndpointsRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/rotate-secret',
    operationId: 'rotateWebhookEndpointSecret',
    tags: TAGS,
    security: BEARER,
    summary: 'Replace the signing secret (the new one is shown once)',
    description: 'Every attempt from now on, retries included, is signed with the new secret.',
    middleware: [requireAuth, requireRole('ADMIN'), rateLimit('default', byUser)] as const,
    request: { params: EndpointIdParams },
    responses: {
      200: jsonResponse(WebhookEndpointWithSecret, 'The endpoint with its new secret'),
      ...problemResponses(401, 403, 404, 429),
    },
  }),
  async (c) => c.json(await rotateEndpointSecret(c.var.ctx, c.req.valid('param').id), 200),
);

eventsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    operationId: 'listEvents',
    tags: TAGS,
    // Server API keys with payments:read may read the event log too (docs/api-keys.md).
    security: [...BEARER, { apiKeyAuth: ['payments:read'] }],
    summary: 'List events, newest first',
    description:
      'Staff, and server API keys with `payments:read`. Each event is the body its webhook deliveries carry. Filters: `type`, `object_type`, `object_id` (with `object_type`); an unknown value → 400.',
    middleware: [
      requireScope('payments:read'),
      requireAuth,
      requireRole('ADMIN', 'STAFF'),
      rateLimit('default', byUser, byApiKey),
    ] as const,
    request: { query: EventListQuery },
    responses: {
      200: jsonResponse(EventPage, 'One page of events'),
      ...problemResponses(400, 401, 403, 404, 429),
    },
  }),
  async (c) => c.json(await listEvents(c.var.ctx, { ...c.req.valid('query'), url: c.req.url }), 200),
);
