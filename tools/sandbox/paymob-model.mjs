// PayMob's objects as its API and callbacks show them: orders, transactions (with their nested order,
// source_data and gateway data), the flattened transaction-response query, test cards, billing-data rules
// and the JWT-like tokens. Pure functions over plain records; the state lives in paymob.mjs.

import { createHmac, randomBytes } from 'node:crypto';

// One imaginary test merchant. `owner` is the merchant's user id, `profile_id` its profile.
/**
 * An order as the sandbox keeps it (orderObject() is PayMob's view of it).
 * @typedef {object} Order
 * @property {number} id
 * @property {string} created_at
 * @property {number} created_ms
 * @property {boolean} delivery_needed
 * @property {number} amount_cents
 * @property {string} currency
 * @property {string | null} merchant_order_id
 * @property {unknown[]} items
 * @property {unknown} shipping_data
 * @property {boolean} is_payment_locked
 * @property {number} paid_amount_cents
 * @property {string} api_source
 */
/** @typedef {keyof typeof OUTCOMES} OutcomeName */
/** @typedef {'payment' | 'refund' | 'void'} TransactionKind */
/**
 * The sandbox's bookkeeping of a transaction, beside PayMob's object.
 * @typedef {object} TransactionMeta
 * @property {number} order_id
 * @property {TransactionKind} kind
 * @property {string} card_number
 * @property {number} created_ms
 * @property {string} created_micros
 * @property {string | null} notification_url
 * @property {string | null} redirection_url
 * @property {string} [save_card] the intention whose shopper asked to save the card (tools/sandbox/paymob-tokens.mjs)
 */
/** @typedef {ReturnType<typeof buildTransaction>} Transaction */
/** @typedef {Transaction['obj']} TransactionObj PayMob's transaction object, its order not yet filled in */
/** @typedef {ReturnType<typeof transactionObject>} ShownTransaction PayMob's transaction object as shown */

export const PROFILE_ID = 164295;
export const OWNER_ID = 302852;
export const MERCHANT = Object.freeze({
  id: PROFILE_ID,
  created_at: '2023-01-10T09:12:44.318914',
  phones: ['+201000000000'],
  company_emails: ['payments@stackpay.test'],
  company_name: 'StackPay Sandbox',
  state: '',
  country: 'EGY',
  city: 'Cairo',
  postal_code: '',
  street: '',
});

export const BILLING_FIELDS = Object.freeze([
  'apartment',
  'email',
  'floor',
  'first_name',
  'street',
  'building',
  'phone_number',
  'shipping_method',
  'postal_code',
  'city',
  'country',
  'last_name',
  'state',
]);
// PayMob accepts "NA" for unknown billing fields, except these four, which must be real.
export const REAL_BILLING_FIELDS = Object.freeze(['first_name', 'last_name', 'phone_number', 'email']);

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE_PATTERN = /^\+?[0-9][0-9 ()-]{4,18}[0-9]$/;

// Test cards (docs/api.md §10). Any other number is declined.
export const TEST_CARDS = Object.freeze({
  5123456789012346: 'success',
  4000000000000002: 'declined',
  4000000000009995: 'pending',
});

// 3-D Secure test cards (docs/checkout.md §2): the checkout sends them to the issuer's page (the sandbox's
// ACS, another origin) before the payment is authorised. The challenge card asks for a one-time password;
// a wrong one, or Cancel, fails the authentication and the payment is declined. The frictionless card passes
// through the ACS without a page. Both are authorised once authenticated.
export const THREE_DS_CARDS = Object.freeze({
  4000000000003220: 'challenge',
  4000000000003055: 'frictionless',
});

/**
 * @param {unknown} cardNumber
 * @returns {'challenge' | 'frictionless' | null}
 */
export function threeDsFlow(cardNumber) {
  return (
    /** @type {Record<string, 'challenge' | 'frictionless'>} */ (THREE_DS_CARDS)[
      normalizeCardNumber(cardNumber)
    ] ?? null
  );
}

export const OUTCOMES = Object.freeze({
  success: { success: true, pending: false, txn_response_code: 'APPROVED', acq: '00', message: 'Approved' },
  declined: {
    success: false,
    pending: false,
    txn_response_code: 'DECLINED',
    acq: '05',
    message: 'Do not honor',
  },
  pending: {
    success: false,
    pending: true,
    txn_response_code: 'PENDING',
    acq: '',
    message: 'Transaction is pending',
  },
  // The cardholder failed (or cancelled) the 3-D Secure challenge: no authorisation was attempted. The
  // code is the Mastercard Gateway's gateway code for this case (PayMob's card codes such as APPROVED are
  // that gateway's); PayMob's exact message for it is unknown (docs/checkout.md §6).
  authentication_failed: {
    success: false,
    pending: false,
    txn_response_code: 'AUTHENTICATION_FAILED',
    acq: '',
    message: '3-D Secure authentication failed',
  },
});

