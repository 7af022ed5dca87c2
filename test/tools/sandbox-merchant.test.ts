import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/sandbox/server.mjs';

/** The sandbox's merchant webhook receiver (tools/sandbox/merchant.mjs, docs/webhooks.md §7). */
const SECRET = `whsec_${Buffer.from('a merchant secret of 32 bytes!!!').toString('base64')}`;

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox?.close();
});

function signed(id: string, body: string, secret = SECRET, at = new Date()) {
  return {
    'Content-Type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

async function configure(name: string, settings: unknown) {
  return fetch(`${sandbox.url}/sandbox/merchant/${name}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(settings),
  });
}

const post = (name: string, headers: Record<string, string>, body: string) =>
  fetch(`${sandbox.url}/sandbox/merchant/${name}/webhook`, { method: 'POST', headers, body });

const deliveries = async (name: string) =>
  (await fetch(`${sandbox.url}/sandbox/merchant/${name}/deliveries`)).json() as Promise<
    Array<{ webhook_id: string; verified: boolean; answered: number; error: string | null; body: unknown }>
  >;

describe('sandbox merchant receiver', () => {
  it('accepts a correctly signed delivery (200) and records it as verified', async () => {
    await configure('good', { secret: SECRET });
    const body = JSON.stringify({ id: 'evt_1', type: 'payment.succeeded' });
    const response = await post('good', signed('evt_1', body), body);
    expect(response.status).toBe(200);
    expect(await deliveries('good')).toMatchObject([
      { webhook_id: 'evt_1', verified: true, answered: 200, error: null, body: JSON.parse(body) },
    ]);
  });

  it('answers 400 to a wrong signature, a stale timestamp and a tampered body, as a real receiver does', async () => {
    await configure('strict', { secret: SECRET });
    const body = '{"id":"evt_2"}';
    const other = `whsec_${Buffer.from('another secret of 32 bytes!!!!!').toString('base64')}`;
    expect((await post('strict', signed('evt_2', body, other), body)).status).toBe(400);
    const stale = new Date(Date.now() - 10 * 60_000);
    expect((await post('strict', signed('evt_2', body, SECRET, stale), body)).status).toBe(400);
    expect((await post('strict', signed('evt_2', body), '{"id":"evt_3"}')).status).toBe(400);
    const recorded = await deliveries('strict');
    expect(recorded.map((d) => [d.verified, d.answered])).toEqual([
      [false, 400],
      [false, 400],
      [false, 400],
    ]);
  });

  it('fails the next N deliveries with a 500, then accepts again', async () => {
    await configure('flaky', { secret: SECRET, fail_next: 2 });
    const body = '{"id":"evt_4"}';
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post('flaky', signed('evt_4', body), body)).status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  it('in timeout mode answers only after timeout_ms', async () => {
    await configure('slow', { secret: SECRET, fail_next: 1, fail_mode: 'timeout', timeout_ms: 300 });
    const body = '{"id":"evt_5"}';
    const started = Date.now();
    const response = await post('slow', signed('evt_5', body), body);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(response.status).toBe(200);
    expect((await deliveries('slow'))[0]?.answered).toBe(0);
  });

  it('refuses bad settings with 400', async () => {
    expect((await configure('bad', { secret: 'plain' })).status).toBe(400);
    expect((await configure('bad', { fail_next: -1 })).status).toBe(400);
    expect((await configure('bad', { fail_mode: 'explode' })).status).toBe(400);
  });
});
