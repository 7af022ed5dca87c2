// The benchmark's own data, made through the public API as a real client would: sign-up, the verification
// code from the sandbox mailbox, validation (which returns tokens and creates the customer), profile and main
// address, a KYC document, approval by the seeded admin through the staff review API, and one payment each.
// Users are inserted directly in MariaDB only when the sign-up/verification routes are missing and the
// benchmark owns the database.

import { signTransaction } from '../sandbox/paymob-signing.mjs';
import { hashPasswordForSeed } from '../seed-admin.mjs';
import { ApiError, isMissingRoute, mapLimited } from './http.mjs';

// Meets the password policy (docs/api.md §2.2) and is unlike any benchmark username.
export const BENCH_PASSWORD = 'Quartz-Harbor-71!';
const CODE_TIMEOUT_MS = 30_000;
const SETUP_PARALLELISM = 8;
const TOKEN_MAX_AGE_MS = 10 * 60_000; // access tokens live 15 minutes by default
const PDF = new TextEncoder().encode(
  '%PDF-1.4\n% StackPay benchmark\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n',
);

/**
 * @typedef {object} BenchUser
 * @property {string} key rate-limit key (the username)
 * @property {string} username
 * @property {string} email
 * @property {string} password
 * @property {string} access
 * @property {string} refresh
 * @property {number} tokenAt when the tokens were issued (ms)
 * @property {number | undefined} customerId
 * @property {boolean} paymentsReady profile, address and approved KYC in place
 */

/**
 * @typedef {object} BenchTransaction
 * @property {number} id
 * @property {string} merchantOrderId
 * @property {number} paymobOrderId
 * @property {number} amountCents
 * @property {string} currency
 */

/**
 * @typedef {object} Features
 * @property {boolean} login
 * @property {boolean} signUp
 * @property {boolean} customers
 * @property {boolean} kycReview
 * @property {boolean} payments
 */

/**
 * @param {object} options
 * @param {ReturnType<typeof import('./http.mjs').createApi>} options.api
 * @param {import('./budget.mjs').RateBudget} options.budget
 * @param {string} options.sandboxUrl
 * @param {number} options.count
 * @param {string} options.adminUsername
 * @param {string} options.adminPassword
 * @param {string} options.tag distinguishes this run's users from any other run's
 * @param {string | undefined} options.mysqlUrl set when the benchmark owns the database
 * @param {string | undefined} options.database
 * @param {(message: string) => void} options.log
 */
