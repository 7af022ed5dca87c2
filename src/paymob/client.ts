import type { z } from 'zod';
import { AppError, type ErrorCode } from '../lib/errors';
import type { Logger } from '../lib/logger';
import {
  AuthTokenResponse,
  IntentionResponse,
  OrderList,
  OrderResponse,
  PaymentKeyResponse,
  PaymobTransaction,
  ReversalAnswer,
} from './schemas';

/**
 * PayMob's HTTP API (docs/api.md §5, docs/design.md §5): the legacy flow (auth token → order → payment key → iframe)
 * and the Intention API (one call → unified checkout). One client per API request: it carries that
 * request's time budget.
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
// fetch() exposes no connect event; the response headers are the first thing we can observe. Calls that
// are safe to repeat get 5 s for them (a stalled connection is then retried soon); others get the total.
export const CONNECT_TIMEOUT_MS = 5_000;
export const CALL_TIMEOUT_MS = 15_000;
// Everything PayMob-related in one API request, retries included, so the request stays under 25 s.
export const REQUEST_BUDGET_MS = 22_000;
export const MAX_RETRIES = 3;
const BACKOFF_BASE_MS = 200;
const BACKOFF_MAX_MS = 2_000;
// A retry is pointless if less than this is left of the budget.
const MIN_ATTEMPT_MS = 1_000;
/** Payment keys (and so the checkout) stay valid this long (docs/api.md §4.2). */
export const PAYMENT_KEY_EXPIRATION_SECONDS = 3_600;
// PayMob's messages are short sentences; anything longer is not a message worth showing.
const MAX_PROVIDER_MESSAGE_LENGTH = 200;

export type PaymobFailure = 'unavailable' | 'rejected' | 'auth_failed' | 'unknown';
/** How a call proved who we are (named in logs, never the key): docs/paymob.md §5. */
export type PaymobAuthScheme = 'api_key' | 'auth_token' | 'secret_key';

const FAILURE_CODES: Record<PaymobFailure, ErrorCode> = {
  unavailable: 'paymob_unavailable',
  rejected: 'paymob_rejected',
  auth_failed: 'paymob_auth_failed',
  unknown: 'paymob_outcome_unknown',
};
const FAILURE_DETAILS: Record<Exclude<PaymobFailure, 'rejected' | 'unknown'>, string> = {
  unavailable: 'The payment provider is unavailable. Please try again shortly.',
  auth_failed: 'The payment provider refused our credentials. Staff must check the PayMob keys.',
};

/**
 * The ways PayMob can fail a request, all 502 to our client: `paymob_unavailable` (network, timeout, 5xx,
 * 429, an answer we cannot read), `paymob_rejected` (a 4xx, with PayMob's message, never its body),
 * `paymob_auth_failed` (our credentials refused, even after one token refresh: a configuration problem) and,
 * for refunds and voids only, `paymob_outcome_unknown` (no answer, or a 2xx we cannot read: PayMob may have
 * moved the money; docs/payments.md "Outcome unknown").
 */
export class PaymobError extends AppError {
  readonly failure: PaymobFailure;
  readonly operation: string;
  /** Short, safe description for logs and `failure_reason`. */
  readonly reason: string;
  readonly providerStatus?: number;
  /** The answer's body as text (first 2 KiB), for recognising an answer; never logged or sent on. */
  readonly providerText?: string;

  constructor(
    failure: PaymobFailure,
    operation: string,
    reason: string,
    options: { providerStatus?: number; providerText?: string; cause?: unknown } = {},
  ) {
    const detail =
      failure === 'rejected'
        ? `The payment provider rejected the request: ${reason}`
        : failure === 'unknown'
          ? `Outcome unknown — check PayMob: the ${operation} may have been carried out, but PayMob's answer was lost or unreadable (${reason}). Check the payment in PayMob's dashboard before trying again.`
          : FAILURE_DETAILS[failure];
    super(502, FAILURE_CODES[failure], detail, { cause: options.cause });
    this.name = 'PaymobError';
    this.failure = failure;
    this.operation = operation;
    this.reason = reason;
    this.providerStatus = options.providerStatus;
    this.providerText = options.providerText;
  }
}

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

export interface PaymobClientDeps {
  settings: PaymobSettings;
  cache: TokenCache;
  logger: Logger;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  clock?: () => number;
  budgetMs?: number;
  /** Overrides CONNECT_TIMEOUT_MS / CALL_TIMEOUT_MS (tests). */
  timeouts?: { connectMs: number; callMs: number };
}

