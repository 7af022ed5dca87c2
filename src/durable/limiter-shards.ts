import type { RateLimiter } from './rate-limiter';

/*
 * Which RateLimiter object owns a counter (docs/security.md §1, "The exact limiter"). Apart from the class, so
 * that code running outside workerd (unit tests, tools) can import it: no `cloudflare:workers` import here.
 */

/**
 * Objects per scope; each key belongs to exactly one of them, so counts stay exact. 16 because a pool is created
 * once and then stays warm (creating an object costs 2.5–5 ms of workerd CPU, docs/benchmarks.md §10), so fewer
 * is cheaper, yet one object runs one request at a time (on the order of a thousand simple requests a second),
 * so 16 per scope leave room for thousands of checks a second per scope. Changing it (or shardOf) moves keys to
 * other objects, where their current window starts again from zero (docs/security.md §1).
 */
export const SHARDS_PER_SCOPE = 16;

/**
 * The shard of a key: FNV-1a (32 bits) over the key's UTF-16 code units, mixed by MurmurHash3's 32-bit
 * finaliser (FNV-1a alone spreads sequential keys such as `user:1`, `user:2`… unevenly), scaled to [0, shards).
 * Stable across isolates and deploys: it alone decides which object owns a key.
 */
export function shardOf(key: string, shards: number = SHARDS_PER_SCOPE): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return Math.floor(((hash >>> 0) * shards) / 0x1_0000_0000);
}

/** The object name that owns `key` in `scope`, e.g. `login#7`. */
export function limiterName(scope: string, key: string): string {
  return `${scope}#${shardOf(key)}`;
}

/**
 * The one way to reach a key's counter: the stub of the object that owns (scope, key) and the key to pass to
 * its `consume`/`refund`. Used by the middleware (src/middleware/rate-limit.ts), the TOTP check and the admin's
 * one-shot confirmations (src/admin/common/confirm.ts).
 */
export function limiterFor(
  namespace: DurableObjectNamespace<RateLimiter>,
  scope: string,
  key: string,
): { stub: DurableObjectStub<RateLimiter>; key: string } {
  return { stub: namespace.get(namespace.idFromName(limiterName(scope, key))), key };
}
