// Imitation of PayMob Accept: auth tokens, orders, payment keys (legacy iframe flow), intentions (unified
// checkout), the checkout pages with test cards, signed transaction-processed callbacks and signed
// transaction-response redirects, inquiry, refund and void. Paths, status codes, error bodies and payload
// shapes follow PayMob's documented behaviour (docs/design.md §5) so the Worker's client and webhook handlers
// are exercised as in production. State is in memory; POST /sandbox/reset clears it.

import { timingSafeEqual } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { FaultError } from './faults.mjs';
import { createScheduler, HttpError, postJson, readBody, sendHtml, sendJson, sleep } from './http.mjs';
import { GATEWAY_TYPES, integrationRecords, integrationRoutes } from './paymob-integrations.mjs';
import { createMethods, renderMethodForms } from './paymob-methods.mjs';
import {
  buildTransaction,
  businessDay,
  cardOutcome,
  createIdSequence,
  createOpaqueToken,
  flattenTransaction,
  freshTimestamp,
  MERCHANT,
  minorDigits,
  normalizeCardNumber,
  OWNER_ID,
  orderObject,
  PROFILE_ID,
  parseBoolean,
  parseInteger,
  paymobTimestamp,
  REAL_BILLING_FIELDS,
  randomHex,
  settleTransaction,
  threeDsFlow,
  transactionObject,
  validateBillingData,
} from './paymob-model.mjs';
import { PAGE_CSP, renderCheckoutPage, renderErrorPage, renderResponsePage } from './paymob-pages.mjs';
import { signFlattened, signTransaction } from './paymob-signing.mjs';
import { createCardVault, offeredCards, tokenCallback } from './paymob-tokens.mjs';

/** @typedef {import('./http.mjs').IncomingMessage} IncomingMessage */
/** @typedef {import('./http.mjs').ServerResponse} ServerResponse */
/** @typedef {import('./http.mjs').Route} Route */
/** @typedef {import('./faults.mjs').Fault} Fault */
/** @typedef {import('./faults.mjs').FaultContext} FaultContext */
/** @typedef {import('./paymob-model.mjs').Order} Order */
/** @typedef {import('./paymob-model.mjs').Transaction} Transaction */
/** @typedef {import('./paymob-model.mjs').TransactionKind} TransactionKind */
/** @typedef {Record<string, unknown>} FieldErrors a DRF-style error body: field → messages */
/**
 * A new order's fields, validated.
 * @typedef {object} OrderFields
 * @property {number} amountCents
 * @property {string} currency
 * @property {string | null} reference
 * @property {unknown[]} items
 * @property {boolean} deliveryNeeded
 * @property {unknown} shippingData
 * @property {string} apiSource
 */
/**
 * A new payment key's fields, validated.
 * @typedef {object} PaymentKeyFields
 * @property {Order} order
 * @property {number} amountCents
 * @property {string} currency
 * @property {number} integrationId
 * @property {number} expiration seconds
 * @property {Record<string, unknown> | null} billing
 * @property {boolean} lock
 * @property {unknown} extra
 * @property {string | null} notificationUrl
 * @property {string | null} redirectionUrl
 * @property {string} apiSource
 * @property {string | null} [intentionId]
 */
/**
 * A payment key: its token, the claims it carries and where its payment's callbacks go.
 * @typedef {object} PaymentKey
 * @property {string} token
 * @property {{ amount_cents: number; currency: string; integration_id: number; lock_order_when_paid: boolean | null; [claim: string]: unknown }} claims
 * @property {number} order_id
 * @property {number} expires_ms
 * @property {string | null} notification_url
 * @property {string | null} redirection_url
 * @property {string} api_source
 */
/**
 * An intention (unified checkout), as the sandbox keeps it.
 * @typedef {object} Intention
 * @property {string} id
 * @property {string} client_secret
 * @property {number} order_id
 * @property {string} payment_key
 * @property {number[]} integration_ids
 * @property {number} amount
 * @property {string} currency
 * @property {unknown[]} items
 * @property {Record<string, unknown> | null} billing_data
 * @property {string | null} special_reference
 * @property {unknown} extras
 * @property {string} created
 * @property {string[]} card_tokens saved cards the checkout offers (tools/sandbox/paymob-tokens.mjs)
 */
/**
 * A processed callback the sandbox sent, or recorded without sending.
 * @typedef {{ url: string | null; body: object; status: number | null; error?: string; sent_at: string; transaction_id: number; merchant_order_id: string | null; kind: TransactionKind | 'token'; [detail: string]: unknown }} CallbackRecord
 */

export const PAYMOB_WEBHOOK_PATH = '/api/v1/transactions/webhook/';
export const PAYMOB_ENDPOINTS = Object.freeze([
  'auth',
  'orders',
  'payment_keys',
  'intention',
  'inquiry',
  'transactions',
  'refund',
  'void',
]);
export const PAYMOB_FAULT_MODES = {
  status: ['status'],
  delay: ['ms'],
  // Any answer at all, for the shapes no source settles (docs/paymob.md §3): `status` with a JSON `body`,
  // or `html` (e.g. a web server's 404 page for a route that does not exist: a wrong base URL or region).
  answer: ['status'],
  // The endpoint's route does not exist: Django's HTML 404 page (ROUTE_NOT_FOUND_HTML).
  'route-missing': [],
  // The intention answer without intention_order_id, as the Oman and Pakistan docs' samples show it.
  'omit-intention-order-id': [],
  'drop-callback': [],
  'duplicate-callback': [],
  'token-expiry': ['ms'],
  // How a refund's callbacks arrive (docs/payments.md): `order` child-first | parent-first (default: random),
  // `parent` numeric | null | none (the re-sent parent's refunded_amount_cents; default numeric).
  'refund-callbacks': [],
  // The refund or void child's amount_cents is negative (PayMob's own WooCommerce plugin reads it with
  // `abs((int) $trans['amount_cents'])`, so PayMob evidently sends negative amounts somewhere).
  'negative-child-amount': [],
  // PayMob carries out the refund or void but its answer is unreadable (a 200 without the transaction).
  'unreadable-answer': [],
  // A payment with a saved card goes through the 3-D Secure challenge (tools/sandbox/paymob-tokens.mjs).
  'saved-card-3ds': [],
};
const REFUND_CALLBACK_ORDERS = ['child-first', 'parent-first'];
const PARENT_TOTALS = ['numeric', 'null', 'none'];

const AUTH_TOKEN_TTL_MS = 60 * 60 * 1000;
const DEFAULT_INTEGRATION_ID = 4097558;
const CALLBACK_TIMEOUT_MS = 10_000;
const MAX_BODY_BYTES = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

const NO_CREDENTIALS = 'Authentication credentials were not provided.';
const NOT_FOUND = { detail: 'Not found.' };
// Accounts are per region and each integration takes one currency: create-intention "This must match the
// currency of the selected Integration ID"; Odoo payment_paymob "Only one currency can be selected per
// Paymob account". PayMob's exact refusal is unknown (docs/paymob.md checklist 1): we answer the harshest
// plausible, a 400 naming both currencies.
export const ACCOUNT_CURRENCIES = Object.freeze({ EG: 'EGP', SA: 'SAR', AE: 'AED', OM: 'OMR', PK: 'PKR' });
const currencyMismatch = (
  /** @type {string} */ currency,
  /** @type {number} */ integrationId,
  /** @type {string | undefined} */ expected,
) => `Currency ${currency} does not match the currency of integration ${integrationId} (${expected}).`;
// Django's page for a URL no route matches (DEBUG off), what a PayMob host answers for a path it lacks.
export const ROUTE_NOT_FOUND_HTML =
  '<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n';
const UNKNOWN_INTEGRATION =
  'Integration ID/Name does not exist in our system . You can find the list of Integration ID’/Names ' +
  'from Merchant Dashboard under Developers → Payment Integrations Tab';

/**
 * @param {object} options
 * @param {string | undefined} options.apiKey without one any key is accepted
 * @param {string | undefined} options.secretKey without one any key is accepted
 * @param {string | undefined} options.publicKey without one any key is accepted
 * @param {string | undefined} options.hmacSecret signs callbacks; without it they are recorded, not sent
 * @param {(number | string)[]} [options.integrationIds]
 * @param {import('./paymob-integrations.mjs').IntegrationInput[]} [options.integrations]
 * @param {string} [options.country]
 * @param {boolean} [options.intentionOrderId]
 * @param {(number | string)[]} [options.iframeIds]
 * @param {string | undefined} options.workerBaseUrl
 * @param {number} [options.callbackDelayMs]
 * @param {number} [options.pendingDelayMs]
 * @param {number} [options.authTokenTtlMs]
 * @param {ReturnType<typeof import('./faults.mjs').createFaults>} options.faults
 * @param {ReturnType<typeof import('./paymob-acs.mjs').createAcs>} options.acs
 * @param {() => number} [options.now]
 * @param {(line: string) => void} [options.log]
 */
