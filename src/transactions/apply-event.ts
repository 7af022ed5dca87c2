import { and, eq } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { isDuplicateKey } from '../db/client';
import { paymentEvents, type TransactionStatus } from '../db/schema';
import { AppError } from '../lib/errors';
import { describeError } from '../lib/logger';
import { afterLinkPaymentSucceeded } from '../payment-links/paid';
import { actionForFacts, eventKind, type PaymobTransactionFacts } from '../paymob/events';
import { eventMark, publishEvent } from '../webhooks/events';
import type { EventType } from '../webhooks/schemas';
import {
  bindingProblem,
  confirmed,
  loadTarget,
  type Plan,
  planFor,
  STATUS_EVENTS,
  storeReport,
  type Target,
  viewAfter,
  wouldApply,
} from './apply-plan';
import type { AppliedTransaction, ApplyEventResult, EventOutcome, PaymentEventInput } from './apply-types';
import {
  applyReportedTotal,
  applyReversalChild,
  type ChildApplication,
  recompute,
  refundedFrom,
} from './ledger';
import { recordBillReference, withSource } from './methods';
import { transitionTransaction } from './state-machine';
import { notify, statusMessage } from './status-mail';

export type { TransactionStatusNotification } from './status-mail';

/**
 * The one place that decides what a PayMob report does to a transaction, whichever way it came: the
 * processed callback (§4.4), the browser redirect (§4.5), reconciliation's inquiry (§4.8) or PayMob's answer
 * to a refund or void call (§4.6).
 *
 * Order of work, three round trips in the usual case: read the transaction (with its owner, for the e-mail)
 * → store the event (its unique (PayMob id, kind) recognises a duplicate) → one guarded UPDATE, which also
 * writes the webhook event's outbox mark on the stored event's row (docs/webhooks.md §2). Refunds
 * and voids go through the refund ledger instead (src/transactions/ledger.ts, docs/payments.md): a reversal
 * child is applied once by its PayMob id, in one database transaction with the payment's new sum.
 *
 * Only signed or confirmed facts change a payment (docs/payments.md "Signed facts"): a callback whose
 * meaning rests on unsigned fields (a refund or void child, a refunded total) is confirmed with PayMob by
 * transaction id (`ctx.paymob().getTransaction`) before it is applied, and the browser redirect never refunds or voids.
 */

export type {
  AppliedTransaction,
  ApplyEventResult,
  EventOutcome,
  EventSource,
  PaymentEventInput,
} from './apply-types';

const clip = (value: string | null, length: number) => (value === null ? null : value.slice(0, length));

/**
 * Runs the plan (a guarded UPDATE, or the ledger); queues the e-mail when it changed something. A change
 * marks the report's stored row with its event in the same statement (docs/webhooks.md §2) and publishes it.
 */