interface CallSpec<S extends z.ZodType> {
  operation: string;
  method: 'GET' | 'POST';
  path: string;
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
  schema: S;
  /** Safe to repeat: retried on network errors, 429 and 5xx. */
  retry: boolean;
  /** PayMob's documented not-found answer ends the call with NotFoundAnswer (inquiry). */
  recognizeNotFound?: boolean;
  /**
   * A refund or void: PayMob's `x-paymob-id` is logged (PayMob support asks for it), and a lost or
   * unreadable answer is `unknown`, not `unavailable`.
   */
  reversal?: boolean;
}

type RawResult = { status: number; json: unknown; text: string; paymobId: string | null };

class AuthExpired extends Error {}

/** How one call authenticates: a header (`Token <secret key>`) or the legacy auth token. */
type MerchantAuth =
  | { scheme: 'secret_key'; headers: Record<string, string>; token?: undefined }
  | { scheme: 'auth_token'; headers: Record<string, string>; token: string };

// Status codes on which PayMob's refusal of a duplicate merchant_order_id has been seen or is plausible
// (sandbox 422 {"message":"duplicate"}, a community mock's 400 with a merchant_order_id field; docs/paymob.md §4).
const DUPLICATE_ORDER_STATUSES = new Set([400, 409, 422]);
const DUPLICATE_ORDER_TEXT = /merchant_order_id|duplicate/i;
// What we keep of an error body to recognise it (duplicate order, not-found): never logged.
const MAX_PROVIDER_TEXT = 2048;

/**
 * PayMob's documented "no such object" answer: Django REST framework's `{"detail": "Not found."}` with 404.
 * Only exactly this is evidence that PayMob knows no payment on an order; a 404 with any other body (an
 * HTML page from a wrong base URL, a moved endpoint) proves nothing (docs/paymob.md §3).
 */
export function isPaymobNotFound(status: number, json: unknown): boolean {
  if (status !== 404 || !json || typeof json !== 'object' || Array.isArray(json)) return false;
  const keys = Object.keys(json);
  const detail = (json as Record<string, unknown>).detail;
  return keys.length === 1 && typeof detail === 'string' && /^not found\.?$/i.test(detail.trim());
}

class NotFoundAnswer extends Error {}

export class PaymobClient {
  readonly settings: PaymobSettings;
  private readonly cache: TokenCache;
  private readonly logger: Logger;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly clock: () => number;
  private readonly deadline: number;
  private readonly timeouts: { connectMs: number; callMs: number };

  constructor(deps: PaymobClientDeps) {
    this.settings = deps.settings;
    this.cache = deps.cache;
    this.logger = deps.logger.child({ component: 'paymob' });
    this.fetchImpl = deps.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = deps.random ?? Math.random;
    this.clock = deps.clock ?? Date.now;
    this.deadline = this.clock() + (deps.budgetMs ?? REQUEST_BUDGET_MS);
    this.timeouts = deps.timeouts ?? { connectMs: CONNECT_TIMEOUT_MS, callMs: CALL_TIMEOUT_MS };
  }

  get baseUrl(): string {
    return this.settings.baseUrl;
  }

  /** Legacy checkout: PayMob's iframe with the payment key. */
  iframeUrl(paymentToken: string): string {
    return `${this.baseUrl}/api/acceptance/iframes/${this.settings.iframeId}?payment_token=${encodeURIComponent(paymentToken)}`;
  }

  /** Intention checkout: PayMob's unified checkout page. */
  unifiedCheckoutUrl(clientSecret: string): string {
    const query = new URLSearchParams({ publicKey: this.settings.publicKey ?? '', clientSecret });
    return `${this.baseUrl}/unifiedcheckout/?${query}`;
  }

