import type { z } from 'zod';
import type { PaymobTransaction, ResponseCallbackQuery, ReversalAnswer } from './schemas';
import { type PaymentSource, sourceFromObject, sourceFromQuery } from './source-data';

/**
 * PayMob transaction facts, whichever way they arrived (processed callback, browser redirect, inquiry, the
 * answer to our own refund or void call), normalised to what StackPay decides on (docs/api.md §4.4 step 5,
 * docs/payments.md).
 *
 * Trust (docs/payments.md "Signed facts"): a callback or redirect is believed only for the fields PayMob's
 * HMAC covers (`TRANSACTION_HMAC_FIELDS`: amount, currency, id, order id, pending, success,
 * has_parent_transaction, is_refunded, is_voided, …). `is_refund`, `is_void`, `refunded_amount_cents` and
 * `data.message` are not signed: anyone holding a genuine redirect URL can change them. Facts from our own
 * authenticated calls to PayMob (inquiry, refund/void answers) are `confirmed`: every field is PayMob's.
 */
export interface PaymobTransactionFacts {
  paymobTransactionId: number;
  paymobOrderId: number | null;
  merchantOrderId: string | null;
  amountCents: number;
  currency: string;
  success: boolean;
  pending: boolean;
  /** Signed `is_refunded` (the original transaction reports a refund). */
  isRefunded: boolean;
  /** Signed `is_voided`. */
  isVoided: boolean;
  hasParentTransaction: boolean;
  /** A child's kind from the unsigned `is_refund`/`is_void`: believed only when `confirmed`. */
  childKind: 'refund' | 'void' | null;
  /** Total refunded so far (unsigned, often null in callbacks): believed only when `confirmed`. */
  refundedAmountCents: number | null;
  /** PayMob's `data.message` (e.g. "Approved", "Do not honour"): shown, never decided on. */
  message: string | null;
  /** `signed`: a callback or redirect; `confirmed`: PayMob's answer to our own authenticated call. */
  origin: 'signed' | 'confirmed';
  /** How it was paid (`source_data`, a kiosk's bill reference; docs/paymob.md §8), when reported. */
  source?: PaymentSource | null;
}

export type PaymentAction =
  | { kind: 'pending' }
  | { kind: 'succeeded' }
  | { kind: 'failed'; reason: string }
  /** A reversal child PayMob confirmed: applied once by its PayMob id (docs/payments.md "Refund ledger"). */
  | { kind: 'reversal'; reversal: 'refund' | 'void'; amountCents: number }
  /** PayMob (confirmed) reports this refunded total on the original transaction. */
  | { kind: 'refund_total'; amountCents: number }
  | { kind: 'voided' }
  /** A signed report whose meaning rests on unsigned fields: ask PayMob by transaction id first. */
  | { kind: 'confirm' }
  /** Nothing to change (a declined refund or void, a report without the facts we need). */
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
 * The flags → action table, first matching row wins (docs/payments.md):
 * | pending                                       | pending (no change)                            |
 * | child (has_parent) not success                | none: the refund or void was declined          |
 * | child, success, signed                        | confirm (its kind is in unsigned fields)       |
 * | child, success, confirmed                     | reversal (is_void → void, is_refund → refund)  |
 * | is_voided                                     | voided                                         |
 * | is_refunded, signed                           | confirm (the total is unsigned)                |
 * | is_refunded, confirmed, numeric total         | refund_total                                   |
 * | is_refunded, confirmed, total null            | none (the children carry the amounts)          |
 * | success                                       | succeeded                                      |
 * | anything else                                 | failed, reason = data.message                  |
 */
export function actionForFacts(facts: PaymobTransactionFacts): PaymentAction {
  if (facts.pending) return { kind: 'pending' };
  if (facts.hasParentTransaction) {
    if (!facts.success)
      return { kind: 'none', reason: facts.message ?? 'PayMob declined the refund or void.' };
    if (facts.origin === 'signed') return { kind: 'confirm' };
    if (facts.childKind === null)
      return { kind: 'none', reason: 'a child transaction that is neither refund nor void' };
    return { kind: 'reversal', reversal: facts.childKind, amountCents: facts.amountCents };
  }
  if (facts.isVoided) return { kind: 'voided' };
  if (facts.isRefunded) {
    if (facts.origin === 'signed') return { kind: 'confirm' };
    if (facts.refundedAmountCents === null) return { kind: 'none', reason: 'refunded total not reported' };
    return { kind: 'refund_total', amountCents: facts.refundedAmountCents };
  }
  if (facts.success) return { kind: 'succeeded' };
  return { kind: 'failed', reason: facts.message ?? DEFAULT_FAILURE_REASON };
}

