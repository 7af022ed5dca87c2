// PayMob's saved cards, as the sandbox imitates them (docs/api.md "Saved cards").
//
// - Saving: the shopper ticks "Save this card" in unified checkout; once the payment succeeds PayMob sends a
//   signed TOKEN callback to the intention's notification_url (developers.paymob.com, "Pay with saved cards →
//   Create Card Token": `{"type": "TOKEN", "obj": {"id", "token", "masked_pan": "xxxx-xxxx-xxxx-2346",
//   "merchant_id", "card_subtype": "MasterCard", "created_at", "email", "order_id": "264064419" (a string),
//   "user_added": false, "next_payment_intention"}}`, signed over card_subtype, created_at, email, id,
//   masked_pan, merchant_id, order_id, token). PayMob documents no order between the TRANSACTION and the
//   TOKEN callbacks, so the sandbox sends the TOKEN first (the harsher order: the payment is not yet known to
//   have succeeded). A card saved again gets a new token (PayMob's WooCommerce plugin, `saveCardToken`,
//   dedupes on user, card_subtype and masked_pan and overwrites the token, so the token may change).
// - Paying: an intention lists up to three tokens in `card_tokens` ("Pay with saved cards → CIT": "card_tokens
//   array accepts up to 3 card tokens"); unified checkout then shows those cards and the shopper pays with one
//   without the card form. A 3-D Secure card is authenticated again (PayMob's CIT flow uses "Normal 3DS",
//   "Auth" or "Card On File" integrations, so whether 3-DS is asked depends on the integration and issuer); the
//   `saved-card-3ds` fault makes any saved card go through the 3-D Secure challenge.

import {
  cardSubType,
  createIdSequence,
  freshTimestamp,
  MERCHANT,
  normalizeCardNumber,
  randomHex,
} from './paymob-model.mjs';
import { signToken } from './paymob-signing.mjs';

export const MAX_CARD_TOKENS = 3;

/**
 * @typedef {object} SavedCard
 * @property {number} id PayMob's id of the token object
 * @property {string} token
 * @property {string} cardNumber
 * @property {string} maskedPan
 * @property {string} subtype
 */

export function createCardVault() {
  const nextTokenId = createIdSequence(8_000_000);
  /** @type {Map<string, SavedCard>} */
  const cards = new Map();

  return {
    /**
     * A new token for a card (a card saved again gets a new token too).
     * @param {string} cardNumber
     */
    save(cardNumber) {
      const number = normalizeCardNumber(cardNumber);
      /** @type {SavedCard} */
      const card = {
        id: nextTokenId(),
        token: randomHex(28),
        cardNumber: number,
        maskedPan: `xxxx-xxxx-xxxx-${number.slice(-4)}`,
        subtype: cardSubType(number),
      };
      cards.set(card.token, card);
      return card;
    },
    /** @param {string} token */
    get(token) {
      return cards.get(token);
    },
    /**
     * The intention's `card_tokens`: undefined when absent, else the list or field errors (PayMob's 400 shape).
     * @param {unknown} value
     * @returns {{ tokens: string[] } | { errors: string[] }}
     */
    validate(value) {
      if (value === undefined || value === null) return { tokens: [] };
      if (!Array.isArray(value) || value.some((t) => typeof t !== 'string')) {
        return { errors: ['Expected a list of card tokens.'] };
      }
      if (value.length > MAX_CARD_TOKENS) {
        return { errors: [`Ensure this field has no more than ${MAX_CARD_TOKENS} elements.`] };
      }
      if (value.some((t) => !cards.has(t))) return { errors: ['Invalid card token.'] };
      return { tokens: [...new Set(/** @type {string[]} */ (value))] };
    },
  };
}

/**
 * The TOKEN callback's envelope and its signature.
 * @param {SavedCard} card
 * @param {{ orderId: number; email: string; intentionId: string | null; hmacSecret: string }} context
 */
export function tokenCallback(card, { orderId, email, intentionId, hmacSecret }) {
  const obj = {
    id: card.id,
    token: card.token,
    masked_pan: card.maskedPan,
    merchant_id: MERCHANT.id,
    card_subtype: card.subtype,
    created_at: freshTimestamp().text,
    email,
    order_id: String(orderId),
    user_added: false,
    next_payment_intention: intentionId ?? `pi_test_${randomHex(16)}`,
  };
  return { body: { type: 'TOKEN', obj }, hmac: signToken(obj, hmacSecret) };
}

/**
 * The saved cards unified checkout shows for an intention (never the token's digits beyond the last four).
 * @param {ReturnType<typeof createCardVault>} vault
 * @param {string[]} tokens
 */
export function offeredCards(vault, tokens) {
  return tokens.flatMap((token) => {
    const card = vault.get(token);
    return card ? [{ token, label: `${card.subtype} ${card.maskedPan.slice(-9)}` }] : [];
  });
}
