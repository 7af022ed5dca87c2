/**
 * Which RateLimiter object owns a key (src/durable/limiter-shards.ts, docs/security.md §1): the shard function
 * is stable (the same object for a key in every isolate and deploy) and spreads keys evenly over the pool.
 */
import { describe, expect, it } from 'vitest';
import { limiterFor, limiterName, SHARDS_PER_SCOPE, shardOf } from '../../src/durable/limiter-shards';

/** The mean and extremes of the pool's load for `keys`. */
function spread(keys: string[], shards = SHARDS_PER_SCOPE) {
  const counts = new Array<number>(shards).fill(0);
  for (const key of keys) counts[shardOf(key, shards)] = (counts[shardOf(key, shards)] ?? 0) + 1;
  return { mean: keys.length / shards, min: Math.min(...counts), max: Math.max(...counts) };
}

// The key shapes the limiter sees (src/middleware/rate-limit.ts, src/admin/common/confirm.ts).
const KEY_SHAPES: Record<string, (i: number) => string> = {
  'sequential user ids': (i) => `user:${i + 1}`,
  'IPv4 addresses in one /16': (i) => `ip:203.0.${i >> 8}.${i & 255}`,
  'IPv6 addresses': (i) => `ip:2001:db8:${(i * 7919).toString(16)}::${(i % 97).toString(16)}`,
  'account ids': (i) => `account:${100_000 + i}`,
  'e-mail addresses': (i) => `address:user${i}@example.com`,
  'confirmation nonces': (i) => `${i % 40}:refund:${i}:${(i * 2654435761).toString(16).padStart(32, '0')}`,
};

describe('limiter shards', () => {
  it('is stable: pinned shards for known keys', () => {
    // FNV-1a over UTF-16 code units with MurmurHash3's finaliser. Changing the function (or SHARDS_PER_SCOPE)
    // moves keys to other objects, restarting their windows: it must be a deliberate change.
    expect(SHARDS_PER_SCOPE).toBe(16);
    expect(['ip:203.0.113.9', 'user:42', 'account:7', ''].map((key) => shardOf(key))).toEqual([12, 2, 5, 10]);
    expect(limiterName('login', 'user:42')).toBe('login#2');
  });

  it('answers a shard in [0, shards) for any pool size', () => {
    for (const shards of [1, 2, 3, 16, 64]) {
      for (let i = 0; i < 1_000; i++) {
        const shard = shardOf(`user:${i}`, shards);
        expect(Number.isInteger(shard) && shard >= 0 && shard < shards).toBe(true);
      }
    }
  });

  it.each(Object.entries(KEY_SHAPES))(
    'spreads 10,000 %s: no shard empty, none above twice the mean (and all within 25 % of it)',
    (_, key) => {
      const { mean, min, max } = spread(Array.from({ length: 10_000 }, (_, i) => key(i)));
      expect(min).toBeGreaterThan(0);
      expect(max).toBeLessThanOrEqual(2 * mean);
      // A uniform hash puts 625 ± 24 (one standard deviation) keys in each of 16 shards.
      expect(min).toBeGreaterThanOrEqual(0.75 * mean);
      expect(max).toBeLessThanOrEqual(1.25 * mean);
    },
  );

  it('maps (scope, key) to the named object and passes the key through unchanged', () => {
    const names: string[] = [];
    const namespace = {
      idFromName: (name: string) => {
        names.push(name);
        return { name };
      },
      get: (id: { name: string }) => ({ id }),
    } as unknown as Parameters<typeof limiterFor>[0];
    const { stub, key } = limiterFor(namespace, 'totp', 'user:42');
    expect(key).toBe('user:42');
    expect(names).toEqual([`totp#${shardOf('user:42')}`]);
    expect((stub as unknown as { id: { name: string } }).id.name).toBe(`totp#${shardOf('user:42')}`);
  });
});
