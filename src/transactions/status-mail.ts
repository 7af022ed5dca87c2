import type { z } from 'zod';
import type { ServiceContext } from '../context';
import { users } from '../db/schema';
import { describeError } from '../lib/logger';
import { formatMinor, isCurrency } from '../lib/money';
import type { TransactionStatusMessage } from '../notifications/messages';
import { methodText } from './methods-view';

/** The customer's transaction-status e-mails (docs/api.md §6), queued by whatever changed the payment. */

export type TransactionStatusNotification = z.infer<typeof TransactionStatusMessage>;

/** The transaction owner's columns a status e-mail needs (selected through customers → users, left-joined). */
export const ownerColumns = { userId: users.id, username: users.username, email: users.email };

/** What a status e-mail needs to know about its transaction and owner. */
export interface StatusMessageTarget {
  id: number;
  merchantOrderId: string;
  currency: string;
  userId: number | null;
  email: string | null;
  username: string | null;
  // How it was paid (docs/paymob.md §8), when known.
  methodType?: string | null;
  methodSubType?: string | null;
  methodPan?: string | null;
}

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
    payment_method: methodText(target),
  };
}

/** Queues a status e-mail; a failure is logged, never thrown (the state change it reports stands). */
export async function notify(
  ctx: Pick<ServiceContext, 'notify' | 'logger'>,
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
