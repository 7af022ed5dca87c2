// The fixed set of scenarios. Each one says how to build its next request, which statuses count as
// success, and which rate-limit scope (if any) bounds how many requests a run may send (see budget.mjs).

import { rotation } from './budget.mjs';
import { BENCH_PASSWORD, signedCallback, transactionFrom } from './fixtures.mjs';

const JSON_HEADERS = { 'content-type': 'application/json' };
const WEBHOOK_ID_BASE = 700_000_000;

/**
 * @typedef {object} Scenario
 * @property {string} id
 * @property {string} title
 * @property {string} what one line: what the request does
 * @property {keyof typeof import('./budget.mjs').RATE_LIMITS | undefined} scope rate-limit scope per user
 * @property {string | undefined} unavailable why it cannot run (missing route or missing fixtures)
 * @property {() => import('./load.mjs').RequestSpec} next
 * @property {(status: number) => boolean} expected
 * @property {() => number} [supply] how many requests its data allows (webhook deliveries), when bounded
 * @property {(status: number, body: string) => void} [onBody]
 * @property {(send: (spec: import('./load.mjs').RequestSpec) => Promise<number>) => Promise<string | undefined>} [prepare]
 *   makes the scenario's data before it runs; answers why it cannot run, if it cannot
 */

/**
 * @param {object} context
 * @param {import('./fixtures.mjs').BenchUser[]} context.users
 * @param {import('./fixtures.mjs').Features} context.features
 * @param {import('./fixtures.mjs').BenchTransaction[]} context.transactions pending, from setup and txn_create
 * @param {import('./budget.mjs').RateBudget} context.budget
 * @param {() => string} context.nextAddress
 * @param {string} context.hmacSecret
 * @param {number} context.integrationId
 * @returns {Scenario[]}
 */
