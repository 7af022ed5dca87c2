import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Env } from '../../src/env';
import { apiWithEnv, type Problem, readJson } from './helpers';
import { createPayer, TXN, transactionsOfCustomer } from './transactions-support';

/** Everything a production deployment needs, with public https URLs (never reached: config fails first). */
const PRODUCTION: Partial<Env> = {
  APP_ENV: 'production',
  PUBLIC_BASE_URL: 'https://pay.example.com',
  MAIL_FROM: 'StackPay <no-reply@mg.example.com>',
  DATABASE_URL: 'https://user:password@aws.connect.psdb.cloud',
  PAYMOB_BASE_URL: 'https://accept.paymob.com',
  MAILGUN_BASE_URL: 'https://api.mailgun.net',
};

/** The `problems` of every "configuration error" log line the Worker wrote. */
function configurationProblems(errors: { mock: { calls: unknown[][] } }): string[] {
  return errors.mock.calls
    .map(([line]): { msg: string; problems?: string } => JSON.parse(String(line)))
    .filter((entry) => entry.msg === 'configuration error')
    .map((entry) => entry.problems ?? '');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('APP_ENV=production refuses development URLs (docs/decisions.md, configuration)', () => {
  it('a loopback PUBLIC_BASE_URL makes payment creation answer 503 service_misconfigured, naming it in the log', async () => {
    const payer = await createPayer();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const response = await apiWithEnv(
      TXN,
      { method: 'POST', token: payer.access, json: { amount: '100.00' } },
      { ...PRODUCTION, PUBLIC_BASE_URL: 'http://127.0.0.1:8787' },
    );
    expect(response.status).toBe(503);
    const problem = await readJson<Problem>(response);
    expect(problem.code).toBe('service_misconfigured');
    // The setting is named in the log, never in the response, and its value is not logged.
    expect(configurationProblems(errors)).toEqual(['PUBLIC_BASE_URL must be an https:// URL in production']);
    expect(JSON.stringify(problem)).not.toContain('PUBLIC_BASE_URL');
    expect(JSON.stringify(errors.mock.calls)).not.toContain('127.0.0.1:8787');
    expect(await transactionsOfCustomer(payer.customerId)).toEqual([]);
  });

  it('an https PUBLIC_BASE_URL on a private host is refused the same way', async () => {
    const payer = await createPayer();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const response = await apiWithEnv(
      TXN,
      { method: 'POST', token: payer.access, json: { amount: '100.00' } },
      { ...PRODUCTION, PUBLIC_BASE_URL: 'https://localhost:8787' },
    );
    expect(response.status).toBe(503);
    expect(configurationProblems(errors)).toEqual([
      'PUBLIC_BASE_URL must not point at a loopback or private host in production',
    ]);
  });

  it('names each bad URL setting: the local simulator as DATABASE_URL is refused in production', async () => {
    const payer = await createPayer();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { DATABASE_URL: _public, ...withLocalDatabase } = PRODUCTION;
    const response = await apiWithEnv(
      TXN,
      { method: 'POST', token: payer.access, json: { amount: '100.00' } },
      withLocalDatabase,
    );
    expect(response.status).toBe(503);
    expect(configurationProblems(errors)).toEqual(['DATABASE_URL must be an https:// URL in production']);
  });

  it('the same request with the test configuration creates the payment (the guard is what refused it)', async () => {
    const payer = await createPayer();
    const response = await apiWithEnv(
      TXN,
      { method: 'POST', token: payer.access, json: { amount: '100.00' } },
      { APP_ENV: 'test', PUBLIC_BASE_URL: 'http://127.0.0.1:8787' },
    );
    expect(response.status).toBe(201);
  });
});
