import { and, desc, eq, isNull, lt, or } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { writeAudit } from '../db/audit';
import { API_KEY_SCOPES, type ApiKeyScope, apiKeys } from '../db/schema';
import { AppError, forbidden, notFound } from '../lib/errors';
import type { Actor } from '../users/actor';
import type { ApiKeyCaller } from './caller';
import { DISPLAY_PREFIX_LENGTH, hashSecret, newSecret, SECRET_SHAPE, secretPrefix } from './secret';

/**
 * Server API keys (docs/api-keys.md): ADMIN creates, lists and revokes them (API and admin UI alike call
 * these); `authenticateApiKey` turns a presented secret into the request's caller.
 */

/** The last-used time is written at most this often per key (docs/api-keys.md §3). */
const LAST_USED_RESOLUTION_MS = 60_000;

export const apiKeyColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  scopes: apiKeys.scopes,
  createdBy: apiKeys.createdBy,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
};

export interface ApiKeyRow {
  id: number;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  createdBy: number;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface CreateApiKeyInput {
  name: string;
  scopes: readonly ApiKeyScope[];
}

/** A stored scopes value as the known scopes it names (anything else in the column grants nothing). */
export function parseScopes(value: unknown): ApiKeyScope[] {
  if (!Array.isArray(value)) return [];
  return API_KEY_SCOPES.filter((scope) => value.includes(scope));
}

const toRow = (row: Omit<ApiKeyRow, 'scopes'> & { scopes: unknown }): ApiKeyRow => ({
  ...row,
  scopes: parseScopes(row.scopes),
});

/** Keys are managed by ADMIN only, never by a key; the routes and the admin check this too. */
function requireAdmin(ctx: ServiceContext): Actor {
  if (ctx.apiKey || ctx.actor?.role !== 'ADMIN')
    throw forbidden('Only an administrator can manage API keys.');
  return ctx.actor;
}

export const apiKeyNotFound = () => notFound('No API key matches the given id.', 'api_key_not_found');

/**
 * Creates a key and returns its secret: the only time it exists outside the caller's hands. Stored: its
 * SHA-256, the display prefix, name and scopes; the audit row names the key, never the secret.
 */
export async function createApiKey(
  ctx: ServiceContext,
  input: CreateApiKeyInput,
): Promise<{ key: ApiKeyRow; secret: string }> {
  const actor = requireAdmin(ctx);
  const secret = newSecret(ctx.config);
  const scopes = API_KEY_SCOPES.filter((scope) => input.scopes.includes(scope));
  const values = {
    name: input.name,
    prefix: secret.slice(0, DISPLAY_PREFIX_LENGTH),
    secretHash: await hashSecret(secret),
    scopes,
    createdBy: actor.id,
    createdAt: ctx.now,
  };
  const id = await ctx.db.transaction(async (tx) => {
    const inserted = await tx.insert(apiKeys).values(values);
    const keyId = Number(inserted.insertId);
    await writeAudit(tx, {
      actorUserId: actor.id,
      action: 'api_key.create',
      targetType: 'api_key',
      targetId: keyId,
      details: { name: values.name, prefix: values.prefix, scopes },
      requestId: ctx.requestId,
      createdAt: ctx.now,
    });
    return keyId;
  });
  ctx.logger.info('api key created', { api_key_id: id, prefix: values.prefix });
  const { secretHash: _hash, ...shown } = values;
  return { key: { id, ...shown, lastUsedAt: null, revokedAt: null }, secret };
}

/** Every key, newest first, revoked ones included (they stay listed with their revocation time). */
export async function listApiKeys(ctx: ServiceContext): Promise<ApiKeyRow[]> {
  requireAdmin(ctx);
  const rows = await ctx.db
    .select(apiKeyColumns)
    .from(apiKeys)
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
  return rows.map(toRow);
}

/**
 * Revokes a key at once (its next request is a 401). Revoking a revoked key changes nothing and answers
 * with the key as it is (the first revocation time stays); an unknown id is a 404.
 */
export async function revokeApiKey(ctx: ServiceContext, rawId: string | number): Promise<ApiKeyRow> {
  const actor = requireAdmin(ctx);
  const text = String(rawId).trim();
  if (!/^[1-9]\d{0,15}$/.test(text)) throw apiKeyNotFound();
  const id = Number(text);
  await ctx.db.transaction(async (tx) => {
    const result = await tx
      .update(apiKeys)
      .set({ revokedAt: ctx.now })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
    if (result.rowsAffected === 1) {
      await writeAudit(tx, {
        actorUserId: actor.id,
        action: 'api_key.revoke',
        targetType: 'api_key',
        targetId: id,
        requestId: ctx.requestId,
        createdAt: ctx.now,
      });
    }
  });
  const [row] = await ctx.db.select(apiKeyColumns).from(apiKeys).where(eq(apiKeys.id, id)).limit(1);
  if (!row) throw apiKeyNotFound();
  return toRow(row);
}

/** 401 for a key that is malformed, unknown, revoked or of the other environment: one answer for all. */
export const invalidApiKey = () =>
  new AppError(401, 'api_key_not_valid', 'The API key is invalid or has been revoked.', {
    headers: { 'WWW-Authenticate': 'Bearer realm="stackpay", error="invalid_token"' },
  });

/**
 * The key a presented secret belongs to (docs/api-keys.md §3). The secret is never compared: its SHA-256
 * is looked up through a unique index (one query), so timing reveals nothing about stored secrets.
 * `last_used_at` is written after the response, at most once a minute per key, by a guarded UPDATE.
 */
export async function authenticateApiKey(ctx: ServiceContext, secret: string): Promise<ApiKeyCaller> {
  if (!SECRET_SHAPE.test(secret) || !secret.startsWith(secretPrefix(ctx.config))) {
    ctx.logger.info('api key refused', { reason: 'malformed' });
    throw invalidApiKey();
  }
  const [row] = await ctx.db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      scopes: apiKeys.scopes,
      createdBy: apiKeys.createdBy,
      lastUsedAt: apiKeys.lastUsedAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .where(eq(apiKeys.secretHash, await hashSecret(secret)))
    .limit(1);
  if (!row || row.revokedAt !== null) {
    ctx.logger.info('api key refused', { reason: row ? 'revoked' : 'unknown', api_key_id: row?.id });
    throw invalidApiKey();
  }
  const { now } = ctx;
  const staleBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
  if (row.lastUsedAt === null || row.lastUsedAt < staleBefore) {
    await ctx.defer(
      ctx.db
        .update(apiKeys)
        .set({ lastUsedAt: now })
        .where(
          and(
            eq(apiKeys.id, row.id),
            or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, staleBefore)),
            isNull(apiKeys.revokedAt),
          ),
        ),
    );
  }
  return { id: row.id, name: row.name, scopes: parseScopes(row.scopes), createdBy: row.createdBy };
}