  /** The auth token, from KV when cached (50 minutes), else from PayMob (then cached). */
  async authToken(options: { fresh?: boolean } = {}): Promise<string> {
    const key = authTokenCacheKey(this.settings.country);
    if (!options.fresh) {
      try {
        const cached = await this.cache.get(key);
        if (cached) return cached;
      } catch (err) {
        // KV trouble only costs us an extra auth call.
        this.logger.warn('paymob token cache read failed', { error: String(err).slice(0, 200) });
      }
    }
    if (!this.settings.apiKey) {
      // Intention mode without a legacy API key: only reachable through a legacy-only call.
      throw this.authFailed('auth', 'api_key', 'no PAYMOB_API_KEY is configured');
    }
    let token: string;
    try {
      ({ token } = await this.call({
        operation: 'auth',
        method: 'POST',
        path: '/api/auth/tokens',
        body: { api_key: this.settings.apiKey },
        schema: AuthTokenResponse,
        retry: true,
      }));
    } catch (err) {
      // PayMob refuses a wrong API key with 403 {"detail":"incorrect credentials"} (sandbox; real status unknown).
      if (err instanceof AuthExpired || (err instanceof PaymobError && err.providerStatus === 403)) {
        throw this.authFailed('auth', 'api_key', 'PayMob refused the API key');
      }
      throw err;
    }
    try {
      await this.cache.put(key, token, { expirationTtl: AUTH_TOKEN_TTL_SECONDS });
    } catch (err) {
      this.logger.warn('paymob token cache write failed', { error: String(err).slice(0, 200) });
    }
    return token;
  }

  /**
   * Registers the order. Safe to retry because our `merchant_order_id` is unique: when PayMob answers that
   * it is a duplicate (an earlier attempt did reach it), the existing order is recovered by inquiry.
   */
  async registerOrder(input: {
    merchantOrderId: string;
    amountCents: number;
    currency: string;
  }): Promise<{ id: number; recovered: boolean }> {
    try {
      const order = await this.withAuth('order registration', (authToken) =>
        this.call({
          operation: 'order registration',
          method: 'POST',
          path: '/api/ecommerce/orders',
          body: {
            auth_token: authToken,
            delivery_needed: 'false',
            amount_cents: input.amountCents,
            currency: input.currency,
            merchant_order_id: input.merchantOrderId,
            items: [],
          },
          schema: OrderResponse,
          retry: true,
        }),
      );
      return { id: order.id, recovered: false };
    } catch (err) {
      if (!isDuplicateOrder(err)) throw err;
      const orderId = await this.findOrderId(input.merchantOrderId);
      if (!orderId) throw err;
      this.logger.info('paymob order recovered after duplicate', { paymob_order_id: orderId });
      return { id: orderId, recovered: true };
    }
  }

  /**
   * Our order's PayMob id: from the transaction inquiry when a payment was attempted, else from the order
   * list filtered by merchant_order_id (an order nobody paid yet has no transaction to inquire about).
   */
  private async findOrderId(merchantOrderId: string): Promise<number | undefined> {
    const transaction = await this.inquireByMerchantOrderId(merchantOrderId);
    if (transaction) return transaction.order.id;
    const list = await this.withAuth('order lookup', (authToken) =>
      this.call({
        operation: 'order lookup',
        method: 'GET',
        path: `/api/ecommerce/orders?merchant_order_id=${encodeURIComponent(merchantOrderId)}`,
        headers: { Authorization: `Bearer ${authToken}` },
        schema: OrderList,
        retry: true,
      }),
    );
    // Matched exactly, in case the filter is ignored and other orders come back.
    return list.results.find((order) => order.merchant_order_id === merchantOrderId)?.id;
  }

  /**
   * Payment key for the iframe. Not retried: PayMob issues a new key per call. The callback URLs, when
   * given, override the dashboard's per-integration settings for this payment.
   */
  async createPaymentKey(input: {
    orderId: number;
    amountCents: number;
    currency: string;
    billing: BillingData;
    notificationUrl?: string;
    redirectionUrl?: string;
  }): Promise<{ token: string }> {
    const integrationId = this.settings.integrationIds[0];
    return this.withAuth('payment key', (authToken) =>
      this.call({
        operation: 'payment key',
        method: 'POST',
        path: '/api/acceptance/payment_keys',
        body: {
          auth_token: authToken,
          amount_cents: input.amountCents,
          expiration: PAYMENT_KEY_EXPIRATION_SECONDS,
          order_id: input.orderId,
          billing_data: input.billing,
          currency: input.currency,
          integration_id: integrationId,
          lock_order_when_paid: true,
          ...(input.notificationUrl ? { notification_url: input.notificationUrl } : {}),
          ...(input.redirectionUrl ? { redirection_url: input.redirectionUrl } : {}),
        },
        schema: PaymentKeyResponse,
        retry: false,
      }),
    );
  }

