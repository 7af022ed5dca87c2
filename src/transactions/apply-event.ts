import { and, eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { type Database, isDuplicateKey } from '../db/client';
import { customers, paymentEvents, type TransactionStatus, transactions, users } from '../db/schema';
import { AppError } from '../lib/errors';
import { describeError, type Logger } from '../lib/logger';
import { formatMinor, isCurrency } from '../lib/money';
import type { TransactionStatusMessage } from '../notifications/messages';
import { actionForFacts, eventKind, type PaymentAction, type PaymobTransactionFacts } from '../paymob/events';
import {
  applyReportedTotal,
  applyReversalChild,
  type ChildApplication,
  recompute,
  refundedFrom,
} from './ledger';
import { canTransition, type TransitionChanges, transitionTransaction } from './state-machine';

/**
 * The one place that decides what a PayMob report does to a transaction, whichever way it came: the
 * processed callback (§4.4), the browser redirect (§4.5), reconciliation's inquiry (§4.8) or PayMob's answer
 * to a refund or void call (§4.6).
 *
 * Order of work, three round trips in the usual case: read the transaction (with its owner, for the e-mail)
 * → store the event (its unique (PayMob id, kind) recognises a duplicate) → one guarded UPDATE. Refunds
 * and voids go through the refund ledger instead (src/transactions/ledger.ts, docs/payments.md): a reversal
 * child is applied once by its PayMob id, in one database transaction with the payment's new sum.
 *
 * Only signed or confirmed facts change a payment (docs/payments.md "Signed facts"): a callback whose
 * meaning rests on unsigned fields (a refund or void child, a refunded total) is confirmed with PayMob by
 * transaction id (`confirm`) before it is applied, and the browser redirect never refunds or voids.
 */

/** `api_response`: PayMob's own answer to our refund or void call (the child transaction it created). */
export type EventSource = 'processed_callback' | 'response_callback' | 'inquiry' | 'api_response';
export type EventOutcome = 'applied' | 'ignored' | 'unmatched' | 'anomaly' | 'unconfirmed';

export interface PaymentEventInput {
  source: EventSource;
  /** PayMob's callback type (`TRANSACTION`), or `INQUIRY`, `REFUND`, `VOID` for our own calls' answers. */
  type: string;
  facts: PaymobTransactionFacts;
  /** Stored as received (the processed callback's JSON, the redirect's query). */
  rawBody: unknown;
  /** For our own refund call's answer: the reservation it settles (src/transactions/ledger.ts). */
  reservation?: { id: number; amountCents: number };
}

export type TransactionStatusNotification = z.infer<typeof TransactionStatusMessage>;

export interface ApplyEventContext {
  db: Database;
  logger: Logger;
  now: Date;
  /** Queues the status e-mail; called only when this event really changed the transaction. */
  notify: (message: TransactionStatusNotification) => void | Promise<void>;
  /**
   * Asks PayMob for one transaction by its id (confirmed facts; null when PayMob knows none). Throws when
   * PayMob cannot answer. Without it, reports that need confirmation change nothing.
   */
  confirm?: (paymobTransactionId: number) => Promise<PaymobTransactionFacts | null>;
}

export interface AppliedTransaction {
  id: number;
  merchantOrderId: string;
  status: TransactionStatus;
  amountCents: number;
  currency: string;
  failureReason: string | null;
}

export interface ApplyEventResult {
  outcome: EventOutcome;
  /** The same event was stored before (a redelivery): nothing new was stored. */
  duplicate: boolean;
  changed: boolean;
  /** The transaction as this event left it (absent when unmatched). */
  transaction?: AppliedTransaction;
  /** For a reversal child: what the ledger did. */
  reversal?: ChildApplication;
}

type Target = NonNullable<Awaited<ReturnType<typeof loadTarget>>>;

/**
 * The transaction the event names, by our merchant_order_id (else PayMob's order id), with its owner; for a
 * child, whether the refund ledger holds it already (`ledgerKind`), in the same round trip.
 */
async function loadTarget(db: Database, facts: PaymobTransactionFacts) {
  const where =
    facts.merchantOrderId !== null
      ? eq(transactions.merchantOrderId, facts.merchantOrderId)
      : facts.paymobOrderId !== null
        ? eq(transactions.paymobOrderId, facts.paymobOrderId)
        : undefined;
  if (!where) return undefined;
  const ledgerKind = facts.hasParentTransaction
    ? sql<
        string | null
      >`(SELECT r.kind FROM payment_reversals r WHERE r.paymob_child_id = ${facts.paymobTransactionId} AND r.transaction_id = transactions.id)`
    : sql<string | null>`NULL`;
  const [row] = await db
    .select({
      id: transactions.id,
      merchantOrderId: transactions.merchantOrderId,
      status: transactions.status,
      amountCents: transactions.amountCents,
      currency: transactions.currency,
      refundedCents: transactions.refundedCents,
      paymobRefundedCents: transactions.paymobRefundedCents,
      paymobOrderId: transactions.paymobOrderId,
      failureReason: transactions.failureReason,
      userId: users.id,
      username: users.username,
      email: users.email,
      ledgerKind: ledgerKind.as('ledger_kind'),
      childrenCents:
        sql<string>`(SELECT COALESCE(SUM(r.amount_cents), 0) FROM payment_reversals r WHERE r.transaction_id = transactions.id AND r.kind = 'refund' AND r.state = 'applied')`.as(
          'children_cents',
        ),
    })
    .from(transactions)
    .leftJoin(customers, eq(customers.id, transactions.customerId))
    .leftJoin(users, eq(users.id, customers.userId))
    .where(where)
    .limit(1);
  return row && { ...row, childrenCents: Number(row.childrenCents) };
}

/** docs/api.md §4.4 step 4: the event must be about this transaction's PayMob order, amount and currency. */
function bindingProblem(
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

type Plan =
  | { kind: 'transition'; to: TransactionStatus; changes: TransitionChanges }
  | { kind: 'reversal'; reversal: 'refund' | 'void'; amountCents: number }
  | { kind: 'refund_total'; amountCents: number }
  | { kind: 'none' };

function planFor(action: PaymentAction, facts: PaymobTransactionFacts): Plan {
  switch (action.kind) {
    case 'succeeded':
      return {
        kind: 'transition',
        to: 'succeeded',
        changes: { paymobTransactionId: facts.paymobTransactionId, failureReason: null },
      };
    case 'failed':
      return {
        kind: 'transition',
        to: 'failed',
        changes: { paymobTransactionId: facts.paymobTransactionId, failureReason: action.reason },
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

function wouldApply(plan: Plan, target: Target): boolean {
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

const clip = (value: string | null, length: number) => (value === null ? null : value.slice(0, length));

/** What a status e-mail needs to know about its transaction and owner. */
export type StatusMessageTarget = Pick<
  Target,
  'id' | 'merchantOrderId' | 'currency' | 'userId' | 'email' | 'username'
>;

/** The customer's status e-mail for a change; undefined when the transaction has no reachable owner. */
export function statusMessage(
  target: StatusMessageTarget,
  status: string,
  amountCents: number,
  failureReason: string | null,
  key: string,
): TransactionStatusNotification | undefined {
  if (target.userId === null || target.email === null || target.username === null) return undefined;
  const amount = isCurrency(target.currency)
    ? formatMinor(amountCents, target.currency)
    : String(amountCents);
  return {
    type: 'transaction_status',
    idempotency_key: key,
    to: target.email,
    user_id: target.userId,
    username: target.username,
    transaction_id: target.id,
    merchant_order_id: target.merchantOrderId,
    status,
    amount,
    currency: target.currency,
    failure_reason: failureReason,
  };
}

/** Queues a status e-mail; a failure is logged, never thrown (the state change it reports stands). */
export async function notify(
  ctx: Pick<ApplyEventContext, 'notify' | 'logger'>,
  message: TransactionStatusNotification | undefined,
) {
  if (!message) return;
  try {
    await ctx.notify(message);
  } catch (err) {
    // The state change stands; a lost e-mail must not turn into a retried (and deduplicated) callback.
    ctx.logger.error('status e-mail not queued', {
      transaction_id: message.transaction_id,
      ...describeError(err),
    });
  }
}

/** Runs the plan (a guarded UPDATE, or the ledger); queues the e-mail when it changed something. */
async function execute(
  ctx: ApplyEventContext,
  target: Target,
  plan: Plan,
  facts: PaymobTransactionFacts,
  reservation: PaymentEventInput['reservation'],
): Promise<{ applied?: AppliedTransaction; reversal?: ChildApplication }> {
  const view = (status: TransactionStatus, failureReason: string | null): AppliedTransaction => ({
    id: target.id,
    merchantOrderId: target.merchantOrderId,
    status,
    amountCents: target.amountCents,
    currency: target.currency,
    failureReason,
  });
  if (plan.kind === 'transition') {
    const changed = await transitionTransaction(ctx.db, target.id, plan.to, plan.changes, ctx.now);
    if (!changed) return {};
    // Reversals reported before the payment's success were recorded in the ledger; count them now (one
    // more round trip, only in that rare order).
    if (plan.to === 'succeeded' && (target.childrenCents > 0 || target.paymobRefundedCents > 0)) {
      await recompute(ctx.db, target.id, 0, ctx.now);
    }
    const reason =
      plan.changes.failureReason === undefined ? target.failureReason : plan.changes.failureReason;
    await notify(
      ctx,
      statusMessage(
        target,
        plan.to,
        target.amountCents,
        reason,
        `transaction_status:${target.id}:${plan.to}`,
      ),
    );
    return { applied: view(plan.to, reason) };
  }
  if (plan.kind === 'reversal') {
    const result = await applyReversalChild(
      ctx.db,
      target.id,
      {
        paymobChildId: facts.paymobTransactionId,
        kind: plan.reversal,
        amountCents: plan.amountCents,
        reservation,
      },
      ctx.now,
    );
    if (!result.recorded) return { reversal: result };
    if (plan.reversal === 'void') {
      if (!(await transitionTransaction(ctx.db, target.id, 'voided', {}, ctx.now)))
        return { reversal: result };
      await notify(
        ctx,
        statusMessage(
          target,
          'voided',
          target.amountCents,
          target.failureReason,
          `transaction_status:${target.id}:voided`,
        ),
      );
      return { applied: view('voided', target.failureReason), reversal: result };
    }
    if (target.status !== 'succeeded' && target.status !== 'refunded') return { reversal: result };
    // One e-mail per refund PayMob made, keyed by its child id: the same e-mails whatever order the reports
    // arrive in (docs/payments.md). "Refunded" once the children cover the whole payment.
    const children = target.childrenCents + plan.amountCents;
    const status = children >= target.amountCents ? 'refunded' : 'partially_refunded';
    await notify(
      ctx,
      statusMessage(
        target,
        status,
        plan.amountCents,
        null,
        `transaction_refund:${target.id}:${facts.paymobTransactionId}`,
      ),
    );
    const total = Math.max(
      target.refundedCents,
      refundedFrom(target.amountCents, children, target.paymobRefundedCents),
    );
    return {
      applied: view(total >= target.amountCents ? 'refunded' : target.status, target.failureReason),
      reversal: result,
    };
  }
  if (plan.kind === 'refund_total') {
    await applyReportedTotal(ctx.db, target.id, plan.amountCents, ctx.now);
    // A reported total changes the sum but sends no e-mail: the children it counts do (docs/payments.md).
    const reported = Math.max(target.paymobRefundedCents, plan.amountCents);
    const total = Math.max(
      target.refundedCents,
      refundedFrom(target.amountCents, target.childrenCents, reported),
    );
    return { applied: view(total >= target.amountCents ? 'refunded' : target.status, target.failureReason) };
  }
  return {};
}

const REDIRECT_NEVER_REVERSES = 'the browser redirect never refunds or voids (docs/payments.md)';

/** Asks PayMob (by transaction id) what a signed report whose meaning rests on unsigned fields means. */
async function confirmed(
  ctx: ApplyEventContext,
  facts: PaymobTransactionFacts,
): Promise<PaymobTransactionFacts | null> {
  if (!ctx.confirm) return null;
  const answer = await ctx.confirm(facts.paymobTransactionId);
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

export async function applyPaymentEvent(
  ctx: ApplyEventContext,
  input: PaymentEventInput,
): Promise<ApplyEventResult> {
  const { db, logger } = ctx;
  let { facts } = input;
  let action = actionForFacts(facts);
  if (
    input.source === 'response_callback' &&
    (action.kind === 'voided' ||
      action.kind === 'reversal' ||
      action.kind === 'refund_total' ||
      action.kind === 'confirm')
  ) {
    action = { kind: 'none', reason: REDIRECT_NEVER_REVERSES };
  }

  const target = await loadTarget(db, facts);
  let confirmationFailed: unknown;
  if (action.kind === 'confirm') {
    if (target?.ledgerKind) {
      // A child the ledger holds already (e.g. our refund call's answer came first): nothing to ask.
      action = {
        kind: 'reversal',
        reversal: target.ledgerKind === 'void' ? 'void' : 'refund',
        amountCents: facts.amountCents,
      };
    } else if (target) {
      try {
        const answer = await confirmed(ctx, facts);
        if (answer) {
          facts = answer;
          action = actionForFacts(facts);
          // PayMob's own read never needs confirming again.
          if (action.kind === 'confirm') action = { kind: 'none', reason: 'unconfirmed' };
        } else {
          action = { kind: 'none', reason: 'PayMob did not confirm this report' };
        }
      } catch (err) {
        confirmationFailed = err;
      }
    } else {
      action = { kind: 'none', reason: 'unknown order' };
    }
  }
  const kind = eventKind(action, facts);
  const log = logger.child({
    paymob_transaction_id: facts.paymobTransactionId,
    merchant_order_id: facts.merchantOrderId ?? undefined,
    event_kind: kind,
    source: input.source,
  });

  const plan = planFor(action, facts);
  let outcome: EventOutcome;
  let problem: string | undefined;
  if (!target) outcome = 'unmatched';
  else if (confirmationFailed !== undefined) outcome = 'unconfirmed';
  else {
    problem = bindingProblem(target, facts, action);
    outcome = problem ? 'anomaly' : wouldApply(plan, target) ? 'applied' : 'ignored';
  }

  let duplicate = false;
  try {
    await db.insert(paymentEvents).values({
      transactionId: target?.id ?? null,
      paymobTransactionId: facts.paymobTransactionId,
      kind,
      source: input.source,
      type: input.type.slice(0, 32),
      merchantOrderId: clip(facts.merchantOrderId, 64),
      paymobOrderId: facts.paymobOrderId,
      amountCents: facts.amountCents,
      currency: facts.currency.slice(0, 3),
      success: facts.success,
      pending: facts.pending,
      isRefunded: facts.isRefunded || facts.childKind === 'refund',
      isVoided: facts.isVoided || facts.childKind === 'void',
      hasParentTransaction: facts.hasParentTransaction,
      outcome,
      message: problem ? `anomaly: ${problem}` : facts.message,
      rawBody: input.rawBody,
      receivedAt: ctx.now,
    });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    duplicate = true;
  }

  if (!target) {
    if (!duplicate) log.warn('payment event for an unknown order');
    return { outcome, duplicate, changed: false };
  }
  if (confirmationFailed !== undefined) {
    log.warn('payment event not confirmed by PayMob; left for redelivery', describeError(confirmationFailed));
    // Stored as unconfirmed; PayMob delivers it again (the ledger, not this row, decides what is applied).
    throw new AppError(
      503,
      'confirmation_unavailable',
      'PayMob could not be asked to confirm this report; nothing was changed. Deliver it again later.',
      { headers: { 'Retry-After': '60' } },
    );
  }
  const current: AppliedTransaction = {
    id: target.id,
    merchantOrderId: target.merchantOrderId,
    status: target.status,
    amountCents: target.amountCents,
    currency: target.currency,
    failureReason: target.failureReason,
  };
  if (outcome === 'anomaly') {
    if (!duplicate) {
      log.error('payment event does not match its transaction; left unchanged', {
        transaction_id: target.id,
        problem,
      });
    }
    return { outcome, duplicate, changed: false, transaction: current };
  }
  if (outcome === 'ignored') {
    if (!duplicate && action.kind === 'succeeded' && target.status !== 'succeeded') {
      // Money was taken but the state machine refuses the move (e.g. expired): a person must look.
      log.error('successful payment on a transaction that cannot succeed', {
        transaction_id: target.id,
        status: target.status,
      });
    }
    // Our own refund call's answer still settles its reservation when the child came first.
    if (plan.kind === 'reversal' && input.reservation !== undefined) {
      const reversal = await execute(ctx, target, plan, facts, input.reservation);
      return { outcome, duplicate, changed: false, transaction: current, reversal: reversal.reversal };
    }
    return { outcome, duplicate, changed: false, transaction: current };
  }
  // A redelivery repeats the application: status transitions are guarded, reversals are keyed by their
  // PayMob id in the ledger, totals only grow; so a repeat is a no-op unless the first delivery stored the
  // event but died before applying it (then this one applies it).
  const { applied, reversal } = await execute(ctx, target, plan, facts, input.reservation);
  if (applied) {
    log.info('payment event applied', { transaction_id: target.id, from: target.status, to: applied.status });
    return { outcome, duplicate, changed: true, transaction: applied, reversal };
  }
  // Nothing changed: someone else moved the row between our read and our UPDATE.
  const fresh = await loadTarget(db, facts);
  const sameChange = fresh && plan.kind === 'transition' && fresh.status === plan.to;
  if (!duplicate && !sameChange) {
    // Another event won the race: record that this one was not applied.
    await db
      .update(paymentEvents)
      .set({ outcome: 'ignored' })
      .where(
        and(eq(paymentEvents.paymobTransactionId, facts.paymobTransactionId), eq(paymentEvents.kind, kind)),
      )
      .catch((err: unknown) => log.error('event outcome not corrected', describeError(err)));
    outcome = 'ignored';
  }
  return {
    outcome,
    duplicate,
    changed: false,
    transaction: fresh ? { ...current, status: fresh.status, failureReason: fresh.failureReason } : current,
    reversal,
  };
}
