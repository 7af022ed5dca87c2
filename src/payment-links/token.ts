import type { Config } from '../env';
import { hmacSha256Hex, randomBytes, timingSafeEqual, toBase64Url } from '../lib/crypto';

/**
 * A payment link's public token (docs/api.md §11): `<public_id>.<mac>`. `public_id` is 128 random bits
 * (base64url, stored, unique); `mac` is the first 32 hex digits of HMAC-SHA256(JWT_SECRET,
 * "payment-link:" + public_id), never stored. The URL can be shown again at any time (list, detail, e-mail)
 * without keeping a usable secret in the database: a leaked table alone opens no link, and a guessed
 * `public_id` needs the MAC too. Checked in constant time.
 */

const PUBLIC_ID = /^[A-Za-z0-9_-]{22}$/;
const MAC = /^[0-9a-f]{32}$/;

export const newPublicId = (): string => toBase64Url(randomBytes(16));

async function mac(config: Config, publicId: string): Promise<string> {
  return (await hmacSha256Hex(config.JWT_SECRET, `payment-link:${publicId}`)).slice(0, 32);
}

export async function linkToken(config: Config, publicId: string): Promise<string> {
  return `${publicId}.${await mac(config, publicId)}`;
}

/** The link's `public_id` when the token is well formed and its MAC is right; otherwise undefined. */
export async function publicIdOf(config: Config, token: string): Promise<string | undefined> {
  const [publicId, given, ...rest] = token.split('.');
  if (rest.length > 0 || publicId === undefined || given === undefined) return undefined;
  if (!PUBLIC_ID.test(publicId) || !MAC.test(given)) return undefined;
  return timingSafeEqual(given, await mac(config, publicId)) ? publicId : undefined;
}

/** Where the link opens: `<base>/pay/link/<token>`. */
export const LINK_PATH = '/pay/link/';
export async function linkUrl(config: Config, base: string, publicId: string): Promise<string> {
  return `${base}${LINK_PATH}${await linkToken(config, publicId)}`;
}
