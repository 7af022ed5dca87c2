import { Hono } from 'hono';
import { html } from 'hono/html';
import type { AppEnv } from '../env';
import { AppError } from '../lib/errors';
import { bodyGuard } from '../middleware/body-guard';
import { byIp, rateLimit } from '../middleware/rate-limit';
import { PaymobError, paymobSettings } from '../paymob/client';
import { contentSecurityPolicy, createNonce, pageHeaders, pageShell } from '../transactions/page-shell';
import { type LinkPayer, linkByToken, payableLink, startLinkCheckout } from './checkout';
import { LINK_PATH } from './token';
import { linkAmount, linkState, type PaymentLinkRow } from './view';

/**
 * The payment link's public page (docs/api.md §11): `GET /pay/link/<token>` shows the amount and description
 * and asks for the payer's billing data (name, e-mail, phone: PayMob requires them); `POST` starts the
 * checkout and sends the browser to PayMob (303). Self-contained, no script (docs/api.md §4.7). A paid,
 * deactivated or expired link → 410 page; an unknown or forged token → 404 page; no checkout either way.
 * No cookie or session is involved, so the form needs no CSRF token: holding the URL is the permission.
 */
export const paymentLinkPageRoutes = new Hono<AppEnv>({ strict: false });

const WEBHOOK_PATH = '/api/v1/transactions/webhook/';
const FORM_MAX_BYTES = 4 * 1024;
const PHONE = /^\+?[0-9]{8,15}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Field = keyof LinkPayer;
const FIELDS: Array<{ name: Field; label: string; type: string; autocomplete: string }> = [
  { name: 'first_name', label: 'First name', type: 'text', autocomplete: 'given-name' },
  { name: 'last_name', label: 'Last name', type: 'text', autocomplete: 'family-name' },
  { name: 'email', label: 'E-mail', type: 'email', autocomplete: 'email' },
  { name: 'phone_number', label: 'Phone (with country code)', type: 'tel', autocomplete: 'tel' },
];

async function render(
  status: number,
  title: string,
  body: ReturnType<typeof html>,
  formTarget?: string,
): Promise<Response> {
  const nonce = createNonce();
  let csp = contentSecurityPolicy({ nonce, frameAncestors: "'none'" });
  // Browsers apply form-action to the redirect after the POST too: PayMob's checkout origin must be allowed.
  if (formTarget) csp = csp.replace("form-action 'self'", `form-action 'self' ${formTarget}`);
  const page = await pageShell({ title, nonce, body });
  return new Response(page.toString(), {
    status,
    headers: pageHeaders(csp, { 'X-Frame-Options': 'DENY' }),
  });
}

function closedPage(status: number, headline: string, text: string) {
  return render(
    status,
    headline,
    html`<div class="card"><h1 data-testid="link-title">${headline}</h1><p data-testid="link-message">${text}</p></div>`,
  );
}

const STATE_TEXT: Record<string, string> = {
  paid: 'This payment link has already been paid.',
  deactivated: 'This payment link was cancelled by the merchant.',
  expired: 'This payment link has expired.',
};

function formPage(
  c: { var: AppEnv['Variables'] },
  link: PaymentLinkRow,
  token: string,
  values: Partial<LinkPayer>,
  errors: Partial<Record<Field, string>> = {},
  problem?: string,
  status = 200,
) {
  const origin = new URL(paymobSettings(c.var.config).baseUrl).origin;
  const body = html`<div class="card">
<h1 data-testid="link-title">Payment request</h1>
<dl>
  <dt>For</dt><dd data-testid="link-description">${link.description}</dd>
  <dt>Amount</dt><dd data-testid="link-amount">${linkAmount(link)} ${link.currency}</dd>
</dl>
</div>
<div class="card">
${problem ? html`<div class="message error" role="alert" data-testid="link-error">${problem}</div>` : ''}
<form method="post" action="${LINK_PATH}${token}">
  ${FIELDS.map(
    (f) => html`<label for="${f.name}">${f.label}</label>
  <input id="${f.name}" name="${f.name}" type="${f.type}" autocomplete="${f.autocomplete}" required maxlength="254"
    value="${values[f.name] ?? ''}"${errors[f.name] ? html` aria-invalid="true" aria-describedby="${f.name}-error"` : ''}>
  ${errors[f.name] ? html`<div class="muted" id="${f.name}-error">${errors[f.name]}</div>` : ''}`,
  )}
  <button type="submit" data-testid="link-pay">Pay ${linkAmount(link)} ${link.currency}</button>
</form>
<p class="muted">You will be taken to PayMob’s secure checkout to pay.</p>
</div>`;
  return render(status, 'Payment request', body, origin);
}

