import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger';
import {
  AUTH_TOKEN_TTL_SECONDS,
  authTokenCacheKey,
  type BillingData,
  CALL_TIMEOUT_MS,
  CONNECT_TIMEOUT_MS,
  PAYMOB_BASE_URLS,
  PaymobClient,
  PaymobError,
  type PaymobSettings,
  providerMessage,
  REQUEST_BUDGET_MS,
  type TokenCache,
  TokenMemory,
} from '../../src/paymob/client';

type Reply = { status: number; body?: unknown; text?: string } | 'network-error' | 'hang';
type Handler = (path: string, body: Record<string, unknown>, headers: Headers) => Reply;

/** A scripted PayMob: each path answers from its own queue of replies (the last one repeats). */
function fakePaymob(script: Record<string, Reply[] | Handler>) {
  const calls: Array<{ path: string; search: string; body: Record<string, unknown>; headers: Headers }> = [];
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const body = init?.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : {};
    const headers = new Headers(init?.headers);
    calls.push({ path: url.pathname, search: url.search, body, headers });
    const entry = script[url.pathname];
    if (!entry) return new Response('{"detail":"Not found."}', { status: 404 });
    const reply =
      typeof entry === 'function'
        ? entry(url.pathname, body, headers)
        : entry.length > 1
          ? entry.shift()
          : entry[0];
    if (reply === 'network-error' || reply === undefined) throw new TypeError('fetch failed');
    if (reply === 'hang') {
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    }
    const text = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
    return new Response(text, { status: reply.status });
  }) as typeof fetch;
  return { fetchImpl, calls, count: (path: string) => calls.filter((c) => c.path === path).length };
}

function fakeKv() {
  const store = new Map<string, { value: string; ttl?: number }>();
  const kv = {
    get: async (key: string) => store.get(key)?.value ?? null,
    put: async (key: string, value: string, options?: { expirationTtl?: number }) => {
      store.set(key, { value, ttl: options?.expirationTtl });
    },
    delete: async (key: string) => {
      store.delete(key);
    },
  };
  return { kv: kv as unknown as TokenCache, store };
}

const settings: PaymobSettings = {
  country: 'EG',
  baseUrl: 'http://paymob.test',
  apiKey: 'api-key',
  secretKey: 'sk_test',
  publicKey: 'pk_test',
  integrationIds: [4097558, 4097559],
  iframeId: '812345',
};

const billing: BillingData = {
  first_name: 'Mona',
  last_name: 'Adel',
  email: 'mona@example.com',
  phone_number: '+201001234567',
  apartment: 'NA',
  floor: 'NA',
  street: 'Tahrir',
  building: '5',
  shipping_method: 'NA',
  postal_code: '11511',
  city: 'Cairo',
  country: 'EG',
  state: 'NA',
};

function client(
  script: Record<string, Reply[] | Handler>,
  options: {
    budgetMs?: number;
    kv?: TokenCache;
    timeouts?: { connectMs: number; callMs: number };
    settings?: Partial<PaymobSettings>;
    /** The isolate's token memory; each client gets its own unless a test shares one. */
    memory?: TokenMemory;
    clock?: () => number;
  } = {},
) {
  const paymob = fakePaymob(script);
  const kv = options.kv ?? fakeKv().kv;
  const sleeps: number[] = [];
  const instance = new PaymobClient({
    settings: { ...settings, ...options.settings },
    cache: kv,
    memory: options.memory ?? new TokenMemory(),
    clock: options.clock,
    logger: createLogger({}, 'error'),
    fetch: paymob.fetchImpl,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    budgetMs: options.budgetMs,
    timeouts: options.timeouts,
  });
  return { instance, paymob, sleeps };
}

const AUTH = '/api/auth/tokens';
const ORDERS = '/api/ecommerce/orders';
const KEYS = '/api/acceptance/payment_keys';
const INQUIRY = '/api/ecommerce/orders/transaction_inquiry';
const ok = (body: unknown): Reply => ({ status: 200, body });
const created = (body: unknown): Reply => ({ status: 201, body });

