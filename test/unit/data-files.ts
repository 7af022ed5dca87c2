import { readFileSync } from 'node:fs';
import type { MetadataJson } from 'libphonenumber-js/core';

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
