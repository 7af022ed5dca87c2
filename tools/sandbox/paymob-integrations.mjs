// PayMob's payment-integration endpoints, as the configuration doctor (`npm run paymob:check`) and PayMob's
// own plugins read them:
// - GET /api/ecommerce/integrations: the account's integrations, paginated. PayMob's WooCommerce plugin
//   (WordPressBugBounty/plugins-paymob-for-woocommerce v4.1.12, includes/helper/paymob.php getIntegrationIDs)
//   calls it with `Authorization: Bearer <auth token>` and `?is_plugin=true&is_next=yes&page_size=500&
//   is_deprecated=false&is_standalone=false&is_shopify=false`; Odoo (addons/payment_paymob/models/
//   payment_provider.py action_sync_paymob_payment_methods) with `is_plugin, page_size=500, is_deprecated,
//   is_standalone, is_live`. Both read `results`.
// - GET /api/ecommerce/integrations/{id}: one integration with its callback URLs (plugin getIntegrationID,
//   read by class-paymob-manual-setup.php as `transaction_processed_callback`).
// - GET /api/auth/hmac_secret/get_hmac: the account's HMAC secret (plugin getHmac → `hmac_secret`).

import { HttpError, sendJson } from './http.mjs';

// PayMob's default callback, which the plugin replaces when it finds it (class-paymob-manual-setup.php:
// `strpos($webhhok->transaction_processed_callback, 'api/acceptance/post_pay')`).
export const PAYMOB_DEFAULT_CALLBACK = 'https://accept.paymobsolutions.com/api/acceptance/post_pay';
// DRF's page size when a client sends none; small, so a client that ignores `next` misses integrations.
const DEFAULT_PAGE_SIZE = 10;
// PayMob's plugin and Odoo both ask for 500 at once; nothing shows a larger page.
const MAX_PAGE_SIZE = 500;
const NOT_FOUND = { detail: 'Not found.' };
const INTEGRATION_CREATED_AT = '2023-01-10T09:20:11.104583';

// The region in a key's prefix (egy_sk_test_…) gives the account's currency: PayMob's plugin maps the
// same prefixes to regions (paymob.php getApiUrl); one currency per account (Odoo payment_provider.py
// "Only one currency can be selected per Paymob account.").
/** @type {Record<string, string>} */
const REGION_CURRENCIES = {
  egy: 'EGP',
  sau: 'SAR',
  ksa: 'SAR',
  are: 'AED',
  uae: 'AED',
  omn: 'OMR',
  pak: 'PKR',
};

/** @typedef {import('./http.mjs').IncomingMessage} IncomingMessage */
/** @typedef {import('./http.mjs').ServerResponse} ServerResponse */
/** @typedef {import('./http.mjs').Route} Route */
/** @typedef {'card' | 'wallet' | 'kiosk' | 'valu'} IntegrationType */
/** @typedef {{ id: number | string; currency?: string; type?: IntegrationType; live?: boolean }} IntegrationInput */
/** @typedef {{ id: number; currency: string; type: IntegrationType; live: boolean }} IntegrationRecord */

/**
 * Each integration type's `gateway_type`: 'VPC' card, 'UIG' wallet, 'CAGG' Aman kiosk (PayMob's WooCommerce
 * plugin getIntegrationIDs, see below). valU's value is not shown by either plugin: 'VALU' is assumed.
 * @type {Record<string, string>}
 */
export const GATEWAY_TYPES = { card: 'VPC', wallet: 'UIG', kiosk: 'CAGG', valu: 'VALU' };

/**
 * The account's currency and live flag, as its secret key's prefix says (`egy_sk_test_…` → EGP, test).
 * @param {string | undefined} secretKey
 */
export function accountOf(secretKey) {
  const [region, , mode] = String(secretKey ?? '').split('_');
  // split() always yields a first element.
  return { currency: REGION_CURRENCIES[/** @type {string} */ (region)] ?? 'EGP', live: mode === 'live' };
}

/**
 * The integration records: one card integration per id of `integrationIds` in the account's currency (the
 * sandbox's default id when no integration is configured at all), then each of `integrations`
 * ([{ id, currency, type: 'card', live? }]) with its own currency. Test or live comes from the secret key.
 * @param {object} options
 * @param {IntegrationInput[]} [options.integrations]
 * @param {(number | string)[]} [options.integrationIds]
 * @param {string} [options.accountCurrency]
 * @param {string | undefined} options.secretKey
 * @param {number} options.defaultId
 * @returns {IntegrationRecord[]}
 */
