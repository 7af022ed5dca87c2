import { createRoute } from '@hono/zod-openapi';
import { createRouter, jsonBody, jsonResponse } from '../lib/openapi';
import { problemResponses } from '../lib/problem';
import { requireAuth, requireRole } from '../middleware/auth';
import { byUser, rateLimit } from '../middleware/rate-limit';
import { ApiKeyIdParams, ApiKeyList, ApiKeySchema, CreateApiKeyBody, CreatedApiKeySchema } from './schemas';
import { createApiKey, listApiKeys, revokeApiKey } from './service';
import { toApiKeyView } from './view';

/**
 * docs/api-keys.md §2: `/api/v1/api-keys/...`, ADMIN's access token only. A server API key can never manage
 * keys: no route here has `requireScope`, so requireAuth answers a key with 403 `api_key_not_allowed`.
 */
export const apiKeysRoutes = createRouter();

const TAGS = ['API keys'];
const security = [{ bearerAuth: [] }];

apiKeysRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/',
    operationId: 'createApiKey',
    tags: TAGS,
    security,
    summary: 'Create a server API key (the secret is in this answer only)',
    description:
      'ADMIN only (others → 403; an API key → 403 `api_key_not_allowed`). The secret (`sk_live_…` in production, `sk_test_…` elsewhere; 32 random bytes) is returned once: only its SHA-256 is stored. Audited as `api_key.create`.',
    middleware: [requireAuth, requireRole('ADMIN'), rateLimit('default', byUser)] as const,
    request: { body: jsonBody(CreateApiKeyBody) },
    responses: {
      201: jsonResponse(CreatedApiKeySchema, 'The key, with its secret'),
      ...problemResponses(400, 401, 403, 413, 415, 429),
    },
  }),
  async (c) => {
    const { key, secret } = await createApiKey(c.var.ctx, c.req.valid('json'));
    c.header('Location', `/api/v1/api-keys/${key.id}/`);
    c.header('Cache-Control', 'no-store');
    return c.json({ ...toApiKeyView(key), secret }, 201);
  },
);

apiKeysRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    operationId: 'listApiKeys',
    tags: TAGS,
    security,
    summary: 'Every server API key, newest first, revoked ones included',
    middleware: [requireAuth, requireRole('ADMIN'), rateLimit('default', byUser)] as const,
    responses: {
      200: jsonResponse(ApiKeyList, 'The keys (never their secrets)'),
      ...problemResponses(401, 403, 429),
    },
  }),
  async (c) => c.json({ results: (await listApiKeys(c.var.ctx)).map(toApiKeyView) }, 200),
);

apiKeysRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/{id}',
    operationId: 'revokeApiKey',
    tags: TAGS,
    security,
    summary: 'Revoke a server API key (its next request is a 401)',
    description:
      'ADMIN only. Revoking a revoked key changes nothing and answers with the key as it is. Audited as `api_key.revoke`.',
    middleware: [requireAuth, requireRole('ADMIN'), rateLimit('default', byUser)] as const,
    request: { params: ApiKeyIdParams },
    responses: {
      200: jsonResponse(ApiKeySchema, 'The key, revoked'),
      ...problemResponses(401, 403, 404, 429),
    },
  }),
  async (c) => c.json(toApiKeyView(await revokeApiKey(c.var.ctx, c.req.valid('param').id)), 200),
);
