import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { ServiceContext } from '../context';
import { isDuplicateKey } from '../db/client';
import { cardSaveRequests, customers, paymentEvents, savedCards, transactions, users } from '../db/schema';
import { cardFingerprint, requireCardKey, sealCardToken } from './seal';

/**
 * PayMob's saved-card (TOKEN) callback object, as its docs show it (developers.paymob.com … pay-with-saved-cards
 * /create-card-token): `id`, `token`, `masked_pan` ("xxxx-xxxx-xxxx-2346"), `merchant_id`, `card_subtype`
 * ("MasterCard"), `created_at`, `email`, `order_id` (a string), `user_added`, `next_payment_intention`. No
 * expiry is sent, so none is stored. Read leniently: a field we need that is missing makes the callback
 * ignored, never a 4xx (PayMob would retry it for ever).
 */
const TokenFields = z.looseObject({
  id: z.number().int().positive(),
  token: z.string().min(1).max(255).optional().catch(undefined),
  masked_pan: z.string().max(32).optional().catch(undefined),
  card_subtype: z.string().max(64).optional().catch(undefined),
  email: z.string().max(254).nullish().catch(undefined),
  order_id: z.union([z.number().int(), z.string()]).nullish().catch(undefined),
});

const orderIdOf = (value: unknown): number | null =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0
    ? value
    : typeof value === 'string' && /^\d{1,15}$/.test(value)
      ? Number(value)
      : null;

/** The stored copy of the callback never holds the token in clear (docs/security.md §7). */
function redacted(rawBody: Record<string, unknown>, obj: Record<string, unknown>): Record<string, unknown> {
  return { ...rawBody, obj: { ...obj, token: obj.token === undefined ? undefined : '[redacted]' } };
}

type Decision =
  | { save: false; reason: string; transactionId: number | null }
  | {
      save: true;
      transactionId: number;
      customerId: number;
      token: string;
      brand: string;
      last4: string;
      maskedPan: string;
    };

/**
 * A verified TOKEN callback (docs/api.md "Saved cards"): the card is stored for the customer whose payment
 * PayMob names (`order_id` → our transaction → its customer), only when that payment asked to save the card
 * (`save_card: true`) and the callback's e-mail, when present, is that customer's. Anything else is stored
 * as an ignored event with its reason and no card. The event row (unique per PayMob token id) and the card
 * are written in one transaction: a redelivery changes nothing, a card deleted since is not brought back,
 * and the same card saved again (same customer, brand and masked PAN) updates its row.
 */
export async function storeTokenCallback(
  ctx: ServiceContext,
  obj: Record<string, unknown>,
  rawBody: Record<string, unknown>,
): Promise<void> {
  const { db, now, logger } = ctx;
  const fields = TokenFields.safeParse(obj);
  // The webhook checked `id` already (PaymobToken); this only narrows the other fields.
  if (!fields.success) return;
  const token = fields.data;
  const orderId = orderIdOf(token.order_id);

  const [owner] =
    orderId === null
      ? []
      : await db
          .select({
            transactionId: transactions.id,
            // From the joined row, never null: a payment-link payment has no customer and finds no owner here.
            customerId: customers.id,
            email: users.email,
            asked: cardSaveRequests.transactionId,
            already: paymentEvents.id,
          })
          .from(transactions)
          .innerJoin(customers, eq(customers.id, transactions.customerId))
          .innerJoin(users, eq(users.id, customers.userId))
          .leftJoin(cardSaveRequests, eq(cardSaveRequests.transactionId, transactions.id))
          .leftJoin(
            paymentEvents,
            and(eq(paymentEvents.paymobTransactionId, token.id), eq(paymentEvents.kind, 'token')),
          )
          .where(eq(transactions.paymobOrderId, orderId))
          .limit(1);
  if (owner?.already) return;

  const last4 = /(\d{4})\s*$/.exec(token.masked_pan ?? '')?.[1];
  let decision: Decision;
  if (!owner) decision = { save: false, reason: 'no payment of ours has this order', transactionId: null };
  else if (owner.asked === null) {
    decision = {
      save: false,
      reason: 'the payment did not ask to save the card',
      transactionId: owner.transactionId,
    };
  } else if (token.email && token.email.trim().toLowerCase() !== owner.email.toLowerCase()) {
    decision = {
      save: false,
      reason: 'the e-mail is not that of the payment’s customer',
      transactionId: owner.transactionId,
    };
  } else if (!token.token || !token.masked_pan || !last4) {
    decision = { save: false, reason: 'no token or masked PAN', transactionId: owner.transactionId };
  } else {
    decision = {
      save: true,
      transactionId: owner.transactionId,
      customerId: owner.customerId,
      token: token.token,
      brand: (token.card_subtype ?? '').trim().slice(0, 32) || 'Card',
      last4,
      maskedPan: token.masked_pan,
    };
  }
  // Checked before anything is written: without the key the callback is answered 503 and PayMob retries.
  if (decision.save) requireCardKey(ctx.config);

  const event = {
    transactionId: decision.transactionId,
    paymobTransactionId: token.id,
    kind: 'token',
    source: 'processed_callback',
    type: 'TOKEN',
    paymobOrderId: orderId,
    outcome: decision.save ? 'applied' : 'ignored',
    message: decision.save ? 'card saved' : `saved-card token ignored: ${decision.reason}`,
    rawBody: redacted(rawBody, obj),
    receivedAt: now,
  };
  try {
    await db.transaction(async (tx) => {
      await tx.insert(paymentEvents).values(event);
      if (!decision.save) return;
      const sealed = await sealCardToken(ctx.config, decision.customerId, decision.token);
      const fingerprint = await cardFingerprint(
        ctx.config,
        decision.customerId,
        decision.brand,
        decision.maskedPan,
      );
      await tx
        .insert(savedCards)
        .values({
          customerId: decision.customerId,
          tokenCiphertext: sealed,
          fingerprint,
          brand: decision.brand,
          last4: decision.last4,
          transactionId: decision.transactionId,
          createdAt: now,
          updatedAt: now,
        })
        .onDuplicateKeyUpdate({
          set: {
            tokenCiphertext: sealed,
            transactionId: decision.transactionId,
            updatedAt: now,
          },
        });
    });
  } catch (err) {
    // A concurrent delivery of the same callback stored it first.
    if (isDuplicateKey(err, 'payment_events_paymob_kind_unique')) return;
    throw err;
  }
  if (decision.save) logger.info('saved card stored', { transaction_id: decision.transactionId });
  else logger.warn('saved-card token ignored', { reason: decision.reason, paymob_order_id: orderId });
}