describe('base URLs', () => {
  it('has one per PayMob country', () => {
    expect(PAYMOB_BASE_URLS).toEqual({
      EG: 'https://accept.paymob.com',
      SA: 'https://ksa.paymob.com',
      AE: 'https://uae.paymob.com',
      OM: 'https://oman.paymob.com',
      PK: 'https://pakistan.paymob.com',
    });
  });

  it('builds the legacy iframe and unified checkout URLs on the configured base', () => {
    const { instance } = client({});
    expect(instance.iframeUrl('tok/en')).toBe(
      'http://paymob.test/api/acceptance/iframes/812345?payment_token=tok%2Fen',
    );
    expect(instance.unifiedCheckoutUrl('cs_1')).toBe(
      'http://paymob.test/unifiedcheckout/?publicKey=pk_test&clientSecret=cs_1',
    );
  });
});

describe('auth token', () => {
  it('is fetched once and cached in KV for 50 minutes under the documented key', async () => {
    const { kv, store } = fakeKv();
    const { instance, paymob } = client({ [AUTH]: [created({ token: 'T1' })] }, { kv });
    expect(await instance.authToken()).toBe('T1');
    expect(await instance.authToken()).toBe('T1');
    expect(paymob.count(AUTH)).toBe(1);
    expect(paymob.calls[0]?.body).toEqual({ api_key: 'api-key' });
    expect(store.get(authTokenCacheKey('EG'))).toEqual({ value: 'T1', ttl: AUTH_TOKEN_TTL_SECONDS });
    expect(authTokenCacheKey('EG')).toBe('paymob:auth-token:EG');
    expect(AUTH_TOKEN_TTL_SECONDS).toBe(3000);
  });

  it('is kept in isolate memory in front of KV: a warm isolate reads KV no more (docs/round-trips.md)', async () => {
    const { kv, store } = fakeKv();
    let reads = 0;
    const counting: TokenCache = {
      ...kv,
      get: (key) => {
        reads++;
        return kv.get(key);
      },
    };
    const memory = new TokenMemory();
    let now = 1_000_000;
    const clock = () => now;
    const script = { [AUTH]: [created({ token: 'T1' }), created({ token: 'T2' })] };
    // A cold isolate: KV is empty, PayMob issues the token, which goes to memory and KV.
    const first = client(script, { kv: counting, memory, clock });
    expect(await first.instance.authToken()).toBe('T1');
    expect(reads).toBe(1);
    // Later requests in the same isolate (new clients, as each request builds one): no KV read, no PayMob call.
    const second = client(script, { kv: counting, memory, clock });
    expect(await second.instance.authToken()).toBe('T1');
    expect(await second.instance.authToken()).toBe('T1');
    expect(reads).toBe(1);
    expect(second.paymob.count(AUTH)).toBe(0);
    // Past the KV lifetime the memory has forgotten it: KV again (here KV still holds it: the fake ignores TTL).
    now += AUTH_TOKEN_TTL_SECONDS * 1000;
    expect(await client(script, { kv: counting, memory, clock }).instance.authToken()).toBe('T1');
    expect(reads).toBe(2);
    // A token read from KV may be up to 50 minutes old: remembered only 9 minutes, then KV is read again.
    now += 9 * 60 * 1000 - 1;
    expect(await client(script, { kv: counting, memory, clock }).instance.authToken()).toBe('T1');
    expect(reads).toBe(2);
    now += 1;
    store.set(authTokenCacheKey('EG'), { value: 'T3' });
    expect(await client(script, { kv: counting, memory, clock }).instance.authToken()).toBe('T3');
    expect(reads).toBe(3);
  });

  it('a token refused with 401 is replaced in memory too, and memory is per account', async () => {
    const memory = new TokenMemory();
    const { kv, store } = fakeKv();
    const stale = client({ [AUTH]: [created({ token: 'OLD' })] }, { kv, memory });
    expect(await stale.instance.authToken()).toBe('OLD');
    const { instance, paymob } = client(
      {
        [AUTH]: [created({ token: 'NEW' })],
        [ORDERS]: (_p, body) => (body.auth_token === 'NEW' ? created({ id: 9 }) : { status: 401, body: {} }),
      },
      { kv, memory },
    );
    const order = await instance.registerOrder({
      merchantOrderId: 'SP-2',
      amountCents: 100,
      currency: 'EGP',
    });
    expect(order.id).toBe(9);
    expect(paymob.count(AUTH)).toBe(1);
    expect(store.get(authTokenCacheKey('EG'))?.value).toBe('NEW');
    // The next request in the isolate uses the new token straight from memory.
    const next = client(
      {
        [ORDERS]: (_p, body) => (body.auth_token === 'NEW' ? created({ id: 10 }) : { status: 401, body: {} }),
      },
      { kv, memory },
    );
    expect(
      (await next.instance.registerOrder({ merchantOrderId: 'SP-3', amountCents: 100, currency: 'EGP' })).id,
    ).toBe(10);
    expect(next.paymob.count(AUTH)).toBe(0);
    // Another account (another API key) in the same isolate does not get this one's token.
    const other = client(
      { [AUTH]: [created({ token: 'OTHER' })] },
      { kv: fakeKv().kv, memory, settings: { apiKey: 'other-key' } },
    );
    expect(await other.instance.authToken()).toBe('OTHER');
  });

  it('is refreshed once when PayMob answers 401, and the call repeated', async () => {
    const { kv, store } = fakeKv();
    store.set(authTokenCacheKey('EG'), { value: 'STALE' });
    const { instance, paymob } = client(
      {
        [AUTH]: [created({ token: 'FRESH' })],
        [ORDERS]: (_p, body) =>
          body.auth_token === 'FRESH' ? created({ id: 77 }) : { status: 401, body: {} },
      },
      { kv },
    );
    const order = await instance.registerOrder({
      merchantOrderId: 'SP-1',
      amountCents: 100,
      currency: 'EGP',
    });
    expect(order).toEqual({ id: 77, recovered: false });
    expect(paymob.count(AUTH)).toBe(1);
    expect(paymob.count(ORDERS)).toBe(2);
    expect(store.get(authTokenCacheKey('EG'))?.value).toBe('FRESH');
  });

  // Issue 12 item 8 changed this rule: a 401 that survives one refresh is a credentials problem, not "PayMob
  // unavailable" (it was paymob_unavailable before).
  it('a second 401 with a fresh token is paymob_auth_failed, not a loop', async () => {
    const { instance, paymob } = client({
      [AUTH]: [created({ token: 'T' })],
      [ORDERS]: [{ status: 401, body: {} }],
    });
    await expect(
      instance.registerOrder({ merchantOrderId: 'SP-1', amountCents: 100, currency: 'EGP' }),
    ).rejects.toMatchObject({ code: 'paymob_auth_failed', status: 502, failure: 'auth_failed' });
    expect(paymob.count(ORDERS)).toBe(2);
  });

  it('a refused API key is paymob_auth_failed, and the log names the scheme, never the key', async () => {
    const lines: string[] = [];
    const original = console.error;
    console.error = (line: string) => lines.push(line);
    try {
      const { instance } = client({ [AUTH]: [{ status: 403, body: { detail: 'incorrect credentials' } }] });
      await expect(instance.authToken()).rejects.toMatchObject({ code: 'paymob_auth_failed' });
    } finally {
      console.error = original;
    }
    expect(lines.join('\n')).toContain('"auth_scheme":"api_key"');
    expect(lines.join('\n')).not.toContain('api-key');
  });
});