export function createPaymob({
  apiKey,
  secretKey,
  publicKey,
  hmacSecret,
  integrationIds = [],
  // [{ id, currency, type }]: integrations with their own currency (type is informational, 'card').
  integrations = [],
  // The account's region (EG, SA, AE, OM, PK): the currency of integrationIds and of unlisted ids.
  country = 'EG',
  // false imitates the Oman and Pakistan docs' intention answers, which carry no intention_order_id.
  intentionOrderId = true,
  iframeIds = [],
  workerBaseUrl,
  callbackDelayMs = 0,
  pendingDelayMs = 3000,
  authTokenTtlMs = AUTH_TOKEN_TTL_MS,
  faults,
  acs,
  // The sandbox's clock (tests move it to check PayMob's business day, docs/payments.md).
  now = () => Date.now(),
  log = () => {},
}) {
  const accountCurrency = /** @type {Record<string, string>} */ (ACCOUNT_CURRENCIES)[country];
  if (!accountCurrency) throw new Error(`unknown PayMob country '${country}'`);
  // id → currency. Ids listed only in integrationIds take the account's currency.
  /** @type {Map<number, string>} */
  const integrationCurrencies = new Map([
    ...integrationIds.map((id) => /** @type {[number, string]} */ ([Number(id), accountCurrency])),
    ...integrations.map(
      (integration) =>
        /** @type {[number, string]} */ ([Number(integration.id), integration.currency ?? accountCurrency]),
    ),
  ]);
  const knownIntegrationIds = [...integrationCurrencies.keys()];
  const accountCurrencies = new Set(
    integrationCurrencies.size > 0 ? integrationCurrencies.values() : [accountCurrency],
  );
  const signingKey = Buffer.from(randomHex(32), 'hex');
  const defaultCallbackUrl = workerBaseUrl
    ? `${workerBaseUrl.replace(/\/+$/, '')}${PAYMOB_WEBHOOK_PATH}`
    : null;
  const nextOrderId = createIdSequence();
  const nextTransactionId = createIdSequence(300_000_000_000);
  const scheduler = createScheduler();

  /** @type {Map<string, { expires_ms: number }>} */
  const authTokens = new Map();
  /** @type {Map<number, Order>} */
  const orders = new Map();
  /** @type {Map<string, Order>} */
  const ordersByReference = new Map();
  /** @type {Map<string, PaymentKey>} */
  const paymentKeys = new Map();
  /** @type {Map<string, Intention>} */
  const intentions = new Map();
  /** @type {Map<string, Intention>} */
  const intentionsBySecret = new Map();
  /** @type {Map<number, Transaction>} */
  const transactions = new Map();
  /** @type {CallbackRecord[]} */
  const callbacks = [];
  /** @type {Map<string, { transaction: Transaction; key: PaymentKey }>} ACS session id → a payment waiting for 3-D Secure */
  const authentications = new Map();
  // Saved cards (tools/sandbox/paymob-tokens.mjs): token → card.
  const vault = createCardVault();

  faults.register('paymob', PAYMOB_FAULT_MODES, validatePaymobFault);

  /** @param {number} id an integration's type (docs/paymob.md §8): 'card' unless listed otherwise */
  const integrationType = (id) =>
    integrations.find((integration) => Number(integration.id) === Number(id))?.type ?? 'card';
  // Wallet, kiosk and valU payments (tools/sandbox/paymob-methods.mjs).
  const methods = createMethods({
    integrationType,
    nextTransactionId,
    transactions,
    orderOf,
    sendProcessedCallback,
    responseCallbackUrl,
    markPaid,
    readPayload,
    sendPage,
    now,
    log,
  });

  /** @type {Route[]} */
  const routes = [
    ...methods.routes,
    [/^\/api\/auth\/tokens\/?$/, { POST: issueAuthToken }],
    [/^\/api\/ecommerce\/orders\/?$/, { POST: createOrder, GET: listOrders }],
    [/^\/api\/ecommerce\/orders\/transaction_inquiry\/?$/, { POST: inquireTransaction }],
    [/^\/api\/ecommerce\/orders\/(\d+)\/?$/, { GET: getOrder }],
    [/^\/api\/acceptance\/payment_keys\/?$/, { POST: createPaymentKey }],
    [/^\/api\/acceptance\/transactions\/(\d+)\/?$/, { GET: getTransaction }],
    [/^\/api\/acceptance\/void_refund\/refund\/?$/, { POST: refundTransaction }],
    [/^\/api\/acceptance\/void_refund\/void\/?$/, { POST: voidTransaction }],
    [/^\/v1\/intention\/?$/, { POST: createIntention }],
    [/^\/api\/acceptance\/iframes\/(\d+)\/?$/, { GET: iframePage }],
    [/^\/unifiedcheckout\/?$/, { GET: unifiedCheckoutPage }],
    [/^\/sandbox\/paymob\/pay\/?$/, { POST: pay }],
    [/^\/sandbox\/paymob\/3ds\/complete\/?$/, { GET: completeAuthentication }],
    [/^\/sandbox\/paymob\/callbacks\/?$/, { GET: listCallbacks }],
    [/^\/sandbox\/paymob\/transactions\/?$/, { GET: listTransactions }],
    [/^\/sandbox\/paymob\/transactions\/(\d+)\/backdate\/?$/, { POST: backdateTransaction }],
    [/^\/sandbox\/paymob\/expire-tokens\/?$/, { POST: expireAuthTokens }],
    [/^\/sandbox\/paymob\/response\/?$/, { GET: responsePage }],
    ...integrationRoutes({
      records: () =>
        integrationRecords({
          integrations,
          integrationIds,
          accountCurrency,
          secretKey,
          defaultId: DEFAULT_INTEGRATION_ID,
        }),
      requireAuthToken,
      callbackUrl: defaultCallbackUrl,
      hmacSecret,
    }),
  ];

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  async function handle(req, res, url) {
    for (const [pattern, methods] of routes) {
      const match = pattern.exec(url.pathname);
      if (!match) continue;
      const handler =
        methods[/** @type {string} node:http always sets it on a server request */ (req.method)];
      if (!handler) {
        // Django REST framework's wording, which PayMob's API answers with.
        sendJson(
          res,
          405,
          { detail: `Method "${req.method}" not allowed.` },
          // @ts-expect-error @types/node types `allow` as a string; node sends an array as one line per value.
          { allow: Object.keys(methods) },
        );
        return true;
      }
      try {
        // A route without a capture has handlers that take no id.
        await handler(req, res, url, /** @type {string} */ (match[1]));
      } catch (error) {
        if (!(error instanceof FaultAnswer)) throw error;
        error.send(res);
      }
      return true;
    }
    return false;
  }

  // ---- auth ---------------------------------------------------------------------------------------

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   */
  async function issueAuthToken(req, res) {
    const body = await readPayload(req);
    await applyFaults('auth', {});
    if (body.api_key === undefined || body.api_key === null || body.api_key === '') {
      throw new HttpError(400, { api_key: ['This field is required.'] });
    }
    if (apiKey && !constantTimeEqual(String(body.api_key), apiKey)) {
      // PayMob refuses a wrong API key with 403, not 401.
      throw new HttpError(403, { detail: 'incorrect credentials' });
    }
    const expiry = faults.take('paymob', 'token-expiry', { endpoint: 'auth' });
    const expiresMs = Date.now() + (expiry ? expiry.ms : authTokenTtlMs);
    const token = createOpaqueToken(
      {
        class: 'Merchant',
        profile_pk: PROFILE_ID,
        phash: randomHex(28),
        exp: Math.floor(expiresMs / 1000),
        jti: randomHex(8),
      },
      signingKey,
    );
    authTokens.set(token, { expires_ms: expiresMs });
    sendJson(res, 201, { profile: merchantProfile(), token });
  }

  /**
   * @param {IncomingMessage} _req
   * @param {ServerResponse} res
   */
  function expireAuthTokens(_req, res) {
    for (const entry of authTokens.values()) entry.expires_ms = 0;
    sendJson(res, 200, { expired: authTokens.size });
  }

  // PayMob takes the auth token in the body (`auth_token`), as a Bearer header or as ?token=.
  /**
   * @param {IncomingMessage} req
   * @param {URL} url
   * @param {Record<string, any>} [body]
   */
  function requireAuthToken(req, url, body = {}) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? nonEmpty(body.auth_token) ?? nonEmpty(url.searchParams.get('token'));
    if (!token) throw new HttpError(401, { detail: NO_CREDENTIALS });
    const entry = authTokens.get(String(token));
    if (!entry) throw new HttpError(401, { detail: 'Error decoding signature.' });
    if (Date.now() >= entry.expires_ms) throw new HttpError(401, { detail: 'Signature has expired.' });
  }

  // The intention API, and refund/void in PayMob's newer API, authenticate with `Token <secret key>`.
  /**
   * @param {IncomingMessage} req
   */
  function requireSecretKey(req) {
    const match = /^Token\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match) throw new HttpError(401, { detail: NO_CREDENTIALS });
    if (secretKey && !constantTimeEqual(/** @type {string} `(\S+)` always captures */ (match[1]), secretKey))
      throw new HttpError(401, { detail: 'Invalid token.' });
  }

  /**
   * @param {IncomingMessage} req
   * @param {URL} url
   * @param {Record<string, any>} [body]
   */
  function requireMerchant(req, url, body = undefined) {
    if (/^Token\s/i.test(req.headers.authorization ?? '')) requireSecretKey(req);
    else requireAuthToken(req, url, body);
  }

  /**
   * An order a payment key or transaction refers to: it is stored before them and never removed while they are.
   * @param {number} id
   */
  function orderOf(id) {
    return /** @type {Order} */ (orders.get(id));
  }

  /**
   * The payment key an intention created with it (stored together, removed together).
   * @param {Intention} intention
   */
  function paymentKeyOf(intention) {
    return /** @type {PaymentKey} */ (paymentKeys.get(intention.payment_key));
  }

  // ---- orders -------------------------------------------------------------------------------------

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  async function createOrder(req, res, url) {
    const body = await readPayload(req);
    const reference = nonEmpty(body.merchant_order_id);
    await applyFaults('orders', { merchant_order_id: reference });
    requireAuthToken(req, url, body);

    const errors = {};
    const amount = integerField(errors, body, 'amount_cents', { min: 1 });
    const currency = currencyField(errors, body, { fallback: 'EGP' });
    const deliveryNeeded = parseBoolean(body.delivery_needed, false);
    if (deliveryNeeded === null) errors.delivery_needed = ['Must be a valid boolean.'];
    const items = body.items ?? [];
    if (!Array.isArray(items)) errors.items = [`Expected a list of items but got type "${typeName(items)}".`];
    if (reference !== null && reference.length > 255) {
      errors.merchant_order_id = ['Ensure this field has no more than 255 characters.'];
    }
    if (currency !== null && !errors.currency && !accountCurrencies.has(currency)) {
      errors.currency = [
        `Currency ${currency} is not available on this account (${[...accountCurrencies].join(', ')}).`,
      ];
    }
    if (Object.keys(errors).length > 0) throw new HttpError(400, errors);
    if (reference !== null && ordersByReference.has(reference)) {
      // Exactly PayMob's answer to a reused merchant_order_id.
      throw new HttpError(422, { message: 'duplicate' });
    }
    // Every field was checked above (a 400 answered any error).
    const order = storeOrder(
      /** @type {OrderFields} */ ({
        amountCents: amount,
        currency,
        reference,
        items,
        deliveryNeeded,
        shippingData: body.shipping_data ?? null,
        apiSource: 'OTHER',
      }),
    );
    log(`paymob: order ${order.id} (${reference ?? 'no merchant_order_id'}) for ${amount} ${currency}`);
    sendJson(res, 201, orderObject(order));
  }

  /** @param {OrderFields} fields */
  function storeOrder({ amountCents, currency, reference, items, deliveryNeeded, shippingData, apiSource }) {
    const created = freshTimestamp();
    const order = {
      id: nextOrderId(),
      created_at: created.text,
      created_ms: created.ms,
      delivery_needed: deliveryNeeded,
      amount_cents: amountCents,
      currency,
      merchant_order_id: reference,
      items,
      shipping_data: shippingData,
      is_payment_locked: false,
      paid_amount_cents: 0,
      api_source: apiSource,
    };
    orders.set(order.id, order);
    if (reference !== null) ordersByReference.set(reference, order);
    return order;
  }

  // Not needed by the payment flow, but lets a client recover an order after a "duplicate" answer.
  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  async function listOrders(req, res, url) {
    requireAuthToken(req, url);
    const reference = nonEmpty(url.searchParams.get('merchant_order_id'));
    const results = [...orders.values()]
      .filter((order) => reference === null || order.merchant_order_id === reference)
      .toReversed()
      .map(orderObject);
    sendJson(res, 200, { count: results.length, next: null, previous: null, results });
  }

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   * @param {string} id
   */
  async function getOrder(req, res, url, id) {
    requireAuthToken(req, url);
    const order = orders.get(Number(id));
    if (!order) throw new HttpError(404, NOT_FOUND);
    sendJson(res, 200, orderObject(order));
  }

  // ---- payment keys (legacy flow) -----------------------------------------------------------------

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  async function createPaymentKey(req, res, url) {
    const body = await readPayload(req);
    const orderId = parseInteger(body.order_id);
    const order = orderId === null ? undefined : orders.get(orderId);
    await applyFaults('payment_keys', { merchant_order_id: order?.merchant_order_id, order_id: orderId });
    requireAuthToken(req, url, body);

    const errors = {};
    const amount = integerField(errors, body, 'amount_cents', { min: 1 });
    const currency = currencyField(errors, body);
    const integrationId = integrationField(errors, body.integration_id);
    const expiration = integerField(errors, body, 'expiration', { min: 1, fallback: 3600 });
    if (body.order_id === undefined) errors.order_id = ['This field is required.'];
    else if (!order) errors.order_id = [`Invalid pk "${body.order_id}" - object does not exist.`];
    const lock = parseBoolean(body.lock_order_when_paid, false);
    if (lock === null) errors.lock_order_when_paid = ['Must be a valid boolean.'];
    const { billing, errors: billingErrors } = validateBillingData(body.billing_data);
    if (billingErrors) errors.billing_data = billingErrors;
    const notificationUrl = urlField(errors, body, 'notification_url');
    const redirectionUrl = urlField(errors, body, 'redirection_url');
    if (order && amount !== null && amount !== order.amount_cents && !errors.amount_cents) {
      errors.amount_cents = [
        `amount_cents (${amount}) must equal the order's amount_cents (${order.amount_cents}).`,
      ];
    }
    if (order && currency !== null && currency !== order.currency && !errors.currency) {
      errors.currency = [`currency (${currency}) must equal the order's currency (${order.currency}).`];
    }
    if (integrationId !== null && currency !== null && !errors.currency) {
      const expected = integrationCurrency(integrationId);
      if (currency !== expected) errors.currency = [currencyMismatch(currency, integrationId, expected)];
    }
    if (Object.keys(errors).length > 0) throw new HttpError(400, errors);

    // Every field was checked above (a 400 answered any error).
    const key = storePaymentKey(
      /** @type {PaymentKeyFields} */ ({
        order,
        amountCents: amount,
        currency,
        integrationId,
        expiration,
        billing,
        lock,
        extra: body.extras ?? {},
        notificationUrl,
        redirectionUrl,
        apiSource: 'IFRAME',
      }),
    );
    sendJson(res, 201, { token: key.token });
  }

  /** @param {PaymentKeyFields} fields */
  function storePaymentKey({
    order,
    amountCents,
    currency,
    integrationId,
    expiration,
    billing,
    lock,
    extra,
    notificationUrl,
    redirectionUrl,
    apiSource,
    intentionId = null,
  }) {
    const expiresMs = Date.now() + expiration * 1000;
    const claims = {
      user_id: OWNER_ID,
      amount_cents: amountCents,
      currency,
      integration_id: integrationId,
      order_id: order.id,
      billing_data: billing,
      lock_order_when_paid: lock,
      extra,
      single_payment_attempt: false,
      exp: Math.floor(expiresMs / 1000),
      pmk_ip: '127.0.0.1',
      ...(redirectionUrl ? { redirect_url: redirectionUrl } : {}),
      ...(notificationUrl ? { notification_url: notificationUrl } : {}),
      ...(intentionId ? { next_payment_intention: intentionId } : {}),
    };
    const token = createOpaqueToken({ ...claims, jti: randomHex(8) }, signingKey);
    const key = {
      token,
      claims,
      order_id: order.id,
      expires_ms: expiresMs,
      notification_url: notificationUrl,
      redirection_url: redirectionUrl,
      api_source: apiSource,
    };
    paymentKeys.set(token, key);
    return key;
  }

  // ---- intention (unified checkout) ---------------------------------------------------------------

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   */
  async function createIntention(req, res) {
    const body = await readPayload(req);
    const reference = nonEmpty(body.special_reference);
    await applyFaults('intention', { merchant_order_id: reference });
    requireSecretKey(req);

    const errors = {};
    const amount = integerField(errors, body, 'amount', { min: 1 });
    const currency = currencyField(errors, body);
    const methods = body.payment_methods;
    /** @type {number[]} */
    let integrationIdsChosen = [];
    if (methods === undefined) errors.payment_methods = ['This field is required.'];
    else if (!Array.isArray(methods) || methods.length === 0) {
      errors.payment_methods = ['Expected a non-empty list of integration ids or names.'];
    } else {
      const resolved = methods.map(resolvePaymentMethod);
      if (resolved.includes(null)) throw new HttpError(404, { detail: UNKNOWN_INTEGRATION });
      // No null is left: an unknown method was answered with a 404 just above.
      integrationIdsChosen = /** @type {number[]} */ ([...new Set(resolved)]);
    }
    const items = validateItems(errors, body.items, amount);
    const { billing, errors: billingErrors } = validateBillingData(body.billing_data, {
      required: REAL_BILLING_FIELDS,
    });
    if (billingErrors) errors.billing_data = billingErrors;
    const expiration = integerField(errors, body, 'expiration', { min: 1, fallback: 3600 });
    const notificationUrl = urlField(errors, body, 'notification_url');
    const redirectionUrl = urlField(errors, body, 'redirection_url');
    const cardTokens = vault.validate(body.card_tokens);
    if ('errors' in cardTokens) errors.card_tokens = cardTokens.errors;
    if (currency !== null && !errors.currency) {
      const mismatched = integrationIdsChosen.find((id) => integrationCurrency(id) !== currency);
      if (mismatched !== undefined) {
        errors.currency = [currencyMismatch(currency, mismatched, integrationCurrency(mismatched))];
      }
    }
    if (Object.keys(errors).length > 0) throw new HttpError(400, errors);
    if (reference !== null && ordersByReference.has(reference)) {
      throw new HttpError(400, {
        special_reference: ['Payment intention with this special reference already exists.'],
      });
    }

    // Every field was checked above (a 400 answered any error).
    const order = storeOrder(
      /** @type {OrderFields} */ ({
        amountCents: amount,
        currency,
        reference,
        items,
        deliveryNeeded: false,
        shippingData: null,
        apiSource: 'OTHER',
      }),
    );
    const created = freshTimestamp();
    const id = `pi_test_${randomHex(16)}`;
    // Every field was checked above (a 400 answered any error).
    const key = storePaymentKey(
      /** @type {PaymentKeyFields} */ ({
        order,
        amountCents: amount,
        currency,
        integrationId: integrationIdsChosen[0],
        expiration,
        billing,
        lock: true,
        extra: body.extras ?? {},
        notificationUrl,
        redirectionUrl,
        apiSource: 'OTHER',
        intentionId: id,
      }),
    );
    /** @type {Intention} every field was checked above */
    const intention = {
      id,
      client_secret: `${keyRegion()}_csk_test_${randomHex(16)}`,
      order_id: order.id,
      payment_key: key.token,
      integration_ids: integrationIdsChosen,
      amount: /** @type {number} */ (amount),
      currency: /** @type {string} */ (currency),
      items,
      billing_data: billing,
      special_reference: reference,
      extras: body.extras ?? null,
      created: `${created.text.slice(0, 26)}Z`,
      card_tokens: 'tokens' in cardTokens ? cardTokens.tokens : [],
    };
    intentions.set(id, intention);
    intentionsBySecret.set(intention.client_secret, intention);
    log(`paymob: intention ${id} (order ${order.id}) for ${amount} ${currency}`);
    /** @type {Partial<ReturnType<typeof intentionObject>>} */
    const answer = intentionObject(intention, key);
    if (
      !intentionOrderId ||
      faults.take('paymob', 'omit-intention-order-id', { merchant_order_id: reference, amount, currency })
    ) {
      delete answer.intention_order_id;
    }
    sendJson(res, 201, answer);
  }

  /**
   * @param {Intention} intention
   * @param {PaymentKey} key
   */
  function intentionObject(intention, key) {
    return {
      payment_keys: intention.integration_ids.map((integrationId) => ({
        integration: integrationId,
        key: key.token,
        gateway_type: GATEWAY_TYPES[integrationType(integrationId)] ?? 'VPC',
        iframe_id: null,
        order_id: intention.order_id,
        redirection_url: key.redirection_url ?? '',
        save_card: false,
      })),
      intention_order_id: intention.order_id,
      id: intention.id,
      intention_detail: {
        amount: intention.amount,
        items: intention.items,
        currency: intention.currency,
        billing_data: intention.billing_data,
      },
      client_secret: intention.client_secret,
      payment_methods: intention.integration_ids.map((integrationId) => ({
        integration_id: integrationId,
        alias: null,
        name: null,
        method_type:
          integrationType(integrationId) === 'card' ? 'online_card' : integrationType(integrationId),
        currency: intention.currency,
        live: false,
        use_cvc_with_moto: false,
      })),
      special_reference: intention.special_reference,
      extras: { creation_extras: intention.extras, confirmation_extras: null },
      confirmed: false,
      status: 'intended',
      created: intention.created,
      card_detail: null,
      card_tokens: intention.card_tokens,
      object: 'paymentintention',
    };
  }

  /**
   * @param {unknown} method an integration id or a payment method's name
   */
  function resolvePaymentMethod(method) {
    const id = parseInteger(method);
    if (id !== null) return isKnownIntegration(id) ? id : null;
    // Names such as "card" resolve to the first card integration.
    if (typeof method === 'string' && method.trim() !== '')
      return knownIntegrationIds[0] ?? DEFAULT_INTEGRATION_ID;
    return null;
  }

  /**
   * @param {number} id
   */
  function integrationCurrency(id) {
    return integrationCurrencies.get(Number(id)) ?? accountCurrency;
  }

  /**
   * @param {FieldErrors} errors
   * @param {unknown} items
   * @param {number | null} amount
   * @returns {unknown[]}
   */
  function validateItems(errors, items, amount) {
    if (items === undefined || items === null) return [];
    if (!Array.isArray(items)) {
      errors.items = [`Expected a list of items but got type "${typeName(items)}".`];
      return [];
    }
    /** @type {FieldErrors} */
    const itemErrors = {};
    let total = 0;
    for (const item of items) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        itemErrors.non_field_errors = ['Invalid data. Expected a dictionary.'];
        continue;
      }
      if (nonEmpty(item.name) === null) itemErrors.name = ['This field is required.'];
      const itemAmount = parseInteger(item.amount);
      if (item.amount === undefined) itemErrors.amount = ['This field is required.'];
      else if (itemAmount === null) itemErrors.amount = ['A valid integer is required.'];
      total += (itemAmount ?? 0) * (parseInteger(item.quantity) ?? 1);
    }
    if (Object.keys(itemErrors).length > 0) errors.items = itemErrors;
    else if (items.length > 0 && amount !== null && total !== amount) {
      errors.items = [
        `The sum of the items' amounts (${total}) must equal the intention amount (${amount}).`,
      ];
    }
    return items;
  }

  // Country prefix of the merchant's keys (egy_sk_test_..., are_sk_test_...), as client secrets carry it.
  function keyRegion() {
    return /^([a-z]{3})_/.exec(secretKey ?? '')?.[1] ?? 'egy';
  }

  // ---- checkout pages -----------------------------------------------------------------------------

  /**
   * @param {IncomingMessage} _req
   * @param {ServerResponse} res
   * @param {URL} url
   * @param {string} iframeId
   */
  function iframePage(_req, res, url, iframeId) {
    if (iframeIds.length > 0 && !iframeIds.includes(Number(iframeId))) {
      return sendPage(res, 404, renderErrorPage('Iframe not found', `There is no iframe ${iframeId}.`));
    }
    const token = url.searchParams.get('payment_token');
    const key = token ? paymentKeys.get(token) : undefined;
    if (!key)
      return sendPage(res, 404, renderErrorPage('Invalid payment key', 'This payment link is not valid.'));
    if (Date.now() >= key.expires_ms) {
      return sendPage(res, 400, renderErrorPage('Payment key expired', 'This payment link has expired.'));
    }
    const order = orderOf(key.order_id);
    sendPage(
      res,
      200,
      renderCheckoutPage({
        title: 'Pay with card',
        credential: { name: 'payment_token', value: /** @type {string} the key was found by it */ (token) },
        amountCents: key.claims.amount_cents,
        currency: key.claims.currency,
        orderId: order.id,
        merchantOrderId: order.merchant_order_id,
      }),
    );
  }

  /**
   * @param {IncomingMessage} _req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  function unifiedCheckoutPage(_req, res, url) {
    const givenPublicKey = url.searchParams.get('publicKey');
    if (!givenPublicKey || (publicKey && !constantTimeEqual(givenPublicKey, publicKey))) {
      return sendPage(res, 401, renderErrorPage('Invalid public key', 'The public key is missing or wrong.'));
    }
    const secret = url.searchParams.get('clientSecret');
    const intention = secret ? intentionsBySecret.get(secret) : undefined;
    if (!intention) {
      return sendPage(res, 404, renderErrorPage('Payment not found', 'The client secret is not valid.'));
    }
    const key = paymentKeyOf(intention);
    if (Date.now() >= key.expires_ms) {
      return sendPage(res, 400, renderErrorPage('Payment expired', 'This payment intention has expired.'));
    }
    const types = intention.integration_ids.map(integrationType);
    sendPage(
      res,
      200,
      renderCheckoutPage({
        card: types.includes('card'),
        extra: renderMethodForms(types, {
          name: 'client_secret',
          value: /** @type {string} the intention was found by it */ (secret),
        }),
        title: 'Checkout',
        credential: {
          name: 'client_secret',
          value: /** @type {string} the intention was found by it */ (secret),
        },
        amountCents: intention.amount,
        currency: intention.currency,
        orderId: intention.order_id,
        merchantOrderId: intention.special_reference,
        savedCards: offeredCards(vault, intention.card_tokens),
        offerSave: true,
      }),
    );
  }

  /**
   * @param {IncomingMessage} _req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  function responsePage(_req, res, url) {
    sendPage(res, 200, renderResponsePage(url.searchParams));
  }

  /**
   * @param {ServerResponse} res
   * @param {number} status
   * @param {string} html
   */
  function sendPage(res, status, html) {
    sendHtml(res, status, html, { 'content-security-policy': PAGE_CSP, 'cache-control': 'no-store' });
  }

  // ---- paying -------------------------------------------------------------------------------------

  // JSON for scripts; the checkout form posts urlencoded and gets a 303 to the same redirect_url: the
  // signed response-callback URL, or for a 3-D Secure card the issuer's page (the form has no target, so
  // the frame or window that shows the checkout navigates itself, as PayMob's does).
  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   */
  async function pay(req, res) {
    const fromForm = /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '');
    try {
      const body = await readPayload(req);
      const { transaction, redirectUrl, billReference } = processPayment(body, `http://${req.headers.host}`);
      if (fromForm) {
        res.writeHead(303, { location: redirectUrl, 'content-type': 'text/plain; charset=utf-8' });
        res.end(`See ${redirectUrl}`);
      } else {
        sendJson(res, 200, {
          redirect_url: redirectUrl,
          transaction_id: transaction.obj.id,
          ...(billReference === undefined ? {} : { bill_reference: billReference }),
        });
      }
    } catch (error) {
      if (!fromForm || !(error instanceof HttpError)) throw error;
      // pay() refuses with JSON objects: `{ detail }` or field → messages.
      const body = /** @type {Record<string, unknown>} */ (error.body);
      const message = /** @type {string} */ (body.detail ?? Object.values(body).flat().join(' '));
      sendPage(res, error.status, renderErrorPage('Payment not processed', message));
    }
  }

  /**
   * @param {Record<string, any>} body
   * @param {string} origin
   * @returns {{ transaction: Transaction; redirectUrl: string; billReference?: number }}
   */
  function processPayment(body, origin) {
    const token = nonEmpty(body.payment_token);
    const secret = nonEmpty(body.client_secret);
    if (token === null && secret === null) {
      throw new HttpError(400, { detail: 'Send payment_token or client_secret.' });
    }
    const key =
      token !== null
        ? paymentKeys.get(token)
        : // One of the two is set (checked above); an unknown secret finds no key.
          paymentKeys.get(
            /** @type {string} */ (intentionsBySecret.get(/** @type {string} */ (secret))?.payment_key),
          );
    if (!key) throw new HttpError(404, { detail: 'Payment key or client secret not found.' });
    const intention = secret === null ? undefined : intentionsBySecret.get(secret);
    const method = nonEmpty(body.method);
    const offered = intention ? intention.integration_ids : [key.claims.integration_id];
    if (method !== null && method !== 'card') {
      if (Date.now() >= key.expires_ms) throw new HttpError(400, { detail: 'This payment key has expired.' });
      const order = orderOf(key.order_id);
      if (order.is_payment_locked) throw new HttpError(400, { detail: 'This order has already been paid.' });
      return methods.pay({ method, body, key, order, offered, origin });
    }
    // A checkout without a card integration has no card form (docs/paymob.md §8).
    if (!offered.some((id) => integrationType(id) === 'card')) {
      throw new HttpError(400, { detail: 'The payment method "card" is not available for this payment.' });
    }
    // A saved card the intention offers (card_tokens), paid without the card form.
    const cardToken = nonEmpty(body.card_token);
    const savedCard = cardToken === null ? undefined : vault.get(cardToken);
    if (cardToken !== null && (!savedCard || !intention?.card_tokens.includes(cardToken))) {
      throw new HttpError(400, { card_token: ['This card is not offered by this payment.'] });
    }
    const cardNumber = savedCard ? savedCard.cardNumber : normalizeCardNumber(body.card_number);
    if (cardNumber === '') throw new HttpError(400, { card_number: ['This field is required.'] });
    if (!/^\d{12,19}$/.test(cardNumber))
      throw new HttpError(400, { card_number: ['Enter a valid card number.'] });
    if (Date.now() >= key.expires_ms) throw new HttpError(400, { detail: 'This payment key has expired.' });
    const order = orderOf(key.order_id);
    if (order.is_payment_locked) throw new HttpError(400, { detail: 'This order has already been paid.' });

    const flow =
      threeDsFlow(cardNumber) ??
      (savedCard && faults.take('paymob', 'saved-card-3ds', { merchant_order_id: order.merchant_order_id })
        ? 'challenge'
        : null);
    const outcome = flow ? 'pending' : cardOutcome(cardNumber);
    const transaction = buildTransaction({
      id: nextTransactionId(),
      order,
      integrationId: key.claims.integration_id,
      cardNumber,
      outcomeName: outcome,
      amountCents: key.claims.amount_cents,
      claims: structuredClone(key.claims),
      apiSource: key.api_source,
    });
    transaction.meta.notification_url = key.notification_url;
    transaction.meta.redirection_url = key.redirection_url;
    // "Save this card" in unified checkout (a card typed in, not one already saved).
    if (intention && !savedCard && parseBoolean(body.save_card ?? false, true)) {
      transaction.meta.save_card = intention.id;
    }
    transactions.set(transaction.obj.id, transaction);
    if (outcome === 'success') markPaid(order, transaction, key);
    log(`paymob: transaction ${transaction.obj.id} on order ${order.id}: ${flow ? `3-DS ${flow}` : outcome}`);
    // While the card is at 3-D Secure the transaction is pending, and PayMob says so in a first processed
    // callback (xdot-paymob CashInCallbackTransaction.cs: `pending` is true when "the customer has been
    // redirected to the issuing bank page to enter his OTP").
    sendProcessedCallback(transaction);
    if (flow) {
      const session = acs.begin({
        flow,
        amountCents: transaction.obj.amount_cents,
        currency: transaction.obj.currency,
        pan: transaction.obj.source_data.pan,
        merchant: 'StackPay Sandbox',
        returnUrl: `${origin}/sandbox/paymob/3ds/complete`,
      });
      authentications.set(session.id, { transaction, key });
      return { transaction, redirectUrl: session.url };
    }
    if (outcome === 'pending') settleLater(transaction, key);
    return { transaction, redirectUrl: responseCallbackUrl(transaction, origin) };
  }

  // Where the issuer's page sends the browser back (on the checkout's origin): PayMob authorises an
  // authenticated card, declines a failed authentication, sends the final processed callback and redirects
  // to the merchant's response callback. A repeated visit redirects again and changes nothing.
  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  function completeAuthentication(req, res, url) {
    const id = url.searchParams.get('session') ?? '';
    const waiting = authentications.get(id);
    const status = acs.statusOf(id);
    if (!waiting || status === undefined) {
      return sendPage(res, 404, renderErrorPage('Payment not found', 'This authentication is not known.'));
    }
    if (status === 'open') {
      return sendPage(
        res,
        400,
        renderErrorPage('Authentication not completed', 'The card issuer has not answered yet.'),
      );
    }
    const { transaction, key } = waiting;
    if (transaction.obj.pending && transactions.get(transaction.obj.id) === transaction) {
      settleTransaction(transaction, status === 'Y' ? 'success' : 'authentication_failed');
      if (status === 'Y') markPaid(orderOf(transaction.meta.order_id), transaction, key);
      log(`paymob: transaction ${transaction.obj.id} after 3-DS: ${status === 'Y' ? 'success' : 'declined'}`);
      sendProcessedCallback(transaction);
    }
    const target = responseCallbackUrl(transaction, `http://${req.headers.host}`);
    res.writeHead(303, { location: target, 'content-type': 'text/plain; charset=utf-8' });
    res.end(`See ${target}`);
  }

  /**
   * @param {Order} order
   * @param {Transaction} transaction
   * @param {PaymentKey} key
   */
  function markPaid(order, transaction, key) {
    order.paid_amount_cents += transaction.obj.amount_cents;
    if (key.claims.lock_order_when_paid) order.is_payment_locked = true;
    if (transaction.meta.save_card) sendTokenCallback(order, transaction, key);
  }

  // The saved card's signed TOKEN callback (tools/sandbox/paymob-tokens.mjs), before the TRANSACTION one.
  /**
   * @param {Order} order
   * @param {Transaction} transaction
   * @param {PaymentKey} key
   */
  function sendTokenCallback(order, transaction, key) {
    const card = vault.save(/** @type {string} */ (transaction.meta.card_number));
    const billing = /** @type {Record<string, unknown> | null} */ (key.claims.billing_data);
    const { body, hmac } = tokenCallback(card, {
      orderId: order.id,
      email: String(billing?.email ?? ''),
      intentionId: /** @type {string} */ (transaction.meta.save_card),
      hmacSecret: hmacSecret ?? '',
    });
    const target = transaction.meta.notification_url ?? defaultCallbackUrl;
    /** @type {CallbackRecord} */
    const entry = {
      url: target ? `${target}${target.includes('?') ? '&' : '?'}hmac=${hmac}` : null,
      body,
      status: null,
      sent_at: new Date().toISOString(),
      transaction_id: transaction.obj.id,
      merchant_order_id: order.merchant_order_id,
      kind: 'token',
    };
    callbacks.unshift(entry);
    log(`paymob: card ${card.maskedPan} saved (token ${card.id}) for order ${order.id}`);
    scheduler.later(() => deliver(entry), callbackDelayMs);
  }

  // The pending test card succeeds a little later: a second processed callback for the same transaction.
  /**
   * @param {Transaction} transaction
   * @param {PaymentKey} key
   */
  function settleLater(transaction, key) {
    scheduler.later(() => {
      if (transactions.get(transaction.obj.id) !== transaction) return;
      settleTransaction(transaction, 'success');
      markPaid(orderOf(transaction.meta.order_id), transaction, key);
      log(`paymob: pending transaction ${transaction.obj.id} succeeded`);
      sendProcessedCallback(transaction);
    }, pendingDelayMs);
  }

  /**
   * @param {Transaction} transaction
   * @param {string} origin
   */
  function responseCallbackUrl(transaction, origin) {
    const query = flattenTransaction(shownTransaction(transaction));
    query.append('hmac', signFlattened(query, hmacSecret ?? ''));
    const base =
      transaction.meta.redirection_url ?? defaultCallbackUrl ?? `${origin}/sandbox/paymob/response`;
    return `${base}${base.includes('?') ? '&' : '?'}${query}`;
  }

  // ---- processed callbacks ------------------------------------------------------------------------

  // Fault decisions and the object's state are taken now; delivery follows after callbackDelayMs.
  // Real JSON callbacks carry null, not 0, for refunded_amount_cents, captured_amount and
  // merchant_commission (the real processed-callback sample in M-Nasser-M/paymob-js-sdk
  // tests/unit-tests/hmac_test_data.ts: "refunded_amount_cents": null, "captured_amount": null); none of
  // them is signed. `overrides` changes unsigned fields of this one delivery.
  /**
   * @param {Transaction} transaction
   * @param {Record<string, unknown>} [overrides]
   */
  function sendProcessedCallback(transaction, overrides = {}) {
    const obj = { ...realShaped(shownTransaction(transaction)), ...overrides };
    // shownTransaction always fills in the order.
    const order = /** @type {ReturnType<typeof orderObject>} */ (obj.order);
    const target = transaction.meta.notification_url ?? defaultCallbackUrl;
    const context = {
      merchant_order_id: order.merchant_order_id,
      order_id: order.id,
      transaction_id: obj.id,
      kind: transaction.meta.kind,
    };
    const record = () => {
      const hmac = signTransaction(obj, hmacSecret ?? '');
      const entry = {
        url: target ? `${target}${target.includes('?') ? '&' : '?'}hmac=${hmac}` : null,
        body: { type: 'TRANSACTION', obj, issuer_bank: null, transaction_processed_callback_responses: '' },
        status: null,
        sent_at: new Date().toISOString(),
        transaction_id: obj.id,
        merchant_order_id: order.merchant_order_id,
        kind: transaction.meta.kind,
      };
      callbacks.unshift(entry);
      return entry;
    };
    if (faults.take('paymob', 'drop-callback', context)) {
      Object.assign(record(), { dropped: true });
      log(`paymob: dropped the callback for transaction ${obj.id} (fault)`);
      return;
    }
    // Recorded now (status null until delivered), so a caller that reads the list right after the request
    // that caused the callback finds it whatever the delivery delay; sent_at is set again on delivery.
    const copies = faults.take('paymob', 'duplicate-callback', context) ? 2 : 1;
    for (let copy = 0; copy < copies; copy += 1) {
      const entry = record();
      scheduler.later(
        () => deliver(Object.assign(entry, { sent_at: new Date().toISOString() })),
        callbackDelayMs,
      );
    }
  }

  /** @param {CallbackRecord} entry */
  async function deliver(entry) {
    if (!entry.url) {
      entry.error = 'no callback URL: the payment names none and workerBaseUrl is empty';
      return;
    }
    if (!hmacSecret) {
      entry.error = 'PAYMOB_HMAC_SECRET is not set; callback not sent';
      return;
    }
    Object.assign(entry, await postJson(entry.url, entry.body, CALLBACK_TIMEOUT_MS));
    log(`paymob: callback for transaction ${entry.transaction_id} -> ${entry.status ?? entry.error}`);
  }

  /**
   * @param {IncomingMessage} _req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  function listCallbacks(_req, res, url) {
    const reference = url.searchParams.get('merchant_order_id');
    const transactionId = url.searchParams.get('transaction_id');
    sendJson(
      res,
      200,
      callbacks.filter(
        (entry) =>
          (reference === null || entry.merchant_order_id === reference) &&
          (transactionId === null || String(entry.transaction_id) === transactionId),
      ),
    );
  }

  // ---- inquiry ------------------------------------------------------------------------------------

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  async function inquireTransaction(req, res, url) {
    const body = await readPayload(req);
    const reference = nonEmpty(body.merchant_order_id);
    const orderId = parseInteger(body.order_id);
    const order =
      reference !== null
        ? ordersByReference.get(reference)
        : orders.get(/** @type {number} a null id finds nothing */ (orderId));
    await applyFaults('inquiry', {
      merchant_order_id: reference ?? order?.merchant_order_id,
      order_id: orderId,
    });
    requireMerchant(req, url, body);
    if (reference === null && orderId === null) {
      throw new HttpError(400, { detail: 'Send merchant_order_id or order_id.' });
    }
    const latest = order ? transactionsOf(order).at(-1) : undefined;
    if (!latest) throw new HttpError(404, NOT_FOUND);
    sendJson(res, 200, shownTransaction(latest));
  }

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   * @param {string} id
   */
  async function getTransaction(req, res, url, id) {
    const transaction = transactions.get(Number(id));
    const order = transaction ? orders.get(transaction.meta.order_id) : undefined;
    await applyFaults('transactions', { merchant_order_id: order?.merchant_order_id, transaction_id: id });
    // An inquiry: the auth token (Postman "Transaction_inquiry_for_trx_ID") or, in intention mode, the secret key.
    requireMerchant(req, url);
    if (!transaction) throw new HttpError(404, NOT_FOUND);
    sendJson(res, 200, shownTransaction(transaction));
  }

  /**
   * @param {IncomingMessage} _req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  function listTransactions(_req, res, url) {
    const reference = url.searchParams.get('merchant_order_id');
    const list = [...transactions.values()]
      .filter((txn) => reference === null || orders.get(txn.meta.order_id)?.merchant_order_id === reference)
      .toReversed()
      .map(shownTransaction);
    sendJson(res, 200, list);
  }

  /**
   * @param {Order} order
   */
  function transactionsOf(order) {
    return [...transactions.values()].filter((txn) => txn.meta.order_id === order.id);
  }

  /**
   * @param {Transaction} transaction
   */
  function shownTransaction(transaction) {
    return transactionObject(transaction, orderOf(transaction.meta.order_id));
  }

  /**
   * @template {Record<string, unknown>} T
   * @param {T} obj
   * @returns {T}
   */
  function realShaped(obj) {
    /** @type {Record<string, unknown>} */
    const shaped = { ...obj };
    for (const key of ['refunded_amount_cents', 'captured_amount', 'merchant_commission']) {
      if (shaped[key] === 0) shaped[key] = null;
    }
    return /** @type {T} only these three unsigned fields turn from 0 to null */ (shaped);
  }

  // ---- refund and void ----------------------------------------------------------------------------

  /**
   * A refund or void request's body, the transaction it names and that transaction's order, once the
   * operation's faults have run and the caller proved it is the merchant.
   * @param {IncomingMessage} req
   * @param {URL} url
   * @param {'refund' | 'void'} kind
   */
  async function reversalRequest(req, url, kind) {
    const body = await readPayload(req);
    const parent = transactions.get(
      /** @type {number} a null id finds nothing */ (parseInteger(body.transaction_id)),
    );
    const order = parent ? orders.get(parent.meta.order_id) : undefined;
    await applyFaults(kind, childContext(body, order));
    requireMerchant(req, url, body);
    return { body, parent, order };
  }

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  async function refundTransaction(req, res, url) {
    const { body, parent, order } = await reversalRequest(req, url, 'refund');

    const errors = {};
    if (body.transaction_id === undefined) errors.transaction_id = ['This field is required.'];
    // A missing or bad amount is answered with the 400 just below, so past it the amount is a number.
    const amount = /** @type {number} */ (integerField(errors, body, 'amount_cents', { min: 1 }));
    if (Object.keys(errors).length > 0) throw new HttpError(400, errors);
    if (!parent) throw new HttpError(404, NOT_FOUND);
    const problem = refundProblem(parent);
    if (problem) throw new HttpError(400, { message: problem });
    const remaining = parent.obj.amount_cents - parent.obj.refunded_amount_cents;
    if (amount > remaining) {
      // PayMob's words (a real answer quoted in public code; docs/payments.md): the limit in major units.
      const major = remaining / 10 ** minorDigits(parent.obj.currency);
      throw new HttpError(400, {
        message: `Requested Refund Amount is greater than the maximum refund amount permissible. Maximum Refund Amount is ${parent.obj.currency} ${major.toFixed(1)}`,
      });
    }

    const context = childContext(body, order);
    // The parent exists here, and so does its order.
    const child = createChild(parent, /** @type {Order} */ (order), 'refund', amount, context);
    parent.obj.is_refunded = true;
    parent.obj.refunded_amount_cents += amount;
    parent.obj.data.refunded_amount += amount;
    parent.obj.updated_at = child.obj.created_at;
    log(`paymob: refunded ${amount} of transaction ${parent.obj.id} as ${child.obj.id}`);
    sendRefundCallbacks(parent, child, context);
    sendReversalAnswer(res, child, context);
  }

  // PayMob support asks for the `x-paymob-id` response header of a failed refund (PayMob's docs
  // transcription, id 62410469717); every answer carries one.
  /**
   * @param {ServerResponse} res
   * @param {Transaction} child
   * @param {FaultContext} context
   */
  function sendReversalAnswer(res, child, context) {
    const headers = { 'x-paymob-id': randomHex(16) };
    if (faults.take('paymob', 'unreadable-answer', context)) {
      sendJson(res, 200, { status: 'processing' }, headers);
      return;
    }
    sendJson(res, 200, shownTransaction(child), headers);
  }

  // Which callbacks a refund produces is not documented (docs/payments.md): the harshest plausible answer
  // is both the child's and the parent's (is_refunded, a total that may be null), in either order.
  /**
   * @param {Transaction} parent
   * @param {Transaction} child
   * @param {FaultContext} context
   */
  function sendRefundCallbacks(parent, child, context) {
    /** @type {Partial<Fault>} */
    const shape = faults.take('paymob', 'refund-callbacks', context) ?? {};
    const order = shape.order ?? (Math.random() < 0.5 ? 'child-first' : 'parent-first');
    const total = shape.parent ?? 'numeric';
    const sendParent = () => {
      if (total === 'none') return;
      sendProcessedCallback(parent, total === 'null' ? { refunded_amount_cents: null } : {});
    };
    if (order === 'parent-first') sendParent();
    sendProcessedCallback(child);
    if (order === 'child-first') sendParent();
  }

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  async function voidTransaction(req, res, url) {
    const { body, parent, order } = await reversalRequest(req, url, 'void');

    if (body.transaction_id === undefined)
      throw new HttpError(400, { transaction_id: ['This field is required.'] });
    if (!parent) throw new HttpError(404, NOT_FOUND);
    const problem =
      refundProblem(parent) ?? (parent.obj.is_refunded ? 'Transaction has been refunded.' : null);
    if (problem) throw new HttpError(400, { message: problem });
    if (businessDay(parent.meta.created_ms, country) !== businessDay(now(), country)) {
      throw new HttpError(400, {
        message: 'Void is only possible on the same business day as the transaction; refund it instead.',
      });
    }

    const context = childContext(body, order);
    // The parent exists here, and so does its order.
    const child = createChild(parent, /** @type {Order} */ (order), 'void', parent.obj.amount_cents, context);
    parent.obj.is_voided = true;
    parent.obj.updated_at = child.obj.created_at;
    log(`paymob: voided transaction ${parent.obj.id} as ${child.obj.id}`);
    sendProcessedCallback(child);
    sendReversalAnswer(res, child, context);
  }

  /**
   * @param {Transaction} parent
   */
  function refundProblem(parent) {
    if (parent.meta.kind !== 'payment') return 'Refunds and voids apply to payment transactions only.';
    if (parent.obj.pending) return 'Transaction is still pending.';
    if (!parent.obj.success) return 'Transaction was not successful.';
    if (parent.obj.is_voided) return 'Transaction has been voided.';
    return null;
  }

  /**
   * @param {Transaction} parent
   * @param {Order} order
   * @param {TransactionKind} kind
   * @param {number} amountCents
   * @param {FaultContext} context
   */
  function createChild(parent, order, kind, amountCents, context) {
    const child = buildTransaction({
      id: nextTransactionId(),
      order,
      integrationId: parent.obj.integration_id,
      cardNumber: parent.meta.card_number,
      outcomeName: 'success',
      kind,
      amountCents,
      parent,
      apiSource: 'OTHER',
    });
    child.meta.notification_url = parent.meta.notification_url;
    if (faults.take('paymob', 'negative-child-amount', context)) child.obj.amount_cents = -amountCents;
    transactions.set(child.obj.id, child);
    return child;
  }

  /**
   * @param {Record<string, any>} body
   * @param {Order | undefined} order
   */
  function childContext(body, order) {
    return {
      merchant_order_id: order?.merchant_order_id,
      order_id: order?.id,
      transaction_id: body.transaction_id,
    };
  }

  // Moves a transaction's created_at into the past so tests can check the same-day rule for voids.
  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} _url
   * @param {string} id
   */
  async function backdateTransaction(req, res, _url, id) {
    const body = await readPayload(req);
    const transaction = transactions.get(Number(id));
    if (!transaction) throw new HttpError(404, NOT_FOUND);
    const days = body.days ?? 1;
    if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0) {
      throw new HttpError(400, { days: ['Must be a positive number of days.'] });
    }
    transaction.meta.created_ms -= Math.round(days * DAY_MS);
    transaction.obj.created_at = paymobTimestamp(
      transaction.meta.created_ms,
      transaction.meta.created_micros,
    );
    sendJson(res, 200, shownTransaction(transaction));
  }

  // ---- shared helpers -----------------------------------------------------------------------------

  /**
   * @param {string} endpoint
   * @param {FaultContext} context
   */
  async function applyFaults(endpoint, context) {
    const scoped = { endpoint, ...context };
    const take = (/** @type {string} */ mode) =>
      faults.take('paymob', `${mode}@${endpoint}`, scoped) ?? faults.take('paymob', mode, scoped);
    const delay = take('delay');
    if (delay) await sleep(delay.ms);
    if (take('route-missing')) throw new FaultAnswer({ status: 404, html: ROUTE_NOT_FOUND_HTML });
    const answer = take('answer');
    if (answer) throw new FaultAnswer(answer);
    const failure = take('status');
    if (failure) {
      throw new HttpError(
        failure.status,
        failure.body ?? { detail: STATUS_CODES[failure.status] ?? 'Error' },
      );
    }
  }

  /**
   * @param {FieldErrors} errors
   * @param {unknown} value
   */
  function integrationField(errors, value) {
    if (value === undefined || value === null || value === '') {
      errors.integration_id = ['This field is required.'];
      return null;
    }
    const id = parseInteger(value);
    if (id === null || !isKnownIntegration(id)) {
      errors.integration_id = [`Invalid pk "${value}" - object does not exist.`];
      return null;
    }
    return id;
  }

  /**
   * @param {number} id
   */
  function isKnownIntegration(id) {
    return id > 0 && (knownIntegrationIds.length === 0 || integrationCurrencies.has(id));
  }

  function reset() {
    scheduler.cancel();
    for (const map of [authTokens, orders, ordersByReference, paymentKeys, intentions, intentionsBySecret]) {
      map.clear();
    }
    transactions.clear();
    authentications.clear();
    acs.reset();
    methods.reset();
    callbacks.length = 0;
  }

  return { name: 'paymob', handle, reset, close: scheduler.close };
}

