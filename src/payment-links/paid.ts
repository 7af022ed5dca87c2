import { and, eq, isNull, or, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { paymentLinkPayments, paymentLinks, transactions } from '../db/schema';
import { describeError } from '../lib/logger';
import { publishEvent, recordEvent } from '../webhooks/events';
import { toPaymentLinkView } from './view';

/**
 * What a successful payment does to its payment link (docs/api.md §11), called by `applyPaymentEvent` when a
 * link payment reaches `succeeded` (and again for a redelivered success, which then changes nothing).
 *
 * One database transaction: the payment's `payment_link_payments` row (unique per transaction: a repeat stops
 * here) → the link's guarded UPDATE → the `payment_link.paid` event (docs/webhooks.md §2), published after the
 * commit. The guard decides what counts:
 * - a single-use link counts the first success while `active` and becomes `paid`;
 * - a multi-use link counts every success (deactivation only stops new checkouts);
 * - a success that cannot count (a single-use link paid by another checkout, or deactivated) is still a real
 *   payment: it is recorded (`counted` false) and the transaction is flagged "needs attention" for staff to
 *   refund or keep; nothing is refunded automatically.
 */
export async function recordLinkPayment(
  ctx: ServiceContext,
  payment: { transactionId: number; paymentLinkId: number },
): Promise<void> {
  const { now } = ctx;
  const outcome = await ctx.db.transaction(async (tx) => {
    const inserted = await tx.execute(sql`insert ignore into ${paymentLinkPayments}
      (${sql.identifier(paymentLinkPayments.transactionId.name)}, ${sql.identifier(paymentLinkPayments.paymentLinkId.name)},
       ${sql.identifier(paymentLinkPayments.counted.name)}, ${sql.identifier(paymentLinkPayments.createdAt.name)})
      values (${payment.transactionId}, ${payment.paymentLinkId}, false, ${sql.param(now, paymentLinkPayments.createdAt)})`);
    if (inserted.rowsAffected !== 1) return 'repeat' as const;
    const counted = await tx
      .update(paymentLinks)
      .set({
        paidCount: sql`${paymentLinks.paidCount} + 1`,
        paidAt: sql`coalesce(${paymentLinks.paidAt}, ${sql.param(now, paymentLinks.paidAt)})`,
        status: sql`if(${paymentLinks.singleUse}, 'paid', ${paymentLinks.status})`,
        paidTransactionId: sql`if(${paymentLinks.singleUse}, ${payment.transactionId}, ${paymentLinks.paidTransactionId})`,
        updatedAt: now,
      })
      .where(
        and(
          eq(paymentLinks.id, payment.paymentLinkId),
          or(eq(paymentLinks.status, 'active'), eq(paymentLinks.singleUse, false)),
        ),
      );
    if (counted.rowsAffected !== 1) {
      await tx
        .update(transactions)
        .set({
          needsAttentionAt: now,
          attentionReason: `Paid through payment link #${payment.paymentLinkId}, which was already paid or deactivated: refund or keep it.`,
          updatedAt: sql`${transactions.updatedAt}`,
        })
        .where(and(eq(transactions.id, payment.transactionId), isNull(transactions.needsAttentionAt)));
      return 'flagged' as const;
    }
    await tx
      .update(paymentLinkPayments)
      .set({ counted: true })
      .where(eq(paymentLinkPayments.transactionId, payment.transactionId));
    const [link] = await tx
      .select()
      .from(paymentLinks)
      .where(eq(paymentLinks.id, payment.paymentLinkId))
      .limit(1);
    if (!link) return 'flagged' as const;
    // The event's URL: absolute with PUBLIC_BASE_URL, else the path (there is no request to take an origin from).
    const base = (ctx.config.PUBLIC_BASE_URL ?? '').replace(/\/+$/, '');
    const object = {
      ...(await toPaymentLinkView(ctx.config, base, link, now)),
      transaction: payment.transactionId,
    };
    return recordEvent(ctx, { type: 'payment_link.paid', objectId: link.id, object, db: tx });
  });
  const log = ctx.logger.child({
    transaction_id: payment.transactionId,
    payment_link_id: payment.paymentLinkId,
  });
  if (outcome === 'repeat') return;
  if (outcome === 'flagged') {
    log.error('payment through a payment link that was already paid or deactivated; flagged for staff');
    return;
  }
  log.info('payment link paid');
  await publishEvent(ctx, outcome);
}

/**
 * The hook as `applyPaymentEvent` calls it, after the success is applied (and for a redelivered success). A
 * failure here is thrown: the callback then answers 503 and PayMob delivers it again, which runs this again
 * (the payment's state is already final; the `payment_link_payments` row makes the link's update exactly once).
 */
export async function afterLinkPaymentSucceeded(
  ctx: ServiceContext,
  target: { id: number; paymentLinkId: number | null },
): Promise<void> {
  if (target.paymentLinkId === null) return;
  try {
    await recordLinkPayment(ctx, { transactionId: target.id, paymentLinkId: target.paymentLinkId });
  } catch (err) {
    ctx.logger.error('payment link not updated after its payment succeeded', {
      transaction_id: target.id,
      ...describeError(err),
    });
    throw err;
  }
}
