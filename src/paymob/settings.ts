/**
 * PayMob's accounts and this app's PAYMOB_* settings (docs/paymob.md §1, §5): regions, currencies, base
 * URLs, the settings the client is built with, and the billing data PayMob requires.
 */

export type PaymobCountry = 'EG' | 'SA' | 'AE' | 'OM' | 'PK';
export type PaymobApiMode = 'legacy' | 'intention';

/**
 * One PayMob account serves one region and its integrations take one currency (docs/paymob.md §1; Odoo
 * payment_paymob "Only one currency can be selected per Paymob account"): the payment currency is the account's.
 */
export const ACCOUNT_CURRENCIES = {
  EG: 'EGP',
  SA: 'SAR',
  AE: 'AED',
  OM: 'OMR',
  PK: 'PKR',
} as const satisfies Record<PaymobCountry, string>;

/** What the client needs of KV (the `PAYMOB_CACHE` binding). */
export interface TokenCache {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The PAYMOB_* settings of the parsed configuration (src/env.ts). */
export interface PaymobConfig {
  PAYMOB_API_MODE?: PaymobApiMode;
  PAYMOB_COUNTRY: PaymobCountry;
  PAYMOB_BASE_URL?: string;
  PAYMOB_API_KEY?: string;
  PAYMOB_SECRET_KEY?: string;
  PAYMOB_PUBLIC_KEY?: string;
  PAYMOB_INTEGRATION_ID: string;
  PAYMOB_IFRAME_ID?: string;
}

export const PAYMOB_BASE_URLS: Record<PaymobCountry, string> = {
  EG: 'https://accept.paymob.com',
  SA: 'https://ksa.paymob.com',
  AE: 'https://uae.paymob.com',
  OM: 'https://oman.paymob.com',
  PK: 'https://pakistan.paymob.com',
};

/** KV key of the cached auth token (documented in wrangler.toml next to the PAYMOB_CACHE binding). */
export const authTokenCacheKey = (country: PaymobCountry) => `paymob:auth-token:${country}`;
// PayMob's auth tokens live one hour; 50 minutes leaves room for calls that start just before expiry.
export const AUTH_TOKEN_TTL_SECONDS = 50 * 60;
/** Payment keys (and so the checkout) stay valid this long (docs/api.md §4.2). */
export const PAYMENT_KEY_EXPIRATION_SECONDS = 3_600;

export interface PaymobSettings {
  /** Intention mode authenticates every call with the secret key; legacy mode with auth tokens. */
  mode?: PaymobApiMode;
  country: PaymobCountry;
  baseUrl: string;
  apiKey?: string;
  secretKey?: string;
  publicKey?: string;
  integrationIds: number[];
  iframeId?: string;
}

export function paymobSettings(config: PaymobConfig): PaymobSettings {
  return {
    mode: config.PAYMOB_API_MODE ?? 'intention',
    country: config.PAYMOB_COUNTRY,
    baseUrl: (config.PAYMOB_BASE_URL ?? PAYMOB_BASE_URLS[config.PAYMOB_COUNTRY]).replace(/\/+$/, ''),
    apiKey: config.PAYMOB_API_KEY,
    secretKey: config.PAYMOB_SECRET_KEY,
    publicKey: config.PAYMOB_PUBLIC_KEY,
    integrationIds: config.PAYMOB_INTEGRATION_ID.split(',').map(Number),
    iframeId: config.PAYMOB_IFRAME_ID,
  };
}

/** Billing data PayMob requires; unknown optional fields are sent as "NA" (docs/design.md §5). */
export interface BillingData {
  first_name: string;
  last_name: string;
  email: string;
  phone_number: string;
  apartment: string;
  floor: string;
  street: string;
  building: string;
  shipping_method: string;
  postal_code: string;
  city: string;
  country: string;
  state: string;
}