// `endpoint` narrows a status or delay fault to one API. The faults module matches on mode, so the
// endpoint becomes part of the stored mode (`status@orders`); applyFaults asks for both forms.
/**
 * @param {Fault} fault
 */
function validatePaymobFault(fault) {
  if (fault.mode === 'refund-callbacks') {
    if (fault.order !== undefined && !REFUND_CALLBACK_ORDERS.includes(fault.order)) {
      throw new FaultError(`'order' must be one of ${REFUND_CALLBACK_ORDERS.join(', ')}`);
    }
    if (fault.parent !== undefined && !PARENT_TOTALS.includes(fault.parent)) {
      throw new FaultError(`'parent' must be one of ${PARENT_TOTALS.join(', ')}`);
    }
  }
  if (fault.mode === 'status' && fault.status < 400) {
    throw new FaultError("'status' must be an error status (400-599)");
  }
  if (fault.mode === 'answer' && fault.html !== undefined && typeof fault.html !== 'string') {
    throw new FaultError("'html' must be a string");
  }
  if (fault.endpoint === undefined) return;
  if (!['status', 'delay', 'answer', 'route-missing'].includes(fault.mode)) {
    throw new FaultError("'endpoint' applies to the status, delay, answer and route-missing modes only");
  }
  if (!PAYMOB_ENDPOINTS.includes(fault.endpoint)) {
    throw new FaultError(`unknown endpoint '${fault.endpoint}'; known: ${PAYMOB_ENDPOINTS.join(', ')}`);
  }
  fault.mode = `${fault.mode}@${fault.endpoint}`;
}

