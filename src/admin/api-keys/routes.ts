import { Hono } from 'hono';
import { createApiKey, listApiKeys, revokeApiKey } from '../../api-keys/service';
import { notFound } from '../../lib/errors';
import { claimConfirmation, newConfirmationNonce } from '../common/confirm';
import { formRefusal, idParam } from '../common/forms';
import { requireCsrf, requireRole, requireSession } from '../common/guards';
import { type AdminEnv, page, pageContext, sessionOf, setFlash } from '../common/http';
import { apiKeyById, scopesFromForm } from './queries';
import { ApiKeysPage, CreatedKeyPage, RevokeConfirmPage } from './views';

/** API keys (docs/api-keys.md §6): ADMIN lists, creates and revokes them through the api-keys service. */
export const apiKeysRoutes = new Hono<AdminEnv>();

const WHAT = 'manage API keys';

apiKeysRoutes.get('/api-keys', requireSession, requireRole(['ADMIN'], WHAT), async (c) =>
  page(c, ApiKeysPage({ ctx: pageContext(c), keys: await listApiKeys(c.var.ctx) })),
);

apiKeysRoutes.post('/api-keys', requireSession, requireCsrf, requireRole(['ADMIN'], WHAT), async (c) => {
  const form = c.var.form ?? {};
  const name = (form.name ?? '').trim();
  const scopes = scopesFromForm(form);
  const errors: string[] = [];
  if (name === '' || name.length > 100) errors.push('Enter a name of 1 to 100 characters.');
  if (scopes.length === 0) errors.push('Choose at least one scope.');
  const outcome =
    errors.length > 0 ? undefined : await formRefusal(() => createApiKey(c.var.ctx, { name, scopes }), [400]);
  if (!outcome || 'refused' in outcome) {
    if (outcome) errors.push(outcome.refused.message);
    const keys = await listApiKeys(c.var.ctx);
    return page(c, ApiKeysPage({ ctx: pageContext(c), keys, form: { name, errors } }), 400);
  }
  // Shown in this answer only (no redirect: the secret must not travel in a flash cookie); never cached.
  c.header('Cache-Control', 'no-store');
  return page(c, CreatedKeyPage({ ctx: pageContext(c), ...outcome.value }));
});

apiKeysRoutes.get('/api-keys/:id{[0-9]+}/revoke', requireSession, requireRole(['ADMIN'], WHAT), async (c) => {
  const key = await apiKeyById(c.var.db, idParam(c, 'id'));
  if (!key) throw notFound('No API key with this id.', 'api_key_not_found');
  if (key.revokedAt) {
    setFlash(c, { kind: 'info', message: `The key “${key.name}” is revoked already.` });
    return c.redirect('/admin/api-keys', 303);
  }
  return page(c, RevokeConfirmPage({ ctx: pageContext(c), key, nonce: newConfirmationNonce() }));
});

apiKeysRoutes.post(
  '/api-keys/:id{[0-9]+}/revoke',
  requireSession,
  requireCsrf,
  requireRole(['ADMIN'], WHAT),
  async (c) => {
    const id = idParam(c, 'id');
    const form = c.var.form ?? {};
    const session = sessionOf(c);
    if (
      !(await claimConfirmation(
        c.env.RATE_LIMITER,
        session.sessionId,
        `api_key_revoke:${id}`,
        form.confirmation,
      ))
    ) {
      setFlash(c, {
        kind: 'error',
        message: 'This revocation was already submitted (or its confirmation expired).',
      });
      return c.redirect('/admin/api-keys', 303);
    }
    const key = await revokeApiKey(c.var.ctx, id);
    setFlash(c, { kind: 'success', message: `The key “${key.name}” (${key.prefix}…) is revoked.` });
    return c.redirect('/admin/api-keys', 303);
  },
);