export function integrationRecords({
  integrations = [],
  integrationIds = [],
  accountCurrency,
  secretKey,
  defaultId,
}) {
  const account = accountOf(secretKey);
  const currency = accountCurrency ?? account.currency;
  const listed = new Set(integrations.map((entry) => Number(entry.id)));
  const plain = integrationIds.length || integrations.length ? integrationIds : [defaultId];
  /** @type {IntegrationInput[]} */
  const given = [...plain.filter((id) => !listed.has(Number(id))).map((id) => ({ id })), ...integrations];
  return given.map((entry) => ({
    id: Number(entry.id),
    currency: entry.currency ?? currency,
    type: entry.type ?? 'card',
    live: entry.live ?? account.live,
  }));
}

// Field names and values: plugin getIntegrationIDs reads id, gateway_type ('VPC' card, 'UIG' wallet,
// 'CAGG' Aman, 'MIGS'), integration_type ('online' | 'moto'), is_auth, installments (null), is_standalone,
// is_live, integration_name, currency; Odoo also parses created_at as "%Y-%m-%dT%H:%M:%S.%f" and treats a
// missing integration_name as ''. `is_deprecated` is the filter both send.
/** @param {IntegrationRecord} record */
function integrationObject(record) {
  return {
    id: record.id,
    created_at: INTEGRATION_CREATED_AT,
    gateway_type: GATEWAY_TYPES[record.type] ?? 'VPC',
    integration_type: 'online',
    integration_name: null,
    currency: record.currency,
    is_live: record.live,
    is_auth: false,
    is_standalone: false,
    is_deprecated: false,
    installments: null,
  };
}

/**
 * Route entries for paymob.mjs's table. `requireAuthToken(req, url)` is the sandbox's check of the legacy
 * auth token (Bearer header, as both plugins send it); `callbackUrl` is where this sandbox really posts
 * callbacks, i.e. what its dashboard would show for every integration.
 * @param {object} options
 * @param {() => IntegrationRecord[]} options.records
 * @param {(req: IncomingMessage, url: URL) => unknown} options.requireAuthToken
 * @param {string | null} options.callbackUrl
 * @param {string | undefined} options.hmacSecret
 * @returns {Route[]}
 */
export function integrationRoutes({ records, requireAuthToken, callbackUrl, hmacSecret }) {
  /** @param {string} id */
  function find(id) {
    return records().find((record) => record.id === Number(id));
  }

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  function listIntegrations(req, res, url) {
    requireAuthToken(req, url);
    const query = url.searchParams;
    let list = records();
    // Odoo filters on is_live; both plugins exclude standalone integrations (none here).
    const live = query.get('is_live');
    if (live === 'true' || live === 'True') list = list.filter((r) => r.live);
    if (live === 'false' || live === 'False') list = list.filter((r) => !r.live);
    const pageSize = Math.min(positive(query.get('page_size')) ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const page = positive(query.get('page')) ?? 1;
    const start = (page - 1) * pageSize;
    if (start > 0 && start >= list.length) throw new HttpError(404, { detail: 'Invalid page.' });
    const link = (/** @type {number} */ n) => {
      const next = new URL(url.pathname, `http://${req.headers.host}`);
      for (const [key, value] of query) if (key !== 'page') next.searchParams.append(key, value);
      next.searchParams.set('page', String(n));
      return next.toString();
    };
    sendJson(res, 200, {
      count: list.length,
      next: start + pageSize < list.length ? link(page + 1) : null,
      previous: page > 1 ? link(page - 1) : null,
      results: list.slice(start, start + pageSize).map(integrationObject),
    });
  }

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   * @param {string} id
   */
  function getIntegration(req, res, url, id) {
    requireAuthToken(req, url);
    const record = find(id);
    if (!record) throw new HttpError(404, NOT_FOUND);
    const callback = callbackUrl ?? PAYMOB_DEFAULT_CALLBACK;
    sendJson(res, 200, {
      ...integrationObject(record),
      transaction_processed_callback: callback,
      transaction_response_callback: callback,
    });
  }

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  function getHmacSecret(req, res, url) {
    requireAuthToken(req, url);
    sendJson(res, 200, { hmac_secret: hmacSecret ?? '' });
  }

  return [
    [/^\/api\/ecommerce\/integrations\/?$/, { GET: listIntegrations }],
    [/^\/api\/ecommerce\/integrations\/(\d+)\/?$/, { GET: getIntegration }],
    [/^\/api\/auth\/hmac_secret\/get_hmac\/?$/, { GET: getHmacSecret }],
  ];
}

/** @param {string | null} value */
function positive(value) {
  if (value === null || !/^\d+$/.test(value)) return null;
  const number = Number(value);
  return number > 0 ? number : null;
}