/**
 * The `kind` an event is stored under; with PayMob's transaction id it is the event's unique key, so a
 * duplicate delivery is recognised (the log's key; the refund ledger, not this key, decides what is
 * applied). A pending report and the final result of the same PayMob transaction are different events; an
 * original transaction reporting a new refunded total is a new event per total.
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
    case 'reversal':
      return action.reversal;
    case 'refund_total':
      return `refunded_total:${action.amountCents}`;
    case 'confirm':
      return facts.hasParentTransaction ? 'unconfirmed_child' : 'unconfirmed_total';
    case 'none':
      return facts.childKind === 'void' || facts.isVoided ? 'void' : 'refund';
  }
}

/** Facts from a processed callback's transaction object: signed. */
export function factsFromTransaction(
  obj: PaymobTransaction,
  origin: PaymobTransactionFacts['origin'] = 'signed',
): PaymobTransactionFacts {
  return {
    paymobTransactionId: obj.id,
    paymobOrderId: obj.order.id,
    merchantOrderId: obj.order.merchant_order_id ?? null,
    ...sharedFacts(obj),
    hasParentTransaction: obj.has_parent_transaction === true,
    origin,
    source: sourceFromObject(obj),
  };
}

/** The fields PayMob's callback object and its answers to our calls spell alike (amount sign dropped). */
function sharedFacts(obj: {
  amount_cents: number;
  currency: string;
  success: boolean;
  pending: boolean;
  is_refunded?: boolean | null;
  is_voided?: boolean | null;
  is_void?: boolean | null;
  is_refund?: boolean | null;
  refunded_amount_cents?: number | null;
  data?: { message?: unknown } | null;
}) {
  return {
    amountCents: Math.abs(obj.amount_cents),
    currency: obj.currency,
    success: obj.success,
    pending: obj.pending,
    isRefunded: obj.is_refunded === true,
    isVoided: obj.is_voided === true,
    childKind: obj.is_void === true ? ('void' as const) : obj.is_refund === true ? ('refund' as const) : null,
    refundedAmountCents:
      typeof obj.refunded_amount_cents === 'number' ? Math.abs(obj.refunded_amount_cents) : null,
    message: cleanMessage(obj.data?.message),
  };
}

/**
 * Facts from PayMob's answer to our own call (inquiry by transaction id, refund, void): confirmed. The
 * answer is read leniently (docs/payments.md): the amount's sign is dropped (PayMob's own plugin takes
 * `abs((int) $trans['amount_cents'])`), the order may be an id or an object.
 */
export function factsFromAnswer(answer: z.infer<typeof ReversalAnswer>): PaymobTransactionFacts {
  const order = typeof answer.order === 'number' ? { id: answer.order } : answer.order;
  const hasParent =
    answer.has_parent_transaction === true ||
    (answer.parent_transaction !== null && answer.parent_transaction !== undefined);
  return {
    paymobTransactionId: answer.id,
    paymobOrderId: order?.id ?? null,
    merchantOrderId: (typeof answer.order === 'object' ? answer.order?.merchant_order_id : null) ?? null,
    ...sharedFacts(answer),
    hasParentTransaction: hasParent,
    origin: 'confirmed',
    source: sourceFromObject(answer),
  };
}

/** Facts from the browser redirect's flattened query (all values strings, order id as `order`): signed. */
export function factsFromResponseQuery(query: z.infer<typeof ResponseCallbackQuery>): PaymobTransactionFacts {
  const flag = (name: string) => query[name] === true || query[name] === 'true';
  return {
    paymobTransactionId: query.id,
    paymobOrderId: query.order ?? query.order_id ?? null,
    merchantOrderId: query.merchant_order_id ?? null,
    amountCents: query.amount_cents,
    currency: query.currency,
    success: query.success,
    pending: query.pending,
    isRefunded: query.is_refunded === true,
    isVoided: query.is_voided === true,
    hasParentTransaction: query.has_parent_transaction === true,
    childKind: flag('is_void') ? 'void' : flag('is_refund') ? 'refund' : null,
    // The redirect never reverses a payment (docs/payments.md): its total is not read.
    refundedAmountCents: null,
    message: cleanMessage(query['data.message']),
    origin: 'signed',
    source: sourceFromQuery(query),
  };
}
