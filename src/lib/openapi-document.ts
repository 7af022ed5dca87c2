import type { OpenAPIHono } from '@hono/zod-openapi';
import { IDEMPOTENCY_HEADER, MAX_IDEMPOTENCY_KEY_LENGTH } from '../middleware/idempotency';
import { PROBLEM_DOCS_PATH, problemCodesMarkdown } from './problem-codes';

/**
 * The published OpenAPI 3.1 document (docs/openapi.md): zod-openapi's output from the route schemas, plus
 * what the route definitions cannot say themselves — the response headers the middleware adds (request id,
 * rate limits, idempotency replay, authentication challenges), the `Idempotency-Key` parameter, and explicit
 * `security: []` on public operations. `/openapi.json` serves it; `npm run openapi:build` writes it to a file
 * that redocly lints and openapi-typescript turns into client/schema.d.ts.
 */

// biome-ignore lint/suspicious/noExplicitAny: a plain JSON document walked generically
type Json = any;
export type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });
/** A response header whose value is a string, with an example. */
const textHeader = (description: string, example: string) => ({
  description,
  schema: { type: 'string' },
  example,
});

/** Operations that take an `Idempotency-Key` (docs/api.md §4.2, §4.6). */
const IDEMPOTENT_OPERATIONS = new Set(['createTransaction', 'refundTransaction', 'voidTransaction']);
/** Created resources whose answer names their URL. */
const LOCATION_ON: Record<string, string> = { createTransaction: '201' };

export function registerOpenApiComponents(registry: OpenAPIHono['openAPIRegistry']): void {
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The `access` token from `POST /api/v1/users/login/`.',
  });
  // docs/api-keys.md: the same Authorization header with a server API key; the requirement lists the scope.
  registry.registerComponent('securitySchemes', 'apiKeyAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'sk_live_… / sk_test_…',
    description:
      'A server API key (`Authorization: Bearer sk_live_…`, `sk_test_…` outside production) created by an ADMIN. Only routes that list this scheme admit a key, and only with the scope the requirement names (`payments:read`, `payments:write`, `refunds:write`, `customers:read`); elsewhere a valid key gets 403 `api_key_not_allowed`, a revoked or unknown one 401 `api_key_not_valid`.',
  });
  const headers: Record<string, { description: string; schema: Json; example?: unknown }> = {
    XRequestId: textHeader(
      'The caller’s `X-Request-Id` when it is safe (1–128 visible characters), otherwise a new UUID; also the problem body’s `request_id`. Quote it when reporting a problem.',
      '3f2a1c9e-6b0d-4c1e-9f57-2b8d6f0e4a11',
    ),
    RateLimit: textHeader(
      'IETF RateLimit header (draft-ietf-httpapi-ratelimit-headers): the tightest limit’s name, remaining requests (`r`) and seconds until it resets (`t`).',
      '"default-user";r=119;t=42',
    ),
    RateLimitPolicy: textHeader(
      'Every limit applied to this route: name, quota (`q`) and window in seconds (`w`).',
      '"default-user";q=120;w=60',
    ),
    RetryAfter: {
      description: 'Seconds to wait before retrying.',
      schema: { type: 'integer', minimum: 0 },
      example: 30,
    },
    IdempotentReplayed: {
      description: `\`true\` when this is the stored answer to an earlier request with the same \`${IDEMPOTENCY_HEADER}\`.`,
      schema: { type: 'string', enum: ['true'] },
    },
    Location: {
      description: 'The path of the created resource.',
      schema: { type: 'string', format: 'uri-reference' },
      example: '/api/v1/transactions/txn/42/',
    },
    Allow: textHeader('The methods the path accepts (on 405 answers).', 'GET, HEAD'),
    WWWAuthenticate: textHeader(
      'The bearer challenge; `error="invalid_token"` when a token was sent but is not valid.',
      'Bearer realm="stackpay", error="invalid_token"',
    ),
  };
  for (const [name, header] of Object.entries(headers)) registry.registerComponent('headers', name, header);
  registry.registerComponent('parameters', 'IdempotencyKey', {
    name: IDEMPOTENCY_HEADER,
    in: 'header',
    required: false,
    description:
      'Makes a retry safe: the first answer is stored for 24 hours and replayed (with `Idempotent-Replayed: true`) to a request with the same key and body; another body → 422 `idempotency_key_reused`; while the first still runs → 409 `idempotency_request_in_progress`.',
    schema: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
      pattern: '^[\\x21-\\x7E]+$',
    },
    example: 'order-2026-11-26-0001',
  });
  registry.registerComponent('responses', 'MethodNotAllowed', {
    description: 'Any path answers 405 with `Allow` to a method it does not accept.',
    headers: { Allow: ref('Allow'), 'X-Request-Id': ref('XRequestId') },
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  });
}

