import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { AppError } from '../lib/errors';
import { MAX_JSON_DEPTH } from '../lib/json-depth';
import { createRouter, jsonBody, jsonResponse } from '../lib/openapi';
import { problemResponses } from '../lib/problem';
import { byApiKey, requireScope } from '../middleware/api-key';
import { requireAuth, requireRole } from '../middleware/auth';
import { IDEMPOTENCY_HEADER, idempotency } from '../middleware/idempotency';
import { byUser, rateLimit } from '../middleware/rate-limit';
import { ACCOUNT_CURRENCIES, paymobSettings } from '../paymob/client';
import { createTransaction } from './create';
import { getTransaction, ID_PATTERN, listTransactions } from './list';
import { renderPayPage } from './pay-page';
import { RefundTransactionBody, refundTransaction } from './refund';
import { type RenderedPage, renderInvalidResult, renderPaymentResult } from './result-page';
import { withReturnUrl } from './return-url';
import {
  CreateTransactionBody,
  TransactionIdParams,
  TransactionListQuery,
  TransactionPage,
  TransactionSchema,
  WebhookAck,
} from './schemas';
import { voidTransaction } from './void';
import { handleProcessedCallback, handleResponseCallback, MAX_WEBHOOK_BODY_BYTES } from './webhook';

/** docs/api.md §4: `/api/v1/transactions/...`. Routes validate and shape; the services in this folder decide. */
export const transactionsRoutes = createRouter();

const TAGS = ['Transactions'];
// docs/api-keys.md: routes a server API key may call name its scope too.
const BEARER_OR_KEY = (scope: string): Array<Record<string, string[]>> => [
  { bearerAuth: [] },
  { apiKeyAuth: [scope] },
];
const WEBHOOK_PATH = '/api/v1/transactions/webhook/';

const htmlPage = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });

function page(c: Context<AppEnv>, rendered: RenderedPage) {
  return c.body(rendered.body, rendered.status as 200, rendered.headers);
}

// --- Create, list, read -------------------------------------------------------------------------------

transactionsRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/txn',
    operationId: 'createTransaction',
    tags: TAGS,
    security: BEARER_OR_KEY('payments:write'),
    summary: 'Start a payment: register it with PayMob and get the checkout URL',
    description: [
      'Customers only (staff → 403). Needs approved KYC (unless REQUIRE_KYC_FOR_PAYMENTS is false), a main',
      'address and first name, last name, phone and e-mail. The currency is the PayMob account’s (PAYMOB_COUNTRY), whatever the address’s country.',
      `Optional \`${IDEMPOTENCY_HEADER}\` (≤255 characters): the first answer is replayed for 24 hours to a retry`,
      'with the same body; another body → 422 `idempotency_key_reused`; a retry while the first runs → 409.',
      'Optional merchant data (docs/api.md §4.9): `merchant_reference` (unique per customer: a second payment with it',
      '→ 409 `merchant_reference_conflict`; an Idempotency-Key retry still gets the first answer), `metadata`, `description`, `return_url`.',
      'Rate limit: 30/min per user (`payments`).',
      'A server API key with `payments:write` pays for the customer named by the required `customer_id` (same checks; 30/min per key).',
    ].join(' '),
    middleware: [
      requireScope('payments:write'),
      requireAuth,
      requireRole('CUSTOMER'),
      rateLimit('payments', byUser, byApiKey),
      idempotency('transactions.create'),
    ] as const,
    request: { body: jsonBody(CreateTransactionBody) },
    responses: {
      201: jsonResponse(TransactionSchema, 'The transaction, pending, with its checkout URL'),
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 502, 503),
    },
  }),
  async (c) => {
    const base = (c.var.config.PUBLIC_BASE_URL ?? new URL(c.req.url).origin).replace(/\/+$/, '');
    const transaction = await createTransaction(c.var.ctx, {
      ...c.req.valid('json'),
      callbackUrl: `${base}${WEBHOOK_PATH}`,
    });
    c.header('Location', `/api/v1/transactions/txn/${transaction.id}/`);
    return c.json(transaction, 201);
  },
);

transactionsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/txn',
    operationId: 'listTransactions',
    tags: TAGS,
    security: BEARER_OR_KEY('payments:read'),
    summary: 'List transactions, newest first',
    description:
      'Customers see their own; staff and server API keys (`payments:read`) see all. Filters: `status` (repeatable), `created_after` (inclusive), `created_before` (exclusive), `created_at` (a UTC day), `merchant_order_id`, `merchant_reference` (exact), `customer`. Unknown filter values → 400.',
    middleware: [requireScope('payments:read'), requireAuth, rateLimit('default', byUser, byApiKey)] as const,
    request: { query: TransactionListQuery },
    responses: {
      200: jsonResponse(TransactionPage, 'One page of transactions'),
      ...problemResponses(400, 401, 404, 429),
    },
  }),
  async (c) =>
    c.json(await listTransactions(c.var.ctx, { query: c.req.valid('query'), requestUrl: c.req.url }), 200),
);

transactionsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/txn/{id}',
    operationId: 'getTransaction',
    tags: TAGS,
    security: BEARER_OR_KEY('payments:read'),
    summary: 'One transaction (another customer’s is a 404)',
    middleware: [requireScope('payments:read'), requireAuth, rateLimit('default', byUser, byApiKey)] as const,
    request: { params: TransactionIdParams },
    responses: {
      200: jsonResponse(TransactionSchema, 'The transaction'),
      ...problemResponses(401, 404, 429),
    },
  }),
  async (c) => c.json(await getTransaction(c.var.ctx, c.req.valid('param').id), 200),
);

// --- PayMob callbacks (public, signed, not rate limited) ---------------------------------------------------

transactionsRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/webhook',
    operationId: 'receivePaymobProcessedCallback',
    tags: TAGS,
    summary: 'PayMob transaction-processed callback',
    description: `Signed with HMAC-SHA512 (\`?hmac=\`; a refusal is 401 with \`WWW-Authenticate: HMAC-SHA512 realm="paymob-webhook"\`). Body ≤ ${MAX_WEBHOOK_BODY_BYTES / 1024} KiB and ${MAX_JSON_DEPTH} levels, read as JSON whatever its Content-Type. Every verified callback is stored; a redelivery is a no-op; answers 200 for types and orders it does not act on, and for bodies without \`type\` (stored unverified, a bounded sample).`,
    request: { query: z.object({ hmac: z.string().optional() }) },
    responses: {
      200: jsonResponse(WebhookAck, 'Received'),
      ...problemResponses(400, 401, 413, 503),
    },
  }),
  async (c) => {
    await handleProcessedCallback(c.var.ctx, {
      hmac: c.req.valid('query').hmac,
      body: await c.req.arrayBuffer(),
      contentType: c.req.header('Content-Type'),
    });
    return c.json({ received: true } as const, 200);
  },
);

transactionsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/webhook',
    operationId: 'showPaymobResponseCallback',
    tags: TAGS,
    summary: 'PayMob transaction-response callback (the browser after paying)',
    description:
      'Verifies the HMAC over the flattened query, applies the result, renders an HTML result page.',
    responses: { 200: htmlPage('The payment result'), 400: htmlPage('Signature missing or wrong') },
  }),
  async (c) => {
    const query: Record<string, string> = {};
    for (const [key, value] of new URL(c.req.url).searchParams) if (!(key in query)) query[key] = value;
    try {
      const result = await handleResponseCallback(c.var.ctx, query);
      return page(c, await renderPaymentResult(await withReturnUrl(c.var.ctx, result)));
    } catch (err) {
      if (err instanceof AppError && err.status === 400)
        return page(c, await renderInvalidResult(err.message));
      throw err;
    }
  },
);

// --- Test checkout page ---------------------------------------------------------------------------------

transactionsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/testpay-view',
    operationId: 'showTestCheckout',
    tags: TAGS,
    summary: 'Test checkout page (HTML, self-contained)',
    responses: { 200: htmlPage('The page') },
  }),
  async (c) => {
    const settings = paymobSettings(c.var.config);
    return page(
      c,
      await renderPayPage({
        apiMode: c.var.config.PAYMOB_API_MODE,
        paymobOrigin: new URL(settings.baseUrl).origin,
        currency: ACCOUNT_CURRENCIES[settings.country],
        acsFrameSrc: c.var.config.PAYMOB_ACS_FRAME_SRC,
      }),
    );
  },
);

// --- Refund and void (docs/api.md §4.6: ADMIN only) -------------------------------------------------------------

/**
 * Idempotency-Key per transaction: the stored request hash covers the body but not the path, so the
 * transaction id goes into the key's scope (a key reused on another transaction is then its own request).
 */
function reversalIdempotency(kind: 'refund' | 'void') {
  return createMiddleware<AppEnv>((c, next) => {
    const id = c.req.param('id') ?? '';
    return idempotency(`transactions.${kind}:${ID_PATTERN.test(id) ? id : '-'}`)(c, next);
  });
}

const reversalDescription = (what: string) =>
  [
    what,
    'ADMIN or a server API key with `refunds:write` (STAFF and customers → 403; audited with the key’s id). Only a `succeeded` payment (409 `invalid_transaction_state` otherwise).',
    'PayMob’s answer is applied at once; its callback later changes nothing more. PayMob failures → 502',
    '`paymob_unavailable` / `paymob_rejected` (never retried: a repeat could move money twice).',
    `Optional \`${IDEMPOTENCY_HEADER}\`: a retry with the same key gets the first answer. Rate limit: \`default\`.`,
  ].join(' ');

transactionsRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/txn/{id}/refund',
    operationId: 'refundTransaction',
    tags: TAGS,
    security: BEARER_OR_KEY('refunds:write'),
    summary: 'Refund a payment, in full or in part',
    description: reversalDescription(
      'Body `{"amount"}` is optional: by default everything not refunded yet. An amount above that → 400 on `amount`, without calling PayMob. A partial refund keeps the payment `succeeded` with `refunded_cents` > 0; the last one makes it `refunded`.',
    ),
    middleware: [
      requireScope('refunds:write'),
      requireAuth,
      requireRole('ADMIN'),
      rateLimit('default', byUser, byApiKey),
      reversalIdempotency('refund'),
    ] as const,
    request: {
      params: TransactionIdParams,
      body: { required: false, content: { 'application/json': { schema: RefundTransactionBody } } },
    },
    responses: {
      200: jsonResponse(TransactionSchema, 'The transaction after the refund'),
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 502, 503),
    },
  }),
  async (c) => {
    const transaction = await refundTransaction(c.var.ctx, {
      transactionId: c.req.valid('param').id,
      amount: c.req.valid('json').amount,
    });
    return c.json(transaction, 200);
  },
);

transactionsRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/txn/{id}/void',
    operationId: 'voidTransaction',
    tags: TAGS,
    security: BEARER_OR_KEY('refunds:write'),
    summary: 'Void a payment on the day it was made',
    description: reversalDescription(
      'Only on the UTC day of the payment (409 `void_window_closed` after it: refund instead) and only before any refund. The payment becomes `voided`.',
    ),
    middleware: [
      requireScope('refunds:write'),
      requireAuth,
      requireRole('ADMIN'),
      rateLimit('default', byUser, byApiKey),
      reversalIdempotency('void'),
    ] as const,
    request: { params: TransactionIdParams },
    responses: {
      200: jsonResponse(TransactionSchema, 'The transaction, voided'),
      ...problemResponses(401, 403, 404, 409, 413, 415, 422, 429, 502, 503),
    },
  }),
  async (c) => {
    const transaction = await voidTransaction(c.var.ctx, {
      transactionId: c.req.valid('param').id,
    });
    return c.json(transaction, 200);
  },
);