export function buildScenarios(context) {
  const { users, features, budget, nextAddress } = context;
  const ok = (/** @type {number} */ status) => status === 200;
  const created = (/** @type {number} */ status) => status === 201;
  const payers = users.filter((user) => user.paymentsReady);
  const noUsers = users.length === 0 ? 'no benchmark users (sign-up and login unavailable)' : undefined;

  /**
   * A GET as one of the pool's users, rotating so no user exceeds the scope's limit.
   * @param {string} path
   * @param {keyof typeof import('./budget.mjs').RATE_LIMITS} scope
   */
  const authenticatedGet = (path, scope) => {
    const nextUser = rotation(users, budget, scope);
    return () => {
      const user = nextUser();
      return { method: 'GET', path, headers: { authorization: `Bearer ${user.access}` } };
    };
  };

  const nextLogin = rotation(users, budget, 'login');
  const nextPayer = rotation(payers, budget, 'payments');

  // Webhook deliveries: one first delivery per pending transaction, each with its own PayMob id.
  let delivered = 0;
  let webhookId = WEBHOOK_ID_BASE + Math.floor(Math.random() * 100_000_000);
  /** @type {{ path: string, body: string } | undefined} */
  let duplicate;
  const nextDelivery = () => {
    const txn = context.transactions[delivered];
    delivered += 1;
    if (!txn) {
      // Only reached by a request autocannon builds but never sends after the last one.
      return {
        method: 'POST',
        path: '/api/v1/transactions/webhook/?hmac=0',
        headers: JSON_HEADERS,
        body: '{}',
      };
    }
    webhookId += 1;
    const callback = signedCallback(txn, webhookId, context.hmacSecret, context.integrationId);
    duplicate ??= callback;
    return { method: 'POST', path: callback.path, headers: JSON_HEADERS, body: callback.body };
  };

  return [
    {
      id: 'live',
      title: 'GET /health/live',
      what: 'floor: routing, middleware and a JSON answer; no I/O',
      scope: undefined,
      unavailable: undefined,
      next: () => ({ method: 'GET', path: '/health/live' }),
      expected: ok,
    },
    {
      id: 'health',
      title: 'GET /health',
      what: 'one `select 1` through the PlanetScale HTTP driver',
      scope: undefined,
      unavailable: undefined,
      next: () => ({ method: 'GET', path: '/health' }),
      expected: ok,
    },
    {
      id: 'profile_mine',
      title: 'GET /users/profiles/mine/',
      what: 'JWT verify + user load (scope `profile`, 30/min per user)',
      scope: 'profile',
      unavailable: noUsers,
      next: authenticatedGet('/api/v1/users/profiles/mine/', 'profile'),
      expected: ok,
    },
    {
      id: 'customer_profile',
      title: 'GET /customers/profile/',
      what: 'JWT verify + user load + customer profile (scope `default`, 100/min per user)',
      scope: 'default',
      unavailable: noUsers ?? (features.customers ? undefined : 'route missing'),
      next: authenticatedGet('/api/v1/customers/profile/', 'default'),
      expected: ok,
    },
    {
      id: 'txn_list',
      title: 'GET /transactions/txn/?page_size=10',
      what: 'paginated list of own transactions (scope `default`)',
      scope: 'default',
      unavailable: noUsers,
      next: authenticatedGet('/api/v1/transactions/txn/?page_size=10', 'default'),
      expected: ok,
    },
    {
      id: 'txn_create',
      title: 'POST /transactions/txn/',
      what: 'row insert + the PayMob call against the sandbox: an intention (unified checkout, the default), or auth (KV) + order + payment key in `legacy` mode (scope `payments`, 30/min)',
      scope: 'payments',
      unavailable:
        noUsers ??
        (!features.payments
          ? 'route missing'
          : payers.length === 0
            ? 'no KYC-approved customers (customers or review API missing)'
            : undefined),
      next: () => {
        const user = nextPayer();
        return {
          method: 'POST',
          path: '/api/v1/transactions/txn/',
          headers: { ...JSON_HEADERS, authorization: `Bearer ${user.access}` },
          body: JSON.stringify({ amount: '100.00' }),
        };
      },
      expected: created,
      onBody: (status, body) => {
        if (status !== 201) return;
        try {
          const txn = transactionFrom(JSON.parse(body));
          if (txn) context.transactions.push(txn);
        } catch {
          // counted as an error through its status if it matters
        }
      },
    },
    {
      id: 'webhook',
      title: 'POST /transactions/webhook/ (first delivery)',
      what: 'HMAC-SHA512 verify, store event, bind to transaction, pending → succeeded, queue e-mail',
      scope: undefined,
      unavailable: features.payments ? undefined : 'payments routes missing',
      supply: () => context.transactions.length - delivered,
      next: nextDelivery,
      expected: ok,
    },
    {
      id: 'webhook_duplicate',
      title: 'POST /transactions/webhook/ (duplicate)',
      what: 'the same signed callback again: verify, dedupe on (PayMob id, kind), 200',
      scope: undefined,
      unavailable: features.payments ? undefined : 'payments routes missing',
      prepare: async (send) => {
        if (duplicate) return undefined;
        if (delivered >= context.transactions.length)
          return 'no pending transaction to deliver a callback for';
        const status = await send(nextDelivery());
        return status === 200 ? undefined : `the first delivery answered ${status}`;
      },
      next: () => {
        const callback = duplicate ?? { path: '/api/v1/transactions/webhook/?hmac=0', body: '{}' };
        return { method: 'POST', path: callback.path, headers: JSON_HEADERS, body: callback.body };
      },
      expected: ok,
    },
    {
      id: 'login',
      title: 'POST /users/login/',
      what: 'PBKDF2-SHA256 100k verify, token pair, refresh-token insert (new client address per request; last, because the rate limiter objects it creates per address fire their clean-up alarms a minute later)',
      scope: 'login',
      unavailable: noUsers ?? (features.login ? undefined : 'route missing'),
      next: () => {
        const user = nextLogin();
        return {
          method: 'POST',
          path: '/api/v1/users/login/',
          headers: { ...JSON_HEADERS, 'cf-connecting-ip': nextAddress() },
          body: JSON.stringify({ username: user.username, password: BENCH_PASSWORD }),
        };
      },
      expected: ok,
    },
  ];
}