const DESCRIPTION = `Sign-up, customer profiles and KYC, and PayMob payments.

Every path works with and without a trailing slash. Every answer carries \`X-Request-Id\`. Errors are RFC 9457
\`application/problem+json\` with a stable \`code\`; each \`type\` is \`<base>${PROBLEM_DOCS_PATH}#<code>\`. A
method a path does not accept answers 405 with \`Allow\` (\`#/components/responses/MethodNotAllowed\`).

## Errors

${problemCodesMarkdown()}
`;

/** Generates the document from the app's routes and completes it (see the module comment). */
export function buildOpenApiDocument(app: OpenAPIHono<Json>): OpenApiDocument {
  const doc: Json = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'StackPay API',
      version: '1.0.0',
      description: DESCRIPTION,
      license: { name: 'MIT', url: 'https://spdx.org/licenses/MIT.html' },
    },
    tags: [
      { name: 'Users', description: 'Sign-up, verification, sessions and user profiles.' },
      { name: 'Customers', description: 'Customer profile, addresses and KYC; staff review.' },
      { name: 'Transactions', description: 'Payments through PayMob, refunds and voids, callbacks.' },
      { name: 'Notifications', description: 'Mailgun delivery webhooks.' },
      { name: 'Webhooks', description: 'Signed outgoing webhooks: endpoints, events and their payloads.' },
      { name: 'API keys', description: 'Server API keys for merchant backends (ADMIN only).' },
      {
        name: 'Payment links',
        description: 'Links anyone can pay through a StackPay page (staff and API keys create them).',
      },
      { name: 'System', description: 'Health checks.' },
    ],
  });
  for (const item of Object.values<Json>(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries<Json>(item)) {
      if (!['get', 'put', 'post', 'patch', 'delete'].includes(method)) continue;
      completeOperation(operation);
    }
  }
  return doc;
}

function completeOperation(operation: Json): void {
  const id: string = operation.operationId;
  const authenticated = Array.isArray(operation.security) && operation.security.length > 0;
  // Public operations say so explicitly (otherwise a reader cannot tell "public" from "forgotten").
  operation.security ??= [];
  const rateLimited = '429' in operation.responses;
  const idempotent = IDEMPOTENT_OPERATIONS.has(id);
  if (idempotent) {
    operation.parameters = [
      ...(operation.parameters ?? []),
      { $ref: '#/components/parameters/IdempotencyKey' },
    ];
  }
  for (const [status, response] of Object.entries<Json>(operation.responses)) {
    const headers: Record<string, unknown> = { 'X-Request-Id': ref('XRequestId') };
    if (rateLimited) {
      headers.RateLimit = ref('RateLimit');
      headers['RateLimit-Policy'] = ref('RateLimitPolicy');
    }
    if (status === '429' || status === '503' || (status === '409' && idempotent)) {
      headers['Retry-After'] = ref('RetryAfter');
    }
    if (status === '401' && authenticated) headers['WWW-Authenticate'] = ref('WWWAuthenticate');
    if (idempotent && status !== '409') headers['Idempotent-Replayed'] = ref('IdempotentReplayed');
    if (LOCATION_ON[id] === status) headers.Location = ref('Location');
    response.headers = { ...headers, ...response.headers };
  }
}