  /** One Intention API call (order + payment key in one). Not retried: each call creates an intention. */
  async createIntention(input: {
    merchantOrderId: string;
    amountCents: number;
    currency: string;
    billing: BillingData;
    notificationUrl: string;
    redirectionUrl: string;
  }): Promise<{ id: string; clientSecret: string; orderId: number }> {
    const intention = await this.withSecretKey('intention', (headers) =>
      this.call({
        operation: 'intention',
        method: 'POST',
        path: '/v1/intention/',
        headers,
        body: {
          amount: input.amountCents,
          currency: input.currency,
          payment_methods: this.settings.integrationIds,
          items: [
            { name: 'StackPay payment', amount: input.amountCents, description: 'Payment', quantity: 1 },
          ],
          billing_data: input.billing,
          special_reference: input.merchantOrderId,
          expiration: PAYMENT_KEY_EXPIRATION_SECONDS,
          notification_url: input.notificationUrl,
          redirection_url: input.redirectionUrl,
        },
        schema: IntentionResponse,
        retry: false,
      }),
    );
    // The Oman and Pakistan docs' samples show no intention_order_id; their payment key names the order.
    const orderId = intention.intention_order_id ?? intention.payment_keys?.find((k) => k.order_id)?.order_id;
    if (orderId === undefined) {
      this.logger.error('paymob intention answer names no order', { operation: 'intention' });
      throw new PaymobError('unavailable', 'intention', 'intention answer without an order id');
    }
    return { id: intention.id, clientSecret: intention.client_secret, orderId };
  }

  /**
   * The latest transaction of one of our orders, or null when PayMob answers its documented not-found
   * (`isPaymobNotFound`). Anything else it cannot read — another 404, an unknown shape, refused credentials —
   * throws: PayMob's state is then unknown, never "unpaid" (docs/paymob.md §3).
   */
  async inquireByMerchantOrderId(merchantOrderId: string): Promise<PaymobTransaction | null> {
    try {
      return await this.withMerchantAuth('inquiry', (auth) =>
        this.call({
          operation: 'inquiry',
          method: 'POST',
          path: '/api/ecommerce/orders/transaction_inquiry',
          headers: auth.headers,
          body: { ...(auth.token ? { auth_token: auth.token } : {}), merchant_order_id: merchantOrderId },
          schema: PaymobTransaction,
          retry: true,
          recognizeNotFound: true,
        }),
      );
    } catch (err) {
      if (err instanceof NotFoundAnswer) return null;
      throw err;
    }
  }

  /**
   * Refunds part or all of a captured payment (docs/design.md §5). Answers with the refund: a new child
   * transaction (`has_parent_transaction`). Never retried on a network error, timeout or 5xx: PayMob keys
   * refunds by nothing we send, so a repeat could refund twice. (A 401 is still refreshed and repeated once:
   * PayMob refused the call, so nothing was refunded.)
   */
  async refund(input: { transactionId: number; amountCents: number }): Promise<ReversalAnswer> {
    return this.withMerchantAuth('refund', (auth) =>
      this.call({
        operation: 'refund',
        method: 'POST',
        path: '/api/acceptance/void_refund/refund',
        headers: auth.headers,
        body: {
          ...(auth.token ? { auth_token: auth.token } : {}),
          transaction_id: input.transactionId,
          amount_cents: input.amountCents,
        },
        schema: ReversalAnswer,
        retry: false,
        reversal: true,
      }),
    );
  }

  /**
   * Voids a payment captured today (PayMob's business day). Answers with the void child transaction. Not
   * retried, like refunds: the outcome of a call that got no answer is unknown.
   */
  async voidPayment(input: { transactionId: number }): Promise<ReversalAnswer> {
    return this.withMerchantAuth('void', (auth) =>
      this.call({
        operation: 'void',
        method: 'POST',
        path: `/api/acceptance/void_refund/void${auth.token ? `?token=${encodeURIComponent(auth.token)}` : ''}`,
        headers: auth.headers,
        body: { transaction_id: input.transactionId },
        schema: ReversalAnswer,
        retry: false,
        reversal: true,
      }),
    );
  }

  /**
   * One transaction as PayMob holds it, by PayMob's transaction id (`GET /api/acceptance/transactions/{id}`,
   * PayMob's Postman collection "Transaction_inquiry_for_trx_ID"): how a signed callback whose meaning rests
   * on unsigned fields is confirmed (docs/payments.md). Safe to repeat. Null when PayMob knows no such id.
   * Authenticated like every inquiry (docs/paymob.md §5): `Token <secret key>` in intention mode, else the
   * auth token as a Bearer header.
   */
  async getTransaction(transactionId: number): Promise<ReversalAnswer | null> {
    try {
      return await this.withMerchantAuth('transaction read', (auth) =>
        this.call({
          operation: 'transaction read',
          method: 'GET',
          path: `/api/acceptance/transactions/${transactionId}`,
          headers: auth.token ? { Authorization: `Bearer ${auth.token}` } : auth.headers,
          schema: ReversalAnswer,
          retry: true,
        }),
      );
    } catch (err) {
      if (err instanceof PaymobError && err.providerStatus === 404) return null;
      throw err;
    }
  }

