import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import asset from '../../public/data/common-passwords.txt?raw';
import {
  COMMON_PASSWORD_COUNT,
  COMMON_PASSWORDS_ASSET,
  commonPasswords,
} from '../../src/data/common-passwords';
import { checkPasswordPolicy, PASSWORD_MESSAGES } from '../../src/users/password-policy';

// The list is a static asset, not part of the script (src/data/common-passwords.ts, docs/benchmarks.md §7): the
// Worker reads it through its ASSETS binding (wrangler.toml `[assets]`). That public requests for it get the
// Worker's 404 (`run_worker_first`) is checked against `wrangler dev` in test/e2e/docs.test.ts; a failed read
// and the per-isolate cache in test/unit/password-policy.test.ts.
describe('the common-password list inside the Worker', () => {
  it('is the committed file, read through the ASSETS binding', async () => {
    const response = await env.ASSETS.fetch(`https://assets.invalid${COMMON_PASSWORDS_ASSET}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(asset);
  });

  it('decodes to the whole list, and the policy refuses its entries', async () => {
    const list = await commonPasswords(env.ASSETS);
    expect(list.size).toBe(COMMON_PASSWORD_COUNT);
    expect(list.has('password')).toBe(true);
    expect(await checkPasswordPolicy(env, 'Qwerty123', {})).toContain(PASSWORD_MESSAGES.common);
    expect(await checkPasswordPolicy(env, 'Kettle-Drum42', {})).toEqual([]);
  });
});
