import { and, eq } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { writeAudit } from '../db/audit';
import { savedCards } from '../db/schema';
import { unauthorized } from '../lib/errors';
import { savedCardColumns } from './columns';
import { cardNotFound, type SavedCard } from './service';

/**
 * Staff remove one of a customer's cards and with it the sealed token (docs/api.md §8): the delete is scoped to
 * that customer (another customer's card id deletes nothing → 404) and audited as `saved_card.delete` in the
 * same transaction, with the brand and last four digits only.
 */
export async function removeCustomerCard(
  ctx: ServiceContext,
  input: { customerId: number; cardId: number },
): Promise<SavedCard> {
  if (!ctx.actor) throw unauthorized('Authentication credentials were not provided.');
  const actorUserId = ctx.actor.id;
  const scope = and(eq(savedCards.id, input.cardId), eq(savedCards.customerId, input.customerId));
  return ctx.db.transaction(async (tx) => {
    const [card] = await tx.select(savedCardColumns).from(savedCards).where(scope).limit(1);
    if (!card) throw cardNotFound();
    const result = await tx.delete(savedCards).where(scope);
    // Removed by someone else in between: nothing was deleted, so nothing is audited.
    if (result.rowsAffected !== 1) throw cardNotFound();
    await writeAudit(tx, {
      actorUserId,
      action: 'saved_card.delete',
      targetType: 'saved_card',
      targetId: card.id,
      details: { customer_id: input.customerId, brand: card.brand, last4: card.last4 },
      requestId: ctx.requestId,
      createdAt: ctx.now,
    });
    return card;
  });
}
