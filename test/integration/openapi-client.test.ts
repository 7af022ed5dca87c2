/**
 * The typed client in client/ (generated from the OpenAPI document, docs/openapi.md) driving the real Worker:
 * sign-up, the verification code from the sandbox mailbox, validation, login, profile, address, KYC document,
 * staff approval, a payment with an Idempotency-Key (and its replay), the list and the single read. Every call
 * goes through openapi-fetch with the Worker's entry point as its fetch, so a drift between the document and
 * what the Worker really accepts or answers fails here.
 */
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createStackPayClient, idempotent, type StackPayClient } from '../../client';
import { VALID_NATIONAL_ID } from './customers-fixtures';
import { BASE_URL, createUser, uniqueIp, uniqueName } from './helpers';

// One address per test run: the sign-up and login limits are per IP.
const ip = uniqueIp();
const workerFetch = (request: Request) => {
  request.headers.set('CF-Connecting-IP', ip);
  return exports.default.fetch(request);
};

function client(token?: () => string | undefined): StackPayClient {
  return createStackPayClient({ baseUrl: BASE_URL, fetch: workerFetch, ...(token ? { token } : {}) });
}

async function verificationCode(email: string): Promise<string> {
  let code: string | undefined;
  await expect
    .poll(
      async () => {
        const res = await fetch(`${env.SANDBOX_URL}/mailbox/messages?to=${encodeURIComponent(email)}`);
        const messages = (await res.json()) as Array<{ subject: string; text: string }>;
        const mail = messages.find((m) => m.subject === 'Verify your email');
        code = mail ? /\b(\d{6})\b/.exec(mail.text)?.[1] : undefined;
        return code;
      },
      { timeout: 15_000, interval: 250 },
    )
    .toMatch(/^\d{6}$/);
  return code as string;
}

// A 1×1 PNG: a real image by its magic bytes.
const PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='),
  (ch) => ch.charCodeAt(0),
);

describe('the typed client against the Worker', () => {
  it('signs up, verifies, completes the profile, gets approved, pays and lists', async () => {
    const username = uniqueName('typed');
    const email = `${username.toLowerCase()}@example.com`;
    const password = 'Kettle-Drum42!';
    const anonymous = client();

    const signUp = await anonymous.POST('/api/v1/users/sign-up', { body: { username, email, password } });
    expect(signUp.response.status).toBe(201);
    expect(signUp.data).toMatchObject({ username, email, is_active: false, role_management: 'CUSTOMER' });
    expect(signUp.response.headers.get('X-Request-Id')).toBeTruthy();

    const code = await verificationCode(email);
    const validated = await anonymous.POST('/api/v1/users/verify-code/validate', { body: { email, code } });
    expect(validated.response.status).toBe(200);

    const login = await anonymous.POST('/api/v1/users/login', { body: { username, password } });
    expect(login.response.status).toBe(200);
    const access = login.data?.access;
    expect(access).toBeTruthy();
    const customer = client(() => access);

    const mine = await customer.GET('/api/v1/users/profiles/mine');
    expect(mine.data).toMatchObject({ username, is_active: true });

    const profile = await customer.PUT('/api/v1/customers/profile', {
      body: {
        first_name: 'Mona',
        last_name: 'Adel',
        phone_number: `+2010${String(Date.now()).slice(-8)}`,
        dob: '1990-05-17',
      },
    });
    expect(profile.response.status).toBe(200);
    expect(profile.data).toMatchObject({ first_name: 'Mona', kyc_status: 'pending' });

    const address = await customer.POST('/api/v1/customers/address', {
      body: {
        country: 'EG',
        state: 'Cairo Gov',
        city: 'Cairo',
        line: '5 Tahrir Square',
        building_number: '5',
      },
    });
    expect(address.response.status).toBe(201);
    expect(address.data).toMatchObject({ country: 'EG', main_address: true });

    const upload = await customer.PUT('/api/v1/customers/profile/upload-docs', {
      body: { document_type: 'national_id', document_id: VALID_NATIONAL_ID },
      bodySerializer: (fields) => {
        const form = new FormData();
        for (const [name, value] of Object.entries(fields)) form.append(name, String(value));
        form.append('document_file', new File([PNG], 'id.png', { type: 'image/png' }));
        return form;
      },
    });
    expect(upload.response.status).toBe(200);
    expect(upload.data).toMatchObject({ status: 'pending', document_type: 'national_id' });
    const customerId = upload.data?.customer_id as number;

    const staff = await createUser({ role: 'STAFF' });
    const reviewer = client(() => staff.access);
    // The review names the submission the reviewer read (docs/security.md §2).
    const kyc = await reviewer.GET('/api/v1/customers/{customer_id}/kyc', {
      params: { path: { customer_id: customerId } },
    });
    expect(kyc.response.status).toBe(200);
    const approval = await reviewer.POST('/api/v1/customers/{customer_id}/kyc/review', {
      params: { path: { customer_id: customerId } },
      body: { status: 'approved', submission_version: kyc.data?.submission_version as string },
    });
    expect(approval.response.status).toBe(200);
    expect(approval.data).toMatchObject({ status: 'approved' });

    const key = idempotent();
    const payment = await customer.POST('/api/v1/transactions/txn', {
      body: { amount: '150.00' },
      params: key,
    });
    expect(payment.response.status).toBe(201);
    expect(payment.data).toMatchObject({ status: 'pending', currency: 'EGP', amount: '150.00' });
    expect(payment.data?.checkout_url).toBeTruthy();
    expect(payment.response.headers.get('Location')).toBe(`/api/v1/transactions/txn/${payment.data?.id}/`);
    // `payments` is on the Rate Limiting binding: the policy, no remaining count (docs/api.md §7).
    expect(payment.response.headers.get('RateLimit-Policy')).toBeTruthy();

    const replay = await customer.POST('/api/v1/transactions/txn', {
      body: { amount: '150.00' },
      params: key,
    });
    expect(replay.response.status).toBe(201);
    expect(replay.response.headers.get('Idempotent-Replayed')).toBe('true');
    expect(replay.data?.id).toBe(payment.data?.id);

    const list = await customer.GET('/api/v1/transactions/txn', {
      params: { query: { status: ['pending'], page: 1, page_size: 10 } },
    });
    expect(list.response.status).toBe(200);
    expect(list.data?.count).toBe(1);
    expect(list.data?.results.map((t) => t.id)).toEqual([payment.data?.id]);

    const one = await customer.GET('/api/v1/transactions/txn/{id}', {
      params: { path: { id: payment.data?.id as number } },
    });
    expect(one.data).toMatchObject({ id: payment.data?.id, status: 'pending' });

    // A problem answer comes back typed as the error, with its documented type URI.
    const missing = await customer.GET('/api/v1/transactions/txn/{id}', {
      params: { path: { id: 999999999 } },
    });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ code: 'transaction_not_found' });
    expect(missing.error?.type).toMatch(/\/docs\/errors#transaction_not_found$/);
  });
});