export async function createFixtures(options) {
  const { api, budget, log } = options;
  /** @type {Features} */
  const features = { login: true, signUp: true, customers: true, kycReview: true, payments: true };
  /** @type {string[]} */
  const problems = [];
  /** @type {BenchTransaction[]} */
  const transactions = [];

  /** Runs a step; a missing route switches its feature off instead of failing. */
  async function step(/** @type {keyof Features} */ feature, /** @type {() => Promise<any>} */ fn) {
    if (!features[feature]) return undefined;
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ApiError && isMissingRoute(error.status, error.body)) {
        if (features[feature]) log(`  ${feature}: route not available yet (${error.message.slice(0, 80)})`);
        features[feature] = false;
        return undefined;
      }
      throw error;
    }
  }

  const adminTokens = await step('login', async () => {
    await budget.take('login', options.adminUsername);
    const { body } = await api('POST', '/api/v1/users/login/', {
      json: { username: options.adminUsername, password: options.adminPassword },
    });
    return body;
  });
  const admin = adminTokens ? { key: options.adminUsername, access: adminTokens.access } : undefined;
  if (!admin) features.kycReview = false;

  /** @param {number} index */
  async function createUser(index) {
    const username = `bench_${options.tag}_${index}`;
    const email = `bench.${options.tag}.${index}@example.com`;
    /** @type {BenchUser} */
    const user = {
      key: username,
      username,
      email,
      password: BENCH_PASSWORD,
      access: '',
      refresh: '',
      tokenAt: 0,
      customerId: undefined,
      paymentsReady: false,
    };
    let tokens = await step('signUp', async () => {
      await api('POST', '/api/v1/users/sign-up/', {
        json: { username, email, password: BENCH_PASSWORD },
        expect: [201],
      });
      const code = await waitForCode(options.sandboxUrl, email);
      if (code === undefined) {
        // The e-mail pipeline is not delivering: fall back to direct inserts for everyone.
        if (features.signUp) log('  sign-up: no verification e-mail arrived; inserting users directly');
        features.signUp = false;
        return undefined;
      }
      const { body } = await api('POST', '/api/v1/users/verify-code/validate/', { json: { email, code } });
      return body;
    });
    if (!tokens) {
      if (!options.mysqlUrl || !options.database || !features.login) return undefined;
      user.username = `${username}_db`;
      user.key = user.username;
      user.email = `db.${email}`;
      await insertActiveUser(options.mysqlUrl, options.database, user.username, user.email);
      tokens = await step('login', async () => {
        await budget.take('login', user.username);
        const { body } = await api('POST', '/api/v1/users/login/', {
          json: { username: user.username, password: BENCH_PASSWORD },
        });
        return body;
      });
      if (!tokens) return undefined;
    }
    user.access = tokens.access;
    user.refresh = tokens.refresh;
    user.tokenAt = Date.now();

    const auth = async (/** @type {string} */ method, /** @type {string} */ path, extra = {}) => {
      await budget.take('default', user.key);
      return api(method, path, { token: user.access, ...extra });
    };
    const kyc = await step('customers', async () => {
      await auth('PUT', '/api/v1/customers/profile/', {
        json: {
          first_name: 'Bench',
          last_name: `User ${index}`,
          phone_number: phoneNumber(options.tag, index),
          dob: '1990-01-15',
        },
      });
      const { body: list } = await auth('GET', '/api/v1/customers/address/');
      const addresses = Array.isArray(list) ? list : (list?.results ?? []);
      const main = addresses.find((/** @type {{ main_address: boolean }} */ a) => a.main_address);
      if (main) {
        await auth('PATCH', `/api/v1/customers/address/${main.id}/`, {
          json: {
            state: 'Cairo Governorate',
            city: 'Cairo',
            line: '12 Tahrir Street',
            building_number: '12',
            apartment_number: '3',
            postal_code: '11511',
          },
        });
      }
      const form = new FormData();
      form.append('document_type', 'national_id');
      form.append('document_id', `2900115010${String(index % 10_000).padStart(4, '0')}`);
      form.append('document_file', new Blob([PDF], { type: 'application/pdf' }), 'national-id.pdf');
      const { body } = await auth('PUT', '/api/v1/customers/profile/upload-docs/', { form });
      return body;
    });
    user.customerId = kyc?.customer_id;
    if (admin && user.customerId !== undefined) {
      const reviewed = await step('kycReview', async () => {
        await budget.take('default', admin.key);
        await api('POST', `/api/v1/customers/${user.customerId}/kyc/review/`, {
          token: admin.access,
          // The submission the upload answered with (docs/security.md §2).
          json: { status: 'approved', submission_version: kyc?.submission_version },
        });
        return true;
      });
      user.paymentsReady = Boolean(reviewed);
    }
    if (user.paymentsReady) {
      const created = await step('payments', async () => {
        await budget.take('payments', user.key);
        const { body } = await api('POST', '/api/v1/transactions/txn/', {
          token: user.access,
          json: { amount: '100.00' },
          expect: [201],
        });
        return body;
      });
      const txn = created && transactionFrom(created);
      if (txn) transactions.push(txn);
    }
    return user;
  }

  // The first user alone finds out which routes exist; the rest follow in parallel.
  /** @type {BenchUser[]} */
  const users = [];
  const indexes = Array.from({ length: options.count }, (_, i) => i);
  const first = await mapLimited(indexes.slice(0, 1), 1, createUser);
  const rest = await mapLimited(indexes.slice(1), SETUP_PARALLELISM, createUser);
  for (const result of [...first, ...rest]) {
    if (result.ok && result.value) users.push(result.value);
    else if (!result.ok)
      problems.push(result.error instanceof Error ? result.error.message : String(result.error));
  }
  return { users, admin, features, transactions, problems };
}

/**
 * The verification code from the newest "Verify your email" message for `email` in the sandbox mailbox, or
 * undefined when none arrives in time.
 * @param {string} sandboxUrl
 * @param {string} email
 */
