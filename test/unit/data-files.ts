import { readFileSync } from 'node:fs';
import type { MetadataJson } from 'libphonenumber-js/core';
import { expect } from 'vitest';

/**
 * The generated data files the Worker reads through its ASSETS binding (src/data/), read from disk for the Node
 * unit tests. test/integration/data-assets.test.ts checks the Worker under test reads the same files.
 */
const dataFile = (name: string) =>
  readFileSync(new URL(`../../public/data/${name}`, import.meta.url), 'utf8');

/** public/data/common-passwords.txt, as committed. */
export const COMMON_PASSWORDS_TEXT = dataFile('common-passwords.txt');

/** public/data/phone-metadata.json, parsed. */
export const PHONE_METADATA = JSON.parse(dataFile('phone-metadata.json')) as MetadataJson;

/**
 * A stand-in for the ASSETS binding (src/data/assets.ts): answers every read of `path` with `status` and `body`,
 * and counts the reads; a read of any other path fails the test.
 */
export function assetsAnswering(path: string, status: number, body = '') {
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
