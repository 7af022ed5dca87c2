import { describe, expect, it, vi } from 'vitest';
import { decodeCommonPasswords } from '../../src/data/common-passwords';
import { COMMON_PASSWORDS_TEXT, PHONE_METADATA } from './data-files';

/**
 * A stand-in for the ASSETS binding (src/data/assets.ts): answers every read of `path` with `status` and `body`,
 * and counts the reads; a read of any other path fails the test.
 */
function assetsAnswering(path: string, status: number, body = '') {
  const binding = {
    reads: 0,
    fetch: async (url: string) => {
      binding.reads += 1;
      expect(url).toBe(`https://assets.invalid${path}`);
      return new Response(body, { status });
    },
  };
  return binding as typeof binding & Fetcher;
}

// Each data file is read through the ASSETS binding on first use in an isolate and kept (src/data/assets.ts
// `dataAsset`): a failed read or a file its decoder refuses fails that check, keeps nothing, and the next check
// reads again; once read, the binding is not asked again.
describe.each([
  {
    name: 'the common-password list (src/data/common-passwords.ts)',
    path: '/data/common-passwords.txt',
    load: async () => (await import('../../src/data/common-passwords')).commonPasswords,
    file: COMMON_PASSWORDS_TEXT,
    expected: new Set(decodeCommonPasswords(COMMON_PASSWORDS_TEXT)),
    refused: COMMON_PASSWORDS_TEXT.slice(0, 1000),
    refusal: /entries in \/data\/common-passwords\.txt, expected 20000/,
  },
  {
    name: 'the phone metadata (src/data/phone-metadata.ts)',
    path: '/data/phone-metadata.json',
    load: async () => (await import('../../src/data/phone-metadata')).phoneMetadata,
    file: JSON.stringify(PHONE_METADATA),
    expected: PHONE_METADATA,
    refused: JSON.stringify({ version: 3, countries: {} }),
    refusal: /is not libphonenumber-js version 4 metadata/,
  },
])('reading $name through the ASSETS binding', ({ path, load, file, expected, refused, refusal }) => {
  it('fails when the read fails or the file is refused, keeps nothing, reads again next time, then keeps it', async () => {
    vi.resetModules();
    const read = (await load()) as (assets: Fetcher) => Promise<unknown>;
    const missing = assetsAnswering(path, 404);
    await expect(read(missing)).rejects.toThrow(`the ASSETS binding answered 404 for ${path}`);
    const foreign = assetsAnswering(path, 200, refused);
    await expect(read(foreign)).rejects.toThrow(refusal);
    const good = assetsAnswering(path, 200, file);
    expect(await read(good)).toEqual(expected);
    // Kept for the isolate's life: later reads ask nothing, even when the binding would now fail.
    const later = assetsAnswering(path, 500);
    expect(await read(later)).toEqual(expected);
    expect([missing.reads, foreign.reads, good.reads, later.reads]).toEqual([1, 1, 1, 0]);
  });
});
