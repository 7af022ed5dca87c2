import { isDuplicateOrder, PaymobError } from './errors';
import {
  IntentionResponse,
  OrderList,
  OrderResponse,
  PaymentKeyResponse,
  PaymobTransaction,
  ReversalAnswer,
} from './schemas';
import { type BillingData, PAYMENT_KEY_EXPIRATION_SECONDS } from './settings';
import { NotFoundAnswer, PaymobTransport } from './transport';

// The client's public names, importable from here as before the split (settings, errors, transport).
export {
  isPaymobNotFound,
  type PaymobAuthScheme,
  PaymobError,
  type PaymobFailure,
  providerMessage,
} from './errors';
export {
  ACCOUNT_CURRENCIES,
  AUTH_TOKEN_TTL_SECONDS,
  authTokenCacheKey,
  type BillingData,
  PAYMENT_KEY_EXPIRATION_SECONDS,
  PAYMOB_BASE_URLS,
  type PaymobApiMode,
  type PaymobConfig,
  type PaymobCountry,
  type PaymobSettings,
  paymobSettings,
  type TokenCache,
} from './settings';
export {
  CALL_TIMEOUT_MS,
  CONNECT_TIMEOUT_MS,
  MAX_RETRIES,
  type PaymobClientDeps,
  REQUEST_BUDGET_MS,
  TokenMemory,
} from './transport';

/**
 * PayMob's HTTP API (docs/api.md §5, docs/design.md §5): the legacy flow (auth token → order → payment key → iframe),
 * the Intention API (one call → unified checkout), inquiries and reversals. One client per API request or
 * cron run (ServiceContext.paymob()): it carries that request's time budget. Transport, retries and
 * credentials: src/paymob/transport.ts.
 */

export class PaymobClient extends PaymobTransport {
  /** Legacy checkout: PayMob's iframe with the payment key. */
  iframeUrl(paymentToken: string): string {
    return `${this.baseUrl}/api/acceptance/iframes/${this.settings.iframeId}?payment_token=${encodeURIComponent(paymentToken)}`;
  }

  /** Intention checkout: PayMob's unified checkout page. */
  unifiedCheckoutUrl(clientSecret: string): string {
    const query = new URLSearchParams({ publicKey: this.settings.publicKey ?? '', clientSecret });
    return `${this.baseUrl}/unifiedcheckout/?${query}`;
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
    /** Saved-card tokens the unified checkout offers (PayMob's CIT flow; at most 3, docs/api.md "Saved cards"). */
    cardTokens?: string[];
    /** The integrations the checkout offers (docs/paymob.md §8); default: the card integrations. */
    integrationIds?: number[];
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
          payment_methods: input.integrationIds ?? this.settings.integrationIds,
          items: [
            { name: 'StackPay payment', amount: input.amountCents, description: 'Payment', quantity: 1 },
          ],
          billing_data: input.billing,
          special_reference: input.merchantOrderId,
          expiration: PAYMENT_KEY_EXPIRATION_SECONDS,
          notification_url: input.notificationUrl,
          redirection_url: input.redirectionUrl,
          ...(input.cardTokens?.length ? { card_tokens: input.cardTokens } : {}),
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
}