/** @type {Record<string, number>} */
const MINOR_DIGITS = { BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3, JPY: 0, KRW: 0 };

// PayMob's business day is local to the account's region: its own WooCommerce plugin's getTimeZone maps
// Egypt → Africa/Cairo, KSA → Asia/Riyadh, UAE → Asia/Dubai, Oman → Asia/Muscat, Pakistan → Asia/Karachi.
export const PAYMOB_TIME_ZONES = Object.freeze({
  EG: 'Africa/Cairo',
  SA: 'Asia/Riyadh',
  AE: 'Asia/Dubai',
  OM: 'Asia/Muscat',
  PK: 'Asia/Karachi',
});

// The calendar day (YYYY-MM-DD) of an instant in the account's zone.
/**
 * @param {number} ms
 * @param {string} [country]
 */
export function businessDay(ms, country = 'EG') {
  const timeZone = /** @type {Record<string, string>} */ (PAYMOB_TIME_ZONES)[country] ?? PAYMOB_TIME_ZONES.EG;
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(ms));
  const part = (/** @type {Intl.DateTimeFormatPartTypes} */ type) =>
    parts.find((p) => p.type === type)?.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** @param {string} currency */
export function minorDigits(currency) {
  return MINOR_DIGITS[currency] ?? 2;
}

// Integer minor units to "EGP 1,234.50" without floating point.
/**
 * @param {number} amountCents
 * @param {string} currency
 */
export function formatAmount(amountCents, currency) {
  const digits = minorDigits(currency);
  const sign = amountCents < 0 ? '-' : '';
  const text = String(Math.abs(amountCents)).padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = digits > 0 ? `.${text.slice(text.length - digits)}` : '';
  return `${currency} ${sign}${whole}${fraction}`;
}

// PayMob's timestamps: ISO-like, six fractional digits, no zone (the sandbox keeps them in UTC).
/**
 * @param {number} ms
 * @param {string} [micros]
 */
export function paymobTimestamp(ms, micros = '000') {
  return `${new Date(ms).toISOString().slice(0, 23)}${micros}`;
}

export function freshTimestamp() {
  const ms = Date.now();
  const micros = String(Math.floor(Math.random() * 1000)).padStart(3, '0');
  return { ms, micros, text: paymobTimestamp(ms, micros) };
}

// Ids grow from the start time in milliseconds, so a restarted sandbox never hands out an id that a
// database filled by an earlier run has already seen.
export function createIdSequence(offset = 0) {
  let next = Date.now() - Date.UTC(2024, 0, 1) + offset;
  return () => next++;
}

/** @param {unknown} value */
export function normalizeCardNumber(value) {
  return String(value ?? '').replace(/[\s-]/g, '');
}

/**
 * @param {unknown} cardNumber
 * @returns {'success' | 'declined' | 'pending'}
 */
export function cardOutcome(cardNumber) {
  return (
    /** @type {Record<string, 'success' | 'declined' | 'pending'>} */ (TEST_CARDS)[
      normalizeCardNumber(cardNumber)
    ] ?? 'declined'
  );
}

/** @param {unknown} cardNumber */
export function cardSubType(cardNumber) {
  const number = normalizeCardNumber(cardNumber);
  if (/^4/.test(number)) return 'Visa';
  if (/^(5[1-5]|2[2-7])/.test(number)) return 'MasterCard';
  if (/^3[47]/.test(number)) return 'Amex';
  if (/^507803|^507808|^507809|^507810/.test(number)) return 'Meeza';
  return 'Card';
}

// A DRF integer field: integers or integer strings.
/** @param {unknown} value */
export function parseInteger(value) {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\s*-?\d{1,15}\s*$/.test(value)) return Number(value.trim());
  return null;
}

/**
 * @template F
 * @param {unknown} value
 * @param {F} fallback what an absent (undefined, null or empty) value means
 * @returns {boolean | F | null} null for a value that is not a boolean
 */
export function parseBoolean(value, fallback) {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  const text = String(value).toLowerCase();
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no'].includes(text)) return false;
  return null;
}

