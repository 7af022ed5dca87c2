import type { Config } from '../env';
import { ConfigError } from '../env';
import { hmacSha256Hex, openText, sealText } from '../lib/crypto';

/**
 * A saved card's PayMob token at rest (docs/security.md §7): AES-256-GCM under CARD_TOKEN_KEY with a fresh
 * 96-bit IV per encryption and the customer id as additional data, so a ciphertext copied onto another
 * customer's row does not decrypt (`sealText`, src/lib/crypto.ts: `v1:` + base64(IV ‖ ciphertext ‖ tag), as
 * the TOTP secrets).
 */
type KeyConfig = Pick<Config, 'CARD_TOKEN_KEY'>;

function keyText(config: KeyConfig): string {
  if (!config.CARD_TOKEN_KEY) throw new ConfigError(['CARD_TOKEN_KEY is required for saved cards']);
  return config.CARD_TOKEN_KEY;
}

const boundTo = (customerId: number) => `stackpay-card:${customerId}`;

/** Throws a ConfigError (answered 503) when saved cards cannot work: checked before anything is written. */
export function requireCardKey(config: KeyConfig): void {
  keyText(config);
}

export async function sealCardToken(config: KeyConfig, customerId: number, token: string): Promise<string> {
  return sealText(keyText(config), boundTo(customerId), token);
}

/** The token; throws when the value was not sealed under this key for this customer. */
export async function openCardToken(config: KeyConfig, customerId: number, stored: string): Promise<string> {
  return openText(keyText(config), boundTo(customerId), stored);
}

/**
 * Which card this is for this customer, without storing the masked PAN (it may carry the BIN): an HMAC of the
 * customer, PayMob's card_subtype and masked_pan — the key PayMob's own WooCommerce plugin dedupes saved cards
 * on (`saveCardToken`: user_id, card_subtype, masked_pan).
 */
export async function cardFingerprint(
  config: KeyConfig,
  customerId: number,
  brand: string,
  maskedPan: string,
): Promise<string> {
  return hmacSha256Hex(keyText(config), `card-fingerprint:${customerId}:${brand}:${maskedPan}`);
}
