import type { ServiceContext } from '../context';
import { AppError, fieldError } from '../lib/errors';
import { requireCardKey } from './seal';
import { savedCardToken } from './service';

export { recordSaveRequest } from './service';

/**
 * What a new payment does with saved cards (docs/api.md "Saved cards"), checked before anything is written:
 * `card_id` and `save_card` together → 400; either in the legacy iframe mode → 400 saved_cards_unavailable
 * (PayMob's saved-card payments go through the Intention API's `card_tokens` and unified checkout); no
 * CARD_TOKEN_KEY → 503. Returns the intention's `card_tokens`: the chosen card's token, or none.
 */
export async function savedCardChoice(
  ctx: Pick<ServiceContext, 'db' | 'config' | 'logger'>,
  input: { save_card?: boolean; card_id?: number },
  customerId: number,
): Promise<string[] | undefined> {
  if (input.save_card && input.card_id !== undefined) {
    throw fieldError('card_id', 'Send either card_id (pay with a saved card) or save_card, not both.');
  }
  if (!input.save_card && input.card_id === undefined) return undefined;
  if (ctx.config.PAYMOB_API_MODE !== 'intention') {
    throw new AppError(
      400,
      'saved_cards_unavailable',
      'Saved cards need the unified checkout (PAYMOB_API_MODE=intention); this server uses the legacy iframe.',
    );
  }
  requireCardKey(ctx.config);
  if (input.card_id === undefined) return undefined;
  return [await savedCardToken(ctx, customerId, input.card_id)];
}