// An `answer` fault: sent as it is (JSON body or HTML page) instead of the endpoint's own answer.
export class FaultAnswer extends Error {
  /** @param {{ status: number; html?: string; body?: unknown } | Fault} fault an `answer` fault (its mode needs `status`) */
  constructor(fault) {
    super('fault answer');
    this.fault = fault;
  }

  /** @param {ServerResponse} res */
  send(res) {
    const { status, html, body } = this.fault;
    if (html !== undefined) return sendHtml(res, status, html);
    return sendJson(res, status, body ?? {});
  }
}

// Django REST framework's parsers, as PayMob runs them: JSON or urlencoded forms; anything else is 415.
/**
 * @param {IncomingMessage} req
 * @returns {Promise<Record<string, any>>} the parsed body: each handler checks the fields it reads, as PayMob does
 */
async function readPayload(req) {
  const raw = (await readBody(req, MAX_BODY_BYTES)).toString('utf8');
  const header = req.headers['content-type'] ?? '';
  const type = /** @type {string} split() always yields a first element */ (header.split(';')[0])
    .trim()
    .toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(raw));
  if (raw.trim() === '') return {};
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(415, { detail: `Unsupported media type "${header}" in request.` });
  }
  let value;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new HttpError(400, { detail: `JSON parse error - ${/** @type {SyntaxError} */ (error).message}` });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, {
      non_field_errors: [`Invalid data. Expected a dictionary, but got ${typeName(value)}.`],
    });
  }
  return value;
}

