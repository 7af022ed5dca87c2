// HTML of the sandbox's PayMob checkout: the legacy iframe page, the unified checkout page and their error
// pages. Self-contained (no scripts, fonts, images or other external resources) so they work offline and
// inside the Worker's test pay page. The card form posts to /sandbox/paymob/pay without a target: like
// PayMob's checkout, the page navigates itself — inside the merchant's iframe (legacy) or as the whole window
// (unified checkout) — to the issuer's 3-D Secure page on another origin for a 3-DS card, then to the signed
// transaction-response URL on the merchant's origin (docs/checkout.md §2).

import { escapeHtml } from './http.mjs';
import { formatAmount, TEST_CARDS, THREE_DS_CARDS } from './paymob-model.mjs';

// Pages may be framed by the merchant's site; nothing else is ever loaded.
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'";

const STYLE = `
  * { box-sizing: border-box; }
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #f3f5f8;
    color: #1f2933; }
  main { max-width: 26rem; margin: 2rem auto; background: #fff; border-radius: 10px; padding: 1.5rem;
    box-shadow: 0 1px 4px rgba(15, 23, 42, 0.12); }
  h1 { font-size: 1.1rem; margin: 0 0 0.25rem; }
  .merchant { color: #52606d; margin: 0 0 1rem; font-size: 0.9rem; }
  .amount { font-size: 1.6rem; font-weight: 700; margin: 0 0 1.25rem; }
  label { display: block; font-size: 0.85rem; font-weight: 600; margin: 0.75rem 0 0.25rem; }
  input { width: 100%; padding: 0.6rem; border: 1px solid #cbd2d9; border-radius: 6px; font-size: 1rem; }
  .row { display: flex; gap: 0.75rem; } .row > div { flex: 1; }
  button { margin-top: 1.25rem; width: 100%; padding: 0.75rem; border: 0; border-radius: 6px;
    background: #0a6cff; color: #fff; font-size: 1rem; font-weight: 700; cursor: pointer; }
  table { width: 100%; border-collapse: collapse; font-size: 0.8rem; margin-top: 1.5rem; }
  th, td { text-align: left; padding: 0.25rem; border-top: 1px solid #e4e7eb; }
  code { font-size: 0.8rem; }
  .note { color: #7b8794; font-size: 0.75rem; margin-top: 1rem; }
  .error { color: #b42318; }
  h2 { font-size: 0.95rem; margin: 1rem 0 0; }
  .check { display: flex; gap: 0.5rem; align-items: center; font-weight: 400; }
  .check input { width: auto; }
`;

const CARD_LABELS = {
  success: 'Succeeds',
  declined: 'Declined ("Do not honor")',
  pending: 'Pending, then succeeds',
  challenge: '3-D Secure challenge (password 123456), then succeeds',
  frictionless: '3-D Secure without a challenge, then succeeds',
};

/**
 * A sandbox page: the checkout's and the issuer's (tools/sandbox/paymob-acs.mjs) share this frame.
 * @param {string} title
 * @param {string} body
 * @param {string} [style] the page's stylesheet (default: the checkout's)
 */
export function layout(title, body, style = STYLE) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/**
 * @param {object} page
 * @param {string} page.title
 * @param {{ name: 'payment_token' | 'client_secret'; value: string }} page.credential
 * @param {number} page.amountCents
 * @param {string} page.currency
 * @param {number} page.orderId
 * @param {string | null} page.merchantOrderId
 * @param {Array<{ token: string; label: string }>} [page.savedCards] saved cards offered (intention card_tokens)
 * @param {boolean} [page.offerSave] unified checkout's "Save this card" box (tools/sandbox/paymob-tokens.mjs)
 * @param {boolean} [page.card] whether the checkout offers the card (default true)
 * @param {string} [page.extra] the other methods' forms (tools/sandbox/paymob-methods.mjs)
 */
