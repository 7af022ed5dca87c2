import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimental_readRawConfig } from 'wrangler';
import { BINDING_SCOPES, RATE_LIMITS } from '../../src/middleware/rate-limit';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

interface RatelimitBlock {
  name: string;
  namespace_id: string;
  simple: { limit: number; period: number };
}

describe('general throttles on the Rate Limiting binding (wrangler.toml [[ratelimits]], docs/api.md §7)', () => {
  const { rawConfig } = experimental_readRawConfig({ config: join(REPO_ROOT, 'wrangler.toml') });
  const blocks = ((rawConfig as { ratelimits?: RatelimitBlock[] }).ratelimits ?? []) as RatelimitBlock[];

  it.each(Object.entries(BINDING_SCOPES))(
    '%s: its binding %s has the scope limit and period',
    (scope, binding) => {
      const block = blocks.find((b) => b.name === binding);
      const { limit, windowSeconds } = RATE_LIMITS[scope as keyof typeof RATE_LIMITS];
      expect(block?.simple).toEqual({ limit, period: windowSeconds });
      // Cloudflare accepts only these periods.
      expect([10, 60]).toContain(block?.simple.period);
    },
  );

  it('gives every binding its own namespace and declares no other', () => {
    expect(blocks.map((b) => b.name).sort()).toEqual(Object.values(BINDING_SCOPES).sort());
    const ids = blocks.map((b) => b.namespace_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^\d+$/);
  });
});
