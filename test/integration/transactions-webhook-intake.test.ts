/**
 * The webhook's intake (docs/paymob.md §6): any Content-Type with a JSON body, bodies without `type`
 * acknowledged and kept unverified (a bounded sample), a depth and size cap before anything is stored, the
 * redirect's underscore key spellings, one log line per refusal, and the 401's WWW-Authenticate challenge.
 */
import { and, eq, gte } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { paymentEvents } from '../../src/db/schema';
import { jsonDeeperThan, MAX_JSON_DEPTH } from '../../src/lib/json-depth';
import { createLogger } from '../../src/lib/logger';
import {
  handleProcessedCallback,
  MAX_UNVERIFIED_PER_HOUR,
  MAX_UNVERIFIED_STORED_BYTES,
} from '../../src/transactions/webhook';
import { testContext } from './context-support';
import { api, apiWithEnv, type Problem, readJson, testDb } from './helpers';
import {
  CARDS,
  createPayer,
  createPendingPayment,
  deliver,
  eventsByPaymobId,
  hmacOf,
  pay,
  recordedCallbacks,
  transactionRow,
  WEBHOOK,
} from './transactions-support';

afterEach(() => {
  vi.restoreAllMocks();
});

const randomId = () => 5_000_000_000 + Math.floor(Math.random() * 4_000_000_000);

