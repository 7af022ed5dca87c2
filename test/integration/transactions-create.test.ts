import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import type { TransactionView } from '../../src/transactions/schemas';
import { api, apiWithEnv, createUser, type Problem, readJson, roundTrips, uniqueRequestId } from './helpers';
import {
  addFault,
  clearFaults,
  createPayer,
  createPayment,
  sandbox,
  TXN,
  transactionRow,
  transactionsOfCustomer,
} from './transactions-support';

afterEach(clearFaults);

describe('POST txn/ — happy path (legacy iframe flow)', () => {
  it('creates a pending transaction with the PayMob order, payment key and iframe URL', async () => {
    const payer = await createPayer();
    const response = await createPayment(payer, '150.50');
    expect(response.status).toBe(201);
    const txn = await readJson<TransactionView>(response);
    expect(txn).toMatchObject({
      customer: payer.customerId,
      amount: '150.50',
      amount_cents: 15050,
      currency: 'EGP',
      status: 'pending',
      paymob_transaction_id: null,
      failure_reason: null,
      refunded_cents: 0,
    });
    expect(txn.merchant_order_id).toMatch(/^SP-[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(txn.paymob_order_id).toEqual(expect.any(Number));
    expect(txn.checkout_url).toBe(
      `${env.PAYMOB_BASE_URL}/api/acceptance/iframes/${env.PAYMOB_IFRAME_ID}?payment_token=${encodeURIComponent(txn.payment_token ?? '')}`,
    );
    expect(txn.created_at).toMatch(/Z$/);
    expect(response.headers.get('Location')).toBe(`${TXN}${txn.id}/`);

    const row = await transactionRow(txn.id);
    expect(row.status).toBe('pending');
    expect(row.paymobOrderId).toBe(txn.paymob_order_id);
    expect(row.paymentKeyExpiresAt?.getTime()).toBeGreaterThan(Date.now() + 3_500_000);

    // The sandbox serves that checkout: the key is real and names our order and amount.
    const page = await sandbox(
      new URL(txn.checkout_url ?? '').pathname + new URL(txn.checkout_url ?? '').search,
    );
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(txn.merchant_order_id);
    expect(html).toContain('150.50');
  });

  // Issue 12 item 1 changed these two: the currency is the PayMob account's (EG → EGP), never the address's
  // (they expected OMR and SAR on the EG test account, which a real EGP integration refuses).
  it('a customer whose main address is in Oman pays in the account’s currency and digits (EGP)', async () => {
    const payer = await createPayer({ country: 'OM' });
    const response = await createPayment(payer, '1.25');
    expect(response.status).toBe(201);
    expect(await readJson(response)).toMatchObject({ amount: '1.25', amount_cents: 125, currency: 'EGP' });
  });

  it('accepts a JSON number and pads it to the currency’s digits (a Saudi address on an EG account: EGP)', async () => {
    const payer = await createPayer({ country: 'SA' });
    const response = await createPayment(payer, 99.5);
    expect(response.status).toBe(201);
    expect(await readJson(response)).toMatchObject({ amount: '99.50', amount_cents: 9950, currency: 'EGP' });
  });

  it('with PAYMOB_API_MODE=intention, makes one Intention call and answers the unified checkout URL', async () => {
    const payer = await createPayer();
    const response = await apiWithEnv(
      TXN,
      { method: 'POST', token: payer.access, json: { amount: '20.00' } },
      { PAYMOB_API_MODE: 'intention' },
    );
    expect(response.status).toBe(201);
    const txn = await readJson<TransactionView>(response);
    expect(txn.status).toBe('pending');
    expect(txn.checkout_url).toBe(
      `${env.PAYMOB_BASE_URL}/unifiedcheckout/?publicKey=${env.PAYMOB_PUBLIC_KEY}&clientSecret=${txn.payment_token}`,
    );
    const checkout = new URL(txn.checkout_url ?? '');
    expect((await sandbox(checkout.pathname + checkout.search)).status).toBe(200);
  });

  it('costs three database round trips, authentication included (docs/round-trips.md)', async () => {
    const payer = await createPayer();
    const requestId = uniqueRequestId('create');
    const response = await createPayment(payer, '10.00', { requestId });
    expect(response.status).toBe(201);
    // The auth query (with the payer's profile, KYC status and main address), the INSERT, the guarded UPDATE.
    expect(await roundTrips(requestId)).toBe(3);
  });
});

describe('POST txn/ — who may pay', () => {
  it('anonymous → 401', async () => {
    const response = await api(TXN, { method: 'POST', json: { amount: '10.00' } });
    expect(response.status).toBe(401);
  });

  it.each(['STAFF', 'ADMIN'] as const)('%s → 403, nothing created', async (role) => {
    const staff = await createUser({ role });
    const response = await createPayment(staff, '10.00');
    expect(response.status).toBe(403);
  });

  it('a customer whose KYC is not approved → 403 kyc_not_approved, nothing created', async () => {
    const payer = await createPayer({ kyc: 'pending' });
    const response = await createPayment(payer, '10.00');
    expect(response.status).toBe(403);
    expect((await readJson<Problem>(response)).code).toBe('kyc_not_approved');
    expect(await transactionsOfCustomer(payer.customerId)).toHaveLength(0);
  });

  it('with REQUIRE_KYC_FOR_PAYMENTS=false the KYC check is skipped', async () => {
    const payer = await createPayer({ kyc: 'pending' });
    const response = await apiWithEnv(
      TXN,
      { method: 'POST', token: payer.access, json: { amount: '10.00' } },
      { REQUIRE_KYC_FOR_PAYMENTS: 'false' },
    );
    expect(response.status).toBe(201);
  });

  it('a customer without a customer profile → 404 customer_profile_not_found', async () => {
    const user = await createUser({ customerProfile: false });
    const response = await createPayment(user, '10.00');
    expect(response.status).toBe(404);
    expect((await readJson<Problem>(response)).code).toBe('customer_profile_not_found');
  });

  it('no main address → 409 main_address_required', async () => {
    const payer = await createPayer();
    const { testDb } = await import('./helpers');
    const { addresses } = await import('../../src/db/schema');
    const { eq } = await import('drizzle-orm');
    await testDb().delete(addresses).where(eq(addresses.customerId, payer.customerId));
    const response = await createPayment(payer, '10.00');
    expect(response.status).toBe(409);
    expect((await readJson<Problem>(response)).code).toBe('main_address_required');
  });

  it('missing billing fields → 409 profile_incomplete naming each of them', async () => {
    const payer = await createPayer({ omit: ['first_name', 'phone_number'] });
    const response = await createPayment(payer, '10.00');
    expect(response.status).toBe(409);
    const problem = await readJson<Problem & { missing_fields: string[] }>(response);
    expect(problem.code).toBe('profile_incomplete');
    expect(problem.missing_fields).toEqual(['first_name', 'phone_number']);
    expect(problem.detail).toContain('first_name, phone_number');
    expect(await transactionsOfCustomer(payer.customerId)).toHaveLength(0);
  });
});

describe('POST txn/ — amount validation', () => {
  it.each<[string, unknown, string, string]>([
    ['zero', '0', 'EG', 'Ensure this value is greater than or equal to 0.01.'],
    ['negative', '-5.00', 'EG', 'A valid number is required.'],
    ['three decimals in EGP', '1.005', 'EG', 'Ensure that there are no more than 2 decimal places.'],
    // The account's digits, whatever the address (was: four decimals in OMR for an Omani address).
    [
      'three decimals for an Omani address on an EG account',
      '1.250',
      'OM',
      'Ensure that there are no more than 2 decimal places.',
    ],
    [
      'eleven integer digits',
      '12345678901',
      'EG',
      'Ensure that there are no more than 10 digits before the decimal point.',
    ],
    ['not a number', 'ten', 'EG', 'A valid number is required.'],
    ['an exponent', '1e3', 'EG', 'A valid number is required.'],
    ['blank', '  ', 'EG', 'This field may not be blank.'],
    ['null', null, 'EG', 'A valid number is required.'],
    ['a list', [1], 'EG', 'A valid number is required.'],
  ])('%s → 400 on amount', async (_name, amount, country, message) => {
    const payer = await createPayer({ country });
    const response = await createPayment(payer, amount);
    expect(response.status).toBe(400);
    const problem = await readJson<Problem>(response);
    expect(problem.errors?.amount).toEqual([message]);
    expect(await transactionsOfCustomer(payer.customerId)).toHaveLength(0);
  });

  it('a missing amount → 400 "This field is required."', async () => {
    const payer = await createPayer();
    const response = await api(TXN, { method: 'POST', token: payer.access, json: {} });
    expect(response.status).toBe(400);
    expect((await readJson<Problem>(response)).errors?.amount).toEqual(['This field is required.']);
  });

  it('read-only fields in the body are ignored', async () => {
    const payer = await createPayer();
    const response = await createPayment(payer, '10.00', {
      json: { amount: '10.00', status: 'succeeded', currency: 'USD', customer: 1, amount_cents: 1 },
    });
    expect(response.status).toBe(201);
    expect(await readJson(response)).toMatchObject({
      status: 'pending',
      currency: 'EGP',
      amount_cents: 1000,
    });
  });

  it('malformed JSON → 400, not 500', async () => {
    const payer = await createPayer();
    const response = await api(TXN, {
      method: 'POST',
      token: payer.access,
      body: '{"amount": ',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(response.status).toBe(400);
  });
});

describe('POST txn/ — PayMob failures leave no initiated row', () => {
  it('5xx on order registration (after the retries) → 502 paymob_unavailable, row failed with a reason', async () => {
    const payer = await createPayer();
    await addFault({ mode: 'status', status: 503, endpoint: 'orders', count: 4 });
    const response = await createPayment(payer, '10.00');
    expect(response.status).toBe(502);
    const problem = await readJson<Problem>(response);
    expect(problem.code).toBe('paymob_unavailable');
    expect(JSON.stringify(problem)).not.toMatch(/Service Unavailable|detail":"Service/);
    const rows = await transactionsOfCustomer(payer.customerId);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.status).toBe('failed');
    expect(rows[0]?.failureReason).toBe('PayMob unavailable during order registration');
  });

  it('one 5xx on order registration is retried and the payment goes through', async () => {
    const payer = await createPayer();
    await addFault({ mode: 'status', status: 502, endpoint: 'orders', count: 1 });
    const response = await createPayment(payer, '10.00');
    expect(response.status).toBe(201);
  });

  it('a 4xx from PayMob → 502 paymob_rejected with PayMob’s message only', async () => {
    const payer = await createPayer();
    await addFault({
      mode: 'status',
      status: 400,
      endpoint: 'payment_keys',
      body: { billing_data: { phone_number: ['Enter a valid phone number.'] }, internal: 'secret-detail' },
    });
    const response = await createPayment(payer, '10.00');
    expect(response.status).toBe(502);
    const problem = await readJson<Problem>(response);
    expect(problem.code).toBe('paymob_rejected');
    expect(problem.detail).toBe(
      'The payment provider rejected the request: billing_data.phone_number: Enter a valid phone number.',
    );
    expect(JSON.stringify(problem)).not.toContain('secret-detail');
    const [row] = await transactionsOfCustomer(payer.customerId);
    expect(row?.status).toBe('failed');
    expect(row?.failureReason).toBe(
      'PayMob rejected the payment key: billing_data.phone_number: Enter a valid phone number.',
    );
  });

  it('an order registration that never answers times out → 502 within 25 s, row failed', async () => {
    const payer = await createPayer();
    await addFault({ mode: 'delay', ms: 8_000, endpoint: 'orders', count: 4 });
    const started = Date.now();
    const response = await createPayment(payer, '10.00');
    const elapsed = Date.now() - started;
    expect(response.status).toBe(502);
    expect((await readJson<Problem>(response)).code).toBe('paymob_unavailable');
    expect(elapsed).toBeLessThan(25_000);
    const [row] = await transactionsOfCustomer(payer.customerId);
    expect(row?.status).toBe('failed');
  }, 40_000);
});
