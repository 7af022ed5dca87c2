import type { transactions } from '../db/schema';
import type { TransactionView } from './schemas';

type Row = Partial<
  Pick<
    typeof transactions.$inferSelect,
    'paymentMethods' | 'methodType' | 'methodSubType' | 'methodPan' | 'billReference' | 'billExpiresAt'
  >
>;

/** A payment created before methods existed (or in legacy mode) offered the card only. */
const CARD_ONLY = ['card'];

/** The payment-method fields of the API's transaction (docs/paymob.md §8). */
export function methodsView(
  row: Row,
): Pick<
  TransactionView,
  'payment_methods' | 'payment_method' | 'bill_reference' | 'bill_reference_expires_at'
> {
  const offered = Array.isArray(row.paymentMethods)
    ? row.paymentMethods.filter((name): name is string => typeof name === 'string')
    : CARD_ONLY;
  return {
    payment_methods: offered,
    payment_method: row.methodType
      ? { type: row.methodType, sub_type: row.methodSubType ?? null, pan: row.methodPan ?? null }
      : null,
    bill_reference: row.billReference ?? null,
    bill_reference_expires_at: row.billExpiresAt ? row.billExpiresAt.toISOString() : null,
  };
}

/** How the payment was made, in words for e-mails and pages: "wallet (vodafone) *******1010". */
export function methodText(row: Row): string | null {
  if (!row.methodType) return null;
  const sub =
    row.methodSubType && row.methodSubType.toLowerCase() !== row.methodType.toLowerCase()
      ? ` (${row.methodSubType})`
      : '';
  return `${row.methodType}${sub}${row.methodPan ? ` ${row.methodPan}` : ''}`;
}