const REFUND = '/api/acceptance/void_refund/refund';
const VOID = '/api/acceptance/void_refund/void';
const childTransaction = (extra: Record<string, unknown>) => ({
  id: 700,
  pending: false,
  success: true,
  amount_cents: 100,
  currency: 'EGP',
  has_parent_transaction: true,
  order: { id: 55, merchant_order_id: 'SP-1' },
  ...extra,
});

describe('intention mode: the secret key is enough (docs/paymob.md §5)', () => {
  const intentionOnly = { settings: { mode: 'intention' as const, apiKey: undefined } };

  it('inquiry, refund and void send `Token <secret key>`, never ask for an auth token', async () => {
    const { instance, paymob } = client(
      {
        [INQUIRY]: [ok(childTransaction({ id: 9, has_parent_transaction: false }))],
        [REFUND]: [ok(childTransaction({ is_refund: true }))],
        [VOID]: [ok(childTransaction({ id: 701, is_void: true }))],
      },
      intentionOnly,
    );
    expect((await instance.inquireByMerchantOrderId('SP-1'))?.id).toBe(9);
    expect((await instance.refund({ transactionId: 9, amountCents: 100 })).id).toBe(700);
    expect((await instance.voidPayment({ transactionId: 9 })).id).toBe(701);
    expect(paymob.count(AUTH)).toBe(0);
    for (const call of paymob.calls) {
      expect(call.headers.get('Authorization')).toBe('Token sk_test');
      expect(call.body).not.toHaveProperty('auth_token');
    }
    expect(paymob.calls.find((c) => c.path === REFUND)?.body).toEqual({
      transaction_id: 9,
      amount_cents: 100,
    });
    expect(paymob.calls.find((c) => c.path === INQUIRY)?.body).toEqual({ merchant_order_id: 'SP-1' });
  });

  it('the void URL carries ?token= in legacy mode only', async () => {
    const script = { [AUTH]: [created({ token: 'T' })], [VOID]: [ok(childTransaction({ is_void: true }))] };
    const intention = client(script, intentionOnly);
    await intention.instance.voidPayment({ transactionId: 9 });
    expect(intention.paymob.calls.find((c) => c.path === VOID)?.search).toBe('');
    const legacy = client(script, { settings: { mode: 'legacy' } });
    await legacy.instance.voidPayment({ transactionId: 9 });
    expect(legacy.paymob.calls.find((c) => c.path === VOID)?.search).toBe('?token=T');
  });

  it('a 401 on the secret key is paymob_auth_failed at once (nothing to refresh)', async () => {
    const { instance, paymob } = client(
      { [REFUND]: [{ status: 401, body: { detail: 'Invalid token.' } }] },
      intentionOnly,
    );
    await expect(instance.refund({ transactionId: 9, amountCents: 100 })).rejects.toMatchObject({
      code: 'paymob_auth_failed',
    });
    expect(paymob.count(REFUND)).toBe(1);
  });

  it('an intention answer without intention_order_id takes the payment key’s order id', async () => {
    const { instance } = client(
      {
        '/v1/intention/': [
          created({
            id: 'pi_1',
            client_secret: 'cs_1',
            payment_keys: [{ integration: 1, key: 'k', order_id: 91 }],
          }),
        ],
      },
      intentionOnly,
    );
    const intention = await instance.createIntention({
      merchantOrderId: 'SP-1',
      amountCents: 100,
      currency: 'OMR',
      billing,
      notificationUrl: 'https://api.test/w/',
      redirectionUrl: 'https://api.test/w/',
    });
    expect(intention.orderId).toBe(91);
  });

  it('an intention answer naming no order at all is paymob_unavailable', async () => {
    const { instance } = client(
      { '/v1/intention/': [created({ id: 'pi_1', client_secret: 'cs_1' })] },
      intentionOnly,
    );
    await expect(
      instance.createIntention({
        merchantOrderId: 'SP-1',
        amountCents: 100,
        currency: 'EGP',
        billing,
        notificationUrl: 'https://api.test/w/',
        redirectionUrl: 'https://api.test/w/',
      }),
    ).rejects.toMatchObject({ code: 'paymob_unavailable' });
  });
});

