import { hmacKey, toBase64, utf8 } from '../lib/crypto';
import { SECRET_PREFIX } from './secrets';

/**
 * The `webhook-signature` of an outgoing delivery (docs/webhooks.md; Standard Webhooks,
 * https://www.standardwebhooks.com/, spec/standard-webhooks.md "Signature scheme"): `v1,` + base64 of
 * HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the base64-decoded part of the
 * `whsec_` secret — the bytes the `standardwebhooks` package's `Webhook#sign` gives (a unit test compares
 * them), computed with WebCrypto instead of its JavaScript SHA-256, with the key imported once per secret
 * (hmacKey, src/lib/crypto.ts).
 */

function signingKey(secret: string): Promise<CryptoKey> {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return hmacKey(encoded, { encoding: 'base64' });
}

export async function webhookSignature(secret: string, id: string, at: Date, body: string): Promise<string> {
  const signed = `${id}.${Math.floor(at.getTime() / 1000)}.${body}`;
  const mac = await crypto.subtle.sign('HMAC', await signingKey(secret), utf8(signed));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}
