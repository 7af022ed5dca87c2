import { html, raw } from 'hono/html';
import { type Currency, minorDigits } from '../lib/money';
import { contentSecurityPolicy, createNonce, pageHeaders, pageShell } from './page-shell';
import type { RenderedPage } from './result-page';
import { SETTLED_STATUSES } from './state-machine';

/**
 * docs/api.md §4.7: a test checkout that works offline. Sign in (username/password through the users login API,
 * or a pasted access token), enter an amount, "Create Payment", then PayMob's checkout: an iframe in the
 * legacy flow, a redirect to the unified checkout in the intention flow. The page polls the transaction
 * until it settles and turns every problem answer into a readable sentence.
 */

// Polling: every 2 s for at most 15 minutes (the pending test card settles within seconds).
const POLL_INTERVAL_MS = 2_000;
const POLL_LIMIT_MS = 15 * 60 * 1000;

/** The page's script, a static asset (public/pay/pay.js): it reads its settings from the #config element. */
export const PAY_PAGE_SCRIPT = '/pay/pay.js';

/**
 * What the pay page may frame (docs/checkout.md §3). Legacy: PayMob's iframe, which navigates itself to the
 * card issuer's 3-D Secure page (any https host in production: `acsFrameSrc`, default `https:`) and then to
 * our response callback (`'self'`), whose result page breaks out of the frame. Unified checkout: nothing —
 * the page sends the whole window to PayMob, and no CSP directive governs that navigation.
 */
export function payPageFrameSources(options: {
  apiMode: 'legacy' | 'intention';
  paymobOrigin: string;
  acsFrameSrc: string;
}): string[] {
  if (options.apiMode !== 'legacy') return [];
  return [options.paymobOrigin, "'self'", ...options.acsFrameSrc.split(/\s+/).filter(Boolean)];
}

export async function renderPayPage(options: {
  apiMode: 'legacy' | 'intention';
  paymobOrigin: string;
  currency: Currency;
  acsFrameSrc: string;
}): Promise<RenderedPage> {
  const nonce = createNonce();
  const config = JSON.stringify({
    mode: options.apiMode,
    settled: SETTLED_STATUSES,
    currency: [options.currency, minorDigits(options.currency)],
    pollIntervalMs: POLL_INTERVAL_MS,
    pollLimitMs: POLL_LIMIT_MS,
  }).replace(/</g, '\\u003c');
  const body = html`<h1>StackPay test checkout</h1>
<div id="message" class="message info" role="alert" hidden></div>
<section id="signin" class="card">
  <h2>Sign in</h2>
  <form id="login-form">
    <label for="username">Username or e-mail</label>
    <input id="username" name="username" autocomplete="username" required>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button id="login-button" type="submit">Sign in</button>
  </form>
  <details>
    <summary class="muted">Or paste an access token</summary>
    <form id="token-form">
      <label for="token">Access token</label>
      <textarea id="token" rows="3" spellcheck="false"></textarea>
      <button type="submit">Use token</button>
    </form>
  </details>
</section>
<section id="pay" class="card" hidden>
  <p class="muted">Signed in as <strong id="who"></strong> <button id="signout" type="button" class="secondary">Sign out</button></p>
  <form id="pay-form">
    <label for="amount">Amount (<span id="currency">in your currency</span>)</label>
    <input id="amount" name="amount" inputmode="decimal" autocomplete="off" placeholder="100.00" required>
    <button id="create" type="submit">Create Payment</button>
  </form>
</section>
<section id="status" class="card" hidden>
  <h2>Transaction</h2>
  <p><span id="txn-ref"></span>: <span id="txn-status" class="status" data-testid="status"></span></p>
  <p id="txn-reason" class="muted"></p>
</section>
<iframe id="checkout" title="PayMob checkout" hidden></iframe>
<script id="config" type="application/json">${raw(config)}</script>`;
  const page = await pageShell({ title: 'StackPay test checkout', nonce, body, scriptSrc: PAY_PAGE_SCRIPT });
  return {
    status: 200,
    body: page.toString(),
    headers: pageHeaders(
      contentSecurityPolicy({
        nonce,
        scriptSelf: true,
        connectSelf: true,
        frameSrc: payPageFrameSources(options),
        frameAncestors: "'none'",
      }),
    ),
  };
}