  /**
   * Runs a call that takes either credential the way the mode documents it: in intention mode
   * `Authorization: Token <secret key>` (developers.paymob.com create-intention; docs.oman.paymob.com
   * void-transaction "authorization-header: Token <secret_key>"; PayMob's WooCommerce plugin refunds with
   * it), so no legacy API key is needed; in legacy mode the auth token, its only documented form there.
   */
  private withMerchantAuth<T>(operation: string, run: (auth: MerchantAuth) => Promise<T>): Promise<T> {
    if (this.settings.mode === 'intention' && this.settings.secretKey) {
      return this.withSecretKey(operation, (headers) => run({ scheme: 'secret_key', headers }));
    }
    return this.withAuth(operation, (token) => run({ scheme: 'auth_token', headers: {}, token }));
  }

  /** A call with `Token <secret key>`; a 401 is final (a secret key cannot be refreshed). */
  private async withSecretKey<T>(
    operation: string,
    run: (headers: Record<string, string>) => Promise<T>,
  ): Promise<T> {
    if (!this.settings.secretKey) throw this.authFailed(operation, 'secret_key', 'no PAYMOB_SECRET_KEY');
    try {
      return await run({ Authorization: `Token ${this.settings.secretKey}` });
    } catch (err) {
      if (err instanceof AuthExpired)
        throw this.authFailed(operation, 'secret_key', 'PayMob refused the secret key');
      throw err;
    }
  }

  /** Runs an authenticated call; on a 401 the cached token is replaced once and the call repeated. */
  private async withAuth<T>(operation: string, run: (authToken: string) => Promise<T>): Promise<T> {
    const token = await this.authToken();
    try {
      return await run(token);
    } catch (err) {
      if (!(err instanceof AuthExpired)) throw err;
      this.logger.info('paymob auth token refused; refreshing once');
      const fresh = await this.authToken({ fresh: true });
      try {
        return await run(fresh);
      } catch (again) {
        if (again instanceof AuthExpired) {
          throw this.authFailed(operation, 'auth_token', 'PayMob refused a fresh auth token');
        }
        throw again;
      }
    }
  }

  /** A credentials problem: logged with the scheme used (never the key), reported as paymob_auth_failed. */
  private authFailed(operation: string, scheme: PaymobAuthScheme, reason: string): PaymobError {
    this.logger.error('paymob refused our credentials', { operation, auth_scheme: scheme, reason });
    return new PaymobError('auth_failed', operation, reason, { providerStatus: 401 });
  }

  private remaining(): number {
    return this.deadline - this.clock();
  }

  private backoff(attempt: number): number {
    // Full jitter: a random wait up to the exponential cap, so clients retrying together spread out.
    const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
    return Math.floor(this.random() * cap);
  }

  private async call<S extends z.ZodType>(spec: CallSpec<S>): Promise<z.infer<S>> {
    const raw = await this.send(spec);
    if (raw.status === 401) throw new AuthExpired();
    if (spec.recognizeNotFound && isPaymobNotFound(raw.status, raw.json)) throw new NotFoundAnswer();
    if (raw.status >= 200 && raw.status < 300) {
      const parsed = spec.schema.safeParse(raw.json);
      if (parsed.success) return parsed.data;
      this.logger.error('paymob answered in an unexpected shape', {
        operation: spec.operation,
        status: raw.status,
        ...(spec.reversal ? { outcome: 'unknown_after_call', paymob_id: raw.paymobId } : {}),
      });
      throw new PaymobError(
        spec.reversal ? 'unknown' : 'unavailable',
        spec.operation,
        `unexpected ${spec.operation} response`,
        { providerStatus: raw.status },
      );
    }
    if (raw.status >= 400 && raw.status < 500 && raw.status !== 429) {
      const message = providerMessage(raw.json) ?? `HTTP ${raw.status}`;
      this.logger.warn('paymob rejected a request', {
        operation: spec.operation,
        status: raw.status,
        ...(spec.reversal ? { paymob_id: raw.paymobId } : {}),
      });
      throw new PaymobError('rejected', spec.operation, message, {
        providerStatus: raw.status,
        providerText: raw.text.slice(0, MAX_PROVIDER_TEXT),
      });
    }
    throw new PaymobError('unavailable', spec.operation, `${spec.operation}: HTTP ${raw.status}`, {
      providerStatus: raw.status,
    });
  }

