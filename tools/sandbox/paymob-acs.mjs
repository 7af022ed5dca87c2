// The card issuer's 3-D Secure page (the ACS, "access control server") that PayMob's checkout sends a 3-DS
// card to, served by the sandbox on a listener of its own so that it is a different origin from the
// checkout, as in production: PayMob's checkout runs on accept.paymob.com, the issuer's challenge page on the
// issuer's (or its 3-DS provider's) host. Sources for the flow's shape (docs/checkout.md §2):
// - xshaheen/xdot-paymob src/CashIn/Models/Callback/CashInCallbackTransaction.cs, on `pending`: "Card
//   Payments: The customer has been redirected to the issuing bank page to enter his OTP."
// - xdot-paymob src/CashIn/Models/Payment/CashInSavedTokenPayResponse.cs: the pay answer is the transaction
//   with `pending: "true"`, `success: "false"` and a `redirection_url` (the 3-DS page), which the checkout
//   follows; `IsCreatedSuccessfully()` is exactly that combination.
// - Mastercard Gateway (PayMob's card acquirer for MIGS integrations, `klass: MigsPayment`), "Test your
//   EMV 3-D Secure Integration": the payer's browser is redirected to the emulator's challenge page on the
//   gateway's own host, and "the 3DS Emulator redirects the payer's browser back to your website when the
//   authentication is complete".
// A real ACS returns its result by an auto-submitted POST (3-DS 1 PaRes, 3-DS 2 CRes); this one answers with
// a 303 to the checkout's return URL, which is the same navigation for the frame or window that carries it
// and needs no script. The ACS and the checkout share the sandbox's memory for the result.

import { escapeHtml, HttpError, readBody, sendHtml } from './http.mjs';
import { formatAmount, randomHex } from './paymob-model.mjs';
import { layout, PAGE_CSP } from './paymob-pages.mjs';

// The challenge's one-time password. Any other value fails the challenge, as does "Cancel".
export const ACS_OTP = '123456';
const MAX_FORM_BYTES = 16 * 1024;

const STYLE = `
  * { box-sizing: border-box; }
  body { font-family: Georgia, "Times New Roman", serif; margin: 0; background: #eef1ea; color: #20261c; }
  main { max-width: 24rem; margin: 2rem auto; background: #fff; border: 2px solid #3d5a1e; padding: 1.25rem; }
  h1 { font-size: 1.1rem; margin: 0 0 0.5rem; color: #3d5a1e; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 0.75rem; font-size: 0.9rem; }
  dt { font-weight: 700; } dd { margin: 0; }
  label { display: block; font-weight: 700; margin: 1rem 0 0.25rem; }
  input { width: 100%; padding: 0.5rem; font-size: 1.1rem; letter-spacing: 0.2em; }
  .row { display: flex; gap: 0.5rem; margin-top: 1rem; } .row > button { flex: 1; }
  button { padding: 0.6rem; font-size: 1rem; border: 1px solid #3d5a1e; background: #3d5a1e; color: #fff; }
  button.secondary { background: #fff; color: #3d5a1e; }
  .note { color: #5b6650; font-size: 0.8rem; margin-top: 1rem; }
  .error { color: #a11d1d; }
`;

/** @typedef {import('./http.mjs').IncomingMessage} IncomingMessage */
/** @typedef {import('./http.mjs').ServerResponse} ServerResponse */
/**
 * An authentication the issuer holds: what the checkout asked for, and its status.
 * @typedef {object} AcsRequest
 * @property {'frictionless' | 'challenge'} flow
 * @property {number} amountCents
 * @property {string} currency
 * @property {string} pan the card's last four digits, as the issuer's page shows them
 * @property {string} merchant
 * @property {string} returnUrl
 */
/** @typedef {AcsRequest & { status: 'open' | 'Y' | 'N' }} AcsSession */

/**
 * @param {string} title
 * @param {string} body
 */
function page(title, body) {
  return layout(title, body, STYLE);
}

