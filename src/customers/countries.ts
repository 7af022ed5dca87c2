/**
 * The countries PayMob serves (docs/api.md §3.3, §4.2): an address's country decides the payment currency and how
 * many minor-unit digits its amounts have (the digits live with the money code). Payments reuse this table.
 */
import { type Currency, minorDigits } from '../lib/money';

export const COUNTRIES = {
  EG: { name: 'Egypt', currency: 'EGP' },
  SA: { name: 'Saudi Arabia', currency: 'SAR' },
  AE: { name: 'United Arab Emirates', currency: 'AED' },
  OM: { name: 'Oman', currency: 'OMR' },
  PK: { name: 'Pakistan', currency: 'PKR' },
} as const satisfies Record<string, { name: string; currency: Currency }>;

export type CountryCode = keyof typeof COUNTRIES;
export type { Currency };

export const COUNTRY_CODES = Object.keys(COUNTRIES) as [CountryCode, ...CountryCode[]];

export const DEFAULT_COUNTRY: CountryCode = 'EG';

export function isCountryCode(value: string): value is CountryCode {
  return Object.hasOwn(COUNTRIES, value);
}

/** The currency and its minor-unit digits for a country, e.g. OM → { currency: 'OMR', minorDigits: 3 }. */
export function currencyOf(country: CountryCode): { currency: Currency; minorDigits: number } {
  const { currency } = COUNTRIES[country];
  return { currency, minorDigits: minorDigits(currency) };
}