  /** Sends with timeouts; retries (when allowed) on network errors, timeouts, 429 and 5xx. */
  private async send(spec: CallSpec<z.ZodType>): Promise<RawResult> {
    const attempts = spec.retry ? MAX_RETRIES + 1 : 1;
    let lastError = 'no attempt';
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        const wait = this.backoff(attempt - 1);
        if (this.remaining() - wait < MIN_ATTEMPT_MS) break;
        await this.sleep(wait);
      }
      const budget = Math.min(this.timeouts.callMs, this.remaining());
      const started = this.clock();
      let result: RawResult;
      try {
        result = await this.attempt(spec, budget);
      } catch (err) {
        lastError = err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'network error';
        this.logger.warn('paymob call failed', {
          operation: spec.operation,
          attempt,
          failure: lastError,
          duration_ms: this.clock() - started,
        });
        continue;
      }
      this.logger.info('paymob call', {
        operation: spec.operation,
        attempt,
        status: result.status,
        duration_ms: this.clock() - started,
        // PayMob support traces a call by this header (docs/payments.md).
        ...(spec.reversal ? { paymob_id: result.paymobId } : {}),
      });
      if (result.status === 429 || result.status >= 500) {
        lastError = `HTTP ${result.status}`;
        if (spec.retry) continue;
      }
      return result;
    }
    // A reversal sent once without an answer may have been carried out.
    const noAnswer = spec.reversal && (lastError === 'timeout' || lastError === 'network error');
    throw new PaymobError(
      noAnswer ? 'unknown' : 'unavailable',
      spec.operation,
      `${spec.operation}: ${lastError}`,
    );
  }

  private async attempt(spec: CallSpec<z.ZodType>, budgetMs: number): Promise<RawResult> {
    const controller = new AbortController();
    const timeout = (ms: number) =>
      setTimeout(() => controller.abort(new DOMException('PayMob call timed out', 'TimeoutError')), ms);
    const total = timeout(budgetMs);
    const connect = spec.retry ? timeout(Math.min(this.timeouts.connectMs, budgetMs)) : undefined;
    try {
      const headers: Record<string, string> = { Accept: 'application/json', ...spec.headers };
      if (spec.body) headers['Content-Type'] = 'application/json';
      const response = await this.fetchImpl(`${this.baseUrl}${spec.path}`, {
        method: spec.method,
        headers,
        body: spec.body ? JSON.stringify(spec.body) : undefined,
        signal: controller.signal,
      });
      if (connect !== undefined) clearTimeout(connect);
      const text = await response.text();
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      return { status: response.status, json, text, paymobId: response.headers.get('x-paymob-id') };
    } catch (err) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw err;
    } finally {
      clearTimeout(total);
      if (connect !== undefined) clearTimeout(connect);
    }
  }
}

/** PayMob refusing our merchant_order_id as already used: any 400/409/422 whose body names it. */
function isDuplicateOrder(err: unknown): boolean {
  return (
    err instanceof PaymobError &&
    err.failure === 'rejected' &&
    err.providerStatus !== undefined &&
    DUPLICATE_ORDER_STATUSES.has(err.providerStatus) &&
    DUPLICATE_ORDER_TEXT.test(err.providerText ?? err.reason)
  );
}

/**
 * PayMob's own words from a 4xx answer: `message` or `detail`, else the first field error
 * (`{"merchant_order_id": ["duplicate"]}` → "merchant_order_id: duplicate"). Never the raw body.
 */
export function providerMessage(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  for (const key of ['message', 'detail', 'error']) {
    const value = record[key];
    if (typeof value === 'string' && value.trim()) return sanitize(value);
  }
  for (const [field, value] of Object.entries(record)) {
    const first = Array.isArray(value) ? value.find((v) => typeof v === 'string') : value;
    if (typeof first === 'string' && first.trim()) return sanitize(`${field}: ${first}`);
    if (first && typeof first === 'object') {
      const nested = providerMessage(first);
      if (nested) return sanitize(`${field}.${nested}`);
    }
  }
  return undefined;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]+/g;

function sanitize(text: string): string {
  return text.replace(CONTROL_CHARACTERS, ' ').trim().slice(0, MAX_PROVIDER_MESSAGE_LENGTH);
}