// Validates billing_data the way PayMob's serializer does. With `required` = all 13 keys (the payment-key
// API) a missing key is an error; otherwise missing optional keys become "NA" (the intention API).
// Returns { billing, errors } where errors maps each failing key to its messages, or null.
/**
 * @param {unknown} input
 * @param {{ required?: readonly string[] }} [options]
 * @returns {{ billing: Record<string, unknown> | null; errors: string[] | Record<string, string[]> | null }}
 */
export function validateBillingData(input, { required = BILLING_FIELDS } = {}) {
  if (input === undefined) return { billing: null, errors: ['This field is required.'] };
  if (input === null) return { billing: null, errors: ['This field may not be null.'] };
  if (typeof input !== 'object' || Array.isArray(input)) {
    const got = Array.isArray(input) ? 'list' : typeof input === 'string' ? 'str' : typeof input;
    return {
      billing: null,
      errors: { non_field_errors: [`Invalid data. Expected a dictionary, but got ${got}.`] },
    };
  }
  /** @type {Record<string, string[]>} */
  const errors = {};
  /** @type {Record<string, unknown>} */
  const billing = { ...input };
  for (const field of BILLING_FIELDS) {
    const value = /** @type {Record<string, unknown>} */ (input)[field];
    if (value === undefined) {
      if (required.includes(field)) errors[field] = ['This field is required.'];
      else billing[field] = 'NA';
      continue;
    }
    if (value === null) {
      errors[field] = ['This field may not be null.'];
      continue;
    }
    if (typeof value === 'object') {
      errors[field] = ['Not a valid string.'];
      continue;
    }
    const text = String(value).trim();
    billing[field] = text;
    if (text === '') {
      errors[field] = ['This field may not be blank.'];
      continue;
    }
    if (!REAL_BILLING_FIELDS.includes(field)) continue;
    if (text.toUpperCase() === 'NA' || text.toUpperCase() === 'N/A') {
      errors[field] = ['"NA" is not allowed here: send the customer\'s real value.'];
    } else if (field === 'email' && !EMAIL_PATTERN.test(text)) {
      errors[field] = ['Enter a valid email address.'];
    } else if (field === 'phone_number' && !PHONE_PATTERN.test(text)) {
      errors[field] = ['Enter a valid phone number.'];
    }
  }
  return { billing, errors: Object.keys(errors).length > 0 ? errors : null };
}

// PayMob's tokens are base64 of an HS512 JWT ("ZXlK..."): opaque to merchants, decodable by us.
/**
 * @param {object} claims
 * @param {import('node:crypto').BinaryLike} key
 */
