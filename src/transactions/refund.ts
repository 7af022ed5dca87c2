import { z } from '@hono/zod-openapi';
import type { ServiceContext } from '../context';
import { conflict, fieldError } from '../lib/errors';
import { type Currency, formatMinor, isCurrency, parseAmount } from '../lib/money';
import { reserveRefund } from './ledger';
import {
  applyAnswer,
  callPaymob,
  invalidState,
  loadForReversal,
  type ReversalTarget,
  reloadView,
  requireAdmin,
  requireSucceeded,
} from './reversal';
import { amountInput, type TransactionView } from './schemas';

/** docs/api.md §4.6 refund body: the amount is optional (default: everything not refunded yet). */
export const RefundTransactionBody = z
  .object({
    amount: amountInput({ input: null, message: 'This field may not be null.' }).optional().openapi({
      type: 'string',
      description:
        'Decimal amount in the transaction’s currency, with at most its minor-unit digits; at most what is not refunded yet. Default: all of that.',
      example: '25.00',
    }),
  })
  .openapi('RefundTransaction');

export interface RefundInput {
  transactionId: string | number;
  /** Decimal string (or JSON number) in the transaction's currency; undefined = the remaining amount. */
  amount?: string | number;
}

const inFlight = (currency: Currency, available: number) =>
  conflict(
    'refund_in_progress',
    `Other refunds of this payment are in progress or have an unknown outcome; at most ${formatMinor(available, currency)} can be refunded now.`,
  );

/**
 * The amount to refund in minor units: the remaining amount by default; 400 on `amount` above what is not
 * refunded yet; 409 when refunds in flight (or with an unknown outcome) hold what it asks for.
 */
function refundAmount(input: RefundInput['amount'], target: ReversalTarget): number {
  const remaining = target.amountCents - target.refundedCents;
  if (remaining <= 0) throw invalidState(target.status, 'The payment has been refunded in full already.');
  const available = Math.max(0, remaining - target.heldCents);
  const currencyOf: Currency = isCurrency(target.currency) ? target.currency : 'EGP';
  if (input === undefined) {
    if (available <= 0) throw inFlight(currencyOf, 0);
    return available;
  }
  // Only a currency we wrote can reach here; EGP's two digits keep a foreign one from failing the parse.
  const currency: Currency = isCurrency(target.currency) ? target.currency : 'EGP';
  const parsed = parseAmount(input, currency);
  if (!parsed.ok) throw fieldError('amount', parsed.message);
  if (parsed.minor > remaining) {
    throw fieldError(
      'amount',
      `Ensure this value is less than or equal to ${formatMinor(remaining, currency)} (the amount not refunded yet).`,
    );
  }
  if (parsed.minor > available) throw inFlight(currency, available);
  return parsed.minor;
}

/**
 * docs/api.md §4.6 refund, for the API and the admin UI: ADMIN only, a succeeded payment, at most what is not
 * refunded yet (checked before PayMob is called). The amount is reserved in the refund ledger first
 * (docs/payments.md "Reservation"), so concurrent refunds can never together ask PayMob for more than the
 * payment: one that does not fit gets 409 `refund_in_progress` without PayMob being called. PayMob's
 * answer — the refund child transaction — is applied through `applyPaymentEvent` (see `applyAnswer`):
 * `refunded_cents` grows by the child's amount and the payment becomes `refunded` once all of it is
 * refunded; a partial refund keeps it `succeeded`. The audit row records the attempt and PayMob's answer.
 * PayMob failures are 502: `paymob_rejected` and `paymob_unavailable` release the reservation,
 * `paymob_outcome_unknown` (no answer, or one we cannot read) keeps it held until PayMob's child arrives
 * or staff check PayMob. The call is never retried, since a repeat could refund twice.
 */
export async function refundTransaction(ctx: ServiceContext, input: RefundInput): Promise<TransactionView> {
  const actor = requireAdmin(ctx);
  const target = await loadForReversal(ctx.db, input.transactionId);
  requireSucceeded(target, 'refund');
  const amountCents = refundAmount(input.amount, target);
  const paymobTransactionId = target.paymobTransactionId;
  const reserved = await reserveRefund(ctx.db, target.id, amountCents);
  if (!reserved.ok) {
    // Another refund (or a void) got there first: what is left is shown by the next read.
    const fresh = await loadForReversal(ctx.db, target.id);
    requireSucceeded(fresh, 'refund');
    const left = Math.max(0, fresh.amountCents - fresh.refundedCents - fresh.heldCents);
    throw inFlight(isCurrency(target.currency) ? target.currency : 'EGP', left);
  }
  const reservation = { id: reserved.reservationId, amountCents };
  const answer = await callPaymob(
    ctx,
    actor,
    'refund',
    target,
    { amount_cents: amountCents },
    () => ctx.paymob().refund({ transactionId: paymobTransactionId, amountCents }),
    reservation,
  );
  await applyAnswer(ctx, 'refund', target, answer, reservation);
  ctx.logger.info('payment refunded', {
    transaction_id: target.id,
    amount_cents: amountCents,
    paymob_refund_id: answer.id,
  });
  return reloadView(ctx, target.id);
}
