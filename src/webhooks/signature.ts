import { fromBase64, toBase64, utf8 } from '../lib/crypto';
import { SECRET_PREFIX } from './secrets';

/**
 * The `webhook-signature` of an outgoing delivery (docs/webhooks.md; Standard Webhooks,
 * https://www.standardwebhooks.com/, spec/standard-webhooks.md "Signature scheme"): `v1,` + base64 of
 * HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the base64-decoded part of the
 * `whsec_` secret — the bytes the `standardwebhooks` package's `Webhook#sign` gives (a unit test compares
 * them), computed with WebCrypto instead of its JavaScript SHA-256, with the key imported once per secret.
 */

// Endpoints are few; past this many secrets (rotations in a long-lived isolate) the cache starts again.
const MAX_KEYS = 64;
const keys = new Map<string, Promise<CryptoKey>>();

function signingKey(secret: string): Promise<CryptoKey> {
  const cached = keys.get(secret);
  if (cached) return cached;
  const raw = fromBase64(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
  if (!raw || raw.length === 0) throw new Error('the webhook signing secret is not base64');
  const key = crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  if (keys.size >= MAX_KEYS) keys.clear();
  keys.set(secret, key);
  // A failed import is not kept: the next attempt tries again.
  key.catch(() => keys.delete(secret));
  return key;
}

export async function webhookSignature(secret: string, id: string, at: Date, body: string): Promise<string> {
  const signed = `${id}.${Math.floor(at.getTime() / 1000)}.${body}`;
  const mac = await crypto.subtle.sign('HMAC', await signingKey(secret), utf8(signed));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}
