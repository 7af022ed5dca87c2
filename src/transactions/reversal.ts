import { and, eq, min } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { writeAudit } from '../db/audit';
import type { Database } from '../db/client';
import { paymentEvents, type TransactionStatus, transactions } from '../db/schema';
import { AppError, forbidden, notFound } from '../lib/errors';
import { PaymobError } from '../paymob/client';
import { factsFromAnswer } from '../paymob/events';
import type { ReversalAnswer } from '../paymob/schemas';
import { type ApplyEventResult, applyPaymentEvent } from './apply-event';
import { settleReservation } from './ledger';
import { getTransaction, ID_PATTERN } from './list';
import type { TransactionView } from './schemas';

/**
 * What refunds and voids (docs/api.md §4.6) share: who may, which transaction, the PayMob call with its audit row,
 * and applying PayMob's answer. Used by the API routes and the admin UI alike, so nothing here knows HTTP.
 */

export type ReversalKind = 'refund' | 'void';

/** Who reverses a payment, for the audit row: an ADMIN, or a server API key (then no user). */
export interface ReversalActor {
  userId: number | null;
  apiKey?: { id: number; name: string };
}

/**
 * Refunds and voids are for ADMIN, or a server API key with `refunds:write` (docs/api-keys.md §2); the routes
 * check this too, the service makes it true for every caller. A key is admitted only after its scope check.
 */
export function requireAdmin(ctx: Pick<ServiceContext, 'actor' | 'apiKey'>): ReversalActor {
  const { actor, apiKey } = ctx;
  if (apiKey?.scopes.includes('refunds:write'))
    return { userId: null, apiKey: { id: apiKey.id, name: apiKey.name } };
  if (apiKey || actor?.role !== 'ADMIN')
    throw forbidden('Only an administrator can refund or void a payment.');
  return { userId: actor.id };
}

/**
 * The transaction with what a reversal needs, in one query. `paidAt` is when StackPay learned of the
 * successful payment: the first applied successful payment event.
 */
export async function loadForReversal(db: Database, rawId: string | number) {
  const text = String(rawId).trim();
  if (!ID_PATTERN.test(text)) throw notFound('No transaction matches the given id.', 'transaction_not_found');
  const id = Number(text);
  const paid = db
    .select({ transactionId: paymentEvents.transactionId, at: min(paymentEvents.receivedAt).as('paid_at') })
    .from(paymentEvents)
    .where(
      and(
        eq(paymentEvents.transactionId, id),
        eq(paymentEvents.kind, 'transaction'),
        eq(paymentEvents.success, true),
        eq(paymentEvents.outcome, 'applied'),
      ),
    )
    .groupBy(paymentEvents.transactionId)
    .as('paid');
  const [row] = await db
    .select({
      id: transactions.id,
      status: transactions.status,
      amountCents: transactions.amountCents,
      currency: transactions.currency,
      refundedCents: transactions.refundedCents,
      paymobTransactionId: transactions.paymobTransactionId,
      createdAt: transactions.createdAt,
      paidAt: paid.at,
      // Held by refund calls in flight or with an unknown outcome (src/transactions/ledger.ts).
      heldCents: transactions.heldCents,
    })
    .from(transactions)
    .leftJoin(paid, eq(paid.transactionId, transactions.id))
    .where(eq(transactions.id, id))
    .limit(1);
  if (!row) throw notFound('No transaction matches the given id.', 'transaction_not_found');
  return row;
}
export type ReversalTarget = Awaited<ReturnType<typeof loadForReversal>>;

/** docs/api.md §4.6: only a succeeded payment (with PayMob's id for it) can be refunded or voided. */
export function requireSucceeded(
  target: ReversalTarget,
  kind: ReversalKind,
): asserts target is ReversalTarget & { paymobTransactionId: number } {
  const verb = kind === 'refund' ? 'refunded' : 'voided';
  if (target.status !== 'succeeded' || target.paymobTransactionId === null) {
    throw invalidState(
      target.status,
      `The transaction is ${target.status}; only a succeeded payment can be ${verb}.`,
    );
  }
}

export function invalidState(status: TransactionStatus, detail: string): AppError {
  return new AppError(409, 'invalid_transaction_state', detail, {
    extensions: { transaction_status: status },
  });
}

/**
 * Calls PayMob and writes the audit row for the attempt, whatever its outcome: a refund whose answer was
 * lost (timeout) is exactly the one someone must be able to trace. A refund's reservation is released on a
 * definite refusal and kept as `unknown` when PayMob's answer is unknown (docs/payments.md).
 */
