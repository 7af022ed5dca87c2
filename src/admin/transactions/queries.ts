import { asc, desc, eq, gte, inArray, isNotNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import {
  customers,
  paymentEvents,
  paymentReversals,
  TRANSACTION_STATUSES,
  type TransactionStatus,
  transactions,
  users,
} from '../../db/schema';
import { methodColumns } from '../../transactions/columns';
import { type ListResult, member, type PageWindow, pageOf, total, whereAll } from '../common/queries';

export const parseTransactionStatus = (value: string | undefined): TransactionStatus | undefined =>
  member(value, TRANSACTION_STATUSES);

export interface TransactionFilters {
  statuses?: TransactionStatus[];
  /** Inclusive lower bound (start of a UTC day). */
  createdFrom?: Date;
  /** Exclusive upper bound (start of the UTC day after the chosen one). */
  createdBefore?: Date;
  customerId?: number;
  /** A merchant order id, or a PayMob order or transaction id. */
  reference?: string;
  /** Only pending payments flagged for staff. */
  needsAttention?: boolean;
}

export interface TransactionListRow {
  id: number;
  merchantOrderId: string;
  /** NULL for a payment through a payment link (docs/api.md §11). */
  customerId: number | null;
  customerName: string | null;
  customerEmail: string | null;
  amountCents: number;
  currency: string;
  status: TransactionStatus;
  refundedCents: number;
  createdAt: Date;
  needsAttention: boolean;
  /** PayMob's signed source_data.type once paid (card, wallet, aggregator, …; docs/paymob.md §8). */
  methodType: string | null;
  /** The payment link it was paid through, if any (docs/api.md §11). */
  paymentLinkId: number | null;
}

/** Pending, and reconciliation could not learn PayMob's state past the checkout's expiry. */
const needsAttention =
  sql<boolean>`(${transactions.needsAttentionAt} is not null and ${transactions.status} = 'pending')`.mapWith(
    (v) => Number(v) === 1,
  );

export function transactionConditions(filters: TransactionFilters): SQL[] {
  const conditions: SQL[] = [];
  if (filters.statuses && filters.statuses.length > 0)
    conditions.push(inArray(transactions.status, filters.statuses));
  if (filters.createdFrom) conditions.push(gte(transactions.createdAt, filters.createdFrom));
  if (filters.createdBefore) conditions.push(lt(transactions.createdAt, filters.createdBefore));
  if (filters.customerId !== undefined) conditions.push(eq(transactions.customerId, filters.customerId));
  if (filters.needsAttention) {
    conditions.push(eq(transactions.status, 'pending'), isNotNull(transactions.needsAttentionAt));
  }
  if (filters.reference) {
    const reference = filters.reference;
    const byNumber = /^\d{1,15}$/.test(reference)
      ? [
          eq(transactions.paymobOrderId, Number(reference)),
          eq(transactions.paymobTransactionId, Number(reference)),
        ]
      : [];
    conditions.push(
      or(
        eq(transactions.merchantOrderId, reference),
        eq(transactions.merchantReference, reference),
        ...byNumber,
      ) as SQL,
    );
  }
  return conditions;
}

const customerName = sql<
  string | null
>`nullif(trim(concat(coalesce(${customers.firstName}, ''), ' ', coalesce(${customers.lastName}, ''))), '')`;

/** A transaction as every admin table shows it; the detail page selects these and more. */
export const rowColumns = {
  id: transactions.id,
  merchantOrderId: transactions.merchantOrderId,
  customerId: transactions.customerId,
  customerName,
  customerEmail: users.email,
  amountCents: transactions.amountCents,
  currency: transactions.currency,
  status: transactions.status,
  refundedCents: transactions.refundedCents,
  createdAt: transactions.createdAt,
  needsAttention,
  methodType: transactions.methodType,
  paymentLinkId: transactions.paymentLinkId,
};

/** Transactions, newest first, with the customer's name and e-mail. */
export async function listTransactions(
  db: Database,
  filters: TransactionFilters,
  window: PageWindow,
): Promise<ListResult<TransactionListRow>> {
  return pageOf(
    db
      .select({
        ...rowColumns,
        total,
      })
      .from(transactions)
      .leftJoin(customers, eq(customers.id, transactions.customerId))
      .leftJoin(users, eq(users.id, customers.userId))
      .where(whereAll(transactionConditions(filters)))
      .orderBy(desc(transactions.createdAt), desc(transactions.id))
      .$dynamic(),
    window,
  );
}

/** A customer's latest transactions, for their page. */
export async function recentCustomerTransactions(
  db: Database,
  customerId: number,
  limit: number,
): Promise<ListResult<TransactionListRow>> {
  return listTransactions(db, { customerId }, { page: 1, pageSize: limit });
}

export interface PaymentEventRow {
  id: number;
  paymobTransactionId: number;
  kind: string;
  source: string;
  type: string;
  amountCents: number | null;
  currency: string | null;
  success: boolean | null;
  pending: boolean | null;
  isRefunded: boolean | null;
  isVoided: boolean | null;
  hasParentTransaction: boolean | null;
  outcome: string;
  message: string | null;
  rawBody: unknown;
  receivedAt: Date;
}

/** The list's row and everything else the payment's page shows. */
export interface TransactionDetail extends TransactionListRow {
  paymobOrderId: number | null;
  paymobTransactionId: number | null;
  apiMode: string;
  checkoutUrl: string | null;
  paymentKeyExpiresAt: Date | null;
  failureReason: string | null;
  /** Held by refund calls in flight or with an unknown outcome (docs/payments.md "Reservation"). */
  heldCents: number;
  /** Of that, refund calls whose outcome is unknown: staff must check PayMob. */
  unknownCents: number;
  updatedAt: Date;
  attentionReason: string | null;
  // The merchant's own data (docs/api.md §4.9).
  merchantReference: string | null;
  metadata: unknown;
  description: string | null;
  returnUrl: string | null;
  // docs/paymob.md §8.
  paymentMethods: unknown;
  methodType: string | null;
  methodSubType: string | null;
  methodPan: string | null;
  billReference: string | null;
  billExpiresAt: Date | null;
  events: PaymentEventRow[];
}

/** A transaction, its customer and every stored PayMob event for it (oldest first): one joined query. */
export async function transactionDetail(db: Database, id: number): Promise<TransactionDetail | undefined> {
  const rows = await db
    .select({
      ...rowColumns,
      paymobOrderId: transactions.paymobOrderId,
      paymobTransactionId: transactions.paymobTransactionId,
      apiMode: transactions.apiMode,
      checkoutUrl: transactions.checkoutUrl,
      paymentKeyExpiresAt: transactions.paymentKeyExpiresAt,
      failureReason: transactions.failureReason,
      heldCents: transactions.heldCents,
      unknownCents: sql<string>`(select coalesce(sum(${paymentReversals.amountCents}), 0) from ${paymentReversals} where ${paymentReversals.transactionId} = ${id} and ${paymentReversals.state} = 'unknown')`,
      updatedAt: transactions.updatedAt,
      attentionReason: transactions.attentionReason,
      merchantReference: transactions.merchantReference,
      metadata: transactions.metadata,
      description: transactions.description,
      returnUrl: transactions.returnUrl,
      ...methodColumns,
      event: {
        id: paymentEvents.id,
        paymobTransactionId: paymentEvents.paymobTransactionId,
        kind: paymentEvents.kind,
        source: paymentEvents.source,
        type: paymentEvents.type,
        amountCents: paymentEvents.amountCents,
        currency: paymentEvents.currency,
        success: paymentEvents.success,
        pending: paymentEvents.pending,
        isRefunded: paymentEvents.isRefunded,
        isVoided: paymentEvents.isVoided,
        hasParentTransaction: paymentEvents.hasParentTransaction,
        outcome: paymentEvents.outcome,
        message: paymentEvents.message,
        rawBody: paymentEvents.rawBody,
        receivedAt: paymentEvents.receivedAt,
      },
    })
    .from(transactions)
    .leftJoin(customers, eq(customers.id, transactions.customerId))
    .leftJoin(users, eq(users.id, customers.userId))
    .leftJoin(paymentEvents, eq(paymentEvents.transactionId, transactions.id))
    .where(eq(transactions.id, id))
    .orderBy(asc(paymentEvents.receivedAt), asc(paymentEvents.id));
  const first = rows[0];
  if (!first) return undefined;
  const { event: _event, ...transaction } = first;
  return {
    ...transaction,
    unknownCents: Number(transaction.unknownCents),
    events: rows.flatMap((r) => (r.event ? [r.event] : [])),
  };
}
