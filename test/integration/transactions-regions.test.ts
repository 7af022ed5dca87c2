/**
 * One PayMob account, one currency (docs/paymob.md §1): a KSA and an Oman configuration end to end (create →
 * pay at the sandbox → signed callback → succeeded) in both checkout modes, with the sandbox refusing a
 * currency its integration does not take. The Worker runs with a modified copy of its bindings
 * (PAYMOB_COUNTRY, PAYMOB_INTEGRATION_ID, PAYMOB_API_MODE); the sandbox holds a SAR and an OMR integration.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Env } from '../../src/env';
import type { TransactionView } from '../../src/transactions/schemas';
import { TEST_SECRETS } from '../test-env';
import { api, apiWithEnv, type Problem, readJson } from './helpers';
import {
  addFault,
  CARDS,
  clearFaults,
  createPayer,
  deliverRecorded,
  pay,
  recordedCallbacks,
  sandbox,
  TXN,
  transactionRow,
  transactionsOfCustomer,
} from './transactions-support';

afterEach(clearFaults);

type Mode = 'intention' | 'legacy';

const REGIONS = [
  {
    country: 'SA',
    integration: TEST_SECRETS.PAYMOB_INTEGRATION_ID_SA,
    currency: 'SAR',
    amount: '99.50',
    minor: 9950,
    unit: 'halalas',
  },
  {
    country: 'OM',
    integration: TEST_SECRETS.PAYMOB_INTEGRATION_ID_OM,
    currency: 'OMR',
    amount: '1.250',
    minor: 1250,
    unit: 'baisa (three digits)',
  },
] as const;

function regionEnv(region: (typeof REGIONS)[number], mode: Mode): Partial<Env> {
  return { PAYMOB_COUNTRY: region.country, PAYMOB_INTEGRATION_ID: region.integration, PAYMOB_API_MODE: mode };
}

async function create(token: string, amount: unknown, overrides: Partial<Env>) {
  return apiWithEnv(TXN, { method: 'POST', token, json: { amount } }, overrides);
}

const credentialOf = (mode: Mode) => (mode === 'intention' ? 'client_secret' : 'payment_token');

describe.each(REGIONS)('a $country account ($currency)', (region) => {
  it.each<Mode>(['intention', 'legacy'])(
    `%s: create → pay → signed callback → succeeded, amounts in ${region.unit}`,
    async (mode) => {
      // The customer lives in Egypt: the account's currency applies all the same.
      const payer = await createPayer({ country: 'EG' });
      const response = await create(payer.access, region.amount, regionEnv(region, mode));
      expect(response.status).toBe(201);
      const txn = await readJson<TransactionView>(response);
      expect(txn).toMatchObject({
        currency: region.currency,
        amount: region.amount,
        amount_cents: region.minor,
      });
      expect(txn.checkout_url).toContain(
        mode === 'intention' ? '/unifiedcheckout/' : '/api/acceptance/iframes/',
      );

      await pay(txn, CARDS.success, credentialOf(mode));
      const [callback] = await recordedCallbacks(txn.merchant_order_id, 1);
      if (!callback) throw new Error('no callback');
      expect(callback.body.obj).toMatchObject({
        amount_cents: region.minor,
        currency: region.currency,
        integration_id: Number(region.integration),
      });
      expect((await deliverRecorded(callback, regionEnv(region, mode))).status).toBe(200);

      const row = await transactionRow(txn.id);
      expect(row).toMatchObject({
        status: 'succeeded',
        currency: region.currency,
        amountCents: region.minor,
      });
      const read = await api(`${TXN}${txn.id}/`, { token: payer.access });
      expect(await readJson(read)).toMatchObject({ status: 'succeeded', amount: region.amount });
    },
  );
});

describe('amounts in the account’s minor units', () => {
  const oman = REGIONS[1];

  it('an Oman account takes three digits (baisa) and refuses a fourth, whatever the address', async () => {
    const payer = await createPayer({ country: 'SA' });
    const tooPrecise = await create(payer.access, '1.0005', regionEnv(oman, 'intention'));
    expect(tooPrecise.status).toBe(400);
    expect((await readJson<Problem>(tooPrecise)).errors?.amount).toEqual([
      'Ensure that there are no more than 3 decimal places.',
    ]);
    const ok = await create(payer.access, '0.005', regionEnv(oman, 'intention'));
    expect(ok.status).toBe(201);
    expect(await readJson(ok)).toMatchObject({ currency: 'OMR', amount: '0.005', amount_cents: 5 });
  });

  it('on the default EG account a customer with a Saudi address pays in EGP through unified checkout', async () => {
    const payer = await createPayer({ country: 'SA' });
    const response = await create(payer.access, '150.00', { PAYMOB_API_MODE: 'intention' });
    expect(response.status).toBe(201);
    const txn = await readJson<TransactionView>(response);
    expect(txn).toMatchObject({ currency: 'EGP', amount_cents: 15000 });
    await pay(txn, CARDS.success, 'client_secret');
    const [callback] = await recordedCallbacks(txn.merchant_order_id, 1);
    if (!callback) throw new Error('no callback');
    expect((await deliverRecorded(callback)).status).toBe(200);
    expect((await transactionRow(txn.id)).status).toBe('succeeded');
  });
});

describe('the sandbox refuses a currency the integration does not take, as PayMob does', () => {
  // An EG (EGP) account configured with the KSA (SAR) integration id.
  const mismatched: Partial<Env> = { PAYMOB_INTEGRATION_ID: TEST_SECRETS.PAYMOB_INTEGRATION_ID_SA };

  it.each<Mode>(['intention', 'legacy'])(
    '%s → 502 paymob_rejected naming both currencies, row failed',
    async (mode) => {
      const payer = await createPayer();
      const response = await create(payer.access, '10.00', { ...mismatched, PAYMOB_API_MODE: mode });
      expect(response.status).toBe(502);
      const problem = await readJson<Problem>(response);
      expect(problem.code).toBe('paymob_rejected');
      expect(problem.detail).toContain(
        `Currency EGP does not match the currency of integration ${TEST_SECRETS.PAYMOB_INTEGRATION_ID_SA} (SAR).`,
      );
      const [row] = await transactionsOfCustomer(payer.customerId);
      expect(row?.status).toBe('failed');
    },
  );
});

describe('an intention answer without intention_order_id (the Oman/Pakistan docs’ samples)', () => {
  it('takes the order id from the payment key, and the payment still succeeds', async () => {
    const oman = REGIONS[1];
    const amount = 1000 + Math.floor(Math.random() * 8_000_000);
    await addFault({ mode: 'omit-intention-order-id', match: `amount=${amount}` });
    const payer = await createPayer();
    const response = await create(payer.access, (amount / 1000).toFixed(3), regionEnv(oman, 'intention'));
    expect(response.status).toBe(201);
    const txn = await readJson<TransactionView>(response);
    // The fault was used up by this intention.
    const faults = (await (await sandbox('/sandbox/faults')).json()) as Array<{ match: string }>;
    expect(faults.some((f) => f.match === `amount=${amount}`)).toBe(false);

    const paid = await pay(txn, CARDS.success, 'client_secret');
    const [callback] = await recordedCallbacks(txn.merchant_order_id, 1);
    if (!callback) throw new Error('no callback');
    expect(callback.transaction_id).toBe(paid.transaction_id);
    expect(callback.body.obj.order.id).toBe(txn.paymob_order_id);
    expect((await deliverRecorded(callback, regionEnv(oman, 'intention'))).status).toBe(200);
    expect((await transactionRow(txn.id)).status).toBe('succeeded');
  });
});
