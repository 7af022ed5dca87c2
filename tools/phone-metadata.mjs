#!/usr/bin/env node
// Generates public/data/phone-metadata.json, the phone-number metadata the Worker validates with (docs/api.md §3,
// `phone_number`; docs/benchmarks.md "Cold start"): libphonenumber-js's `max` metadata — every region, with the
// per-type number patterns that make `isValid()` strict — minus what only formatting reads: each region's
// `formats` (field 4 of the compressed metadata), `national_prefix_formatting_rule` (6) and
// `national_prefix_optional_when_formatting` (9), per libphonenumber-js's es6/metadata.js, where only
// es6/format.js calls `formats()` and only formatting reads the other two. Parsing, the region, validity and
// E.164 (`phone.number`) read none of them. 38 KiB gzipped in full, 29 KiB this way. A static asset, read by the
// Worker through its ASSETS binding on first use (src/data/phone-metadata.ts), so not part of the upload.
//
//   node tools/phone-metadata.mjs            rewrites the file
//   node tools/phone-metadata.mjs --check    exits 1 when the committed file differs from what this script writes
//
// test/tools/phone-metadata.test.ts runs the check, and test/unit/customers-validators.test.ts checks that
// validation gives the same answer as with the full `max` metadata for every region's example numbers and
// their neighbours.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './generated-file.mjs';

export const PHONE_METADATA_FILE = fileURLToPath(
  new URL('../public/data/phone-metadata.json', import.meta.url),
);
/** Fields of a region's compressed metadata (libphonenumber-js v4 layout) that only formatting reads. */
const FORMATTING_ONLY = [4, 6, 9];

/** @returns {string} the file's text */
export function renderPhoneMetadata() {
  const require = createRequire(import.meta.url);
  /** @type {{ version: number, country_calling_codes: object, countries: Record<string, unknown[]>, nonGeographic?: Record<string, unknown[]> }} */
  const max = require('libphonenumber-js/metadata.max.json');
  if (max.version !== 4) throw new Error(`libphonenumber-js metadata version ${max.version}: expected 4`);
  /** @param {Record<string, unknown[]>} regions */
  const strip = (regions) =>
    Object.fromEntries(
      Object.entries(regions).map(([code, fields]) => [
        code,
        fields.map((value, index) => (FORMATTING_ONLY.includes(index) ? 0 : value)),
      ]),
    );
  const metadata = {
    version: max.version,
    country_calling_codes: max.country_calling_codes,
    countries: strip(max.countries),
    ...(max.nonGeographic ? { nonGeographic: strip(max.nonGeographic) } : {}),
  };
  return `${JSON.stringify(metadata)}\n`;
}

function main() {
  writeOrCheck(PHONE_METADATA_FILE, renderPhoneMetadata(), 'node tools/phone-metadata.mjs');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
