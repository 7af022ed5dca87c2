import { eq, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import type { Database } from '../db/client';
import { preparedInsert, preparedSelect, preparedShapes } from '../db/prepared';
import {
  customers,
  paymentEvents,
  paymentReversals,
  type TransactionStatus,
  transactions,
  users,
} from '../db/schema';
import { factsFromAnswer, type PaymentAction, type PaymobTransactionFacts } from '../paymob/events';
import type { EventType } from '../webhooks/schemas';
import { transactionViewColumns } from './columns';
import { sourceChanges } from './methods';
import type { TransactionView } from './schemas';
import { canTransition, type TransitionChanges } from './state-machine';
import { ownerColumns } from './status-mail';
import { toTransactionView } from './view';

/**
 * What `applyPaymentEvent` (src/transactions/apply-event.ts) reads and decides before it writes: the
 * transaction a report names, whether the report is bound to it, and the plan (a transition, a reversal
 * child for the ledger, a reported refund total, or nothing); and the report's row it stores first.
 */

export type Target = NonNullable<Awaited<ReturnType<typeof loadTarget>>>;

/**
 * The transaction the event names, by our merchant_order_id (else PayMob's order id), with its owner; for a
 * child, whether the refund ledger holds it already (`ledgerKind`), in the same round trip. With `kind`, also
 * whether this report (its unique PayMob id and kind) is stored already (`seen`): a redelivery is then
 * recognised without trying the INSERT (docs/round-trips.md).
 */
export async function loadTarget(db: Database, facts: PaymobTransactionFacts, kind?: string) {
  const by =
    facts.merchantOrderId !== null ? 'merchant' : facts.paymobOrderId !== null ? 'paymob' : undefined;
  if (!by) return undefined;
  const statement = targetStatement(
    `${by},${facts.hasParentTransaction ? 'child' : 'payment'},${kind === undefined ? 'any' : 'kind'}`,
  );
  const [row] = await statement.run(db, {
    merchantOrderId: facts.merchantOrderId,
    paymobOrderId: facts.paymobOrderId,
    paymobTransactionId: facts.paymobTransactionId,
    kind,
  });
  return row && { ...row, childrenCents: Number(row.childrenCents), seen: Number(row.seen) === 1 };
}

/**
 * loadTarget's statement for one shape (`by,child,kind`: which order id names the transaction, whether the
 * report is a reversal child, whether its kind is known), built once per isolate (src/db/prepared.ts): it is
 * the webhook's first statement and a redelivery's only one.
 */
const targetStatement = preparedShapes(8, (shape) => {
  const [by, child, kind] = shape.split(',');
  const id = sql.placeholder('paymobTransactionId');
  const ledgerKind =
    child === 'child'
      ? sql<string | null>`(SELECT ${paymentReversals.kind} FROM ${paymentReversals}
        WHERE ${paymentReversals.paymobChildId} = ${id}
          AND ${paymentReversals.transactionId} = ${transactions.id})`
      : sql<string | null>`NULL`;
  const seen =
    kind === 'any'
      ? sql<number>`0`
      : sql<number>`exists (select 1 from ${paymentEvents} where ${paymentEvents.paymobTransactionId} = ${id}
          and ${paymentEvents.kind} = ${sql.placeholder('kind')})`;
  const fields = {
    // The API read shape, for the event's `data.object` (docs/webhooks.md §1), and what applying needs.
    ...transactionViewColumns,
    paymobRefundedCents: transactions.paymobRefundedCents,
    ...ownerColumns,
    ledgerKind: ledgerKind.as('ledger_kind'),
    seen: seen.as('seen'),
    childrenCents:
      sql<string>`(SELECT COALESCE(SUM(${paymentReversals.amountCents}), 0) FROM ${paymentReversals}
          WHERE ${paymentReversals.transactionId} = ${transactions.id} AND ${paymentReversals.kind} = 'refund'
            AND ${paymentReversals.state} = 'applied')`.as('children_cents'),
  };
  return preparedSelect(fields, (select) =>
    select
      .from(transactions)
      .leftJoin(customers, eq(customers.id, transactions.customerId))
      .leftJoin(users, eq(users.id, customers.userId))
      .where(
        by === 'merchant'
          ? eq(transactions.merchantOrderId, sql.placeholder('merchantOrderId'))
          : eq(transactions.paymobOrderId, sql.placeholder('paymobOrderId')),
      )
      .limit(1),
  );
});

/**
 * The report's row (its unique PayMob id and kind recognises a duplicate), built once per isolate
 * (src/db/prepared.ts): every first delivery writes it. Each value goes through its column's encoder.
 */
export const storeReport = preparedInsert(paymentEvents, [
  'transactionId',
  'paymobTransactionId',
  'kind',
  'source',
  'type',
  'merchantOrderId',
  'paymobOrderId',
  'amountCents',
  'currency',
  'success',
  'pending',
  'isRefunded',
  'isVoided',
  'hasParentTransaction',
  'outcome',
  'message',
  'rawBody',
  'receivedAt',
]);

/** docs/api.md §4.4 step 4: the event must be about this transaction's PayMob order, amount and currency. */
export function bindingProblem(
  target: Target,
  facts: PaymobTransactionFacts,
  action: PaymentAction,
): string | undefined {
  if (target.paymobOrderId === null || facts.paymobOrderId !== target.paymobOrderId)
    return 'order id mismatch';
  if (facts.currency !== target.currency) return 'currency mismatch';
  const child = facts.hasParentTransaction;
  // A reversal child carries the refunded amount, at most the payment's; everything else the full amount.
  if (child ? facts.amountCents > target.amountCents : facts.amountCents !== target.amountCents) {
    return 'amount mismatch';
  }
  if (action.kind === 'refund_total' && action.amountCents > target.amountCents)
    return 'refund exceeds amount';
  return undefined;
}

export type Plan =
  | { kind: 'transition'; to: TransactionStatus; changes: TransitionChanges }
  | { kind: 'reversal'; reversal: 'refund' | 'void'; amountCents: number }
  | { kind: 'refund_total'; amountCents: number }
  | { kind: 'none' };

export function planFor(action: PaymentAction, facts: PaymobTransactionFacts): Plan {
  switch (action.kind) {
    case 'succeeded':
      return {
        kind: 'transition',
        to: 'succeeded',
        changes: {
          paymobTransactionId: facts.paymobTransactionId,
          failureReason: null,
          ...sourceChanges(facts),
        },
      };
    case 'failed':
      return {
        kind: 'transition',
        to: 'failed',
        changes: {
          paymobTransactionId: facts.paymobTransactionId,
          failureReason: action.reason,
          ...sourceChanges(facts),
        },
      };
    case 'voided':
      return { kind: 'transition', to: 'voided', changes: {} };
    case 'reversal':
      return { kind: 'reversal', reversal: action.reversal, amountCents: action.amountCents };
    case 'refund_total':
      return { kind: 'refund_total', amountCents: action.amountCents };
    default:
      return { kind: 'none' };
  }
}

export function wouldApply(plan: Plan, target: Target): boolean {
  if (plan.kind === 'transition') return canTransition(target.status, plan.to);
  if (plan.kind === 'reversal') return target.ledgerKind === null;
  if (plan.kind === 'refund_total') {
    return (
      (target.status === 'succeeded' || target.status === 'refunded') &&
      Math.min(plan.amountCents, target.amountCents) > target.paymobRefundedCents
    );
  }
  return false;
}

/** Event types of the status changes a report or a run applies (docs/webhooks.md §1). */
export const STATUS_EVENTS = {
  succeeded: 'payment.succeeded',
  failed: 'payment.failed',
  expired: 'payment.expired',
  voided: 'payment.voided',
  refunded: 'payment.refunded',
} as const satisfies Partial<Record<TransactionStatus, EventType>>;

/** The transaction's API read as the change leaves it: the event's `data.object`. */
export function viewAfter(
  target: Target,
  change: { status: TransactionStatus; refundedCents?: number; changes?: TransitionChanges },
  now: Date,
): TransactionView {
  const changes = change.changes ?? {};
  return toTransactionView({
    id: target.id,
    customerId: target.customerId,
    merchantOrderId: target.merchantOrderId,
    amountCents: target.amountCents,
    currency: target.currency,
    status: change.status,
    paymobOrderId: changes.paymobOrderId === undefined ? target.paymobOrderId : changes.paymobOrderId,
    paymobTransactionId:
      changes.paymobTransactionId === undefined ? target.paymobTransactionId : changes.paymobTransactionId,
    paymentToken: changes.paymentToken === undefined ? target.paymentToken : changes.paymentToken,
    checkoutUrl: changes.checkoutUrl === undefined ? target.checkoutUrl : changes.checkoutUrl,
    failureReason: changes.failureReason === undefined ? target.failureReason : changes.failureReason,
    refundedCents: change.refundedCents ?? target.refundedCents,
    merchantReference: target.merchantReference,
    metadata: target.metadata,
    description: target.description,
    returnUrl: target.returnUrl,
    paymentLinkId: target.paymentLinkId,
    paymentMethods: target.paymentMethods,
    methodType: changes.methodType === undefined ? target.methodType : changes.methodType,
    methodSubType: changes.methodSubType === undefined ? target.methodSubType : changes.methodSubType,
    methodPan: changes.methodPan === undefined ? target.methodPan : changes.methodPan,
    billReference: changes.billReference === undefined ? target.billReference : changes.billReference,
    billExpiresAt: target.billExpiresAt,
    createdAt: target.createdAt,
    updatedAt: now,
  });
}

/** Asks PayMob (by transaction id) what a signed report whose meaning rests on unsigned fields means. */
export async function confirmed(
  ctx: ServiceContext,
  facts: PaymobTransactionFacts,
): Promise<PaymobTransactionFacts | null> {
  const read = await ctx.paymob().getTransaction(facts.paymobTransactionId);
  const answer = read ? factsFromAnswer(read) : null;
  if (!answer || answer.paymobTransactionId !== facts.paymobTransactionId) return null;
  return {
    ...answer,
    // The signed callback named our order; PayMob's read may give the order as a bare id.
    paymobOrderId: answer.paymobOrderId ?? facts.paymobOrderId,
    merchantOrderId: answer.merchantOrderId ?? facts.merchantOrderId,
    // A child is a child: PayMob's read of it may omit the flag.
    hasParentTransaction: answer.hasParentTransaction || facts.hasParentTransaction,
  };
}