async function execute(
  ctx: ServiceContext,
  target: Target,
  plan: Plan,
  facts: PaymobTransactionFacts,
  kind: string,
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
  const report = { paymobTransactionId: facts.paymobTransactionId, kind };
  if (plan.kind === 'transition') {
    // Reversals reported before the payment's success count once it succeeds (the recompute below).
    const early = target.childrenCents > 0 || target.paymobRefundedCents > 0;
    const refundedCents =
      plan.to === 'succeeded' && early
        ? Math.max(
            target.refundedCents,
            refundedFrom(target.amountCents, target.childrenCents, target.paymobRefundedCents),
          )
        : undefined;
    const type = (STATUS_EVENTS as Partial<Record<TransactionStatus, EventType>>)[plan.to];
    const object = viewAfter(target, { status: plan.to, changes: plan.changes, refundedCents }, ctx.now);
    const mark = type ? eventMark(ctx, report, type, object) : undefined;
    const changed = await transitionTransaction(ctx.db, target.id, plan.to, plan.changes, ctx.now, mark);
    if (!changed) return {};
    if (mark) await publishEvent(ctx, mark.eventId);
    // One more round trip, only in that rare order.
    if (plan.to === 'succeeded' && early) await recompute(ctx.db, target.id, 0, ctx.now);
    // A payment through a payment link pays the link (docs/api.md §11).
    if (plan.to === 'succeeded') await afterLinkPaymentSucceeded(ctx, target);
    const reason =
      plan.changes.failureReason === undefined ? target.failureReason : plan.changes.failureReason;
    await notify(
      ctx,
      statusMessage(
        withSource(target, facts.source),
        plan.to,
        target.amountCents,
        reason,
        `transaction_status:${target.id}:${plan.to}`,
      ),
    );
    return { applied: view(plan.to, reason) };
  }
  if (plan.kind === 'reversal') {
    // The refunded total once this child counts (a child the ledger holds already is in childrenCents).
    const children = target.childrenCents + (target.ledgerKind === null ? plan.amountCents : 0);
    const total = Math.max(
      target.refundedCents,
      refundedFrom(target.amountCents, children, target.paymobRefundedCents),
    );
    const refundedStatus: TransactionStatus =
      target.status === 'succeeded' && total >= target.amountCents ? 'refunded' : target.status;
    const refundMark =
      plan.reversal === 'refund'
        ? eventMark(
            ctx,
            report,
            'payment.refunded',
            viewAfter(target, { status: refundedStatus, refundedCents: total }, ctx.now),
          )
        : undefined;
    const result = await applyReversalChild(
      ctx.db,
      target.id,
      {
        paymobChildId: facts.paymobTransactionId,
        kind: plan.reversal,
        amountCents: plan.amountCents,
        reservation,
        mark: refundMark,
      },
      ctx.now,
    );
    if (refundMark && result.marked) await publishEvent(ctx, refundMark.eventId);
    if (!result.recorded) return { reversal: result };
    if (plan.reversal === 'void') {
      const mark = eventMark(ctx, report, 'payment.voided', viewAfter(target, { status: 'voided' }, ctx.now));
      if (!(await transitionTransaction(ctx.db, target.id, 'voided', {}, ctx.now, mark)))
        return { reversal: result };
      await publishEvent(ctx, mark.eventId);
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
    return {
      applied: view(total >= target.amountCents ? 'refunded' : target.status, target.failureReason),
      reversal: result,
    };
  }
  if (plan.kind === 'refund_total') {
    await applyReportedTotal(ctx.db, target.id, plan.amountCents, ctx.now);
    // A reported total changes the sum but sends no e-mail (and no event): the children it counts do
    // (docs/payments.md, docs/webhooks.md §1).
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

export async function applyPaymentEvent(
  ctx: ServiceContext,
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

  // Unless PayMob must confirm it first (which may change its kind), the report's kind is known now: the read
  // also says whether it is stored already, so a redelivery costs this one round trip (docs/round-trips.md).
  const knownKind = action.kind === 'confirm' ? undefined : eventKind(action, facts);
  const target = await loadTarget(db, facts, knownKind);
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

  // Stored already (this very kind): a redelivery. Nothing to insert; what follows decides whether anything is
  // left to apply (only when the first delivery stored the report but died before applying it).
  let duplicate = target?.seen === true && kind === knownKind;
  if (!duplicate) {
    try {
      await storeReport.run(db, {
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
  // A kiosk payment's pending report carries its bill reference (docs/paymob.md §8).
  if (outcome === 'ignored' && action.kind === 'pending' && input.source !== 'response_callback') {
    await recordBillReference(ctx, target, facts);
  }
  if (outcome === 'ignored') {
    // A redelivered success finishes the link's update if the first delivery died before it (exactly once).
    if (action.kind === 'succeeded' && target.status === 'succeeded')
      await afterLinkPaymentSucceeded(ctx, target);
    if (!duplicate && action.kind === 'succeeded' && target.status !== 'succeeded') {
      // Money was taken but the state machine refuses the move (e.g. expired): a person must look.
      log.error('successful payment on a transaction that cannot succeed', {
        transaction_id: target.id,
        status: target.status,
      });
    }
    // Our own refund call's answer still settles its reservation when the child came first.
    if (plan.kind === 'reversal' && input.reservation !== undefined) {
      const reversal = await execute(ctx, target, plan, facts, kind, input.reservation);
      return { outcome, duplicate, changed: false, transaction: current, reversal: reversal.reversal };
    }
    return { outcome, duplicate, changed: false, transaction: current };
  }
  // A redelivery repeats the application: status transitions are guarded, reversals are keyed by their
  // PayMob id in the ledger, totals only grow; so a repeat is a no-op unless the first delivery stored the
  // event but died before applying it (then this one applies it).
  const { applied, reversal } = await execute(ctx, target, plan, facts, kind, input.reservation);
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