export function renderCheckoutPage({
  title,
  credential,
  amountCents,
  currency,
  orderId,
  merchantOrderId,
  savedCards = [],
  offerSave = false,
  card = true,
  extra = '',
}) {
  const cards = Object.entries({ ...TEST_CARDS, ...THREE_DS_CARDS })
    .map(([number, outcome]) => `<tr><td><code>${number}</code></td><td>${CARD_LABELS[outcome]}</td></tr>`)
    .join('\n');
  const reference = merchantOrderId ? ` &middot; ${escapeHtml(merchantOrderId)}` : '';
  return layout(
    `${title} - PayMob sandbox`,
    `<h1>${escapeHtml(title)}</h1>
<p class="merchant">StackPay Sandbox &middot; order ${escapeHtml(orderId)}${reference}</p>
<p class="amount" data-testid="amount">${escapeHtml(formatAmount(amountCents, currency))}</p>
${savedCardForms(credential, savedCards)}${card ? cardForm(credential, cards, offerSave) : ''}
${extra}
<p class="note">Local PayMob sandbox: no real payment is made. Any name, expiry and CVV are accepted.</p>`,
  );
}

/**
 * @param {{ name: string; value: string }} credential
 * @param {string} cards the test cards' rows
 * @param {boolean} offerSave unified checkout's "Save this card" box
 */
function cardForm(credential, cards, offerSave) {
  return `<form method="post" action="/sandbox/paymob/pay" autocomplete="off">
  <input type="hidden" name="${escapeHtml(credential.name)}" value="${escapeHtml(credential.value)}">
  <label for="card_number">Card number</label>
  <input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number"
    placeholder="5123 4567 8901 2346" required>
  <label for="card_holder">Name on card</label>
  <input id="card_holder" name="card_holder" autocomplete="cc-name" placeholder="Test User">
  <div class="row">
    <div>
      <label for="expiry">Expiry (MM/YY)</label>
      <input id="expiry" name="expiry" autocomplete="cc-exp" placeholder="12/30">
    </div>
    <div>
      <label for="cvv">CVV</label>
      <input id="cvv" name="cvv" inputmode="numeric" autocomplete="cc-csc" placeholder="123">
    </div>
  </div>
${offerSave ? '  <label class="check"><input type="checkbox" name="save_card" value="true"> Save this card for future payments</label>\n' : ''}  <button type="submit">Pay</button>
</form>
<table>
<thead><tr><th>Test card</th><th>Outcome</th></tr></thead>
<tbody>
${cards}
</tbody>
</table>`;
}

/**
 * One form per saved card: pays with its token, without the card form.
 * @param {{ name: string; value: string }} credential
 * @param {Array<{ token: string; label: string }>} savedCards
 */
function savedCardForms(credential, savedCards) {
  if (savedCards.length === 0) return '';
  const forms = savedCards
    .map(
      ({ token, label }) => `<form method="post" action="/sandbox/paymob/pay" class="saved-card">
  <input type="hidden" name="${escapeHtml(credential.name)}" value="${escapeHtml(credential.value)}">
  <input type="hidden" name="card_token" value="${escapeHtml(token)}">
  <button type="submit" data-testid="saved-card">Pay with ${escapeHtml(label)}</button>
</form>`,
    )
    .join('\n');
  return `<h2>Your saved cards</h2>\n${forms}\n<h2>Or pay with another card</h2>\n`;
}

/**
 * @param {string} title
 * @param {string} message
 */
export function renderErrorPage(title, message) {
  return layout(
    `${title} - PayMob sandbox`,
    `<h1 class="error">${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`,
  );
}

// Where the browser lands when neither the payment nor the sandbox names a transaction-response URL.
/** @param {URLSearchParams} query */
export function renderResponsePage(query) {
  const rows = [...query]
    .map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('\n');
  const outcome =
    query.get('pending') === 'true'
      ? 'Payment pending'
      : query.get('success') === 'true'
        ? 'Payment succeeded'
        : 'Payment failed';
  return layout(
    `${outcome} - PayMob sandbox`,
    `<h1>${outcome}</h1>
<p class="merchant">No transaction-response callback URL is configured; these are the signed values
PayMob would have sent to it.</p>
<table><tbody>
${rows}
</tbody></table>`,
  );
}