export async function callPaymob(
  ctx: ServiceContext,
  actor: ReversalActor,
  kind: ReversalKind,
  target: ReversalTarget,
  details: Record<string, unknown>,
  call: () => Promise<ReversalAnswer>,
  reservation?: { id: number; amountCents: number },
): Promise<ReversalAnswer> {
  const audit = (outcome: Record<string, unknown>) =>
    writeAudit(ctx.db, {
      actorUserId: actor.userId,
      action: `transaction.${kind}`,
      targetType: 'transaction',
      targetId: target.id,
      details: {
        // docs/api-keys.md §5: a key's refund names the key (the audit row has no user for it).
        ...(actor.apiKey ? { api_key_id: actor.apiKey.id, api_key_name: actor.apiKey.name } : {}),
        ...details,
        currency: target.currency,
        amount_cents_total: target.amountCents,
        refunded_cents_before: target.refundedCents,
        paymob_transaction_id: target.paymobTransactionId,
        ...outcome,
      },
      requestId: ctx.requestId,
    });
  let answer: ReversalAnswer;
  try {
    answer = await call();
  } catch (err) {
    const unknown = !(err instanceof PaymobError) || err.failure === 'unknown';
    if (reservation !== undefined) {
      await settleReservation(ctx.db, target.id, reservation, unknown ? 'unknown' : 'released').catch(
        (dbErr: unknown) =>
          ctx.logger.error('reservation not settled', { error: String(dbErr).slice(0, 200) }),
      );
    }
    if (err instanceof PaymobError) {
      await audit({
        outcome: err.code === 'paymob_outcome_unknown' ? 'paymob_outcome_unknown' : `paymob_${err.failure}`,
        reason: err.reason,
      }).catch((auditErr: unknown) =>
        ctx.logger.error('audit row not written', { error: String(auditErr).slice(0, 200) }),
      );
      ctx.logger.warn(`paymob ${kind} failed`, {
        transaction_id: target.id,
        reason: err.reason,
        outcome: unknown ? 'unknown_after_call' : err.failure,
      });
    }
    throw err;
  }
  const declined = !answer.success || answer.pending;
  await audit({
    outcome: declined ? 'declined' : 'accepted',
    paymob_child_transaction_id: answer.id,
    child_amount_cents: answer.amount_cents,
  });
  return answer;
}

/**
 * Applies PayMob's synchronous answer (the child transaction it just created) through `applyPaymentEvent`,
 * exactly like its confirmed callback. Why not wait for the callback alone: PayMob documents no retry
 * schedule and reconciliation only looks at pending payments, so a lost refund callback would never be
 * recorded. The child is applied once by its PayMob id in the refund ledger, so whichever of the answer
 * and the callback comes second changes nothing; the answer also settles the call's reservation.
 */
export async function applyAnswer(
  ctx: ServiceContext,
  kind: ReversalKind,
  target: ReversalTarget,
  answer: ReversalAnswer,
  reservation?: { id: number; amountCents: number },
): Promise<ApplyEventResult> {
  // It is the child PayMob just created for our call, whatever flags it shows.
  const facts = { ...factsFromAnswer(answer), hasParentTransaction: true };
  facts.childKind ??= kind;
  const declined = !answer.success || answer.pending;
  if (declined && reservation !== undefined)
    await settleReservation(ctx.db, target.id, reservation, 'released');
  const result = await applyPaymentEvent(ctx, {
    source: 'api_response',
    type: kind === 'refund' ? 'REFUND' : 'VOID',
    facts,
    rawBody: answer,
    reservation: declined ? undefined : reservation,
  });
  if (declined) {
    const reason = facts.message ?? `PayMob declined the ${kind}.`;
    throw new PaymobError('rejected', kind, reason);
  }
  if (result.outcome === 'anomaly' || result.outcome === 'unmatched') {
    // PayMob acted, but its answer is about something else than we asked: what it did is unknown.
    if (reservation !== undefined) await settleReservation(ctx.db, target.id, reservation, 'unknown');
    ctx.logger.error(`paymob ${kind} answer does not match the transaction`, {
      transaction_id: target.id,
      outcome: 'unknown_after_call',
      paymob_child_transaction_id: answer.id,
    });
    throw new PaymobError('unknown', kind, `the ${kind} answer does not match the payment`);
  }
  return result;
}

/** The transaction as the API shows it, after the change. */
export function reloadView(ctx: ServiceContext, id: number): Promise<TransactionView> {
  return getTransaction(ctx, String(id));
}
