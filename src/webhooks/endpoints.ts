import { count, desc, eq } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { type AuditAction, writeAudit } from '../db/audit';
import { webhookEndpoints } from '../db/schema';
import { ulid } from '../lib/crypto';
import { fieldError, notFound } from '../lib/errors';
import { type Page, pageRequest, pageResponse } from '../lib/pagination';
import { endpointUrlProblem } from './policy';
import type { CreateEndpointInput, UpdateEndpointInput, WebhookEndpointView } from './schemas';
import { ENDPOINT_ID } from './schemas';
import { generateSecret, sealSecret } from './secrets';
import { toEndpointView } from './view';

/**
 * Webhook endpoints (docs/webhooks.md): ADMIN registers the URLs that receive signed events. The secret is
 * returned on create and on rotation only; at rest it is sealed (src/webhooks/secrets.ts). Every change is
 * audit-logged in the transaction that makes it (`webhook_endpoint.*`; never the secret).
 */

type EndpointWithSecret = WebhookEndpointView & { secret: string };

function checkUrl(ctx: ServiceContext, url: string): void {
  const problem = endpointUrlProblem(url, ctx.config.APP_ENV);
  if (problem) throw fieldError('url', problem, 'webhook_url_refused');
}

/** The audit row of an endpoint change, by the acting user (API caller or admin session). */
function auditEntry(
  ctx: ServiceContext,
  action: AuditAction,
  endpointId: string,
  details: Record<string, unknown>,
) {
  return {
    actorUserId: ctx.actor?.id ?? null,
    action,
    targetType: 'webhook_endpoint',
    targetId: endpointId,
    details,
    requestId: ctx.requestId,
    createdAt: ctx.now,
  };
}

async function loadEndpoint(ctx: ServiceContext, id: string) {
  if (!ENDPOINT_ID.test(id)) throw notFound('No such webhook endpoint.');
  const [row] = await ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).limit(1);
  if (!row) throw notFound('No such webhook endpoint.');
  return row;
}

export async function createEndpoint(
  ctx: ServiceContext,
  input: CreateEndpointInput,
): Promise<EndpointWithSecret> {
  checkUrl(ctx, input.url);
  const id = `we_${ulid(ctx.now.getTime())}`;
  const secret = generateSecret();
  const row = {
    id,
    url: input.url,
    description: input.description ?? '',
    events: JSON.stringify(input.events ?? ['*']),
    enabled: input.enabled ?? true,
    secretSealed: await sealSecret(ctx.config.JWT_SECRET, id, secret),
    failingSince: null,
    disabledReason: null,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  await ctx.db.transaction(async (tx) => {
    await tx.insert(webhookEndpoints).values(row);
    await writeAudit(
      tx,
      auditEntry(ctx, 'webhook_endpoint.create', id, {
        url: row.url,
        events: input.events ?? ['*'],
        enabled: row.enabled,
      }),
    );
  });
  return { ...toEndpointView(row), secret };
}

export async function listEndpoints(
  ctx: ServiceContext,
  input: { page?: string; page_size?: string; url: string },
): Promise<Page<WebhookEndpointView>> {
  const request = pageRequest(input);
  const [[total], rows] = await Promise.all([
    ctx.db.select({ n: count() }).from(webhookEndpoints),
    ctx.db
      .select()
      .from(webhookEndpoints)
      .orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id))
      .limit(request.pageSize)
      .offset(request.offset),
  ]);
  return pageResponse(input.url, request, total?.n ?? 0, rows.map(toEndpointView));
}

export async function getEndpoint(ctx: ServiceContext, id: string): Promise<WebhookEndpointView> {
  return toEndpointView(await loadEndpoint(ctx, id));
}

export async function updateEndpoint(
  ctx: ServiceContext,
  input: { id: string; changes: UpdateEndpointInput },
): Promise<WebhookEndpointView> {
  const row = await loadEndpoint(ctx, input.id);
  const { changes } = input;
  if (changes.url !== undefined) checkUrl(ctx, changes.url);
  const set: Partial<typeof webhookEndpoints.$inferInsert> = { updatedAt: ctx.now };
  if (changes.url !== undefined) set.url = changes.url;
  if (changes.description !== undefined) set.description = changes.description;
  if (changes.events !== undefined) set.events = JSON.stringify(changes.events);
  if (changes.enabled !== undefined) {
    set.enabled = changes.enabled;
    // Re-enabling starts a fresh record: the old failing streak no longer counts towards disabling.
    if (changes.enabled) Object.assign(set, { failingSince: null, disabledReason: null });
  }
  const before = toEndpointView(row);
  const after = toEndpointView({ ...row, ...set } as typeof row);
  // What changed, as {field: {from, to}}; an unchanged form saves nothing new in the log.
  const changed: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of ['url', 'description', 'events', 'enabled'] as const) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) {
      changed[field] = { from: before[field], to: after[field] };
    }
  }
  await ctx.db.transaction(async (tx) => {
    await tx.update(webhookEndpoints).set(set).where(eq(webhookEndpoints.id, row.id));
    if (Object.keys(changed).length > 0) {
      await writeAudit(tx, auditEntry(ctx, 'webhook_endpoint.update', row.id, changed));
    }
  });
  return after;
}

/** Deletes the endpoint; its pending deliveries are dropped by the consumer (the endpoint is gone). */
export async function deleteEndpoint(ctx: ServiceContext, id: string): Promise<void> {
  const row = await loadEndpoint(ctx, id);
  await ctx.db.transaction(async (tx) => {
    const deleted = await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, row.id));
    // A concurrent delete already logged it.
    if (deleted.rowsAffected === 1) {
      await writeAudit(tx, auditEntry(ctx, 'webhook_endpoint.delete', row.id, { url: row.url }));
    }
  });
}

/** A new secret, effective for the next attempt (retries in flight are signed with it too). */
export async function rotateEndpointSecret(ctx: ServiceContext, id: string): Promise<EndpointWithSecret> {
  const row = await loadEndpoint(ctx, id);
  const secret = generateSecret();
  const secretSealed = await sealSecret(ctx.config.JWT_SECRET, row.id, secret);
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(webhookEndpoints)
      .set({ secretSealed, updatedAt: ctx.now })
      .where(eq(webhookEndpoints.id, row.id));
    await writeAudit(tx, auditEntry(ctx, 'webhook_endpoint.rotate', row.id, {}));
  });
  return { ...toEndpointView({ ...row, updatedAt: ctx.now }), secret };
}
