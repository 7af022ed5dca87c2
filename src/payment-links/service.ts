import { and, count, desc, eq, gt, lte, type SQL } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { writeAudit } from '../db/audit';
import { paymentLinks } from '../db/schema';
import { ulid } from '../lib/crypto';
import { conflict, fieldError, notFound, unauthorized, validationError } from '../lib/errors';
import { parseAmount } from '../lib/money';
import { type Page, pageRequest, pageResponse } from '../lib/pagination';
import { ACCOUNT_CURRENCIES } from '../paymob/client';
import { ID_PATTERN } from '../transactions/list';
import {
  type CreatePaymentLinkInput,
  DEFAULT_LINK_SECONDS,
  MAX_LINK_SECONDS,
  MIN_LINK_SECONDS,
  type PaymentLinkListQuery,
  type PaymentLinkView,
} from './schemas';
import { linkUrl, newPublicId } from './token';
import { linkAmount, linkState, type PaymentLinkRow, toPaymentLinkView } from './view';

/**
 * Payment links (docs/api.md §11): staff (ADMIN, STAFF) and server API keys with `payments:write` create,
 * deactivate and e-mail them; `payments:read` keys and staff read them. The routes admit only those callers.
 */

/** Who acted, for the audit log: the user, or (for a server API key) nobody with the key in the details. */
function auditActor(ctx: ServiceContext) {
  if (ctx.apiKey) {
    return { actorUserId: null, keyDetails: { api_key_id: ctx.apiKey.id, api_key_name: ctx.apiKey.name } };
  }
  if (!ctx.actor) throw unauthorized('Authentication credentials were not provided.');
  return { actorUserId: ctx.actor.id, keyDetails: {} };
}

function expiry(input: CreatePaymentLinkInput, now: Date): Date {
  if (input.expires_at !== undefined && input.expires_in !== undefined) {
    throw fieldError('expires_in', 'Give expires_at or expires_in, not both.');
  }
  const field = input.expires_at !== undefined ? 'expires_at' : 'expires_in';
  const at =
    input.expires_at !== undefined
      ? new Date(input.expires_at)
      : new Date(now.getTime() + (input.expires_in ?? DEFAULT_LINK_SECONDS) * 1000);
  const seconds = (at.getTime() - now.getTime()) / 1000;
  if (!(seconds >= MIN_LINK_SECONDS)) throw fieldError(field, 'The link must stay open at least 5 minutes.');
  if (seconds > MAX_LINK_SECONDS) throw fieldError(field, 'The link may stay open at most 90 days.');
  return at;
}

/** Queues the e-mail with the link (docs/api.md §6); each call is its own e-mail. */
async function queueLinkEmail(ctx: ServiceContext, row: PaymentLinkRow, to: string, url: string) {
  await ctx.notify({
    type: 'payment_link',
    idempotency_key: `payment_link:${row.id}:${ulid(ctx.now.getTime())}`,
    to,
    user_id: null,
    description: row.description,
    amount: linkAmount(row),
    currency: row.currency,
    url,
    expires_at: row.expiresAt.toISOString(),
  });
}

async function loadLink(ctx: ServiceContext, id: string | number): Promise<PaymentLinkRow> {
  if (!ID_PATTERN.test(String(id))) throw notFound('No payment link with this id.');
  const [row] = await ctx.db
    .select()
    .from(paymentLinks)
    .where(eq(paymentLinks.id, Number(id)))
    .limit(1);
  if (!row) throw notFound('No payment link with this id.');
  return row;
}

export async function createPaymentLink(
  ctx: ServiceContext,
  input: CreatePaymentLinkInput & { base: string },
): Promise<PaymentLinkView> {
  const { config, now } = ctx;
  const who = auditActor(ctx);
  const currency = ACCOUNT_CURRENCIES[config.PAYMOB_COUNTRY];
  const amount = parseAmount(input.amount, currency);
  if (!amount.ok) throw fieldError('amount', amount.message);
  const expiresAt = expiry(input, now);
  const values = {
    publicId: newPublicId(),
    amountCents: amount.minor,
    currency,
    description: input.description,
    customerEmail: input.customer_email ?? null,
    merchantReference: input.merchant_reference ?? null,
    singleUse: input.single_use ?? true,
    expiresAt,
    createdByUserId: who.actorUserId,
    createdByApiKeyId: ctx.apiKey?.id ?? null,
    createdAt: now,
    updatedAt: now,
  };
  const id = await ctx.db.transaction(async (tx) => {
    const inserted = { id: Number((await tx.insert(paymentLinks).values(values)).insertId) };
    await writeAudit(tx, {
      actorUserId: who.actorUserId,
      action: 'payment_link.create',
      targetType: 'payment_link',
      targetId: inserted.id,
      details: { amount_cents: values.amountCents, single_use: values.singleUse, ...who.keyDetails },
      requestId: ctx.requestId,
      createdAt: now,
    });
    return inserted.id;
  });
  const row: PaymentLinkRow = {
    ...values,
    id,
    status: 'active',
    paidCount: 0,
    paidAt: null,
    paidTransactionId: null,
    deactivatedAt: null,
  };
  if (row.customerEmail) {
    await queueLinkEmail(ctx, row, row.customerEmail, await linkUrl(config, input.base, row.publicId));
  }
  ctx.logger.info('payment link created', { payment_link_id: id });
  return toPaymentLinkView(config, input.base, row, now);
}

