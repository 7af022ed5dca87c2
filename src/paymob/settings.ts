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
  /** `card:123,wallet:456,kiosk:789` (docs/paymob.md §8): integration ids per payment method. */
  PAYMOB_INTEGRATIONS?: string;
}

/**
 * The payment methods StackPay knows by name (docs/paymob.md §8), each one kind of PayMob integration: the
 * names PayMob's own Intention API examples use (`card`, `kiosk`, `apple_pay`, `tabby`, `tamara`, `stc_pay`;
 * PaymobAccept/paymob-python README) and the unified checkout's method list (developers.paymob.com "Payment
 * Methods": Wallets, Kiosk, Bank Installments, ValU, Souhoola V3, SYMPL).
 */
export const PAYMENT_METHODS = [
  'card',
  'wallet',
  'kiosk',
  'installments',
  'valu',
  'souhoola',
  'sympl',
  'tabby',
  'tamara',
  'apple_pay',
  'stc_pay',
] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export const isPaymentMethod = (value: string): value is PaymentMethod =>
  (PAYMENT_METHODS as readonly string[]).includes(value);

/** One `method:id` entry of PAYMOB_INTEGRATIONS; the whole value is checked by src/env.ts. */
export const INTEGRATION_ENTRY = /^([a-z_]+):(\d{1,15})$/;

/**
 * The configured integration ids per method, in the configuration's order: PAYMOB_INTEGRATION_ID's ids are
 * card integrations (deployments from before PAYMOB_INTEGRATIONS keep working), then PAYMOB_INTEGRATIONS'
 * entries. A method appears only when it has at least one id.
 */
export function integrationsByMethod(config: PaymobConfig): Partial<Record<PaymentMethod, number[]>> {
  const methods: Partial<Record<PaymentMethod, number[]>> = {};
  const add = (method: PaymentMethod, id: number) => {
    const ids = methods[method] ?? [];
    if (!ids.includes(id)) ids.push(id);
    methods[method] = ids;
  };
  for (const id of config.PAYMOB_INTEGRATION_ID.split(',')) add('card', Number(id));
  for (const entry of (config.PAYMOB_INTEGRATIONS ?? '').split(',')) {
    const match = INTEGRATION_ENTRY.exec(entry.trim());
    if (match?.[1] && match[2] && isPaymentMethod(match[1])) add(match[1], Number(match[2]));
  }
  return methods;
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
  /** The card integrations: what the legacy flow and a payment naming no methods use. */
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