/** @param {{ log?: (line: string) => void }} [options] */
export function createAcs({ log = () => {} } = {}) {
  /** @type {Map<string, AcsSession>} session id → the authentication */
  const sessions = new Map();
  /** @type {string | null} */
  let origin = null;

  /** @param {string} url */
  function setOrigin(url) {
    origin = url.replace(/\/+$/, '');
  }

  /**
   * Opens an authentication; returns the URL the checkout sends the browser to.
   * @param {AcsRequest} request
   */
  function begin({ flow, amountCents, currency, pan, merchant, returnUrl }) {
    if (!origin) throw new Error('the ACS listener is not running');
    const id = randomHex(16);
    sessions.set(id, { flow, amountCents, currency, pan, merchant, returnUrl, status: 'open' });
    log(`acs: ${flow} authentication ${id} for ${formatAmount(amountCents, currency)}`);
    return { id, url: `${origin}/acs/authenticate?session=${id}` };
  }

  /**
   * 'Y' (authenticated), 'N' (failed) or 'open'; undefined for an unknown session.
   * @param {string} id
   */
  function statusOf(id) {
    return sessions.get(id)?.status;
  }

  /**
   * @param {ServerResponse} res
   * @param {AcsSession} session
   * @param {string} id
   */
  function returnTo(res, session, id) {
    const target = `${session.returnUrl}${session.returnUrl.includes('?') ? '&' : '?'}session=${id}`;
    res.writeHead(303, { location: target, 'content-type': 'text/plain; charset=utf-8' });
    res.end(`See ${target}`);
  }

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   * @returns {Promise<boolean>} whether this page answered
   */
  async function handle(req, res, url) {
    if (url.pathname !== '/acs/authenticate') return false;
    if (req.method === 'GET') {
      authenticate(res, url);
      return true;
    }
    if (req.method === 'POST') {
      await challengeAnswer(req, res);
      return true;
    }
    res.writeHead(405, { allow: 'GET, POST', 'content-type': 'text/plain; charset=utf-8' });
    res.end('Method Not Allowed');
    return true;
  }

  /**
   * @param {ServerResponse} res
   * @param {URL} url
   */
  function authenticate(res, url) {
    const id = url.searchParams.get('session') ?? '';
    const session = sessions.get(id);
    if (!session) return sendPage(res, 404, errorPage('Unknown authentication', 'This link is not valid.'));
    if (session.status !== 'open') {
      return sendPage(res, 409, errorPage('Already completed', 'This authentication has been completed.'));
    }
    if (session.flow === 'frictionless') {
      // The issuer approves from the data it already has: no page, straight back to the checkout.
      session.status = 'Y';
      log(`acs: ${id} authenticated without a challenge`);
      return returnTo(res, session, id);
    }
    sendPage(res, 200, challengePage(id, session));
  }

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   */
  async function challengeAnswer(req, res) {
    const form = new URLSearchParams((await readBody(req, MAX_FORM_BYTES)).toString('utf8'));
    const id = form.get('session') ?? '';
    const session = sessions.get(id);
    if (!session) throw new HttpError(404, 'Unknown authentication');
    if (session.status !== 'open') {
      // One answer per challenge: a second submit (back button, double click) changes nothing.
      return sendPage(res, 409, errorPage('Already completed', 'This authentication has been completed.'));
    }
    const passed = form.get('action') === 'submit' && form.get('otp')?.trim() === ACS_OTP;
    session.status = passed ? 'Y' : 'N';
    log(`acs: ${id} challenge ${passed ? 'passed' : 'failed'}`);
    returnTo(res, session, id);
  }

  /**
   * @param {string} id
   * @param {AcsSession} session
   */
  function challengePage(id, session) {
    return page(
      'Verify your payment - Sandbox Bank',
      `<h1>Sandbox Bank &middot; Verified by 3-D Secure</h1>
<p>Enter the one-time password sent to your phone to confirm this payment.</p>
<dl>
  <dt>Merchant</dt><dd>${escapeHtml(session.merchant)}</dd>
  <dt>Amount</dt><dd data-testid="acs-amount">${escapeHtml(formatAmount(session.amountCents, session.currency))}</dd>
  <dt>Card</dt><dd>&bull;&bull;&bull;&bull; ${escapeHtml(session.pan)}</dd>
</dl>
<form method="post" action="/acs/authenticate" autocomplete="off">
  <input type="hidden" name="session" value="${escapeHtml(id)}">
  <label for="otp">One-time password</label>
  <input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code">
  <div class="row">
    <button type="submit" name="action" value="submit">Submit</button>
    <button type="submit" name="action" value="cancel" class="secondary">Cancel</button>
  </div>
</form>
<p class="note">Sandbox issuer: the password is ${ACS_OTP}; any other value or Cancel fails the
authentication and the payment is declined.</p>`,
    );
  }

  /**
   * @param {string} title
   * @param {string} message
   */
  function errorPage(title, message) {
    return page(
      `${title} - Sandbox Bank`,
      `<h1 class="error">${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`,
    );
  }

  /**
   * @param {ServerResponse} res
   * @param {number} status
   * @param {string} html
   */
  function sendPage(res, status, html) {
    sendHtml(res, status, html, { 'content-security-policy': PAGE_CSP, 'cache-control': 'no-store' });
  }

  function reset() {
    sessions.clear();
  }

  return { handle, begin, statusOf, setOrigin, reset };
}
