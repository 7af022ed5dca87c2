/**
 * Saved cards (src/cards; docs/security.md §7): a customer's PayMob card tokens, sealed with
 * AES-256-GCM under CARD_TOKEN_KEY and bound to the customer id, with what may be shown (brand, last four
 * digits). `fingerprint` is an HMAC of the customer, brand and PayMob's masked PAN, so the same card saved
 * again updates its row instead of adding one. `card_save_requests` marks the payments whose customer asked
 * to save the card (`save_card: true`): a TOKEN callback is stored as a card only for those.
 */
import { char, mysqlTable, uniqueIndex, varchar } from 'drizzle-orm/mysql-core';
import { createdAt, id, ref, updatedAt } from './common';

export const savedCards = mysqlTable(
  'saved_cards',
  {
    id: id(),
    customerId: ref('customer_id').notNull(),
    // `v1:` + base64(12-byte IV ‖ AES-GCM ciphertext and tag) of PayMob's token.
    tokenCiphertext: varchar('token_ciphertext', { length: 512 }).notNull(),
    fingerprint: char('fingerprint', { length: 64 }).notNull(),
    // PayMob's card_subtype (MasterCard, Visa, …) and the last four digits of its masked PAN.
    brand: varchar('brand', { length: 32 }).notNull(),
    last4: char('last4', { length: 4 }).notNull(),
    // The payment whose TOKEN callback saved (or last refreshed) the card.
    transactionId: ref('transaction_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // Also the index of the per-customer list (its first column).
  (t) => [uniqueIndex('saved_cards_customer_fingerprint_unique').on(t.customerId, t.fingerprint)],
);

export const cardSaveRequests = mysqlTable('card_save_requests', {
  transactionId: ref('transaction_id').primaryKey(),
  createdAt: createdAt(),
});