async function waitForCode(sandboxUrl, email) {
  const deadline = Date.now() + CODE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const res = await fetch(`${sandboxUrl}/mailbox/messages?to=${encodeURIComponent(email)}`, {
      signal: AbortSignal.timeout(5000),
    });
    const messages = /** @type {Array<{ subject?: string, text?: string }>} */ (await res.json());
    for (const message of messages) {
      const match = /\b(\d{6})\b/.exec(message.text ?? '');
      if (match && /verif/i.test(message.subject ?? '')) return /** @type {string} */ (match[1]);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return undefined;
}

/** A valid Egyptian mobile number (+20 10 xxxx xxxx), unique per run tag and index. */
function phoneNumber(/** @type {string} */ tag, /** @type {number} */ index) {
  let hash = 0;
  for (const char of tag) hash = (hash * 31 + char.charCodeAt(0)) % 10_000;
  return `+2010${String(hash).padStart(4, '0')}${String(index % 10_000).padStart(4, '0')}`;
}

/** @returns {BenchTransaction | undefined} */
export function transactionFrom(/** @type {any} */ body) {
  if (!body || typeof body !== 'object' || body.status !== 'pending') return undefined;
  const paymobOrderId = Number(body.paymob_order_id);
  if (!Number.isInteger(paymobOrderId) || paymobOrderId <= 0) return undefined;
  return {
    id: Number(body.id),
    merchantOrderId: String(body.merchant_order_id),
    paymobOrderId,
    amountCents: Number(body.amount_cents),
    currency: String(body.currency),
  };
}

/** Fallback when sign-up is missing: an active CUSTOMER row with the benchmark password. */
async function insertActiveUser(
  /** @type {string} */ mysqlUrl,
  /** @type {string} */ database,
  /** @type {string} */ username,
  /** @type {string} */ email,
) {
  const { default: mysql } = await import('mysql2/promise');
  const conn = await mysql.createConnection({ uri: mysqlUrl, database });
  try {
    await conn.execute(
      `INSERT INTO users (username, email, password_hash, role_management, is_active, is_staff)
       VALUES (?, ?, ?, 'CUSTOMER', 1, 0)`,
      [username, email, hashPasswordForSeed(BENCH_PASSWORD)],
    );
  } finally {
    await conn.end();
  }
}

/**
 * Refreshes access tokens older than TOKEN_MAX_AGE_MS (rotation through `refresh/`), so a long run never
 * measures 401s. `refresh/` is limited per client address, and every call here uses a fresh one.
 * @param {BenchUser[]} users
 * @param {ReturnType<typeof import('./http.mjs').createApi>} api
 */
export async function refreshOldTokens(users, api) {
  const old = users.filter((user) => Date.now() - user.tokenAt > TOKEN_MAX_AGE_MS);
  await mapLimited(old, SETUP_PARALLELISM, async (user) => {
    const { body } = await api('POST', '/api/v1/users/refresh/', { json: { refresh: user.refresh } });
    user.access = body.access;
    user.refresh = body.refresh;
    user.tokenAt = Date.now();
  });
}

/**
 * A processed callback (docs/api.md §4.4) for one of our transactions, signed like PayMob signs it: a successful
 * card payment. `paymobTransactionId` must be unique per first delivery; reusing it makes a duplicate.
 * @param {BenchTransaction} txn
 * @param {number} paymobTransactionId
 * @param {string} hmacSecret
 * @param {number} integrationId
 */
export function signedCallback(txn, paymobTransactionId, hmacSecret, integrationId) {
  const createdAt = new Date().toISOString().replace('Z', '000').slice(0, 26);
  const obj = {
    id: paymobTransactionId,
    pending: false,
    amount_cents: txn.amountCents,
    success: true,
    is_auth: false,
    is_capture: false,
    is_standalone_payment: true,
    is_voided: false,
    is_refunded: false,
    is_3d_secure: true,
    integration_id: integrationId,
    profile_id: 302852,
    has_parent_transaction: false,
    order: {
      id: txn.paymobOrderId,
      created_at: createdAt,
      delivery_needed: false,
      merchant: { id: 302852, company_name: 'StackPay Sandbox' },
      amount_cents: txn.amountCents,
      currency: txn.currency,
      merchant_order_id: txn.merchantOrderId,
      is_payment_locked: true,
      paid_amount_cents: txn.amountCents,
      items: [],
      payment_status: 'PAID',
    },
    created_at: createdAt,
    transaction_processed_callback_responses: [],
    currency: txn.currency,
    source_data: { pan: '2346', type: 'card', tenure: null, sub_type: 'MasterCard' },
    api_source: 'IFRAME',
    terminal_id: null,
    merchant_commission: 0,
    installment: null,
    discount_details: [],
    is_void: false,
    is_refund: false,
    data: {
      gateway_integration_pk: integrationId,
      klass: 'MigsPayment',
      created_at: createdAt,
      amount: txn.amountCents,
      currency: txn.currency,
      migs_order: { id: String(txn.paymobOrderId), status: 'CAPTURED' },
      migs_result: 'SUCCESS',
      txn_response_code: '0',
      acq_response_code: '00',
      message: 'Approved',
      card_type: 'MASTERCARD',
      card_num: '512345xxxxxx2346',
      captured_amount: txn.amountCents,
      authorised_amount: txn.amountCents,
      refunded_amount: 0,
    },
    is_hidden: false,
    error_occured: false,
    is_live: false,
    refunded_amount_cents: 0,
    source_id: -1,
    is_captured: false,
    captured_amount: 0,
    updated_at: createdAt,
    is_settled: false,
    bill_balanced: false,
    is_bill: false,
    owner: 302852,
    parent_transaction: null,
  };
  const hmac = signTransaction(obj, hmacSecret);
  return {
    path: `/api/v1/transactions/webhook/?hmac=${hmac}`,
    body: JSON.stringify({
      type: 'TRANSACTION',
      obj,
      issuer_bank: null,
      transaction_processed_callback_responses: '',
    }),
  };
}