/**
 * @param {FieldErrors} errors
 * @param {Record<string, unknown>} body
 * @param {string} name
 * @param {{ min?: number; fallback?: number }} [options]
 * @returns {number | null} null when the field is in `errors`
 */
function integerField(errors, body, name, { min, fallback } = {}) {
  const raw = body[name];
  if (raw === undefined || raw === null || raw === '') {
    if (fallback !== undefined) return fallback;
    errors[name] = ['This field is required.'];
    return null;
  }
  const value = parseInteger(raw);
  if (value === null) {
    errors[name] = ['A valid integer is required.'];
    return null;
  }
  if (min !== undefined && value < min) {
    errors[name] = [`Ensure this value is greater than or equal to ${min}.`];
    return null;
  }
  return value;
}

/**
 * @param {FieldErrors} errors
 * @param {Record<string, unknown>} body
 * @param {{ fallback?: string }} [options]
 * @returns {string | null} null when the field is in `errors`
 */
function currencyField(errors, body, { fallback } = {}) {
  const raw = nonEmpty(body.currency);
  if (raw === null) {
    if (fallback !== undefined) return fallback;
    errors.currency = ['This field is required.'];
    return null;
  }
  if (!/^[A-Za-z]{3}$/.test(raw)) {
    errors.currency = [`"${raw}" is not a valid choice.`];
    return null;
  }
  return raw.toUpperCase();
}