/** Log lines the Worker writes with console.warn during `run` (the test and the Worker share the isolate). */
async function warnings(run: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  vi.spyOn(console, 'warn').mockImplementation((line: unknown) => {
    lines.push(String(line));
  });
  try {
    await run();
  } finally {
    vi.restoreAllMocks();
  }
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A paid payment's genuine processed callback (not yet delivered). */
async function genuineCallback() {
  const payer = await createPayer();
  const txn = await createPendingPayment(payer);
  const paid = await pay(txn, CARDS.success);
  const [callback] = await recordedCallbacks(txn.merchant_order_id, 1);
  if (!callback) throw new Error('no callback');
  return { txn, paid, callback };
}

describe('processed callback — Content-Type', () => {
  it.each([
    'text/plain',
    'text/plain; charset=utf-8',
    'application/x-www-form-urlencoded',
    'application/octet-stream',
  ])('a signed JSON body sent as %s is processed', async (contentType) => {
    const { txn, callback } = await genuineCallback();
    const response = await deliver(
      callback.body,
      hmacOf(callback),
      {},
      { headers: { 'Content-Type': contentType } },
    );
    expect(response.status).toBe(200);
    expect((await transactionRow(txn.id)).status).toBe('succeeded');
  });

  it('a body that is not JSON under any Content-Type is a 400 with a logged reason', async () => {
    const logged = await warnings(async () => {
      const response = await deliver(
        'type=TRANSACTION&obj=1',
        'a'.repeat(128),
        {},
        {
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        },
      );
      expect(response.status).toBe(400);
    });
    expect(logged).toContainEqual(
      expect.objectContaining({ msg: 'paymob callback refused', callback: 'processed', reason: 'not_json' }),
    );
  });
});

describe('processed callback — bodies without `type`', () => {
  it('PayMob’s plugin shape {intention, transaction, hmac} is acknowledged and stored unverified', async () => {
    const id = randomId();
    const body = {
      intention: { id: 'pi_test_1' },
      transaction: { id, success: true },
      hmac: 'f'.repeat(128),
    };
    const response = await deliver(body, undefined);
    expect(response.status).toBe(200);
    expect(await eventsByPaymobId(id, 'other:untyped')).toMatchObject([
      { outcome: 'unverified', type: 'UNTYPED', transactionId: null, rawBody: body },
    ]);
  });

  it.each([{}, { obj: { id: 1 } }, { type: null, obj: {} }])(
    '%j → 200, changes no transaction',
    async (body) => {
      expect((await deliver(body, 'a'.repeat(128))).status).toBe(200);
    },
  );

  it('a signed-looking TRANSACTION without a valid hmac is still refused, never stored unverified', async () => {
    const { txn, callback } = await genuineCallback();
    const response = await deliver(callback.body, 'b'.repeat(128));
    expect(response.status).toBe(401);
    expect((await transactionRow(txn.id)).status).toBe('pending');
    expect(await eventsByPaymobId(callback.transaction_id)).toHaveLength(0);
  });
});

describe('processed callback — refusals', () => {
  it('the 401 carries WWW-Authenticate: HMAC-SHA512 realm="paymob-webhook"', async () => {
    const { callback } = await genuineCallback();
    const response = await deliver(callback.body, 'c'.repeat(128));
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toBe('HMAC-SHA512 realm="paymob-webhook"');
    expect((await readJson<Problem>(response)).code).toBe('invalid_signature');
  });

  it.each<[string, string, string | undefined, number]>([
    ['bad_signature', '{"type":"TRANSACTION","obj":{"id":1}}', 'd'.repeat(128), 401],
    ['no_hmac', '{"type":"TRANSACTION","obj":{"id":1}}', undefined, 400],
    ['not_json', '{"type":', 'd'.repeat(128), 400],
    ['not_object', '[1,2,3]', 'd'.repeat(128), 400],
    ['bad_envelope', '{"type":"TRANSACTION","obj":"x"}', 'd'.repeat(128), 400],
    ['too_deep', `{"type":"X","obj":${'['.repeat(40)}${']'.repeat(40)}}`, 'd'.repeat(128), 400],
  ])('%s: one log line naming the reason, no body, no hmac', async (reason, body, hmac, status) => {
    const logged = await warnings(async () => {
      expect((await deliver(body, hmac)).status).toBe(status);
    });
    const refusals = logged.filter((l) => l.msg === 'paymob callback refused');
    expect(refusals).toEqual([expect.objectContaining({ callback: 'processed', reason, status })]);
    expect(JSON.stringify(refusals)).not.toContain('d'.repeat(16));
  });
});

describe('response redirect — key spellings', () => {
  /** The sandbox's signed redirect with every dotted key spelt with underscores (as PHP rewrites them). */
  function underscored(redirectUrl: string): string {
    const url = new URL(redirectUrl);
    const query = new URLSearchParams();
    for (const [key, value] of url.searchParams) query.append(key.replaceAll('.', '_'), value);
    expect(query.has('source_data_pan')).toBe(true);
    expect(query.has('data_message')).toBe(true);
    return `${WEBHOOK}?${query}`;
  }

  it('source_data_pan and friends are read as source_data.pan: verified and applied', async () => {
    const payer = await createPayer();
    const txn = await createPendingPayment(payer);
    const paid = await pay(txn, CARDS.declined);
    const response = await api(underscored(paid.redirect_url));
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(html).toContain('Payment failed');
    expect(html).toContain('Do not honor');
    expect((await transactionRow(txn.id)).status).toBe('failed');
  });

  it('a tampered underscored value still fails the signature, with a logged reason', async () => {
    const payer = await createPayer();
    const txn = await createPendingPayment(payer);
    const paid = await pay(txn, CARDS.success);
    const path = underscored(paid.redirect_url).replace(/source_data_pan=[^&]*/, 'source_data_pan=0000');
    const logged = await warnings(async () => {
      expect((await api(path)).status).toBe(400);
    });
    expect(logged).toContainEqual(
      expect.objectContaining({
        msg: 'paymob callback refused',
        callback: 'response',
        reason: 'bad_signature',
      }),
    );
    expect((await transactionRow(txn.id)).status).toBe('pending');
  });
});

describe('processed callback — depth and size (issue 13 item 7)', () => {
  const nested = (depth: number, leaf = '1') => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;

  it('counts depth without parsing, strings and escapes skipped', () => {
    expect(jsonDeeperThan('{"a":[{"b":"[{\\"["}]}', 3)).toBe(false);
    expect(jsonDeeperThan('{"a":[{"b":"[{\\"["}]}', 2)).toBe(true);
    expect(jsonDeeperThan(nested(10000), 16)).toBe(true);
  });

  it.each([10, 30, 100, 10_000])('%i levels: never a 5xx; stored only within the cap', async (depth) => {
    const id = randomId();
    const bodies = [
      `{"type":"NESTED","obj":{"id":${id},"x":${nested(depth - 2)}}}`,
      `{"obj":{"id":${id},"x":${nested(depth - 2)}}}`,
      `{"type":"TRANSACTION","obj":{"id":${id},"x":${nested(depth - 2)}}}`,
      `${'['.repeat(depth)}${']'.repeat(depth)}`,
    ];
    for (const body of bodies) {
      for (const hmac of [undefined, 'e'.repeat(128)]) {
        const response = await deliver(body, hmac);
        expect(response.status, `${body.slice(0, 60)} hmac=${hmac !== undefined}`).toBeLessThan(500);
        if (depth > MAX_JSON_DEPTH) expect(response.status).toBe(400);
      }
    }
    const stored = await eventsByPaymobId(id);
    if (depth <= MAX_JSON_DEPTH)
      expect(stored.map((e) => e.kind).sort()).toEqual(['other:nested', 'other:untyped']);
    else expect(stored).toHaveLength(0);
  });

  it('a large unsigned body is kept as a short sample; over 64 KiB is 413', async () => {
    const id = randomId();
    const big = JSON.stringify({ type: 'BIG', obj: { id, pad: 'x'.repeat(60 * 1024) } });
    expect((await deliver(big, undefined)).status).toBe(200);
    const [event] = await eventsByPaymobId(id, 'other:big');
    expect(event?.outcome).toBe('unverified');
    const raw = event?.rawBody as { truncated: boolean; length: number; text: string };
    expect(raw.truncated).toBe(true);
    expect(raw.length).toBe(big.length);
    expect(raw.text.length).toBeLessThan(MAX_UNVERIFIED_STORED_BYTES);

    const tooBig = JSON.stringify({ type: 'BIG', obj: { id, pad: 'x'.repeat(65 * 1024) } });
    expect((await deliver(tooBig, undefined)).status).toBe(413);
    const wide = JSON.stringify({
      obj: { id: randomId(), list: Array.from({ length: 3000 }, (_, i) => ({ i })) },
    });
    expect((await deliver(wide, undefined)).status).toBeLessThan(500);
  });

  it('unsigned bodies beyond the hourly sample are acknowledged, counted in a log line, not stored', async () => {
    // A clock of its own (far ahead) so the hourly window holds only this test's rows.
    const now = new Date(Date.UTC(2100, 0, 1, 12));
    const db = testDb();
    const marker = randomId();
    await db.insert(paymentEvents).values(
      Array.from({ length: MAX_UNVERIFIED_PER_HOUR }, (_, i) => ({
        paymobTransactionId: marker + i,
        kind: 'other:filler',
        source: 'processed_callback',
        type: 'FILLER',
        outcome: 'unverified',
        rawBody: {},
        receivedAt: new Date(now.getTime() - 60_000),
      })),
    );
    try {
      const lines: string[] = [];
      const logger = createLogger({ test: 'unverified-cap' }, 'warn');
      vi.spyOn(console, 'warn').mockImplementation((line: unknown) => {
        lines.push(String(line));
      });
      const id = randomId();
      await handleProcessedCallback(testContext({ db, logger, now, notify: async () => undefined }), {
        hmac: undefined,
        body: new TextEncoder().encode(JSON.stringify({ type: 'SPAM', obj: { id } })).buffer as ArrayBuffer,
      });
      vi.restoreAllMocks();
      expect(await eventsByPaymobId(id)).toHaveLength(0);
      expect(lines.join('\n')).toContain('not stored (hourly sample full)');
    } finally {
      await db
        .delete(paymentEvents)
        .where(
          and(
            eq(paymentEvents.kind, 'other:filler'),
            gte(paymentEvents.receivedAt, new Date(Date.UTC(2099, 0, 1))),
          ),
        );
    }
  });

  it('a fuzz of depth and size, run twice, never answers 5xx', async () => {
    const shapes = (depth: number) => [
      nested(depth),
      `{"type":"T${depth}","obj":${nested(depth)}}`,
      `{"type":"TRANSACTION","obj":${nested(depth, '{"id":1}')}}`,
      `${'['.repeat(depth)}"x"${']'.repeat(depth)}`,
      `{"type":"X","obj":{"id":1,"s":"${'\\\\'.repeat(depth)}"}}`,
    ];
    for (let round = 0; round < 2; round++) {
      for (const depth of [1, 15, 16, 17, 31, 32, 33, 500, 5000]) {
        for (const body of shapes(depth)) {
          const response = await apiWithEnv(
            `${WEBHOOK}?hmac=${'a'.repeat(128)}`,
            {
              method: 'POST',
              body,
              headers: { 'Content-Type': round === 0 ? 'application/json' : 'text/plain' },
            },
            {},
          );
          expect(response.status, `${depth}: ${body.slice(0, 40)}`).toBeLessThan(500);
        }
      }
    }
  });
});