describe('inquiry: "not found" only on PayMob’s documented answer (docs/paymob.md §3)', () => {
  it('404 {"detail":"Not found."} → null (PayMob knows no payment on the order)', async () => {
    const { instance } = client({
      [AUTH]: [created({ token: 'T' })],
      [INQUIRY]: [{ status: 404, body: { detail: 'Not found.' } }],
    });
    expect(await instance.inquireByMerchantOrderId('SP-1')).toBeNull();
  });

  it.each<[string, Reply]>([
    ['a web server’s HTML 404 (route missing)', { status: 404, text: '<!doctype html><h1>Not Found</h1>' }],
    ['a 404 with another JSON body', { status: 404, body: { message: 'Not Found' } }],
    ['a 404 with detail and more', { status: 404, body: { detail: 'Not found.', path: '/x' } }],
    ['an empty 404', { status: 404 }],
    ['a 200 in an unknown shape', ok({ orders: [] })],
    ['a 200 empty object', ok({})],
    ['a 403', { status: 403, body: { detail: 'forbidden' } }],
  ])('%s → throws (unknown), never null', async (_name, reply) => {
    const { instance } = client({ [AUTH]: [created({ token: 'T' })], [INQUIRY]: [reply] });
    await expect(instance.inquireByMerchantOrderId('SP-1')).rejects.toBeInstanceOf(PaymobError);
  });
});

