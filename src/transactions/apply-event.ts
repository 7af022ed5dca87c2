import { and, eq } from 'drizzle-orm';
import type { z } from 'zod';
import { type Database, isDuplicateKey } from '../db/client';
import { customers, paymentEvents, type TransactionStatus, transactions, users } from '../db/schema';
import { describeError, type Logger } from '../lib/logger';
import { formatMinor, isCurrency } from '../lib/money';
import type { TransactionStatusMessage } from '../notifications/messages';
import { actionForFacts, eventKind, type PaymentAction, type PaymobTransactionFacts } from '../paymob/events';
import {
  applyRefund,
  canTransition,
  REFUNDABLE_STATUSES,
  refundedAfter,
  type TransitionChanges,
  transitionTransaction,
} from './state-machine';

/**
 * The one place that decides what a PayMob report does to a transaction, whichever way it came: the
 * processed callback (§4.4), the browser redirect (§4.5), reconciliation's inquiry (§4.8) or PayMob's answer
 * to a refund or void call (§4.6).
 *
 * Order of work, three round trips in the usual case: read the transaction (with its owner, for the e-mail)
 * → store the event (its unique (PayMob id, kind) recognises a duplicate) → one guarded UPDATE.
 */

/** `api_response`: PayMob's own answer to our refund or void call (the child transaction it created). */
export type EventSource = 'processed_callback' | 'response_callback' | 'inquiry' | 'api_response';
export type EventOutcome = 'applied' | 'ignored' | 'unmatched' | 'anomaly';

export interface PaymentEventInput {
  source: EventSource;
  /** PayMob's callback type (`TRANSACTION`), or `INQUIRY`, `REFUND`, `VOID` for our own calls' answers. */
  type: string;
  facts: PaymobTransactionFacts;
  /** Stored as received (the processed callback's JSON, the redirect's query). */
  rawBody: unknown;
}

export type TransactionStatusNotification = z.infer<typeof TransactionStatusMessage>;

export interface ApplyEventContext {
  db: Database;
  logger: Logger;
  now: Date;
  /** Queues the status e-mail; called only when this event really changed the transaction. */
  notify: (message: TransactionStatusNotification) => void | Promise<void>;
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
}

type Target = NonNullable<Awaited<ReturnType<typeof loadTarget>>>;

/** The transaction the event names, by our merchant_order_id (else PayMob's order id), with its owner. */
async function loadTarget(db: Database, facts: PaymobTransactionFacts) {
  const where =
    facts.merchantOrderId !== null
      ? eq(transactions.merchantOrderId, facts.merchantOrderId)
      : facts.paymobOrderId !== null
        ? eq(transactions.paymobOrderId, facts.paymobOrderId)
        : undefined;
  if (!where) return undefined;
  const [row] = await db
    .select({
      id: transactions.id,
      merchantOrderId: transactions.merchantOrderId,
      status: transactions.status,
      amountCents: transactions.amountCents,
      currency: transactions.currency,
      refundedCents: transactions.refundedCents,
      paymobOrderId: transactions.paymobOrderId,
      failureReason: transactions.failureReason,
      userId: users.id,
      username: users.username,
      email: users.email,
    })
    .from(transactions)
    .leftJoin(customers, eq(customers.id, transactions.customerId))
    .leftJoin(users, eq(users.id, customers.userId))
    .where(where)
    .limit(1);
  return row;
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
  const child = action.kind === 'none' || (action.kind === 'refund' && action.mode === 'delta');
  // A refund child carries the refunded amount, at most the payment's; everything else the full amount.
  if (child ? facts.amountCents > target.amountCents : facts.amountCents !== target.amountCents) {
    return 'amount mismatch';
  }
  if (action.kind === 'refund' && action.amountCents > target.amountCents) return 'refund exceeds amount';
  return undefined;
}

type Plan =
  | { kind: 'transition'; to: TransactionStatus; changes: TransitionChanges }
  | { kind: 'refund'; amountCents: number; mode: 'delta' | 'total' }
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
    case 'refund':
      return { kind: 'refund', amountCents: action.amountCents, mode: action.mode };
    default:
      return { kind: 'none' };
  }
}

function wouldApply(plan: Plan, target: Target): boolean {
  if (plan.kind === 'transition') return canTransition(target.status, plan.to);
  if (plan.kind === 'refund') {
    return (
      REFUNDABLE_STATUSES.includes(target.status) &&
      refundedAfter(target, plan.amountCents, plan.mode) !== target.refundedCents
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

/** Runs the plan's guarded UPDATE; queues the e-mail when it changed the row. */
async function execute(
  ctx: ApplyEventContext,
  target: Target,
  plan: Plan,
  facts: PaymobTransactionFacts,
): Promise<AppliedTransaction | undefined> {
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
    if (!changed) return undefined;
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
    return view(plan.to, reason);
  }
  if (plan.kind === 'refund') {
    let snapshot = { id: target.id, amountCents: target.amountCents, refundedCents: target.refundedCents };
    // A concurrent refund event moved refunded_cents: re-read and add to the new sum (bounded).
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await applyRefund(ctx.db, snapshot, plan.amountCents, plan.mode, ctx.now);
      if (result.changed) {
        const refunded = result.refundedCents - snapshot.refundedCents;
        const status = result.status === 'refunded' ? 'refunded' : 'partially_refunded';
        await notify(
          ctx,
          statusMessage(
            target,
            status,
            refunded,
            null,
            `transaction_refund:${target.id}:${result.refundedCents}`,
          ),
        );
        return view(result.status, target.failureReason);
      }
      if (!result.conflict) return undefined;
      const fresh = await loadTarget(ctx.db, facts);
      if (!fresh || !REFUNDABLE_STATUSES.includes(fresh.status)) return undefined;
      snapshot = { id: fresh.id, amountCents: fresh.amountCents, refundedCents: fresh.refundedCents };
    }
  }
  return undefined;
}

export async function applyPaymentEvent(
  ctx: ApplyEventContext,
  input: PaymentEventInput,
): Promise<ApplyEventResult> {
  const { db, logger } = ctx;
  const { facts } = input;
  const action = actionForFacts(facts);
  const kind = eventKind(action, facts);
  const log = logger.child({
    paymob_transaction_id: facts.paymobTransactionId,
    merchant_order_id: facts.merchantOrderId ?? undefined,
    event_kind: kind,
    source: input.source,
  });

  const target = await loadTarget(db, facts);
  const plan = planFor(action, facts);
  let outcome: EventOutcome;
  let problem: string | undefined;
  if (!target) outcome = 'unmatched';
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
      isRefunded: facts.isRefunded,
      isVoided: facts.isVoided,
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
    return { outcome, duplicate, changed: false, transaction: current };
  }
  // A redelivery repeats only status transitions: their guard makes that a no-op unless the first delivery
  // stored the event but died before its UPDATE. Refunds are not repeated (they would add up twice).
  if (duplicate && plan.kind !== 'transition')
    return { outcome, duplicate, changed: false, transaction: current };

  const applied = await execute(ctx, target, plan, facts);
  if (applied) {
    log.info('payment event applied', { transaction_id: target.id, from: target.status, to: applied.status });
    return { outcome, duplicate, changed: true, transaction: applied };
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
  };
}
