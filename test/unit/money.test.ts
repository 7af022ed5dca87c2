import { describe, expect, it } from 'vitest';
import { type Currency, formatMinor, parseAmount } from '../../src/lib/money';

describe('parseAmount: decimal strings to minor units, per currency', () => {
  it.each<[unknown, Currency, number]>([
    ['100', 'EGP', 10_000],
    ['100.00', 'EGP', 10_000],
    ['100.5', 'EGP', 10_050],
    ['0.01', 'EGP', 1],
    ['  12.34 ', 'SAR', 1_234],
    ['007.50', 'AED', 750],
    ['1.500', 'OMR', 1_500],
    ['0.001', 'OMR', 1],
    ['2.5', 'OMR', 2_500],
    ['9999999999.99', 'PKR', 999_999_999_999],
    ['9999999999.999', 'OMR', 9_999_999_999_999],
    [100, 'EGP', 10_000],
    [0.1, 'EGP', 10],
    [19.99, 'EGP', 1_999],
  ])('%j %s → %d', (input, currency, minor) => {
    expect(parseAmount(input, currency)).toEqual({ ok: true, minor });
  });

  it.each<[unknown, Currency, string]>([
    ['0', 'EGP', 'Ensure this value is greater than or equal to 0.01.'],
    ['0.00', 'EGP', 'Ensure this value is greater than or equal to 0.01.'],
    ['0.000', 'OMR', 'Ensure this value is greater than or equal to 0.001.'],
    ['1.001', 'EGP', 'Ensure that there are no more than 2 decimal places.'],
    ['1.0001', 'OMR', 'Ensure that there are no more than 3 decimal places.'],
    ['100.000', 'SAR', 'Ensure that there are no more than 2 decimal places.'],
    ['12345678901', 'EGP', 'Ensure that there are no more than 10 digits before the decimal point.'],
    ['-5', 'EGP', 'A valid number is required.'],
    ['+5', 'EGP', 'A valid number is required.'],
    ['1e3', 'EGP', 'A valid number is required.'],
    ['1,000.00', 'EGP', 'A valid number is required.'],
    ['.5', 'EGP', 'A valid number is required.'],
    ['5.', 'EGP', 'A valid number is required.'],
    ['', 'EGP', 'A valid number is required.'],
    ['abc', 'EGP', 'A valid number is required.'],
    ['NaN', 'EGP', 'A valid number is required.'],
    ['١٠٠', 'EGP', 'A valid number is required.'],
    [Number.NaN, 'EGP', 'A valid number is required.'],
    [Number.POSITIVE_INFINITY, 'EGP', 'A valid number is required.'],
    [1e21, 'EGP', 'A valid number is required.'],
    [-1, 'EGP', 'A valid number is required.'],
    [null, 'EGP', 'A valid number is required.'],
    [true, 'EGP', 'A valid number is required.'],
    [{}, 'EGP', 'A valid number is required.'],
  ])('%j %s is refused: %s', (input, currency, message) => {
    expect(parseAmount(input, currency)).toEqual({ ok: false, message });
  });

  it('leading zeros do not count as integer digits', () => {
    expect(parseAmount('00000000001234567890.00', 'EGP')).toEqual({ ok: true, minor: 123_456_789_000 });
  });
});

describe('formatMinor: minor units to the currency’s decimal string', () => {
  it.each<[number, Currency, string]>([
    [10_000, 'EGP', '100.00'],
    [1, 'EGP', '0.01'],
    [10, 'SAR', '0.10'],
    [0, 'AED', '0.00'],
    [1_500, 'OMR', '1.500'],
    [1, 'OMR', '0.001'],
    [999_999_999_999, 'PKR', '9999999999.99'],
    [-250, 'EGP', '-2.50'],
  ])('%d %s → %s', (minor, currency, text) => {
    expect(formatMinor(minor, currency)).toBe(text);
  });

  it('refuses a fractional number of minor units', () => {
    expect(() => formatMinor(1.5, 'EGP')).toThrow(RangeError);
  });

  it('round-trips every parsed amount', () => {
    for (const [text, currency] of [
      ['123.45', 'EGP'],
      ['0.005', 'OMR'],
      ['42.00', 'PKR'],
    ] as const) {
      const parsed = parseAmount(text, currency);
      expect(parsed.ok && formatMinor(parsed.minor, currency)).toBe(text);
    }
  });
});
