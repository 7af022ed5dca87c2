/**
 * README, "Calling StackPay from a web app": a page served from a second local origin (a shop on its own port)
 * signs in and lists its transactions with fetch, through real CORS preflights in Chromium against
 * `wrangler dev`; the same page from an origin not in CORS_ALLOWED_ORIGINS is blocked by the browser.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../../src/db/client';
import { transactions } from '../../src/db/schema';
import { ulid } from '../../src/lib/crypto';
import { CHROMIUM, launchChromium } from './browser';
import { createPayer, PAYER_PASSWORD } from './payer';
import { type Stack, startStack } from './stack';

/** The shop's page: signs in, then lists transactions; writes the outcome into the document. */
const SHOP_PAGE = `<!doctype html><meta charset="utf-8"><title>Shop</title><pre id="out">working</pre>
<script>
async function run(api, username, password) {
  const out = document.getElementById('out');
  try {
    const login = await fetch(api + '/api/v1/users/login/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'shop-login' },
      body: JSON.stringify({ username, password }),
    });
    const { access } = await login.json();
    const list = await fetch(api + '/api/v1/transactions/txn/', { headers: { Authorization: 'Bearer ' + access } });
    const page = await list.json();
    out.textContent = JSON.stringify({
      status: list.status,
      count: page.count,
      orders: page.results.map((t) => t.merchant_order_id),
      requestId: login.headers.get('X-Request-Id'),
    });
  } catch (err) {
    out.textContent = 'blocked: ' + err.message;
  }
}
</script>`;

async function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

describe.skipIf(!existsSync(CHROMIUM))('CORS from a shop on another origin, in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let shop: Server;
  let shopPort: number;
  let db: Database;
  let username: string;
  let merchantOrderId: string;

  beforeAll(async () => {
    shop = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(SHOP_PAGE);
    });
    shopPort = await listen(shop);
    // Allowed: the shop on 127.0.0.1; the same page on localhost is another origin, not allowed.
    stack = await startStack(inject('databaseUrl'), {
      vars: { CORS_ALLOWED_ORIGINS: `http://127.0.0.1:${shopPort}` },
    });
    browser = await launchChromium();

    const payer = await createPayer(inject('databaseUrl'));
    db = payer.db;
    username = payer.username;
    merchantOrderId = `SP-${ulid()}`;
    await db.insert(transactions).values({
      customerId: payer.customerId,
      merchantOrderId,
      amountCents: 250_00,
      currency: 'EGP',
      status: 'succeeded',
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    shop?.close();
  });

  async function runFrom(origin: string): Promise<string> {
    const page = await browser.newPage();
    try {
      await page.goto(`${origin}/`);
      // The page's own script makes the calls, so they are cross-origin requests from its origin.
      await page.evaluate(
        `run(${JSON.stringify(stack.workerUrl)}, ${JSON.stringify(username)}, ${JSON.stringify(PAYER_PASSWORD)})`,
      );
      return (await page.textContent('#out')) ?? '';
    } finally {
      await page.close();
    }
  }

  it('the allowed origin signs in and lists its transactions (preflights included)', async () => {
    const outcome = JSON.parse(await runFrom(`http://127.0.0.1:${shopPort}`));
    expect(outcome).toEqual({ status: 200, count: 1, orders: [merchantOrderId], requestId: 'shop-login' });
  });

  it('another origin is blocked by the browser', async () => {
    const outcome = await runFrom(`http://localhost:${shopPort}`);
    expect(outcome).toMatch(/^blocked: /);
  });
});
