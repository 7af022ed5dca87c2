import { HTTPException } from 'hono/http-exception';
import { isDatabaseUnavailable, isRetryableConflict } from '../db/client';
import { ConfigError } from '../env';
import { AppError } from './errors';
import { describeError, type LogFields } from './logger';

/** Which kind of failure reached an error handler; the admin words some of them for a browser. */
export type ErrorKind = 'app' | 'http' | 'database_unavailable' | 'conflict' | 'config' | 'unknown';

export interface ClassifiedError {
  kind: ErrorKind;
  /** The answer: an AppError rendered as problem+json by the app, as an HTML page by the admin. */
  error: AppError;
  /** What to log, when the failure is ours (an expected AppError is not logged). */
  log?: { level: 'warn' | 'error'; message: string; fields: LogFields };
}

/**
 * The one error classifier (docs/api.md §1): every error that reaches app.onError or the admin's error page
 * becomes an AppError and, when it is not an expected refusal, a log line.
 */
export function classifyError(err: unknown): ClassifiedError {
  if (err instanceof AppError) return { kind: 'app', error: err };
  if (err instanceof HTTPException) {
    // Hono's own refusals (malformed JSON or form data).
    const code = err.status === 400 ? 'malformed_body' : 'http_error';
    const detail = err.status === 400 ? 'The request body could not be parsed.' : err.message;
    return { kind: 'http', error: new AppError(err.status, code, detail) };
  }
  if (isDatabaseUnavailable(err)) {
    return {
      kind: 'database_unavailable',
      error: new AppError(503, 'database_unavailable', 'The database is unavailable. Try again shortly.', {
        headers: { 'Retry-After': '5' },
      }),
      log: { level: 'error', message: 'database unavailable', fields: describeError(err) },
    };
  }
  // docs/security.md §4: a write that lost a lock race (deadlock, lock wait, AUTO-INC 1467) changed nothing
  // and may be retried: a 409 with Retry-After, never a 500, on every route.
  if (isRetryableConflict(err)) {
    return {
      kind: 'conflict',
      error: new AppError(
        409,
        'concurrent_update',
        'A concurrent request changed the same data. Try again.',
        {
          headers: { 'Retry-After': '1' },
        },
      ),
      log: { level: 'warn', message: 'concurrent update conflict', fields: describeError(err) },
    };
  }
  if (err instanceof ConfigError) {
    return {
      kind: 'config',
      error: new AppError(503, 'service_misconfigured', 'The service is not configured correctly.'),
      log: { level: 'error', message: 'configuration error', fields: { problems: err.problems.join('; ') } },
    };
  }
  return {
    kind: 'unknown',
    error: new AppError(500, 'internal_error', 'An unexpected error occurred. It has been logged.'),
    log: { level: 'error', message: 'unhandled error', fields: describeError(err) },
  };
}
