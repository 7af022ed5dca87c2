import type { paymentLinks } from '../db/schema';
import type { Config } from '../env';
import { type Currency, formatMinor, isCurrency } from '../lib/money';
import type { PaymentLinkView } from './schemas';
import { linkUrl } from './token';

export type PaymentLinkRow = typeof paymentLinks.$inferSelect;

/** What a link's page and view call its state: `expired` is an active link past its expires_at. */
export function linkState(row: Pick<PaymentLinkRow, 'status' | 'expiresAt'>, now: Date) {
  return row.status === 'active' && row.expiresAt.getTime() <= now.getTime() ? 'expired' : row.status;
}

export const linkAmount = (row: Pick<PaymentLinkRow, 'amountCents' | 'currency'>) =>
  formatMinor(row.amountCents, isCurrency(row.currency) ? row.currency : ('EGP' satisfies Currency));

/** docs/api.md §11: a link as the API shows it (its URL computed from the stored public id). */
export async function toPaymentLinkView(
  config: Config,
  base: string,
  row: PaymentLinkRow,
  now: Date,
): Promise<PaymentLinkView> {
  return {
    id: row.id,
    url: await linkUrl(config, base, row.publicId),
    amount: linkAmount(row),
    amount_cents: row.amountCents,
    currency: row.currency,
    description: row.description,
    customer_email: row.customerEmail,
    merchant_reference: row.merchantReference,
    single_use: row.singleUse,
    status: linkState(row, now),
    expires_at: row.expiresAt.toISOString(),
    paid_count: row.paidCount,
    paid_at: row.paidAt?.toISOString() ?? null,
    paid_transaction: row.paidTransactionId,
    created_at: row.createdAt.toISOString(),
    deactivated_at: row.deactivatedAt?.toISOString() ?? null,
  };
}
