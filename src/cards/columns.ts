import { savedCards } from '../db/schema';

/** What may leave the database of a saved card (API and admin): never the token's ciphertext or the fingerprint. */
export const savedCardColumns = {
  id: savedCards.id,
  brand: savedCards.brand,
  last4: savedCards.last4,
  createdAt: savedCards.createdAt,
  updatedAt: savedCards.updatedAt,
};