export function createOpaqueToken(claims, key) {
  const part = (/** @type {unknown} */ value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS512', typ: 'JWT' })}.${part(claims)}`;
  const signature = createHmac('sha512', key).update(unsigned).digest('base64url');
  return Buffer.from(`${unsigned}.${signature}`).toString('base64');
}

/** @param {number} bytes */
export function randomHex(bytes) {
  return randomBytes(bytes).toString('hex');
}

/** @param {Order} order */
export function orderObject(order) {
  return {
    id: order.id,
    created_at: order.created_at,
    delivery_needed: order.delivery_needed,
    merchant: { ...MERCHANT },
    collector: null,
    amount_cents: order.amount_cents,
    shipping_data: order.shipping_data,
    currency: order.currency,
    is_payment_locked: order.is_payment_locked,
    is_return: false,
    is_cancel: false,
    is_returned: false,
    is_canceled: false,
    merchant_order_id: order.merchant_order_id,
    wallet_notification: null,
    paid_amount_cents: order.paid_amount_cents,
    notify_user_with_email: false,
    items: order.items,
    order_url: 'NA',
    commission_fees: 0,
    delivery_fees_cents: 0,
    delivery_vat_cents: 0,
    payment_method: 'tbc',
    merchant_staff_tag: null,
    api_source: order.api_source,
    data: {},
    payment_status: order.paid_amount_cents > 0 ? 'PAID' : 'UNPAID',
  };
}

// The gateway part of a card transaction (PayMob's MIGS integration shape).
/**
 * @param {object} fields
 * @param {number} fields.integrationId
 * @param {string} fields.created
 * @param {number} fields.amountCents
 * @param {string} fields.currency
 * @param {(typeof OUTCOMES)[OutcomeName]} fields.outcome
 * @param {string} fields.cardNumber
 * @param {number} fields.orderId
 * @param {TransactionKind} fields.kind
 */
function gatewayData({ integrationId, created, amountCents, currency, outcome, cardNumber, orderId, kind }) {
  const number = normalizeCardNumber(cardNumber);
  const subType = cardSubType(number);
  const approved = outcome.success || outcome.pending;
  return {
    gateway_integration_pk: integrationId,
    klass: 'MigsPayment',
    created_at: created,
    amount: amountCents,
    currency,
    migs_order: {
      id: String(orderId),
      amount: amountCents / 10 ** minorDigits(currency),
      currency,
      status: outcome.success ? (kind === 'payment' ? 'CAPTURED' : kind.toUpperCase()) : 'FAILED',
    },
    merchant: 'TESTMIGS_SANDBOX',
    migs_result: outcome.success ? 'SUCCESS' : outcome.pending ? 'PENDING' : 'FAILURE',
    migs_transaction: {
      id: String(randomBytes(4).readUInt32BE()),
      type: kind === 'payment' ? 'PAYMENT' : kind.toUpperCase(),
      source: 'INTERNET',
      terminal: 'SANDBOX1',
      acquirer: { id: 'SANDBOX_ACQUIRER', merchantId: 'TESTMIGS_SANDBOX' },
    },
    txn_response_code: outcome.txn_response_code,
    acq_response_code: outcome.acq,
    message: outcome.message,
    merchant_txn_ref: `${orderId}-${randomHex(4)}`,
    order_info: String(orderId),
    receipt_no: approved ? String(randomBytes(5).readUIntBE(0, 5)).padStart(12, '0') : '',
    transaction_no: String(randomBytes(4).readUInt32BE()),
    batch_no: Number(created.slice(0, 10).replaceAll('-', '')),
    authorize_id: outcome.success ? randomHex(3).toUpperCase() : '',
    card_type: subType.toUpperCase(),
    card_num: `${number.slice(0, 6)}xxxxxx${number.slice(-4)}`,
    secure_hash: '',
    avs_result_code: '',
    avs_acq_response_code: outcome.acq,
    captured_amount: outcome.success && kind === 'payment' ? amountCents : 0,
    authorised_amount: outcome.success && kind === 'payment' ? amountCents : 0,
    refunded_amount: kind === 'refund' ? amountCents : 0,
    acs_eci: '02',
  };
}

// A new transaction record: `obj` is PayMob's transaction object without its order (filled in when it is
// shown, so it always carries the order's current state); `meta` is the sandbox's own bookkeeping.
/**
 * @param {object} fields
 * @param {number} fields.id
 * @param {Order} fields.order
 * @param {number} fields.integrationId
 * @param {string} fields.cardNumber
 * @param {OutcomeName} fields.outcomeName
 * @param {TransactionKind} [fields.kind]
 * @param {number} [fields.amountCents]
 * @param {{ obj: { id: number } } | null} [fields.parent]
 * @param {object | null} [fields.claims]
 * @param {string} [fields.apiSource]
 */
export function buildTransaction({
  id,
  order,
  integrationId,
  cardNumber,
  outcomeName,
  kind = 'payment',
  amountCents = order.amount_cents,
  parent = null,
  claims = null,
  apiSource = 'IFRAME',
}) {
  const outcome = OUTCOMES[outcomeName];
  const created = freshTimestamp();
  const number = normalizeCardNumber(cardNumber);
  const obj = {
    id,
    pending: outcome.pending,
    amount_cents: amountCents,
    success: outcome.success,
    is_auth: false,
    is_capture: false,
    is_standalone_payment: true,
    is_voided: false,
    is_refunded: false,
    is_3d_secure: kind === 'payment',
    integration_id: integrationId,
    profile_id: PROFILE_ID,
    has_parent_transaction: parent !== null,
    order: null,
    created_at: created.text,
    transaction_processed_callback_responses: [],
    currency: order.currency,
    source_data: { pan: number.slice(-4), type: 'card', tenure: null, sub_type: cardSubType(number) },
    api_source: apiSource,
    terminal_id: null,
    merchant_commission: 0,
    accept_fees: 0,
    installment: null,
    discount_details: [],
    is_void: kind === 'void',
    is_refund: kind === 'refund',
    data: gatewayData({
      integrationId,
      created: created.text,
      amountCents,
      currency: order.currency,
      outcome,
      cardNumber: number,
      orderId: order.id,
      kind,
    }),
    is_hidden: false,
    payment_key_claims: claims,
    error_occured: false,
    is_live: false,
    other_endpoint_reference: null,
    refunded_amount_cents: 0,
    source_id: -1,
    is_captured: false,
    captured_amount: 0,
    merchant_staff_tag: null,
    updated_at: created.text,
    is_settled: false,
    bill_balanced: false,
    is_bill: false,
    owner: OWNER_ID,
    parent_transaction: parent?.obj.id ?? null,
  };
  /** @type {TransactionMeta} */
  const meta = {
    order_id: order.id,
    kind,
    card_number: number,
    created_ms: created.ms,
    created_micros: created.micros,
    notification_url: null,
    redirection_url: null,
  };
  return { obj, meta };
}

/**
 * @param {Transaction} txn
 * @param {OutcomeName} outcomeName
 */
export function settleTransaction(txn, outcomeName) {
  const outcome = OUTCOMES[outcomeName];
  const now = freshTimestamp();
  txn.obj.pending = outcome.pending;
  txn.obj.success = outcome.success;
  txn.obj.updated_at = now.text;
  Object.assign(txn.obj.data, {
    txn_response_code: outcome.txn_response_code,
    acq_response_code: outcome.acq,
    avs_acq_response_code: outcome.acq,
    message: outcome.message,
    migs_result: outcome.success ? 'SUCCESS' : outcome.pending ? 'PENDING' : 'FAILURE',
    authorize_id: outcome.success ? randomHex(3).toUpperCase() : '',
    captured_amount: outcome.success ? txn.obj.amount_cents : 0,
    authorised_amount: outcome.success ? txn.obj.amount_cents : 0,
  });
  txn.obj.data.migs_order.status = outcome.success ? 'CAPTURED' : 'FAILED';
}

/**
 * @param {Transaction} txn
 * @param {Order | undefined} order
 */
export function transactionObject(txn, order) {
  return { ...structuredClone(txn.obj), order: order ? orderObject(order) : txn.meta.order_id };
}

// The transaction-response callback's query, in the order PayMob sends it (values as strings).
/** @param {ShownTransaction} obj */
export function flattenTransaction(obj) {
  /** @type {{ id: number; merchant_order_id?: string | null }} */
  const order = obj.order !== null && typeof obj.order === 'object' ? obj.order : { id: obj.order };
  /** @type {[string, unknown][]} */
  const entries = [
    ['id', obj.id],
    ['pending', obj.pending],
    ['amount_cents', obj.amount_cents],
    ['success', obj.success],
    ['is_auth', obj.is_auth],
    ['is_capture', obj.is_capture],
    ['is_standalone_payment', obj.is_standalone_payment],
    ['is_voided', obj.is_voided],
    ['is_refunded', obj.is_refunded],
    ['is_3d_secure', obj.is_3d_secure],
    ['integration_id', obj.integration_id],
    ['profile_id', obj.profile_id],
    ['has_parent_transaction', obj.has_parent_transaction],
    ['order', order.id],
    ['created_at', obj.created_at],
    ['currency', obj.currency],
    ['merchant_commission', obj.merchant_commission],
    ['accept_fees', obj.accept_fees],
    ['discount_details', JSON.stringify(obj.discount_details ?? [])],
    // The *_int keys appear in 2026 redirects (test/fixtures/paymob/response-callback-card-eg-2026.txt).
    ['amount_cents_int', obj.amount_cents],
    ['is_void', obj.is_void],
    ['is_refund', obj.is_refund],
    ['error_occured', obj.error_occured],
    ['refunded_amount_cents', obj.refunded_amount_cents],
    ['refunded_amount_cents_int', obj.refunded_amount_cents ?? 0],
    ['captured_amount', obj.captured_amount],
    ['captured_amount_int', obj.captured_amount ?? 0],
    ['settlement_amount_cents_int', 0],
    ['accept_fees_cents_int', obj.accept_fees ?? 0],
    ['vat_cents_int', 0],
    ['updated_at', obj.updated_at],
    ['is_settled', obj.is_settled],
    ['bill_balanced', obj.bill_balanced],
    ['is_bill', obj.is_bill],
    ['owner', obj.owner],
    ['merchant_order_id', order.merchant_order_id ?? ''],
    ['data.message', obj.data?.message ?? ''],
    ['source_data.type', obj.source_data?.type ?? ''],
    ['source_data.pan', obj.source_data?.pan ?? ''],
    ['source_data.sub_type', obj.source_data?.sub_type ?? ''],
    ['acq_response_code', obj.data?.acq_response_code ?? ''],
    ['txn_response_code', obj.data?.txn_response_code ?? ''],
  ];
  return new URLSearchParams(
    entries.map(
      ([key, value]) => /** @type {[string, string]} */ ([key, value === null ? '' : String(value)]),
    ),
  );
}
