import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { createRouter, jsonBody, jsonResponse } from '../lib/openapi';
import { problemResponses } from '../lib/problem';
import { byApiKey, requireScope } from '../middleware/api-key';
import { requireAuth, requireRole } from '../middleware/auth';
import { byUser, rateLimit } from '../middleware/rate-limit';
import {
  CreatePaymentLinkBody,
  PaymentLinkIdParams,
  PaymentLinkListQuery,
  PaymentLinkPage,
  PaymentLinkSchema,
  SendPaymentLinkBody,
} from './schemas';
import {
  createPaymentLink,
  deactivatePaymentLink,
  getPaymentLink,
  listPaymentLinks,
  sendPaymentLink,
} from './service';

/** docs/api.md §11: `/api/v1/payment-links/...`: staff (ADMIN, STAFF) and server API keys. */
export const paymentLinksRoutes = createRouter();

const TAGS = ['Payment links'];
const security = (scope: string): Array<Record<string, string[]>> => [
  { bearerAuth: [] },
  { apiKeyAuth: [scope] },
];
const write = [
  requireScope('payments:write'),
  requireAuth,
  requireRole('ADMIN', 'STAFF'),
  rateLimit('default', byUser, byApiKey),
] as const;
const read = [
  requireScope('payments:read'),
  requireAuth,
  requireRole('ADMIN', 'STAFF'),
  rateLimit('default', byUser, byApiKey),
] as const;
const WHO_WRITES = 'Staff (ADMIN, STAFF) or a server API key with `payments:write`; customers → 403.';

/** Where links point: PUBLIC_BASE_URL, else this request's origin. */
const baseOf = (c: Context<AppEnv>) =>
  (c.var.config.PUBLIC_BASE_URL ?? new URL(c.req.url).origin).replace(/\/+$/, '');

paymentLinksRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/',
    operationId: 'createPaymentLink',
    tags: TAGS,
    security: security('payments:write'),
    summary: 'Create a payment link',
    description: [
      WHO_WRITES,
      'The amount is in the PayMob account’s currency. `expires_at` or `expires_in` (not both; default 7 days, 5 minutes to 90 days).',
      '`single_use` (default true): the first successful payment closes the link; false: any number of payments until it expires or is deactivated.',
      'With `customer_email` the link is e-mailed at once (notifications queue). Audited as `payment_link.create`.',
    ].join(' '),
    middleware: [...write],
    request: { body: jsonBody(CreatePaymentLinkBody) },
    responses: {
      201: jsonResponse(PaymentLinkSchema, 'The link, with its URL'),
      ...problemResponses(400, 401, 403, 413, 415, 429),
    },
  }),
  async (c) => {
    const link = await createPaymentLink(c.var.ctx, { ...c.req.valid('json'), base: baseOf(c) });
    c.header('Location', `/api/v1/payment-links/${link.id}/`);
    return c.json(link, 201);
  },
);

paymentLinksRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    operationId: 'listPaymentLinks',
    tags: TAGS,
    security: security('payments:read'),
    summary: 'List payment links, newest first',
    description:
      'Staff or a server API key with `payments:read`. Filter `status`: active, paid, deactivated, expired (an active link past expires_at). Each link’s payments: `GET txn/?…` shows `payment_link` on every transaction.',
    middleware: [...read],
    request: { query: PaymentLinkListQuery },
    responses: {
      200: jsonResponse(PaymentLinkPage, 'One page of links'),
      ...problemResponses(400, 401, 403, 404, 429),
    },
  }),
  async (c) =>
    c.json(
      await listPaymentLinks(c.var.ctx, {
        query: c.req.valid('query'),
        requestUrl: c.req.url,
        base: baseOf(c),
      }),
      200,
    ),
);

paymentLinksRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{id}',
    operationId: 'getPaymentLink',
    tags: TAGS,
    security: security('payments:read'),
    summary: 'One payment link',
    middleware: [...read],
    request: { params: PaymentLinkIdParams },
    responses: {
      200: jsonResponse(PaymentLinkSchema, 'The link'),
      ...problemResponses(401, 403, 404, 429),
    },
  }),
  async (c) => c.json(await getPaymentLink(c.var.ctx, { id: c.req.valid('param').id, base: baseOf(c) }), 200),
);

paymentLinksRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/deactivate',
    operationId: 'deactivatePaymentLink',
    tags: TAGS,
    security: security('payments:write'),
    summary: 'Deactivate a payment link',
    description: `${WHO_WRITES} The link’s page then answers 410 and starts no checkout; a checkout already open may still succeed (recorded, and flagged for staff on a single-use link). Again on a deactivated link: no change. A paid link → 409 \`payment_link_not_active\`. Audited as \`payment_link.deactivate\`.`,
    middleware: [...write],
    request: { params: PaymentLinkIdParams },
    responses: {
      200: jsonResponse(PaymentLinkSchema, 'The link, deactivated'),
      ...problemResponses(401, 403, 404, 409, 429),
    },
  }),
  async (c) =>
    c.json(await deactivatePaymentLink(c.var.ctx, { id: c.req.valid('param').id, base: baseOf(c) }), 200),
);

paymentLinksRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/send',
    operationId: 'sendPaymentLink',
    tags: TAGS,
    security: security('payments:write'),
    summary: 'E-mail a payment link',
    description: `${WHO_WRITES} Body \`{"email"}\` is optional: by default the link’s customer_email (neither → 400). Queued on the notifications queue (202). Only an active, unexpired link (409 \`payment_link_not_active\`). Audited as \`payment_link.send\`.`,
    middleware: [...write],
    request: {
      params: PaymentLinkIdParams,
      body: { required: false, content: { 'application/json': { schema: SendPaymentLinkBody } } },
    },
    responses: {
      202: jsonResponse(PaymentLinkSchema, 'The link; the e-mail is queued'),
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 429),
    },
  }),
  async (c) => {
    const link = await sendPaymentLink(c.var.ctx, {
      id: c.req.valid('param').id,
      email: c.req.valid('json').email,
      base: baseOf(c),
    });
    return c.json(link, 202);
  },
);
