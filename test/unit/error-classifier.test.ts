import { DatabaseError } from '@planetscale/database';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../src/db/client';
import { ConfigError } from '../../src/env';
import { classifyError } from '../../src/lib/error-classifier';
import { AppError } from '../../src/lib/errors';

// The one classifier behind app.onError (problem+json) and the admin's error page (HTML): docs/api.md §1.
describe('classifyError', () => {
  it('passes an AppError through unchanged and does not log it', () => {
    const err = new AppError(409, 'concurrent_update', 'No.');
    expect(classifyError(err)).toEqual({ kind: 'app', error: err });
  });

  it("turns Hono's refusal to parse a body into malformed_body (400) and keeps other statuses", () => {
    const bad = classifyError(new HTTPException(400, { message: 'Malformed JSON' }));
    expect(bad.kind).toBe('http');
    expect([bad.error.status, bad.error.code, bad.error.message]).toEqual([
      400,
      'malformed_body',
      'The request body could not be parsed.',
    ]);
    expect(bad.log).toBeUndefined();
    const other = classifyError(new HTTPException(401, { message: 'Unauthorized' }));
    expect([other.error.status, other.error.code, other.error.message]).toEqual([
      401,
      'http_error',
      'Unauthorized',
    ]);
  });

  it('answers an unreachable database 503 with Retry-After and logs it as an error', () => {
    const result = classifyError(new Error('query failed', { cause: new DatabaseUnavailableError('down') }));
    expect(result.kind).toBe('database_unavailable');
    expect([result.error.status, result.error.code, result.error.headers]).toEqual([
      503,
      'database_unavailable',
      { 'Retry-After': '5' },
    ]);
    expect(result.log).toMatchObject({ level: 'error', message: 'database unavailable' });
  });

  it('answers a lost lock race 409 concurrent_update with Retry-After and logs a warning', () => {
    const deadlock = new DatabaseError('target: x: vttablet: Deadlock found (errno 1213)', 400, {
      message: 'Deadlock found (errno 1213)',
      code: 'UNKNOWN',
    });
    const result = classifyError(deadlock);
    expect(result.kind).toBe('conflict');
    expect([result.error.status, result.error.code, result.error.headers]).toEqual([
      409,
      'concurrent_update',
      { 'Retry-After': '1' },
    ]);
    expect(result.log).toMatchObject({ level: 'warn', message: 'concurrent update conflict' });
  });

  it('answers a configuration error 503 service_misconfigured and logs the problems, not the values', () => {
    const result = classifyError(new ConfigError(['DATABASE_URL Required', 'PAYMOB_HMAC_SECRET Required']));
    expect([result.kind, result.error.status, result.error.code]).toEqual([
      'config',
      503,
      'service_misconfigured',
    ]);
    expect(result.log).toEqual({
      level: 'error',
      message: 'configuration error',
      fields: { problems: 'DATABASE_URL Required; PAYMOB_HMAC_SECRET Required' },
    });
  });

  it('answers anything else with a generic 500 and logs it', () => {
    const result = classifyError(new TypeError('x is undefined'));
    expect([result.kind, result.error.status, result.error.code, result.error.message]).toEqual([
      'unknown',
      500,
      'internal_error',
      'An unexpected error occurred. It has been logged.',
    ]);
    expect(result.log).toMatchObject({ level: 'error', message: 'unhandled error' });
    expect(result.log?.fields).toMatchObject({ error: 'TypeError', error_message: 'x is undefined' });
  });
});
