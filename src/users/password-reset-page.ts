import { html } from 'hono/html';
import { contentSecurityPolicy, createNonce, pageHeaders, pageShell } from '../transactions/page-shell';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-policy';

/**
 * The page a password-reset e-mail links to (docs/accounts.md §1). It holds no secret: the token is in the
 * link's fragment, which the browser never sends to the server (nor in a Referer), and the page's script
 * (a static asset, public/account/reset-password.js) reads it, clears it from the address bar and posts it
 * with the new password to `POST /api/v1/users/password-reset/confirm/`. Scripts from this origin only;
 * requests to this origin only; never framed.
 */
export const RESET_PAGE_SCRIPT = '/account/reset-password.js';

export async function renderResetPage(): Promise<{ body: string; headers: Record<string, string> }> {
  const nonce = createNonce();
  const body = html`<h1>Choose a new password</h1>
<div id="message" class="message info" role="alert" hidden></div>
<section id="reset" class="card">
  <form id="reset-form">
    <p class="muted">At least ${PASSWORD_MIN_LENGTH} and at most ${PASSWORD_MAX_LENGTH} characters, starting with an
      uppercase letter, with a lowercase letter, a digit and a punctuation character, no spaces.</p>
    <label for="password">New password</label>
    <input id="password" name="password" type="password" autocomplete="new-password" required>
    <label for="password-again">New password again</label>
    <input id="password-again" name="password-again" type="password" autocomplete="new-password" required>
    <details>
      <summary class="muted">Enter the reset code by hand</summary>
      <label for="token">Reset code (from the e-mail)</label>
      <input id="token" name="token" autocomplete="off" spellcheck="false">
    </details>
    <button id="submit" type="submit">Set the new password</button>
  </form>
</section>`;
  const page = await pageShell({
    title: 'StackPay: reset your password',
    nonce,
    body,
    scriptSrc: RESET_PAGE_SCRIPT,
  });
  return {
    body: page.toString(),
    headers: pageHeaders(
      contentSecurityPolicy({
        nonce,
        scriptSelf: true,
        connectSelf: true,
        frameAncestors: "'none'",
      }),
      { 'X-Frame-Options': 'DENY' },
    ),
  };
}
