/**
 * Every `code` a problem+json answer can carry (docs/api.md §1), with its usual status and meaning. The
 * problem `type` of each is `<base>/docs/errors#<code>`: the static page public/docs/errors.html is generated
 * from this table (tools/assets.ts), and the OpenAPI document lists it too. test/unit/problem-codes.test.ts
 * fails when the source raises a code that is missing here.
 */
export const PROBLEM_CODES = {
  validation_error: [400, 'A field is missing or invalid; `errors` maps each field to its messages.'],
  malformed_body: [400, 'The body could not be parsed as the declared media type.'],
  bad_content_length: [400, 'The Content-Length header is not a number.'],
  malformed_callback: [400, 'A PayMob callback body is not the expected JSON.'],
  invalid_idempotency_key: [400, 'The Idempotency-Key header is empty, too long or not visible ASCII.'],
  already_verified: [400, 'The account is already active; there is nothing to verify.'],
  invalid_or_expired_code: [400, 'The verification code is wrong, used up or expired.'],
  address_limit_reached: [400, 'The customer already has the maximum number of addresses.'],
  not_authenticated: [401, 'No bearer token was sent, or it is not a bearer token.'],
  token_not_valid: [401, 'The token is malformed, expired, revoked or of the wrong type.'],
  no_active_account: [401, 'No active account matches these credentials.'],
  invalid_signature: [
    401,
    'A callback or webhook signature is missing or wrong (400 on the browser redirect).',
  ],
  signature_expired: [401, 'A Mailgun webhook timestamp is more than 5 minutes away from now.'],
  forbidden: [403, 'Your role may not perform this action.'],
  kyc_not_approved: [403, 'Payments need approved KYC.'],
  csrf_failed: [403, 'Admin interface: the form token or origin check failed.'],
  session_required: [403, 'Admin interface: sign in first.'],
  not_found: [404, 'No such resource.'],
  invalid_page: [404, 'The page number is malformed or past the last page.'],
  profile_not_found: [404, 'No user profile with this id.'],
  customer_not_found: [404, 'No customer with this id.'],
  customer_profile_not_found: [404, 'The signed-in user has no customer profile.'],
  address_not_found: [404, 'No such address among yours.'],
  kyc_record_not_found: [404, 'The customer has no KYC record.'],
  document_not_found: [404, 'No KYC document has been uploaded.'],
  transaction_not_found: [404, 'No such transaction (or it is another customer’s).'],
  method_not_allowed: [405, 'The path exists but not with this method; see the Allow header.'],
  address_conflict: [409, 'The address changed concurrently; retry.'],
  main_address_in_use: [409, 'The main address can be deleted only when it is the last one.'],
  main_address_required: [409, 'Payments need a main address (its country gives the currency).'],
  profile_incomplete: [409, 'Payments need first name, last name, phone number and e-mail.'],
  customer_has_transactions: [409, 'A customer with payments cannot be deleted.'],
  kyc_incomplete: [409, 'Approving KYC needs a document id and a file.'],
  kyc_changed: [409, 'The KYC submission changed since it was read; read it again.'],
  invalid_transaction_state: [
    409,
    'The payment is not in a state that allows this (e.g. refund needs succeeded).',
  ],
  void_window_closed: [409, 'A void is possible only on the UTC day of the payment; refund instead.'],
  idempotency_request_in_progress: [
    409,
    'A request with this Idempotency-Key is still running; retry shortly.',
  ],
  webhook_replayed: [409, 'This Mailgun webhook token was already used.'],
  payload_too_large: [413, 'The body is larger than this route accepts.'],
  unsupported_media_type: [415, 'This route does not accept the body’s Content-Type.'],
  idempotency_key_reused: [422, 'The Idempotency-Key was used before with a different body.'],
  rate_limited: [429, 'Too many requests; see Retry-After and the RateLimit headers.'],
  code_recently_sent: [429, 'A verification code was sent less than a minute ago; see Retry-After.'],
  internal_error: [500, 'An unexpected error; it has been logged with the request id.'],
  paymob_unavailable: [502, 'PayMob could not be reached or answered unreadably; nothing was charged twice.'],
  paymob_rejected: [502, 'PayMob refused the request; `detail` carries its message.'],
  http_error: [400, 'Another refusal by the HTTP framework; `status` tells which.'],
  database_unavailable: [503, 'The database is unreachable; see Retry-After.'],
  rate_limiter_unavailable: [
    503,
    'The rate limiter is unreachable on a route that fails closed; see Retry-After.',
  ],
  service_misconfigured: [503, 'A server setting is missing or invalid (named in the server log).'],
  webhook_not_configured: [503, 'The Mailgun webhook signing key is not set.'],
  confirmation_unavailable: [503, 'Admin interface: the confirmation step could not be stored.'],
} as const satisfies Record<string, readonly [number, string]>;

export type ProblemCode = keyof typeof PROBLEM_CODES;

/** Where problem types point (relative to the public base URL); each code is an anchor on that page. */
export const PROBLEM_DOCS_PATH = '/docs/errors';

/** The errors table as Markdown, for the OpenAPI description. */
export function problemCodesMarkdown(): string {
  const rows = Object.entries(PROBLEM_CODES)
    .sort(([, a], [, b]) => a[0] - b[0])
    .map(([code, [status, meaning]]) => `| \`${code}\` | ${status} | ${meaning} |`);
  return ['| code | status | meaning |', '|---|---|---|', ...rows].join('\n');
}
