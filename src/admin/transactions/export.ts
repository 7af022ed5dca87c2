import { desc, eq, lt } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { customers, transactions, users } from '../../db/schema';
import type { CsvValue } from '../../lib/csv';
import { formatMinor, isCurrency } from '../../lib/money';
import { whereAll } from '../common/queries';
import {
  rowColumns,
  type TransactionFilters,
  type TransactionListRow,
  transactionConditions,
} from './queries';

/**
 * The transactions CSV (docs/admin.md §2): the list's filters, newest id first, read in keyset batches
 * (`id < last id of the previous batch`), one query each.
 */
export const TRANSACTION_CSV_HEADER = [
  'id',
  'created_at',
  'merchant_order_id',
  'paymob_order_id',
  'paymob_transaction_id',
  'status',
  'amount',
  'refunded_amount',
  'currency',
  'customer_id',
  'customer_name',
  'customer_email',
  'needs_attention',
] as const;

export interface TransactionExportRow extends TransactionListRow {
  paymobOrderId: number | null;
  paymobTransactionId: number | null;
}

export function transactionExportBatch(
  db: Database,
  filters: TransactionFilters,
  after: number | undefined,
  limit: number,
): Promise<TransactionExportRow[]> {
  const conditions = transactionConditions(filters);
  if (after !== undefined) conditions.push(lt(transactions.id, after));
  return db
    .select({
      ...rowColumns,
      paymobOrderId: transactions.paymobOrderId,
      paymobTransactionId: transactions.paymobTransactionId,
    })
    .from(transactions)
    .leftJoin(customers, eq(customers.id, transactions.customerId))
    .leftJoin(users, eq(users.id, customers.userId))
    .where(whereAll(conditions))
    .orderBy(desc(transactions.id))
    .limit(limit);
}

/** Minor units as the currency's decimal string (150.00, 0.05, 1.500 OMR). */
export function csvMoney(minor: number, currency: string): string {
  // Every stored currency is one of the PayMob currencies (checked when the payment is created).
  return isCurrency(currency) ? formatMinor(minor, currency) : String(minor);
}

export function transactionCsvLine(row: TransactionExportRow): CsvValue[] {
  return [
    row.id,
    row.createdAt,
    row.merchantOrderId,
    row.paymobOrderId,
    row.paymobTransactionId,
    row.status,
    csvMoney(row.amountCents, row.currency),
    csvMoney(row.refundedCents, row.currency),
    row.currency,
    row.customerId,
    row.customerName,
    row.customerEmail,
    row.needsAttention,
  ];
}
