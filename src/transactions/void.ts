import type { ServiceContext } from '../context';
import { conflict } from '../lib/errors';
import { businessDay, PAYMOB_TIME_ZONES } from '../paymob/business-day';
import {
  applyAnswer,
  callPaymob,
  invalidState,
  loadForReversal,
  reloadView,
  requireAdmin,
  requireSucceeded,
} from './reversal';
import type { TransactionView } from './schemas';

export interface VoidInput {
  transactionId: string | number;
}

/**
 * docs/api.md §4.6 void, for the API and the admin UI: ADMIN only, a succeeded payment with no refund yet (PayMob
 * refuses to void a refunded one) and no refund in flight, on the same business day as the payment in the
 * PayMob account's zone (docs/payments.md "Business-day void"; 409 `void_window_closed` otherwise, without
 * calling PayMob; PayMob checks its own business day too). The payment's day is when StackPay learned of
 * its success, else its creation day. PayMob's answer, the void child transaction, is
 * applied through `applyPaymentEvent` (→ `voided`); the later callback is its duplicate.
 */
export async function voidTransaction(ctx: ServiceContext, input: VoidInput): Promise<TransactionView> {
  const actor = requireAdmin(ctx);
  const target = await loadForReversal(ctx.db, input.transactionId);
  requireSucceeded(target, 'void');
  if (target.refundedCents > 0 || target.heldCents > 0) {
    throw invalidState(
      target.status,
      'The payment has been partly refunded, so it can no longer be voided; refund the rest instead.',
    );
  }
  const zone = PAYMOB_TIME_ZONES[ctx.paymob().settings.country];
  const paidDay = businessDay(target.paidAt ?? target.createdAt, zone);
  if (paidDay !== businessDay(ctx.now, zone)) {
    throw conflict(
      'void_window_closed',
      `A payment can be voided only on PayMob's business day it was made (${paidDay}, ${zone} time); refund it instead.`,
    );
  }
  const paymobTransactionId = target.paymobTransactionId;
  const answer = await callPaymob(ctx, actor, 'void', target, { amount_cents: target.amountCents }, () =>
    ctx.paymob().voidPayment({ transactionId: paymobTransactionId }),
  );
  await applyAnswer(ctx, 'void', target, answer);
  ctx.logger.info('payment voided', { transaction_id: target.id, paymob_void_id: answer.id });
  return reloadView(ctx, target.id);
}
