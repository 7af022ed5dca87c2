import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import passwordsFile from '../../public/data/common-passwords.txt?raw';
import phoneFile from '../../public/data/phone-metadata.json?raw';
import { workerAssets } from '../../src/data/assets';
import {
  COMMON_PASSWORD_COUNT,
  COMMON_PASSWORDS_ASSET,
  commonPasswords,
} from '../../src/data/common-passwords';
import { PHONE_METADATA_ASSET, phoneMetadata } from '../../src/data/phone-metadata';
import { checkPasswordPolicy, PASSWORD_MESSAGES } from '../../src/users/password-policy';

// The generated data files are static assets, not part of the script (src/data/assets.ts, docs/benchmarks.md §7):
// the Worker reads them through its ASSETS binding (wrangler.toml `[assets]`). That public requests for them get
// the Worker's 404 (`run_worker_first`) is checked against `wrangler dev` in test/e2e/docs.test.ts; failed reads
// and the per-isolate cache in test/unit/data-asset-cache.test.ts; what the policy and the profile routes answer
// with them in users-*.test.ts and customers-profile.test.ts.
describe('the data assets inside the Worker', () => {
  it('the ASSETS binding serves the committed files', async () => {
    for (const [path, committed] of [
      [COMMON_PASSWORDS_ASSET, passwordsFile],
      [PHONE_METADATA_ASSET, phoneFile],
    ] as const) {
      const response = await env.ASSETS.fetch(`https://assets.invalid${path}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(committed);
    }
  });

  it('the common-password list decodes whole, and the policy refuses its entries', async () => {
    const list = await commonPasswords(env.ASSETS);
    expect(list.size).toBe(COMMON_PASSWORD_COUNT);
    expect(list.has('password')).toBe(true);
    expect(await checkPasswordPolicy(env, 'Qwerty123', {})).toContain(PASSWORD_MESSAGES.common);
    expect(await checkPasswordPolicy(env, 'Kettle-Drum42', {})).toEqual([]);
  });

  it('the phone metadata is the committed JSON, read through the runtime binding the schema uses', async () => {
    expect(await workerAssets()).toBe(env.ASSETS);
    expect(await phoneMetadata(env.ASSETS)).toEqual(JSON.parse(phoneFile));
  });
});
