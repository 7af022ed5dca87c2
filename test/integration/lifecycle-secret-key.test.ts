/**
 * The secret key is enough (docs/paymob.md §5): in intention mode every PayMob call — intention, inquiry,
 * refund, void — authenticates with `Authorization: Token <PAYMOB_SECRET_KEY>`, so a merchant without a
 * legacy API key (or iframe) can take, refund and void payments. Refused credentials are
 * `paymob_auth_failed`, never "PayMob unavailable".
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Env } from '../../src/env';
import type { TransactionView } from '../../src/transactions/schemas';
import { apiWithEnv, createUser, type Problem, readJson } from './helpers';
import { auditRows, childrenOf } from './lifecycle-support';
import {
  CARDS,
  clearFaults,
  createPayer,
  deliverRecorded,
  pay,
  recordedCallbacks,
  TXN,
  transactionRow,
} from './transactions-support';

afterEach(clearFaults);

// Intention mode with only the secret and public keys: no PAYMOB_API_KEY, no PAYMOB_IFRAME_ID.
const SECRET_KEY_ONLY: Partial<Env> = {
  PAYMOB_API_MODE: 'intention',
  PAYMOB_API_KEY: undefined,
  PAYMOB_IFRAME_ID: undefined,
};

async function succeededWithSecretKeyOnly(amount = '150.00') {
  const payer = await createPayer();
  const created = await apiWithEnv(
    TXN,
    { method: 'POST', token: payer.access, json: { amount } },
    SECRET_KEY_ONLY,
  );
  expect(created.status).toBe(201);
  const txn = await readJson<TransactionView>(created);
  await pay(txn, CARDS.success, 'client_secret');
  const [callback] = await recordedCallbacks(txn.merchant_order_id, 1);
  if (!callback) throw new Error('no callback');
  expect((await deliverRecorded(callback, SECRET_KEY_ONLY)).status).toBe(200);
  expect((await transactionRow(txn.id)).status).toBe('succeeded');
  return txn;
}

function reversal(kind: 'refund' | 'void', id: number, token: string, env: Partial<Env>, body?: unknown) {
  return apiWithEnv(`${TXN}${id}/${kind}/`, { method: 'POST', token, json: body }, env);
}

describe('intention mode with only the secret key', () => {
  it('a partial then a full refund go through PayMob', async () => {
    const txn = await succeededWithSecretKeyOnly();
    const admin = await createUser({ role: 'ADMIN' });
    const partial = await reversal('refund', txn.id, admin.access, SECRET_KEY_ONLY, { amount: '50.00' });
    expect(partial.status).toBe(200);
    expect(await readJson(partial)).toMatchObject({ status: 'succeeded', refunded_cents: 5000 });
    const rest = await reversal('refund', txn.id, admin.access, SECRET_KEY_ONLY);
    expect(rest.status).toBe(200);
    expect(await readJson(rest)).toMatchObject({ status: 'refunded', refunded_cents: 15000 });
    const children = await childrenOf(txn.merchant_order_id);
    expect(children.map((c) => c.amount_cents).sort((a, b) => a - b)).toEqual([5000, 10000]);
  });

  it('a void goes through PayMob', async () => {
    const txn = await succeededWithSecretKeyOnly('20.00');
    const admin = await createUser({ role: 'ADMIN' });
    const response = await reversal('void', txn.id, admin.access, SECRET_KEY_ONLY);
    expect(response.status).toBe(200);
    expect(await readJson(response)).toMatchObject({ status: 'voided' });
    expect((await childrenOf(txn.merchant_order_id)).filter((c) => c.is_void)).toHaveLength(1);
  });

  it('a refused secret key → 502 paymob_auth_failed (audited), not paymob_unavailable; nothing changed', async () => {
    const txn = await succeededWithSecretKeyOnly('30.00');
    const admin = await createUser({ role: 'ADMIN' });
    const response = await reversal(
      'refund',
      txn.id,
      admin.access,
      { ...SECRET_KEY_ONLY, PAYMOB_SECRET_KEY: 'egy_sk_test_revoked' },
      { amount: '10.00' },
    );
    expect(response.status).toBe(502);
    const problem = await readJson<Problem>(response);
    expect(problem.code).toBe('paymob_auth_failed');
    expect(problem.detail).not.toContain('egy_sk_test');
    expect((await transactionRow(txn.id)).refundedCents).toBe(0);
    expect(await childrenOf(txn.merchant_order_id)).toHaveLength(0);
    expect((await auditRows(txn.id)).at(-1)?.details).toMatchObject({ outcome: 'paymob_auth_failed' });
  });

  it('legacy mode still needs the API key and the iframe id (503 naming them)', async () => {
    const payer = await createPayer();
    const response = await apiWithEnv(
      TXN,
      { method: 'POST', token: payer.access, json: { amount: '10.00' } },
      { ...SECRET_KEY_ONLY, PAYMOB_API_MODE: 'legacy' },
    );
    expect(response.status).toBe(503);
    expect((await readJson<Problem>(response)).code).toBe('service_misconfigured');
  });
});
