import { z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';

// The Worker under test gets the bundle's zod (src/lib/zod/index.ts, vitest.config.ts and wrangler.toml [alias]),
// so every integration test runs against the zod that is deployed.
describe('zod inside the Worker', () => {
  it('is the locale-free entry, through @hono/zod-openapi too', () => {
    expect('locales' in z).toBe(false);
    expect('fromJSONSchema' in z).toBe(false);
    expect(z.string().safeParse(1).error?.issues[0]?.message).toBe(
      'Invalid input: expected string, received number',
    );
  });
});
