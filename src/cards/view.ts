import type { SavedCardView } from './schemas';
import type { SavedCard } from './service';

/** docs/api.md "Saved cards": the row's shown columns only (the service never selects the token). */
export function toSavedCardView(card: SavedCard): SavedCardView {
  return {
    id: card.id,
    brand: card.brand,
    last4: card.last4,
    created_at: card.createdAt.toISOString(),
    updated_at: card.updatedAt.toISOString(),
  };
}
