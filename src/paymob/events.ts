import type { z } from 'zod';
import type { PaymobTransaction, ResponseCallbackQuery } from './schemas';

/**
 * PayMob transaction facts, whichever way they arrived (processed callback, browser redirect, inquiry),
 * normalised to what StackPay decides on (docs/api.md §4.4 step 5).
 */
export interface PaymobTransactionFacts {
  paymobTransactionId: number;
  paymobOrderId: number | null;
  merchantOrderId: string | null;
  amountCents: number;
  currency: string;
  success: boolean;
  pending: boolean;
  isRefunded: boolean;
  isVoided: boolean;
  hasParentTransaction: boolean;
  /** Total refunded so far, when PayMob reports it on the original transaction. */
  refundedAmountCents: number | null;
  /** PayMob's `data.message` (e.g. "Approved", "Do not honour"). */
  message: string | null;
}

export type PaymentAction =
  | { kind: 'pending' }
  | { kind: 'succeeded' }
  | { kind: 'failed'; reason: string }
  /** `delta`: a refund transaction of `amountCents`; `total`: the original now shows this much refunded. */
  | { kind: 'refund'; amountCents: number; mode: 'delta' | 'total' }
  | { kind: 'voided' }
  /** A refund or void attempt PayMob declined: the original payment is unchanged. */
  | { kind: 'none'; reason: string };

export const DEFAULT_FAILURE_REASON = 'The payment was declined.';
// failure_reason is VARCHAR(500); PayMob's messages are short, but nothing from outside is stored unbounded.
const MAX_MESSAGE_LENGTH = 500;

function cleanMessage(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const text = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return text ? text.slice(0, MAX_MESSAGE_LENGTH) : null;
}

/**
 * The flags → action table, first matching row wins:
 * | pending                                     | pending (no change)                        |
 * | refund/void child (has_parent) not success  | none: the refund or void was declined      |
 * | is_voided (or a void child)                 | voided                                     |
 * | is_refunded, or a refund child              | refund (child: its amount_cents; original: |
 * |                                             | refunded_amount_cents, else amount_cents)  |
 * | success                                     | succeeded                                  |
 * | anything else                               | failed, reason = data.message              |
 */
export function actionForFacts(facts: PaymobTransactionFacts): PaymentAction {
  if (facts.pending) return { kind: 'pending' };
  if (facts.hasParentTransaction && !facts.success) {
    return { kind: 'none', reason: facts.message ?? 'PayMob declined the refund or void.' };
  }
  if (facts.isVoided) return { kind: 'voided' };
  if (facts.hasParentTransaction) return { kind: 'refund', amountCents: facts.amountCents, mode: 'delta' };
  if (facts.isRefunded) {
    return { kind: 'refund', amountCents: facts.refundedAmountCents ?? facts.amountCents, mode: 'total' };
  }
  if (facts.success) return { kind: 'succeeded' };
  return { kind: 'failed', reason: facts.message ?? DEFAULT_FAILURE_REASON };
}

/**
 * The `kind` an event is stored under; with PayMob's transaction id it is the event's unique key, so a
 * duplicate delivery is recognised. A pending report and the final result of the same PayMob transaction
 * are different events; an original transaction reporting a new refunded total is a new event per total.
 */
export function eventKind(action: PaymentAction, facts: PaymobTransactionFacts): string {
  switch (action.kind) {
    case 'pending':
      return 'transaction_pending';
    case 'succeeded':
    case 'failed':
      return 'transaction';
    case 'voided':
      return 'void';
    case 'refund':
      return action.mode === 'delta' ? 'refund' : `refunded_total:${action.amountCents}`;
    case 'none':
      return facts.isVoided ? 'void' : 'refund';
  }
}

/** Facts from a processed callback's (or an inquiry's) transaction object. */
export function factsFromTransaction(obj: PaymobTransaction): PaymobTransactionFacts {
  return {
    paymobTransactionId: obj.id,
    paymobOrderId: obj.order.id,
    merchantOrderId: obj.order.merchant_order_id ?? null,
    amountCents: obj.amount_cents,
    currency: obj.currency,
    success: obj.success,
    pending: obj.pending,
    isRefunded: obj.is_refunded === true || obj.is_refund === true,
    isVoided: obj.is_voided === true || obj.is_void === true,
    hasParentTransaction: obj.has_parent_transaction === true,
    refundedAmountCents: obj.refunded_amount_cents ?? null,
    message: cleanMessage(obj.data?.message),
  };
}

/** Facts from the browser redirect's flattened query (all values strings, order id as `order`). */
export function factsFromResponseQuery(query: z.infer<typeof ResponseCallbackQuery>): PaymobTransactionFacts {
  const flag = (name: string) => query[name] === true || query[name] === 'true';
  const refunded = query.refunded_amount_cents;
  return {
    paymobTransactionId: query.id,
    paymobOrderId: query.order ?? query.order_id ?? null,
    merchantOrderId: query.merchant_order_id ?? null,
    amountCents: query.amount_cents,
    currency: query.currency,
    success: query.success,
    pending: query.pending,
    isRefunded: query.is_refunded === true || flag('is_refund'),
    isVoided: query.is_voided === true || flag('is_void'),
    hasParentTransaction: query.has_parent_transaction === true,
    refundedAmountCents:
      typeof refunded === 'string' && /^\d{1,15}$/.test(refunded) ? Number(refunded) : null,
    message: cleanMessage(query['data.message']),
  };
}
