import { html } from 'hono/html';
import { PAYMENT_OUTCOMES } from './outcomes';
import { contentSecurityPolicy, createNonce, PAY_PAGE_PATH, pageHeaders, pageShell } from './page-shell';

/** What the browser sees after paying (docs/api.md §4.5): the transaction's state as StackPay now records it. */
export interface PaymentResult {
  /** Our transaction, when the signed redirect matched one. */
  transactionId?: number;
  merchantOrderId?: string;
  status: string;
  amount?: string;
  currency?: string;
  failureReason?: string | null;
  /** The payment's return_url, signed (src/transactions/return-url.ts): where the shopper goes next. */
  returnTo?: string;
}

export interface RenderedPage {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/**
 * In the legacy flow PayMob's iframe brings the browser back to our response callback inside the pay page's
 * frame (docs/checkout.md §2): the result then takes the whole window. Same origin as the pay page, so
 * assigning `top.location` is allowed; the signed URL loaded again is a redelivery, which changes nothing.
 */
const BREAK_OUT_OF_FRAME = `if (window.top !== window.self) { window.top.location.href = window.location.href; }`;
/**
 * With a return_url (docs/api.md §4.9): out of the frame first; in the whole window, on to the shop. A fixed
 * text, like the one above: the address is read from the page's link (escaped HTML), never written into code.
 */
const BREAK_OUT_THEN_RETURN = `${BREAK_OUT_OF_FRAME} else { var link = document.getElementById('return-link'); if (link) { window.location.replace(link.href); } }`;

async function render(
  status: number,
  title: string,
  body: ReturnType<typeof html>,
  script = BREAK_OUT_OF_FRAME,
): Promise<RenderedPage> {
  const nonce = createNonce();
  const page = await pageShell({ title, nonce, body, script });
  return {
    status,
    body: page.toString(),
    // Framed only by our own pages (the pay page), and only long enough to break out.
    headers: pageHeaders(contentSecurityPolicy({ nonce, script: true, frameAncestors: "'self'" })),
  };
}

export function renderPaymentResult(result: PaymentResult): Promise<RenderedPage> {
  const headline = PAYMENT_OUTCOMES[result.status]?.page ?? { title: `Payment ${result.status}`, text: '' };
  const back = result.transactionId ? `${PAY_PAGE_PATH}?txn=${result.transactionId}` : PAY_PAGE_PATH;
  // target=_top: should the script not run, the link still leaves the pay page's frame.
  const body = html`<div class="card">
<h1 data-testid="result-title">${headline.title}</h1>
<p>${headline.text}</p>
<dl>
  <dt>Status</dt><dd><span class="status ${result.status}" data-testid="status">${result.status}</span></dd>
  ${result.merchantOrderId ? html`<dt>Order</dt><dd>${result.merchantOrderId}</dd>` : ''}
  ${result.amount ? html`<dt>Amount</dt><dd>${result.amount} ${result.currency ?? ''}</dd>` : ''}
  ${result.failureReason ? html`<dt>Reason</dt><dd data-testid="reason">${result.failureReason}</dd>` : ''}
</dl>
${
  result.returnTo
    ? html`<p class="muted">Taking you back to the shop…</p>
<p><a id="return-link" data-testid="return-link" href="${result.returnTo}" target="_top">Return to the shop</a></p>`
    : html`<p><a href="${back}" target="_top">Back to the test checkout</a></p>`
}
</div>`;
  return render(200, headline.title, body, result.returnTo ? BREAK_OUT_THEN_RETURN : BREAK_OUT_OF_FRAME);
}

/** A redirect whose signature is missing or wrong changes nothing and says so (docs/api.md §4.5). */
export function renderInvalidResult(message: string): Promise<RenderedPage> {
  const body = html`<div class="card">
<h1 data-testid="result-title">Payment result not accepted</h1>
<p>${message}</p>
<p class="muted">Nothing was changed. If you paid, your payment will still be recorded when PayMob notifies us.</p>
<p><a href="${PAY_PAGE_PATH}" target="_top">Back to the test checkout</a></p>
</div>`;
  return render(400, 'Payment result not accepted', body);
}