/**
 * @param {FieldErrors} errors
 * @param {Record<string, unknown>} body
 * @param {string} name
 */
function urlField(errors, body, name) {
  const raw = nonEmpty(body[name]);
  if (raw === null) return null;
  try {
    const parsed = new URL(raw);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return raw;
  } catch {
    // falls through to the error below
  }
  errors[name] = ['Enter a valid URL.'];
  return null;
}

/** @param {unknown} value */
function nonEmpty(value) {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object') return null;
  const text = String(value).trim();
  return text === '' ? null : text;
}

/** @param {unknown} value */
function typeName(value) {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  /** @type {Partial<Record<string, string>>} Python's names for JSON's types */
  const pythonNames = { string: 'str', number: 'int', boolean: 'bool' };
  return pythonNames[typeof value] ?? typeof value;
}

/**
 * @param {string} a
 * @param {string} b
 */
function constantTimeEqual(a, b) {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

// The auth answer's `profile`: the merchant an order names (MERCHANT), with its user and account settings.
function merchantProfile() {
  const { id, created_at, ...company } = MERCHANT;
  return {
    id,
    user: {
      id: OWNER_ID,
      username: '01000000000',
      first_name: 'StackPay',
      last_name: 'Sandbox',
      date_joined: '2023-01-10T09:12:44.211430',
      email: 'payments@stackpay.test',
      is_active: true,
      is_staff: false,
      is_superuser: false,
      last_login: null,
      groups: [],
      user_permissions: [],
    },
    created_at,
    active: true,
    profile_type: 'Merchant',
    ...company,
    email_notification: false,
    order_retrieval_endpoint: null,
    delivery_update_endpoint: null,
    logo_url: null,
    is_mobadra: false,
    sector: null,
    is_2fa_enabled: false,
    merchant_status: 0,
    can_process_multiple_refunds: true,
    day_start_time: '00:00:00',
    day_end_time: null,
    permissions: [],
  };
}
