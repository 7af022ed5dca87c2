/**
 * One error type for every expected failure, rendered once by the app's onError as RFC 9457
 * problem+json (docs/api.md §1). Anything else that reaches onError is a bug: logged, answered with a generic 500.
 * Codes are `ErrorCode`s: only what src/lib/problem-codes.json catalogues type-checks.
 */
import type { ErrorCode } from './problem-codes';

export type { ErrorCode };
export type FieldErrors = Record<string, string[]>;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export interface AppErrorOptions {
  errors?: FieldErrors;
  headers?: Record<string, string>;
  title?: string;
  /** Extra members on the problem body (RFC 9457 extensions), e.g. `missing_fields`. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly errors?: FieldErrors;
  readonly headers?: Record<string, string>;
  readonly title: string;
  readonly extensions?: Record<string, unknown>;

  constructor(status: number, code: ErrorCode, detail: string, options: AppErrorOptions = {}) {
    super(detail, { cause: options.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.errors = options.errors;
    this.headers = options.headers;
    this.title = options.title ?? problemTitle(status);
    this.extensions = options.extensions;
  }
}

export function problemTitle(status: number): string {
  return TITLES[status] ?? 'Error';
}

/** 400 with per-field messages; `detail` summarises. */
export function validationError(errors: FieldErrors, detail = 'The request is invalid.'): AppError {
  return new AppError(400, 'validation_error', detail, { errors });
}

/** A single field's validation message, the shape most business rules need. */
export function fieldError(field: string, message: string, code: ErrorCode = 'validation_error'): AppError {
  return new AppError(400, code, message, { errors: { [field]: [message] } });
}

export const notFound = (detail = 'Not found.', code: ErrorCode = 'not_found') =>
  new AppError(404, code, detail);
export const forbidden = (
  detail = 'You do not have permission to perform this action.',
  code: ErrorCode = 'forbidden',
) => new AppError(403, code, detail);
export const conflict = (code: ErrorCode, detail: string) => new AppError(409, code, detail);
export const unauthorized = (detail = 'Authentication credentials were not provided or are invalid.') =>
  new AppError(401, 'not_authenticated', detail, {
    headers: { 'WWW-Authenticate': 'Bearer realm="stackpay"' },
  });

/** 401 for a bearer or refresh token that is malformed, expired, revoked or of the wrong type. */
export const invalidToken = (detail: string) =>
  new AppError(401, 'token_not_valid', detail, {
    headers: { 'WWW-Authenticate': 'Bearer realm="stackpay", error="invalid_token"' },
  });