describe('retries only where repeating is safe', () => {
  it('auth is retried on 5xx and network errors with growing, jittered waits', async () => {
    const { instance, paymob, sleeps } = client({
      [AUTH]: [{ status: 503 }, 'network-error', { status: 429 }, created({ token: 'T' })],
    });
    expect(await instance.authToken()).toBe('T');
    expect(paymob.count(AUTH)).toBe(4);
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('gives up after 3 retries with paymob_unavailable', async () => {
    const { instance, paymob } = client({ [AUTH]: [{ status: 500 }] });
    const error = await instance.authToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymobError);
    expect(error).toMatchObject({ code: 'paymob_unavailable', status: 502 });
    expect(paymob.count(AUTH)).toBe(4);
  });

  it('order registration is retried (our merchant_order_id is unique)', async () => {
    const { instance, paymob } = client({
      [AUTH]: [created({ token: 'T' })],
      [ORDERS]: [{ status: 502 }, created({ id: 5 })],
    });
    expect(
      await instance.registerOrder({ merchantOrderId: 'SP-1', amountCents: 100, currency: 'EGP' }),
    ).toEqual({
      id: 5,
      recovered: false,
    });
    expect(paymob.count(ORDERS)).toBe(2);
    expect(paymob.calls.find((c) => c.path === ORDERS)?.body).toMatchObject({
      auth_token: 'T',
      delivery_needed: 'false',
      amount_cents: 100,
      currency: 'EGP',
      merchant_order_id: 'SP-1',
      items: [],
    });
  });

  it('a duplicate merchant_order_id recovers the existing order by inquiry', async () => {
    const { instance, paymob } = client({
      [AUTH]: [created({ token: 'T' })],
      [ORDERS]: [{ status: 504 }, { status: 422, body: { message: 'duplicate' } }],
      [INQUIRY]: [
        ok({
          id: 9,
          pending: true,
          success: false,
          amount_cents: 100,
          currency: 'EGP',
          order: { id: 55, merchant_order_id: 'SP-1' },
        }),
      ],
    });
    expect(
      await instance.registerOrder({ merchantOrderId: 'SP-1', amountCents: 100, currency: 'EGP' }),
    ).toEqual({
      id: 55,
      recovered: true,
    });
    expect(paymob.calls.find((c) => c.path === INQUIRY)?.body).toEqual({
      auth_token: 'T',
      merchant_order_id: 'SP-1',
    });
  });

  it('a duplicate with no payment yet recovers the order from the order list', async () => {
    const { instance, paymob } = client({
      [AUTH]: [created({ token: 'T' })],
      [ORDERS]: (_p, body, headers) =>
        body.merchant_order_id
          ? { status: 422, body: { message: 'duplicate' } }
          : headers.get('Authorization') === 'Bearer T'
            ? ok({
                count: 2,
                results: [
                  { id: 54, merchant_order_id: 'SP-0' },
                  { id: 56, merchant_order_id: 'SP-2' },
                ],
              })
            : { status: 401, body: {} },
      [INQUIRY]: [{ status: 404, body: { detail: 'Not found.' } }],
    });
    expect(
      await instance.registerOrder({ merchantOrderId: 'SP-2', amountCents: 100, currency: 'EGP' }),
    ).toEqual({
      id: 56,
      recovered: true,
    });
    expect(paymob.count(INQUIRY)).toBe(1);
  });

  it.each<[string, Reply]>([
    [
      '400 naming merchant_order_id',
      { status: 400, body: { merchant_order_id: ['order with this merchant order id already exists.'] } },
    ],
    [
      '400 duplicate with the field',
      { status: 400, body: { message: 'duplicate', merchant_order_id: ['SP-4'] } },
    ],
    ['409 duplicate', { status: 409, body: { detail: 'Duplicate order.' } }],
    ['422 duplicate', { status: 422, body: { message: 'duplicate' } }],
  ])('a duplicate recognised from %s recovers the order', async (_name, reply) => {
    const { instance } = client({
      [AUTH]: [created({ token: 'T' })],
      [ORDERS]: (_p, body) =>
        body.merchant_order_id ? reply : ok({ count: 1, results: [{ id: 57, merchant_order_id: 'SP-4' }] }),
      [INQUIRY]: [{ status: 404, body: { detail: 'Not found.' } }],
    });
    expect(
      await instance.registerOrder({ merchantOrderId: 'SP-4', amountCents: 100, currency: 'EGP' }),
    ).toEqual({
      id: 57,
      recovered: true,
    });
  });

  it('a 400 that names neither the order id nor a duplicate is not taken for one', async () => {
    const { instance, paymob } = client({
      [AUTH]: [created({ token: 'T' })],
      [ORDERS]: [
        { status: 400, body: { currency: ['Currency SAR is not available on this account (EGP).'] } },
      ],
    });
    await expect(
      instance.registerOrder({ merchantOrderId: 'SP-5', amountCents: 100, currency: 'SAR' }),
    ).rejects.toMatchObject({ code: 'paymob_rejected' });
    expect(paymob.count(INQUIRY)).toBe(0);
  });

  it('a duplicate that cannot be recovered stays paymob_rejected', async () => {
    const { instance } = client({
      [AUTH]: [created({ token: 'T' })],
      [ORDERS]: (_p, body) =>
        body.merchant_order_id
          ? { status: 422, body: { message: 'duplicate' } }
          : ok({ count: 0, results: [] }),
      [INQUIRY]: [{ status: 404, body: { detail: 'Not found.' } }],
    });
    await expect(
      instance.registerOrder({ merchantOrderId: 'SP-3', amountCents: 100, currency: 'EGP' }),
    ).rejects.toMatchObject({
      code: 'paymob_rejected',
      message: 'The payment provider rejected the request: duplicate',
    });
  });

  it('the payment key is not retried', async () => {
    const { instance, paymob } = client({ [AUTH]: [created({ token: 'T' })], [KEYS]: [{ status: 503 }] });
    await expect(
      instance.createPaymentKey({ orderId: 5, amountCents: 100, currency: 'EGP', billing }),
    ).rejects.toMatchObject({ code: 'paymob_unavailable' });
    expect(paymob.count(KEYS)).toBe(1);
  });

  it('the payment key asks for a 3600 s expiration, locks the order when paid, and sends the billing data', async () => {
    const { instance, paymob } = client({
      [AUTH]: [created({ token: 'T' })],
      [KEYS]: [created({ token: 'PK' })],
    });
    expect(
      await instance.createPaymentKey({ orderId: 5, amountCents: 100, currency: 'EGP', billing }),
    ).toEqual({
      token: 'PK',
    });
    expect(paymob.calls.find((c) => c.path === KEYS)?.body).toEqual({
      auth_token: 'T',
      amount_cents: 100,
      expiration: 3600,
      order_id: 5,
      billing_data: billing,
      currency: 'EGP',
      integration_id: 4097558,
      lock_order_when_paid: true,
    });
  });
});

describe('timeouts and the request budget', () => {
  it('has 5 s to connect and 15 s in total per call', () => {
    expect(CONNECT_TIMEOUT_MS).toBe(5_000);
    expect(CALL_TIMEOUT_MS).toBe(15_000);
    expect(REQUEST_BUDGET_MS).toBeLessThan(25_000);
  });

  it('a hanging safe call is abandoned at the connect limit and retried', async () => {
    const { instance, paymob } = client(
      { [AUTH]: ['hang', created({ token: 'T' })] },
      { timeouts: { connectMs: 50, callMs: 200 } },
    );
    expect(await instance.authToken()).toBe('T');
    expect(paymob.count(AUTH)).toBe(2);
  });

  it('a call that is not safe to repeat waits for the total limit, once', async () => {
    const { instance, paymob } = client(
      { [AUTH]: [created({ token: 'T' })], [KEYS]: ['hang'] },
      { timeouts: { connectMs: 50, callMs: 300 } },
    );
    const started = Date.now();
    await expect(
      instance.createPaymentKey({ orderId: 5, amountCents: 100, currency: 'EGP', billing }),
    ).rejects.toMatchObject({ code: 'paymob_unavailable' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(paymob.count(KEYS)).toBe(1);
  });

  it('stops retrying when the budget is spent', async () => {
    const { instance, paymob } = client({ [AUTH]: ['hang'] }, { budgetMs: 1_500 });
    const started = Date.now();
    await expect(instance.authToken()).rejects.toMatchObject({ code: 'paymob_unavailable' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(paymob.count(AUTH)).toBe(1);
  });
});

describe('answers PayMob gets wrong or refuses', () => {
  it('a 4xx becomes paymob_rejected with PayMob’s message only', async () => {
    const { instance } = client({
      [AUTH]: [created({ token: 'T' })],
      [KEYS]: [
        { status: 400, body: { billing_data: { first_name: ['This field is required.'] }, secret: 'x' } },
      ],
    });
    const error = (await instance
      .createPaymentKey({ orderId: 5, amountCents: 100, currency: 'EGP', billing })
      .catch((e: unknown) => e)) as PaymobError;
    expect(error.code).toBe('paymob_rejected');
    expect(error.status).toBe(502);
    expect(error.message).toBe(
      'The payment provider rejected the request: billing_data.first_name: This field is required.',
    );
    expect(error.message).not.toContain('secret');
  });

  it('a 2xx in an unexpected shape is paymob_unavailable', async () => {
    const { instance } = client({ [AUTH]: [created({ tok: 'T' })] });
    await expect(instance.authToken()).rejects.toMatchObject({ code: 'paymob_unavailable' });
  });

  it('an intention uses the secret key and is read into id, client secret and order id', async () => {
    const { instance, paymob } = client({
      '/v1/intention/': [created({ id: 'pi_1', client_secret: 'cs_1', intention_order_id: 88 })],
    });
    const intention = await instance.createIntention({
      merchantOrderId: 'SP-1',
      amountCents: 100,
      currency: 'EGP',
      billing,
      notificationUrl: 'https://api.test/api/v1/transactions/webhook/',
      redirectionUrl: 'https://api.test/api/v1/transactions/webhook/',
    });
    expect(intention).toEqual({ id: 'pi_1', clientSecret: 'cs_1', orderId: 88 });
    const call = paymob.calls[0];
    expect(call?.headers.get('Authorization')).toBe('Token sk_test');
    expect(call?.body).toMatchObject({
      amount: 100,
      currency: 'EGP',
      payment_methods: [4097558, 4097559],
      special_reference: 'SP-1',
      billing_data: billing,
    });
    expect(paymob.count(AUTH)).toBe(0);
  });

  it.each<[unknown, string | undefined]>([
    [{ message: 'duplicate' }, 'duplicate'],
    [{ detail: 'Invalid\ntoken' }, 'Invalid token'],
    [{ merchant_order_id: ['duplicate'] }, 'merchant_order_id: duplicate'],
    [{ message: 'x'.repeat(500) }, 'x'.repeat(200)],
    ['<html>oops</html>', undefined],
    [null, undefined],
    [{ count: 3 }, undefined],
  ])('providerMessage(%j) = %j', (body, message) => {
    expect(providerMessage(body)).toBe(message);
  });
});

describe('refund and void answers (docs/payments.md "Outcome unknown")', () => {
  /** A client whose PayMob answers refunds with `reply` and the header x-paymob-id; logs recorded. */
  function reversalClient(reply: Response | 'network-error') {
    const lines: Array<{ msg: string } & Record<string, unknown>> = [];
    const record = (base: Record<string, unknown>) => {
      const write = (msg: string, fields?: Record<string, unknown>) => {
        lines.push({ msg, ...base, ...fields });
      };
      return {
        debug: write,
        info: write,
        warn: write,
        error: write,
        child: (f: Record<string, unknown>) => record({ ...base, ...f }),
      };
    };
    const fetchImpl = (async (input: RequestInfo | URL) => {
      const path = new URL(String(input)).pathname;
      if (path === AUTH) return new Response('{"token":"t"}', { status: 201 });
      if (reply === 'network-error') throw new TypeError('fetch failed');
      return reply.clone();
    }) as typeof fetch;
    const instance = new PaymobClient({
      settings,
      cache: fakeKv().kv,
      logger: record({}) as unknown as ReturnType<typeof createLogger>,
      fetch: fetchImpl,
      sleep: async () => undefined,
    });
    return { instance, lines };
  }
  const child = {
    id: 9,
    pending: false,
    success: true,
    currency: 'EGP',
    is_refund: true,
    parent_transaction: 8,
  };

  it('reads a negative amount and an order given as an id; logs PayMob’s x-paymob-id', async () => {
    const { instance, lines } = reversalClient(
      new Response(JSON.stringify({ ...child, amount_cents: -2_500, order: 77 }), {
        status: 200,
        headers: { 'x-paymob-id': 'pm-abc123' },
      }),
    );
    const answer = await instance.refund({ transactionId: 8, amountCents: 2_500 });
    expect(answer).toMatchObject({ id: 9, amount_cents: -2_500, order: 77 });
    expect(lines.find((l) => l.msg === 'paymob call' && l.operation === 'refund')).toMatchObject({
      paymob_id: 'pm-abc123',
      status: 200,
    });
  });

  it('an unreadable 2xx is paymob_outcome_unknown (PayMob may have refunded), logged as unknown_after_call', async () => {
    const { instance, lines } = reversalClient(
      new Response('{"status":"processing"}', { status: 200, headers: { 'x-paymob-id': 'pm-x' } }),
    );
    const error = await instance.refund({ transactionId: 8, amountCents: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymobError);
    expect(error).toMatchObject({ failure: 'unknown', code: 'paymob_outcome_unknown', status: 502 });
    expect((error as PaymobError).message).toMatch(/^Outcome unknown — check PayMob/);
    expect(lines.find((l) => l.msg === 'paymob answered in an unexpected shape')).toMatchObject({
      outcome: 'unknown_after_call',
      paymob_id: 'pm-x',
    });
  });

  it('no answer at all is unknown; a 5xx is unavailable; a 4xx is rejected with PayMob’s words', async () => {
    await expect(
      reversalClient('network-error').instance.voidPayment({ transactionId: 8 }),
    ).rejects.toMatchObject({
      code: 'paymob_outcome_unknown',
    });
    await expect(
      reversalClient(new Response('{}', { status: 500 })).instance.refund({
        transactionId: 8,
        amountCents: 1,
      }),
    ).rejects.toMatchObject({ code: 'paymob_unavailable' });
    const message =
      'Requested Refund Amount is greater than the maximum refund amount permissible. Maximum Refund Amount is EGP 100.0';
    const { instance, lines } = reversalClient(
      new Response(JSON.stringify({ message }), { status: 400, headers: { 'x-paymob-id': 'pm-400' } }),
    );
    await expect(instance.refund({ transactionId: 8, amountCents: 20_000 })).rejects.toMatchObject({
      code: 'paymob_rejected',
      reason: message,
    });
    expect(lines.find((l) => l.msg === 'paymob rejected a request')).toMatchObject({ paymob_id: 'pm-400' });
  });

  it('reads one transaction by id; 404 is null', async () => {
    const found = reversalClient(
      new Response(JSON.stringify({ ...child, amount_cents: 100, order: { id: 77 } })),
    );
    expect(await found.instance.getTransaction(9)).toMatchObject({ id: 9, order: { id: 77 } });
    const missing = reversalClient(new Response('{"detail":"Not found."}', { status: 404 }));
    expect(await missing.instance.getTransaction(9)).toBeNull();
  });
});
