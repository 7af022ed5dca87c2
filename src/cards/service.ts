import { and, desc, eq, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { callerId, customerProfileNotFound } from '../customers/profile';
import type { Database } from '../db/client';
import { cardSaveRequests, customers, savedCards } from '../db/schema';
import { AppError } from '../lib/errors';
import { savedCardColumns } from './columns';
import { openCardToken, requireCardKey } from './seal';

/** docs/api.md "Saved cards": another customer's card is answered exactly like a missing one. */
export function cardNotFound(): AppError {
  return new AppError(404, 'card_not_found', 'No saved card with this id.');
}

export interface SavedCard {
  id: number;
  brand: string;
  last4: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The caller's saved cards, newest first: one query (the customer joined to their cards, so a user without a
 * customer profile gets 404 customer_profile_not_found rather than an empty list).
 */
export async function listCards(ctx: ServiceContext): Promise<SavedCard[]> {
  const rows = await ctx.db
    .select({ customerId: customers.id, card: savedCardColumns })
    .from(customers)
    .leftJoin(savedCards, eq(savedCards.customerId, customers.id))
    .where(eq(customers.userId, callerId(ctx)))
    .orderBy(desc(savedCards.updatedAt), desc(savedCards.id));
  if (rows.length === 0) throw customerProfileNotFound();
  return rows.flatMap((row) => (row.card ? [row.card as SavedCard] : []));
}

/**
 * Deletes one of the caller's cards and with it the (sealed) token: one statement, scoped to the caller's
 * customer row, so someone else's card id deletes nothing and is answered 404 like a missing one.
 */
export async function deleteCard(ctx: ServiceContext, cardId: number): Promise<void> {
  const result = await ctx.db
    .delete(savedCards)
    .where(
      and(
        eq(savedCards.id, cardId),
        sql`${savedCards.customerId} = (select ${customers.id} from ${customers} where ${customers.userId} = ${callerId(ctx)})`,
      ),
    );
  if (result.rowsAffected === 0) throw cardNotFound();
}

/** Marks a payment whose customer asked to save the card: its TOKEN callback may then store it. */
export async function recordSaveRequest(db: Database, transactionId: number, now: Date): Promise<void> {
  await db.insert(cardSaveRequests).values({ transactionId, createdAt: now });
}

/**
 * The PayMob token of the payer's saved card, for a payment with `card_id` (docs/api.md "Saved cards"). One
 * query scoped to the customer: another customer's card is a 404 indistinguishable from a missing one.
 */
export async function savedCardToken(
  ctx: Pick<ServiceContext, 'db' | 'config' | 'logger'>,
  customerId: number,
  cardId: number,
): Promise<string> {
  requireCardKey(ctx.config);
  const [row] = await ctx.db
    .select({ sealed: savedCards.tokenCiphertext })
    .from(savedCards)
    .where(and(eq(savedCards.id, cardId), eq(savedCards.customerId, customerId)))
    .limit(1);
  if (!row) throw cardNotFound();
  try {
    return await openCardToken(ctx.config, customerId, row.sealed);
  } catch {
    // Sealed under another key (rotated without re-sealing) or altered: unusable, so answered as gone.
    ctx.logger.error('saved card token does not decrypt', { card_id: cardId });
    throw cardNotFound();
  }
}
