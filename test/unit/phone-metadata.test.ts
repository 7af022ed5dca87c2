import fc from 'fast-check';
import examples from 'libphonenumber-js/examples.mobile.json';
import { parsePhoneNumberFromString as parseWithMax } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { normalizePhoneNumber as normalize } from '../../src/customers/schemas';
import { PHONE_METADATA } from './data-files';

// public/data/phone-metadata.json is libphonenumber-js's `max` metadata without the formatting rules
// (tools/phone-metadata.mjs). Validation must answer exactly as with the full `max` metadata.
const normalizePhoneNumber = (value: string) => normalize(value, PHONE_METADATA);
function withFullMax(value: string): string | undefined {
  if (!value.startsWith('+')) return undefined;
  const phone = parseWithMax(value, { extract: false });
  return phone?.isValid() ? phone.number : undefined;
}

/** Every region's example number in E.164, and numbers one edit away from it (mostly invalid ones). */
function candidates(): string[] {
  const out: string[] = [];
  for (const [region, national] of Object.entries(examples as Record<string, string>)) {
    const example = parseWithMax(national, region as never);
    if (!example) continue;
    const e164 = example.number;
    out.push(e164, `${e164}0`, `${e164}9`, e164.slice(0, -1), e164.slice(0, -2));
    for (let digit = 0; digit <= 9; digit += 1) {
      out.push(`${e164.slice(0, -1)}${digit}`, `${e164.slice(0, 4)}${digit}${e164.slice(5)}`);
    }
    out.push(`${e164.slice(0, 3)} (${e164.slice(3, 6)}) ${e164.slice(6)}`);
  }
  return out;
}

describe('phone validation with the reduced metadata (tools/phone-metadata.mjs)', () => {
  it('answers as the full max metadata for every region example and its neighbours', () => {
    const inputs = candidates();
    expect(inputs.length).toBeGreaterThan(3000);
    const differing = inputs.filter((input) => normalizePhoneNumber(input) !== withFullMax(input));
    expect(differing).toEqual([]);
    // The sample holds both answers, so the comparison means something.
    const valid = inputs.filter((input) => withFullMax(input) !== undefined).length;
    expect(valid).toBeGreaterThan(240);
    expect(inputs.length - valid).toBeGreaterThan(1000);
  });

  it('answers as the full max metadata for random international numbers', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+[1-9][0-9]{3,15}$/), (input) => {
        expect(normalizePhoneNumber(input)).toBe(withFullMax(input));
      }),
      { numRuns: 5000 },
    );
  });
});
