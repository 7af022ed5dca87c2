import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PHONE_METADATA_FILE, renderPhoneMetadata } from '../../tools/phone-metadata.mjs';

describe('tools/phone-metadata.mjs', () => {
  it('wrote the committed public/data/phone-metadata.json byte for byte', () => {
    expect(readFileSync(PHONE_METADATA_FILE, 'utf8')).toBe(renderPhoneMetadata());
  });

  it('keeps every region and its validation fields, and drops only the formatting ones', () => {
    const reduced = JSON.parse(renderPhoneMetadata());
    const max = createRequire(import.meta.url)('libphonenumber-js/metadata.max.json');
    expect(Object.keys(reduced.countries)).toEqual(Object.keys(max.countries));
    expect(reduced.country_calling_codes).toEqual(max.country_calling_codes);
    for (const [code, fields] of Object.entries<unknown[]>(max.countries)) {
      const kept = reduced.countries[code] as unknown[];
      fields.forEach((value, index) => {
        expect(kept[index], `${code}[${index}]`).toEqual([4, 6, 9].includes(index) ? 0 : value);
      });
    }
  });

  it('--check passes on the committed file', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['tools/phone-metadata.mjs', '--check']);
    expect(stdout).toContain('is up to date');
  });
});
