import { count, desc, eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { paymentLinkPayments, paymentLinks, transactions } from '../../db/schema';
import type { PaymentLinkRow } from '../../payment-links/view';

/** The admin's reads of payment links (docs/api.md §11): a page of links, one link, and its payments. */

export async function paymentLinkPage(
  db: Database,
  window: { page: number; pageSize: number },
): Promise<{ rows: PaymentLinkRow[]; total: number }> {
  const [[total], rows] = await Promise.all([
    db.select({ n: count() }).from(paymentLinks),
    db
      .select()
      .from(paymentLinks)
      .orderBy(desc(paymentLinks.createdAt), desc(paymentLinks.id))
      .limit(window.pageSize)
      .offset((window.page - 1) * window.pageSize),
  ]);
  return { rows, total: total?.n ?? 0 };
}

export async function paymentLinkById(db: Database, id: number): Promise<PaymentLinkRow | undefined> {
  const [row] = await db.select().from(paymentLinks).where(eq(paymentLinks.id, id)).limit(1);
  return row;
}

/** Every checkout started through the link, newest first, with whether its success counted for the link. */
export function paymentsOfLink(db: Database, id: number) {
  return db
    .select({
      id: transactions.id,
      merchantOrderId: transactions.merchantOrderId,
      status: transactions.status,
      amountCents: transactions.amountCents,
      currency: transactions.currency,
      createdAt: transactions.createdAt,
      needsAttentionAt: transactions.needsAttentionAt,
      counted: paymentLinkPayments.counted,
    })
    .from(transactions)
    .leftJoin(paymentLinkPayments, eq(paymentLinkPayments.transactionId, transactions.id))
    .where(eq(transactions.paymentLinkId, id))
    .orderBy(desc(transactions.createdAt), desc(transactions.id))
    .limit(200);
}
export type LinkPayment = Awaited<ReturnType<typeof paymentsOfLink>>[number];
