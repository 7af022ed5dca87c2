import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { api, apiWithEnv } from './helpers';
import {
  CARDS,
  createPayer,
  createPendingPayment,
  deliverRecorded,
  eventsOf,
  pay,
  recordedCallbacks,
  recordingNotifications,
  statusMessages,
  transactionRow,
  WEBHOOK,
} from './transactions-support';

/** The response-callback URL the sandbox redirects the browser to, aimed at the Worker under test. */
function redirectPath(redirectUrl: string): string {
  const url = new URL(redirectUrl);
  expect(url.pathname).toBe(WEBHOOK);
  return `${url.pathname}${url.search}`;
}

describe('response callback (GET webhook/) — the browser after paying', () => {
  it('verifies the signed redirect, applies it and renders the result page', async () => {
    const payer = await createPayer();
    const txn = await createPendingPayment(payer);
    const paid = await pay(txn, CARDS.success);
    const { queue, sent } = recordingNotifications();
    const response = await apiWithEnv(redirectPath(paid.redirect_url), {}, { NOTIFICATIONS: queue });
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('Payment succeeded');
    expect(html).toContain(txn.merchant_order_id);
    expect(html).toContain(`testpay-view/?txn=${txn.id}`);
    // docs/checkout.md §3: the one script is the nonce'd frame break-out (the result takes the whole window
    // when PayMob's iframe lands here); only our own pages may frame the result.
    const csp = response.headers.get('Content-Security-Policy') ?? '';
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(html.match(/<script/gi)).toHaveLength(1);
    expect(html).toContain(
      `<script nonce="${nonce}">if (window.top !== window.self) { window.top.location.href = window.location.href; }</script>`,
    );
    expect((await transactionRow(txn.id)).status).toBe('succeeded');
    expect(statusMessages(sent)).toHaveLength(1);

    // The processed callback arriving afterwards is the same event: no second change, no second e-mail.
    const [callback] = await recordedCallbacks(txn.merchant_order_id);
    if (!callback) throw new Error('no callback');
    const later = recordingNotifications();
    expect((await deliverRecorded(callback, { NOTIFICATIONS: later.queue })).status).toBe(200);
    expect(later.sent).toHaveLength(0);
    const events = await eventsOf(txn.id);
    expect(events.map((e) => e.source)).toEqual(['response_callback']);
  });

  it('a declined payment shows the reason', async () => {
    const payer = await createPayer();
    const txn = await createPendingPayment(payer);
    const paid = await pay(txn, CARDS.declined);
    const response = await api(redirectPath(paid.redirect_url));
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(html).toContain('Payment failed');
    expect(html).toContain('Do not honor');
    expect((await transactionRow(txn.id)).status).toBe('failed');
  });

  it('the pending card shows pending', async () => {
    const payer = await createPayer();
    const txn = await createPendingPayment(payer);
    const paid = await pay(txn, CARDS.pending);
    const html = await (await api(redirectPath(paid.redirect_url))).text();
    expect(html).toContain('Payment pending');
  });

  it.each<[string, (query: URLSearchParams) => void]>([
    ['a missing hmac', (q) => q.delete('hmac')],
    ['a wrong hmac', (q) => q.set('hmac', 'a'.repeat(128))],
    ['a changed field', (q) => q.set('success', 'false')],
    ['a changed amount', (q) => q.set('amount_cents', '1')],
  ])('%s → 400 HTML page, nothing changed or stored', async (_name, alter) => {
    const payer = await createPayer();
    const txn = await createPendingPayment(payer);
    const paid = await pay(txn, CARDS.success);
    const url = new URL(paid.redirect_url);
    alter(url.searchParams);
    const response = await api(`${url.pathname}?${url.searchParams}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('Payment result not accepted');
    expect((await transactionRow(txn.id)).status).toBe('pending');
    expect(await eventsOf(txn.id)).toHaveLength(0);
  });

  it('the order id is read from `order_id` when `order` is absent', async () => {
    const payer = await createPayer();
    const txn = await createPendingPayment(payer);
    const paid = await pay(txn, CARDS.success);
    const url = new URL(paid.redirect_url);
    const order = url.searchParams.get('order') ?? '';
    url.searchParams.delete('order');
    url.searchParams.set('order_id', order);
    const response = await api(`${url.pathname}?${url.searchParams}`);
    expect(response.status).toBe(200);
    expect((await transactionRow(txn.id)).status).toBe('succeeded');
  });

  it('escapes what it shows (a hostile query cannot inject markup)', async () => {
    const response = await api(`${WEBHOOK}?hmac=${'a'.repeat(128)}&data.message=<script>alert(1)</script>`);
    expect(response.status).toBe(400);
    expect(await response.text()).not.toContain('<script>alert(1)');
  });
});

describe('test checkout page (GET testpay-view/)', () => {
  it('is a self-contained page: sign-in, amount, Create Payment, no external resources', async () => {
    const response = await api('/api/v1/transactions/testpay-view/');
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toMatch(/^text\/html/);
    const html = await response.text();
    for (const text of [
      'Sign in',
      'Create Payment',
      'id="username"',
      'id="password"',
      'id="amount"',
      'Access token',
    ]) {
      expect(html).toContain(text);
    }
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']?https?:/i);
    expect(html).not.toMatch(/@import|url\(http/i);
    const csp = response.headers.get('Content-Security-Policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    // The script is a static asset from this origin (public/pay/pay.js); the only inline element is the
    // settings' JSON data block, which browsers never execute.
    expect(csp).toContain("script-src 'self';");
    expect(html.match(/<script[^>]*>/g)).toEqual([
      '<script id="config" type="application/json">',
      '<script src="/pay/pay.js">',
    ]);
  });

  // docs/checkout.md §3: exactly what each mode's checkout navigates through, nothing more.
  it('legacy: frames PayMob, our own origin (the response redirect) and https issuer pages only', async () => {
    const response = await apiWithEnv(
      '/api/v1/transactions/testpay-view/',
      {},
      { PAYMOB_API_MODE: 'legacy' },
    );
    const csp = response.headers.get('Content-Security-Policy') ?? '';
    const frameSrc = csp.split('; ').find((d) => d.startsWith('frame-src '));
    expect(frameSrc).toBe(`frame-src ${new URL(env.PAYMOB_BASE_URL ?? '').origin} 'self' https:`);
    expect(csp).toContain("form-action 'self'");
  });

  it('legacy: the issuer sources come from PAYMOB_ACS_FRAME_SRC; a bad value is a configuration error', async () => {
    const acs = 'http://127.0.0.1:18789 https://acs.example.com';
    const response = await apiWithEnv(
      '/api/v1/transactions/testpay-view/',
      {},
      { PAYMOB_API_MODE: 'legacy', PAYMOB_ACS_FRAME_SRC: acs },
    );
    expect(response.headers.get('Content-Security-Policy')).toContain(
      `frame-src ${new URL(env.PAYMOB_BASE_URL ?? '').origin} 'self' ${acs};`,
    );
    for (const bad of [
      '*',
      "'unsafe-inline'",
      'http:',
      'https://acs.example.com/path',
      'data:',
      'https: ;x',
    ]) {
      const refused = await apiWithEnv(
        '/api/v1/transactions/testpay-view/',
        {},
        { PAYMOB_API_MODE: 'legacy', PAYMOB_ACS_FRAME_SRC: bad },
      );
      expect(refused.status, bad).toBe(503);
    }
  });

  it('unified checkout: the page frames nothing (PayMob gets the whole window)', async () => {
    const response = await apiWithEnv(
      '/api/v1/transactions/testpay-view/',
      {},
      { PAYMOB_API_MODE: 'intention' },
    );
    expect(response.status).toBe(200);
    const csp = response.headers.get('Content-Security-Policy') ?? '';
    expect(csp).not.toContain('frame-src');
    expect(csp).toContain("default-src 'none'");
  });

  it('uses a fresh nonce per response and works without a trailing slash', async () => {
    const a = await api('/api/v1/transactions/testpay-view');
    const b = await api('/api/v1/transactions/testpay-view/');
    expect(a.status).toBe(200);
    expect(a.headers.get('Content-Security-Policy')).not.toBe(b.headers.get('Content-Security-Policy'));
  });
});
