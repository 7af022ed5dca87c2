import { and, eq, isNull } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { users, webhookEndpoints } from '../db/schema';
import { describeError } from '../lib/logger';
import { materialiseEvent, materialiseEventDispatched, type WebhookMessage } from './events';
import { DELIVERY_TIMEOUT_MS, DISABLE_AFTER_MS, nextAttemptAt } from './policy';
import { openSecret } from './secrets';
import { webhookSignature } from './signature';
import {
  claimAttempt,
  deliveryOf,
  enabledEndpoints,
  endDelivery,
  insertDeliveries,
  markDispatched,
  pendingDeliveries,
  readEvent,
  recordAttempt,
} from './statements';
import { eventBody, subscribedTypes } from './view';

/**
 * The `webhook-deliveries` queue's work (docs/webhooks.md): fan an event out to one delivery per subscribed
 * endpoint, and make one signed attempt per delivery message, Standard Webhooks style
 * (https://www.standardwebhooks.com/, spec/standard-webhooks.md: `webhook-id` = the event id on every
 * attempt, `webhook-timestamp` = the attempt's time, `webhook-signature: v1,<base64 HMAC-SHA256>`).
 */

/** An attempt in flight holds its delivery this long; after that the sweep may hand it out again. */
export const ATTEMPT_LEASE_MS = 2 * 60_000;
/** Queues' longest delay (12 hours). */
const MAX_QUEUE_DELAY_SECONDS = 12 * 60 * 60;
const RESPONSE_SAMPLE_BYTES = 1024;

export async function handleWebhookMessage(ctx: ServiceContext, message: WebhookMessage): Promise<void> {
  if (message.kind === 'fanout') await fanOut(ctx, message.event_id);
  else await attemptDelivery(ctx, { deliveryId: message.delivery_id, attempt: message.attempt });
}

/** Sends the deliver messages, each with its delay (capped at Queues' maximum; an early one re-queues). */
export async function enqueueDeliveries(
  ctx: ServiceContext,
  due: Array<{ id: number; attempt: number; at: Date }>,
): Promise<void> {
  if (due.length === 0) return;
  await ctx.env.WEBHOOK_DELIVERIES.sendBatch(
    due.map(({ id, attempt, at }) => ({
      body: { kind: 'deliver', delivery_id: id, attempt } satisfies WebhookMessage,
      contentType: 'json' as const,
      delaySeconds: Math.min(
        MAX_QUEUE_DELAY_SECONDS,
        Math.max(0, Math.ceil((at.getTime() - ctx.now.getTime()) / 1000)),
      ),
    })),
  );
}

/**
 * One delivery per enabled, subscribed endpoint (idempotent: the (event, endpoint) key is unique). The
 * `events` row of an outbox mark is materialised first (docs/webhooks.md §2; a no-op when it exists already).
 * With no enabled endpoint at all, that and the dispatch mark are one statement (two for an event
 * `recordEvent` wrote, which has no mark): docs/webhooks.md §3.
 */
async function fanOut(ctx: ServiceContext, eventId: string): Promise<void> {
  const endpoints = await enabledEndpoints.run(ctx.db, {});
  if (endpoints.length === 0) {
    if (!(await materialiseEventDispatched(ctx.db, eventId, ctx.now)))
      await markDispatched.run(ctx.db, { id: eventId, at: ctx.now });
    return;
  }
  await materialiseEvent(ctx.db, eventId);
  const [event] = await readEvent.run(ctx.db, { id: eventId });
  if (!event || event.dispatchedAt) return;
  const targets = endpoints.filter((endpoint) => {
    const types = subscribedTypes(endpoint.events);
    return types.includes('*') || types.includes(event.type);
  });
  if (targets.length > 0) {
    await insertDeliveries(
      ctx.db,
      eventId,
      targets.map((t) => t.id),
      ctx.now,
    );
    const rows = await pendingDeliveries.run(ctx.db, { eventId });
    await enqueueDeliveries(
      ctx,
      rows.map((r) => ({ id: r.id, attempt: r.attempts + 1, at: ctx.now })),
    );
  }
  await markDispatched.run(ctx.db, { id: eventId, at: ctx.now });
}

interface AttemptResult {
  ok: boolean;
  status: number | null;
  durationMs: number;
  body: string | null;
  error: string | null;
}