function listFilter(status: string | undefined, now: Date): SQL | undefined {
  if (status === undefined) return undefined;
  if (status === 'expired') return and(eq(paymentLinks.status, 'active'), lte(paymentLinks.expiresAt, now));
  if (status === 'active') return and(eq(paymentLinks.status, 'active'), gt(paymentLinks.expiresAt, now));
  if (status === 'paid' || status === 'deactivated') return eq(paymentLinks.status, status);
  throw validationError({ status: [`"${status.slice(0, 40)}" is not a valid status.`] });
}

export async function listPaymentLinks(
  ctx: ServiceContext,
  input: { query: PaymentLinkListQuery; requestUrl: string; base: string },
): Promise<Page<PaymentLinkView>> {
  const where = listFilter(input.query.status, ctx.now);
  const request = pageRequest(input.query);
  const [[total], rows] = await Promise.all([
    ctx.db.select({ n: count() }).from(paymentLinks).where(where),
    ctx.db
      .select()
      .from(paymentLinks)
      .where(where)
      .orderBy(desc(paymentLinks.createdAt), desc(paymentLinks.id))
      .limit(request.pageSize)
      .offset(request.offset),
  ]);
  const views = await Promise.all(rows.map((row) => toPaymentLinkView(ctx.config, input.base, row, ctx.now)));
  return pageResponse(input.requestUrl, request, total?.n ?? 0, views);
}

export async function getPaymentLink(
  ctx: ServiceContext,
  input: { id: string | number; base: string },
): Promise<PaymentLinkView> {
  return toPaymentLinkView(ctx.config, input.base, await loadLink(ctx, input.id), ctx.now);
}

/**
 * Closes the link: its page then answers 410 and starts no checkout. Checkouts already started may still
 * succeed (real payments); they are recorded and flagged (src/payment-links/paid.ts). Deactivating a
 * deactivated link changes nothing; a paid link → 409.
 */
export async function deactivatePaymentLink(
  ctx: ServiceContext,
  input: { id: string | number; base: string },
): Promise<PaymentLinkView> {
  const who = auditActor(ctx);
  const row = await loadLink(ctx, input.id);
  if (row.status === 'paid') {
    throw conflict('payment_link_not_active', 'This payment link is already paid.');
  }
  if (row.status === 'active') {
    const changed = await ctx.db.transaction(async (tx) => {
      const result = await tx
        .update(paymentLinks)
        .set({ status: 'deactivated', deactivatedAt: ctx.now, updatedAt: ctx.now })
        .where(and(eq(paymentLinks.id, row.id), eq(paymentLinks.status, 'active')));
      if (result.rowsAffected !== 1) return false;
      await writeAudit(tx, {
        actorUserId: who.actorUserId,
        action: 'payment_link.deactivate',
        targetType: 'payment_link',
        targetId: row.id,
        details: Object.keys(who.keyDetails).length > 0 ? who.keyDetails : null,
        requestId: ctx.requestId,
        createdAt: ctx.now,
      });
      return true;
    });
    // Paid (or deactivated) in between: answer with what it is now.
    if (!changed) return deactivatePaymentLink(ctx, input);
  }
  return getPaymentLink(ctx, input);
}

/** E-mails the link (to `email`, else its customer_email) through the notifications queue. */
export async function sendPaymentLink(
  ctx: ServiceContext,
  input: { id: string | number; email?: string; base: string },
): Promise<PaymentLinkView> {
  const who = auditActor(ctx);
  const row = await loadLink(ctx, input.id);
  if (linkState(row, ctx.now) !== 'active') {
    throw conflict(
      'payment_link_not_active',
      `This payment link is ${linkState(row, ctx.now)}; it cannot be sent.`,
    );
  }
  const to = input.email ?? row.customerEmail;
  if (!to) throw fieldError('email', 'The link has no customer_email: name the address to send it to.');
  await writeAudit(ctx.db, {
    actorUserId: who.actorUserId,
    action: 'payment_link.send',
    targetType: 'payment_link',
    targetId: row.id,
    details: Object.keys(who.keyDetails).length > 0 ? who.keyDetails : null,
    requestId: ctx.requestId,
    createdAt: ctx.now,
  });
  await queueLinkEmail(ctx, row, to, await linkUrl(ctx.config, input.base, row.publicId));
  return toPaymentLinkView(ctx.config, input.base, row, ctx.now);
}
