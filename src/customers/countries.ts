/**
 * The countries PayMob serves (SPEC §3.3, §4.2): an address's country decides the payment currency and how
 * many minor-unit digits its amounts have. Payments reuse this table.
 */
export const COUNTRIES = {
  EG: { name: 'Egypt', currency: 'EGP', minorDigits: 2 },
  SA: { name: 'Saudi Arabia', currency: 'SAR', minorDigits: 2 },
  AE: { name: 'United Arab Emirates', currency: 'AED', minorDigits: 2 },
  OM: { name: 'Oman', currency: 'OMR', minorDigits: 3 },
  PK: { name: 'Pakistan', currency: 'PKR', minorDigits: 2 },
} as const;

export type CountryCode = keyof typeof COUNTRIES;
export type Currency = (typeof COUNTRIES)[CountryCode]['currency'];

export const COUNTRY_CODES = Object.keys(COUNTRIES) as [CountryCode, ...CountryCode[]];

export const DEFAULT_COUNTRY: CountryCode = 'EG';

export function isCountryCode(value: string): value is CountryCode {
  return Object.hasOwn(COUNTRIES, value);
}

/** The currency and its minor-unit digits for a country, e.g. OM → { currency: 'OMR', minorDigits: 3 }. */
export function currencyOf(country: CountryCode): { currency: Currency; minorDigits: number } {
  const { currency, minorDigits } = COUNTRIES[country];
  return { currency, minorDigits };
}
