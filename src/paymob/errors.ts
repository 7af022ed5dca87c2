import { AppError, type ErrorCode } from '../lib/errors';

/** How PayMob fails a call, and how its answers are read when it refuses (docs/paymob.md §3, §4). */

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

// Status codes on which PayMob's refusal of a duplicate merchant_order_id has been seen or is plausible
// (sandbox 422 {"message":"duplicate"}, a community mock's 400 with a merchant_order_id field; docs/paymob.md §4).
const DUPLICATE_ORDER_STATUSES = new Set([400, 409, 422]);
const DUPLICATE_ORDER_TEXT = /merchant_order_id|duplicate/i;
// What we keep of an error body to recognise it (duplicate order, not-found): never logged.
export const MAX_PROVIDER_TEXT = 2048;

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

/** PayMob refusing our merchant_order_id as already used: any 400/409/422 whose body names it. */
export function isDuplicateOrder(err: unknown): boolean {
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