/** POSTs the signed body; a 2xx within 10 s is a success. Redirects are not followed (they count as failures). */
async function send(url: string, secret: string, eventId: string, body: string): Promise<AttemptResult> {
  // The receiver checks the timestamp against its own clock: the real time of this attempt, not the run's.
  const sentAt = new Date();
  const headers = {
    'Content-Type': 'application/json',
    'User-Agent': 'StackPay-Webhooks/1.0',
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': await webhookSignature(secret, eventId, sentAt, body),
  };
  const started = Date.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    const sample = await readSample(response);
    const status = response.status;
    const ok = status >= 200 && status < 300;
    return {
      ok,
      status,
      durationMs: Date.now() - started,
      body: sample,
      error: ok ? null : `HTTP ${status}`,
    };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const error = timedOut ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` : describeError(err).error;
    return { ok: false, status: null, durationMs: Date.now() - started, body: null, error: String(error) };
  }
}

/** The first 1 KiB of the answer (decoded as UTF-8), without reading the rest. */
async function readSample(response: Response): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_SAMPLE_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(size, RESPONSE_SAMPLE_BYTES));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
  }
  // Cut at a byte count: a split character at the end becomes U+FFFD, and the text stays ≤ 1024 characters.
  return new TextDecoder().decode(bytes);
}

/**
 * Attempt number `attempt` of one delivery; schedules the next on failure and disables an endpoint failing for
 * three days. A message for another attempt number is a stale duplicate and is dropped.
 */
export async function attemptDelivery(
  ctx: ServiceContext,
  input: { deliveryId: number; attempt: number },
): Promise<void> {
  const { deliveryId } = input;
  const row = await deliveryOf(ctx.db, deliveryId);
  if (row?.delivery.state !== 'pending' || row.delivery.attempts + 1 !== input.attempt) return;
  const { delivery, event, endpoint } = row;
  if (!endpoint?.enabled) {
    return endDelivery(ctx.db, deliveryId, { state: 'failed', nextAttemptAt: null });
  }
  // Early (a duplicate message or a capped delay): wait for the scheduled time.
  if (delivery.nextAttemptAt && delivery.nextAttemptAt.getTime() > ctx.now.getTime() + 1000) {
    return enqueueDeliveries(ctx, [{ id: deliveryId, attempt: input.attempt, at: delivery.nextAttemptAt }]);
  }
  // Claim this attempt: a concurrent duplicate of the message finds the count changed and stops.
  const attempt = input.attempt;
  const claimed = await claimAttempt.run(ctx.db, {
    id: deliveryId,
    seen: delivery.attempts,
    attempt,
    at: ctx.now,
    leaseUntil: new Date(ctx.now.getTime() + ATTEMPT_LEASE_MS),
  });
  if (claimed.rowsAffected !== 1) return;

  const secret = await openSecret(ctx.config.JWT_SECRET, endpoint.id, endpoint.secretSealed);
  const result: AttemptResult = secret
    ? await send(endpoint.url, secret, event.id, eventBody(event))
    : { ok: false, status: null, durationMs: 0, body: null, error: 'the signing secret cannot be read' };
  await recordAttempt.run(ctx.db, {
    deliveryId,
    endpointId: endpoint.id,
    attempt,
    status: result.status,
    durationMs: result.durationMs,
    responseBody: result.body,
    error: result.error?.slice(0, 500) ?? null,
    createdAt: ctx.now,
  });

  if (result.ok) {
    await endDelivery(ctx.db, deliveryId, { state: 'delivered', deliveredAt: ctx.now, nextAttemptAt: null });
    if (endpoint.failingSince) {
      await ctx.db
        .update(webhookEndpoints)
        .set({ failingSince: null })
        .where(eq(webhookEndpoints.id, endpoint.id));
    }
    return;
  }
  const next = nextAttemptAt(attempt, delivery.createdAt, ctx.now);
  await endDelivery(
    ctx.db,
    deliveryId,
    next ? { nextAttemptAt: next } : { state: 'failed', nextAttemptAt: null },
  );
  await noteFailure(ctx, endpoint);
  if (next) await enqueueDeliveries(ctx, [{ id: deliveryId, attempt: attempt + 1, at: next }]);
}

/** Starts the endpoint's failing streak, or disables it (and e-mails every ADMIN) after three days of it. */
async function noteFailure(
  ctx: ServiceContext,
  endpoint: { id: string; url: string; failingSince: Date | null },
): Promise<void> {
  if (!endpoint.failingSince) {
    await ctx.db
      .update(webhookEndpoints)
      .set({ failingSince: ctx.now })
      .where(and(eq(webhookEndpoints.id, endpoint.id), isNull(webhookEndpoints.failingSince)));
    return;
  }
  if (ctx.now.getTime() - endpoint.failingSince.getTime() < DISABLE_AFTER_MS) return;
  const disabled = await ctx.db
    .update(webhookEndpoints)
    .set({ enabled: false, disabledReason: 'Every delivery failed for three days.', updatedAt: ctx.now })
    .where(and(eq(webhookEndpoints.id, endpoint.id), eq(webhookEndpoints.enabled, true)));
  if (disabled.rowsAffected !== 1) return;
  ctx.logger.warn('webhook endpoint disabled', { endpoint_id: endpoint.id });
  const admins = await ctx.db
    .select({ id: users.id, username: users.username, email: users.email })
    .from(users)
    .where(and(eq(users.role, 'ADMIN'), eq(users.isActive, true)));
  for (const admin of admins) {
    await ctx.notify({
      type: 'webhook_endpoint_disabled',
      idempotency_key: `webhook-disabled:${endpoint.id}:${ctx.now.getTime()}:${admin.id}`,
      to: admin.email,
      user_id: admin.id,
      username: admin.username,
      endpoint_id: endpoint.id,
      url: endpoint.url,
    });
  }
}
