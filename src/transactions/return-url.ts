import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { transactions } from '../db/schema';
import type { Config } from '../env';
import { hmacSha256Hex } from '../lib/crypto';
import { fieldError } from '../lib/errors';
import type { PaymentResult } from './result-page';

/**
 * A payment's `return_url` (docs/api.md §4.9): checked when the payment is created, and used by the
 * result page to send the shopper back to the shop with `transaction`, `status` and a `signature`.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The URL to store (normalised by the URL parser), or a 400 on `return_url` saying what is wrong. */
export function checkReturnUrl(config: Config, raw: string): string {
  const refuse = (message: string) => fieldError('return_url', message);
  const allowed = config.RETURN_URL_ALLOWED_ORIGINS;
  if (allowed.length === 0) {
    throw refuse('This server accepts no return_url (RETURN_URL_ALLOWED_ORIGINS is empty).');
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('Enter a valid absolute URL.');
  }
  const loopbackHttp =
    url.protocol === 'http:' && config.APP_ENV !== 'production' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) {
    throw refuse(
      config.APP_ENV === 'production'
        ? 'Must be an https:// URL.'
        : 'Must be an https:// URL (http:// only for a loopback host outside production).',
    );
  }
  if (url.username || url.password) throw refuse('May not contain a user name or password.');
  if (!allowed.includes(url.origin)) {
    throw refuse(`The origin ${url.origin.slice(0, 100)} is not one of RETURN_URL_ALLOWED_ORIGINS.`);
  }
  if (url.href.length > 2048) throw refuse('Ensure this field has no more than 2048 characters.');
  return url.href;
}

/** What the signature covers: exactly the two parameters the shop acts on. */
export const returnSignatureMessage = (transactionId: number, status: string) =>
  `transaction=${transactionId}&status=${status}`;

/**
 * `return_url` with `transaction`, `status` and `signature` (hex HMAC-SHA256 of
 * `transaction=<id>&status=<status>` keyed with RETURN_URL_SIGNING_SECRET) set, the shop's own parameters
 * kept. Undefined when the origin is no longer allowed or no key is configured: the result page then stays.
 */
export async function signedReturnUrl(
  config: Config,
  returnUrl: string,
  transactionId: number,
  status: string,
): Promise<string | undefined> {
  const secret = config.RETURN_URL_SIGNING_SECRET;
  let url: URL;
  try {
    url = new URL(returnUrl);
  } catch {
    return undefined;
  }
  if (!secret || !config.RETURN_URL_ALLOWED_ORIGINS.includes(url.origin)) return undefined;
  url.searchParams.set('transaction', String(transactionId));
  url.searchParams.set('status', status);
  url.searchParams.set(
    'signature',
    await hmacSha256Hex(secret, returnSignatureMessage(transactionId, status)),
  );
  return url.href;
}

/**
 * The result with where the shopper goes next: the transaction's signed return_url, if it has one. One
 * query (the result page only, never the processed callback).
 */
export async function withReturnUrl(ctx: ServiceContext, result: PaymentResult): Promise<PaymentResult> {
  if (result.transactionId === undefined) return result;
  const [row] = await ctx.db
    .select({ returnUrl: transactions.returnUrl })
    .from(transactions)
    .where(eq(transactions.id, result.transactionId))
    .limit(1);
  if (!row?.returnUrl) return result;
  const returnTo = await signedReturnUrl(ctx.config, row.returnUrl, result.transactionId, result.status);
  if (!returnTo) {
    ctx.logger.warn('return_url not used: origin no longer allowed or no signing secret', {
      transaction_id: result.transactionId,
    });
    return result;
  }
  return { ...result, returnTo };
}
