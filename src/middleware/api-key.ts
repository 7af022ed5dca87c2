import { createMiddleware } from 'hono/factory';
import { authenticateApiKey } from '../api-keys/service';
import type { ApiKeyScope } from '../db/schema';
import type { AppEnv } from '../env';
import { AppError } from '../lib/errors';
import type { RateLimitKey } from './rate-limit';

/** `Bearer sk_…`: the secret of a server API key, or undefined for any other (or no) Authorization. */
export function presentedApiKey(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(sk_\S*)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * The one authorization rule for routes that admit server API keys (docs/api-keys.md §3). Put it first in
 * the route's middleware, before its usual `requireAuth` / `requireRole(…)`:
 * - `Authorization: Bearer sk_…` → the key is authenticated (one query; unknown, revoked or malformed → 401
 *   `api_key_not_valid`), must hold `scope` (403 `insufficient_scope` otherwise) and becomes `ctx.apiKey`;
 *   the following requireAuth / requireRole then let it through (only this middleware sets `ctx.apiKey`);
 * - anything else → nothing happens here, and the route's user rule decides exactly as before.
 */
export function requireScope(scope: ApiKeyScope) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const secret = presentedApiKey(c.req.header('Authorization'));
    if (secret === undefined) return next();
    const key = await authenticateApiKey(c.var.ctx, secret);
    if (!key.scopes.includes(scope)) {
      c.var.logger.info('api key refused', { reason: 'insufficient_scope', api_key_id: key.id, scope });
      throw new AppError(403, 'insufficient_scope', `This API key does not have the "${scope}" scope.`, {
        headers: {
          'WWW-Authenticate': `Bearer realm="stackpay", error="insufficient_scope", scope="${scope}"`,
        },
        extensions: { required_scope: scope },
      });
    }
    c.var.ctx.apiKey = key;
    c.var.logger.info('api key accepted', { api_key_id: key.id });
    await next();
  });
}

/** Rate-limit key for server API keys: one counter per key (docs/api-keys.md §4); users are not counted. */
export const byApiKey: RateLimitKey = {
  name: 'key',
  value: (c) => (c.var.ctx.apiKey ? String(c.var.ctx.apiKey.id) : undefined),
};
