import { z } from '@hono/zod-openapi';
import type { Actor } from '../env';
import { fieldError } from '../lib/errors';
import { type Currency, formatMinor, isCurrency, parseAmount } from '../lib/money';
import {
  applyAnswer,
  callPaymob,
  invalidState,
  loadForReversal,
  type ReversalContext,
  type ReversalTarget,
  reloadView,
  requireAdmin,
  requireSucceeded,
} from './reversal';
import type { TransactionView } from './schemas';

/** docs/api.md §4.6 refund body: the amount is optional (default: everything not refunded yet). */
export const RefundTransactionBody = z
  .object({
    amount: z
      .union([z.string().trim().min(1, 'This field may not be blank.'), z.number()], {
        error: (issue) =>
          issue.input === null ? 'This field may not be null.' : 'A valid number is required.',
      })
      .optional()
      .openapi({
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

/** The amount to refund in minor units: the remaining amount by default; 400 on `amount` otherwise. */
function refundAmount(input: RefundInput['amount'], target: ReversalTarget): number {
  const remaining = target.amountCents - target.refundedCents;
  if (remaining <= 0) throw invalidState(target.status, 'The payment has been refunded in full already.');
  if (input === undefined) return remaining;
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
  return parsed.minor;
}

/**
 * docs/api.md §4.6 refund, for the API and the admin UI: ADMIN only, a succeeded payment, at most what is not
 * refunded yet (checked before PayMob is called). PayMob's answer — the refund child transaction — is
 * applied through `applyPaymentEvent` (see `applyAnswer`): `refunded_cents` grows by the child's amount
 * and the payment becomes `refunded` once all of it is refunded; a partial refund keeps it `succeeded`.
 * The audit row records the attempt and PayMob's answer. PayMob failures are 502 (`paymob_unavailable`,
 * `paymob_rejected`); the call is never retried, since a repeat could refund twice.
 */
export async function refundTransaction(
  ctx: ReversalContext,
  actor: Actor,
  input: RefundInput,
): Promise<TransactionView> {
  requireAdmin(actor);
  const target = await loadForReversal(ctx.db, input.transactionId);
  requireSucceeded(target, 'refund');
  const amountCents = refundAmount(input.amount, target);
  const paymobTransactionId = target.paymobTransactionId;
  const answer = await callPaymob(ctx, actor, 'refund', target, { amount_cents: amountCents }, () =>
    ctx.paymob.refund({ transactionId: paymobTransactionId, amountCents }),
  );
  await applyAnswer(ctx, 'refund', target, answer);
  ctx.logger.info('payment refunded', {
    transaction_id: target.id,
    amount_cents: amountCents,
    paymob_refund_id: answer.id,
  });
  return reloadView(ctx.db, actor, target.id);
}
