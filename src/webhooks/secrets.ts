import { fromBase64, randomBytes, toBase64, utf8 } from '../lib/crypto';

/**
 * Endpoint signing secrets (docs/webhooks.md, "Secrets at rest"). A secret is `whsec_` + base64 of 32 random
 * bytes (Standard Webhooks: 24–64 bytes). Signing needs the secret itself, so it cannot be hashed like a
 * password: it is sealed with AES-256-GCM under a key derived (HKDF-SHA256) from JWT_SECRET, with the
 * endpoint id as associated data so a sealed secret copied onto another endpoint does not open.
 */
export const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;
const SEAL_VERSION = 'v1';

export function generateSecret(): string {
  return SECRET_PREFIX + toBase64(randomBytes(SECRET_BYTES));
}

const keys = new Map<string, Promise<CryptoKey>>();

function sealingKey(masterSecret: string): Promise<CryptoKey> {
  let key = keys.get(masterSecret);
  if (!key) {
    key = crypto.subtle.importKey('raw', utf8(masterSecret), 'HKDF', false, ['deriveKey']).then((material) =>
      crypto.subtle.deriveKey(
        {
          name: 'HKDF',
          hash: 'SHA-256',
          salt: new Uint8Array(0),
          info: utf8('stackpay webhook secrets v1'),
        },
        material,
        { name: 'AES-GCM', length: 256 },
        false,
        ['encrypt', 'decrypt'],
      ),
    );
    keys.set(masterSecret, key);
  }
  return key;
}

/** `v1.<iv>.<ciphertext>` (base64) of `secret`, bound to `endpointId`. */
export async function sealSecret(masterSecret: string, endpointId: string, secret: string): Promise<string> {
  const iv = randomBytes(12);
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: utf8(endpointId) },
    await sealingKey(masterSecret),
    utf8(secret),
  );
  return `${SEAL_VERSION}.${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
}

/** The secret, or undefined when the sealed value does not open (another key, another endpoint, damage). */
export async function openSecret(
  masterSecret: string,
  endpointId: string,
  sealed: string,
): Promise<string | undefined> {
  const [version, ivText, dataText] = sealed.split('.');
  const iv = ivText ? fromBase64(ivText) : undefined;
  const data = dataText ? fromBase64(dataText) : undefined;
  if (version !== SEAL_VERSION || !iv || !data) return undefined;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: new Uint8Array(iv), additionalData: utf8(endpointId) },
      await sealingKey(masterSecret),
      new Uint8Array(data),
    );
    return new TextDecoder().decode(plain);
  } catch {
    return undefined;
  }
}
