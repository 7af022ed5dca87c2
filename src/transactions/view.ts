import type { transactions } from '../db/schema';
import { type Currency, formatMinor, isCurrency } from '../lib/money';
import { methodsView } from './methods-view';
import type { TransactionView } from './schemas';

export type TransactionRow = typeof transactions.$inferSelect;

/** The columns the API shows (docs/api.md §4.1); reads select exactly these. */
export type TransactionViewRow = Pick<
  TransactionRow,
  | 'id'
  | 'customerId'
  | 'merchantOrderId'
  | 'amountCents'
  | 'currency'
  | 'status'
  | 'paymobOrderId'
  | 'paymobTransactionId'
  | 'paymentToken'
  | 'checkoutUrl'
  | 'failureReason'
  | 'refundedCents'
  | 'merchantReference'
  | 'metadata'
  | 'description'
  | 'returnUrl'
  | 'paymentLinkId'
  | 'createdAt'
  | 'updatedAt'
> &
  // docs/paymob.md §8; optional so a reader that has none of them shows the card-only defaults.
  Partial<
    Pick<
      TransactionRow,
      'paymentMethods' | 'methodType' | 'methodSubType' | 'methodPan' | 'billReference' | 'billExpiresAt'
    >
  >;

/** A currency we cannot format (never written by us) is shown with two digits rather than failing the read. */
function amountText(amountCents: number, currency: string): string {
  return formatMinor(amountCents, isCurrency(currency) ? currency : ('EGP' satisfies Currency));
}

/** The stored metadata (always written validated: string values only); anything else reads as `{}`. */
function metadataView(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

export function toTransactionView(row: TransactionViewRow): TransactionView {
  return {
    id: row.id,
    customer: row.customerId,
    merchant_order_id: row.merchantOrderId,
    amount: amountText(row.amountCents, row.currency),
    amount_cents: row.amountCents,
    currency: row.currency,
    status: row.status,
    paymob_order_id: row.paymobOrderId,
    paymob_transaction_id: row.paymobTransactionId,
    payment_token: row.paymentToken,
    checkout_url: row.checkoutUrl,
    failure_reason: row.failureReason,
    refunded_cents: row.refundedCents,
    merchant_reference: row.merchantReference,
    metadata: metadataView(row.metadata),
    description: row.description,
    return_url: row.returnUrl,
    payment_link: row.paymentLinkId,
    ...methodsView(row),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
