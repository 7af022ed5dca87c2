import { transactions } from '../db/schema';

/** The payment-method columns (docs/paymob.md §8): the methods offered, how it was paid, a kiosk reference. */
export const methodColumns = {
  paymentMethods: transactions.paymentMethods,
  methodType: transactions.methodType,
  methodSubType: transactions.methodSubType,
  methodPan: transactions.methodPan,
  billReference: transactions.billReference,
  billExpiresAt: transactions.billExpiresAt,
};

/**
 * The columns of a transaction as the API shows it (docs/api.md §4.1, the merchant's data §4.9): what every
 * reader selects for `toTransactionView` (src/transactions/view.ts), so every reader shows the same fields.
 */
export const transactionViewColumns = {
  id: transactions.id,
  customerId: transactions.customerId,
  merchantOrderId: transactions.merchantOrderId,
  amountCents: transactions.amountCents,
  currency: transactions.currency,
  status: transactions.status,
  paymobOrderId: transactions.paymobOrderId,
  paymobTransactionId: transactions.paymobTransactionId,
  paymentToken: transactions.paymentToken,
  checkoutUrl: transactions.checkoutUrl,
  failureReason: transactions.failureReason,
  refundedCents: transactions.refundedCents,
  merchantReference: transactions.merchantReference,
  metadata: transactions.metadata,
  description: transactions.description,
  returnUrl: transactions.returnUrl,
  paymentLinkId: transactions.paymentLinkId,
  ...methodColumns,
  createdAt: transactions.createdAt,
  updatedAt: transactions.updatedAt,
};