/** A not-found or gone link as a page; anything else is rethrown (the app's problem answer). */
function refusal(err: unknown) {
  if (err instanceof AppError && err.status === 404) {
    return closedPage(
      404,
      'Payment link not found',
      'There is no payment link at this address. Check the link you were sent.',
    );
  }
  if (err instanceof AppError && err.code === 'payment_link_gone') {
    return closedPage(410, 'Payment link closed', err.message);
  }
  throw err;
}

paymentLinkPageRoutes.get(`${LINK_PATH}:token`, async (c) => {
  const token = c.req.param('token');
  try {
    const link = await linkByToken(c.var.ctx, token);
    const state = linkState(link, c.var.ctx.now);
    if (state !== 'active') return closedPage(410, 'Payment link closed', STATE_TEXT[state] ?? '');
    return formPage(c, link, token, { email: link.customerEmail ?? undefined });
  } catch (err) {
    return refusal(err);
  }
});

function readPayer(form: Record<string, unknown>): {
  payer: Partial<LinkPayer>;
  errors: Partial<Record<Field, string>>;
} {
  const payer: Partial<LinkPayer> = {};
  const errors: Partial<Record<Field, string>> = {};
  for (const { name } of FIELDS) {
    const raw = form[name];
    const value = typeof raw === 'string' ? raw.trim() : '';
    payer[name] = value.slice(0, 254);
    if (value === '') errors[name] = 'This field is required.';
    else if (value.length > 100 || /\p{Cc}/u.test(value) || !value.isWellFormed())
      errors[name] = 'Enter a shorter, plain value.';
  }
  if (!errors.email && !EMAIL.test(payer.email ?? '')) errors.email = 'Enter a valid email address.';
  if (!errors.phone_number && !PHONE.test((payer.phone_number ?? '').replace(/[\s-]/g, ''))) {
    errors.phone_number = 'Enter a phone number with its country code, e.g. +201001234567.';
  } else if (payer.phone_number) payer.phone_number = payer.phone_number.replace(/[\s-]/g, '');
  return { payer, errors };
}

paymentLinkPageRoutes.post(
  `${LINK_PATH}:token`,
  bodyGuard([
    {
      pattern: /^\/pay\/link\//,
      mediaTypes: ['application/x-www-form-urlencoded'],
      maxBytes: () => FORM_MAX_BYTES,
    },
  ]),
  rateLimit('payments', byIp),
  async (c) => {
    const token = c.req.param('token');
    const ctx = c.var.ctx;
    let link: PaymentLinkRow;
    try {
      link = await payableLink(ctx, token);
    } catch (err) {
      return refusal(err);
    }
    const { payer, errors } = readPayer(await c.req.parseBody());
    if (Object.keys(errors).length > 0) {
      return formPage(c, link, token, payer, errors, 'Check the highlighted fields.', 400);
    }
    const base = (c.var.config.PUBLIC_BASE_URL ?? new URL(c.req.url).origin).replace(/\/+$/, '');
    try {
      const checkout = await startLinkCheckout(ctx, {
        link,
        payer: payer as LinkPayer,
        callbackUrl: `${base}${WEBHOOK_PATH}`,
      });
      return c.redirect(checkout.checkoutUrl, 303);
    } catch (err) {
      if (err instanceof PaymobError) {
        return formPage(
          c,
          link,
          token,
          payer,
          {},
          'The payment could not be started. Please try again in a moment.',
          502,
        );
      }
      return refusal(err);
    }
  },
);
