// The sandbox's non-card payment methods through unified checkout (docs/paymob.md §8): a mobile wallet (an
// OTP page, success with the right OTP and a decline otherwise), a kiosk (a pending payment with a bill
// reference, paid later through "pay at kiosk"; the reference expires) and one instalment provider (valU).
// Every transaction is a real-shaped PayMob transaction object, signed like a card's (paymob-signing.mjs).
//
// Sources for the shapes:
// - wallet `source_data`: `{type: "wallet", sub_type: "wallet", pan: "01010101010"}` — the wallet's whole phone
//   number as the pan; PayMob's own redirect sample in M-Nasser-M/paymob-js-sdk tests (`paymentRedirectResponse`,
//   concatenated `…false01010101010walletwallettrue`, docs/paymob.md §6), `txn_response_code` "200" for a
//   wallet. The legacy pay call is `source: {identifier: <phone>, subtype: "WALLET"}` and answers a
//   `redirect_url` to the wallet provider's OTP page (public wallet integrations: `subtype: "WALLET"`).
// - kiosk: Accept Kiosk answers pending with `data.bill_reference` (xshaheen/headless-framework
//   PaymobKioskCashInResponse(BillingReference, OrderId, Expiration); its callback source data "Only if Wallet
//   or Accept Kiosk" carries `phone_number`); the legacy pay call is `source: {identifier: "AGGREGATOR",
//   subtype: "AGGREGATOR"}`, so `source_data.type`/`sub_type` are `aggregator`/`AGGREGATOR`. The bill
//   reference is sent as a JSON number (the harsher variant for a client that expects a string). PayMob
//   documents no callback when a reference lapses: the sandbox sends none (the harshest plausible answer), so
//   the client must expire the payment itself. developers.paymob.com "Kiosk [EGY]": EGY only, no refunds.
// - valU: no published callback sample was found; the harshest plausible variant is imitated — `type` and
//   `sub_type` "valu" and the customer's whole phone number as the pan (like a wallet), so a client that
//   shows the pan unmasked leaks it.

import { escapeHtml, HttpError, sendJson } from './http.mjs';
import { buildTransaction, freshTimestamp, randomHex } from './paymob-model.mjs';
import { layout, renderErrorPage } from './paymob-pages.mjs';

/** @typedef {import('./http.mjs').IncomingMessage} IncomingMessage */
/** @typedef {import('./http.mjs').ServerResponse} ServerResponse */
/** @typedef {import('./http.mjs').Route} Route */
/** @typedef {import('./paymob-model.mjs').Order} Order */
/** @typedef {import('./paymob-model.mjs').Transaction} Transaction */
/** @typedef {'card' | 'wallet' | 'kiosk' | 'valu'} IntegrationType */

/** The OTP the sandbox's wallet page accepts; any other declines the payment. */
export const WALLET_OTP = '123456';
/** valU test customers (phone → outcome); any other number is declined. */
export const VALU_CUSTOMERS = Object.freeze({ '01000000001': 'success', '01000000002': 'declined' });
// How long a kiosk reference may be paid. PayMob documents no lifetime; StackPay's default is the same.
// (xshaheen/headless-framework PaymobCashInService reports the payment key's `expiration`, default 3600 s,
// as the kiosk reference's lifetime; docs/paymob.md §8 says why the client survives either.)
const KIOSK_EXPIRY_MS = 72 * 60 * 60 * 1000;
// An Egyptian mobile number, as wallets take it (11 digits, 010/011/012/015).
const EGYPTIAN_MOBILE = /^01[0125]\d{8}$/;

const MESSAGES = {
  wallet: {
    success: 'Transaction has been completed successfully.',
    declined: 'Wrong OTP or wallet declined.',
  },
  valu: { success: 'Approved', declined: 'Customer limit is not enough or customer not found.' },
};

/**
 * @param {object} deps
 * @param {(id: number) => string} deps.integrationType an integration id's type ('card' when unlisted)
 * @param {() => number} deps.nextTransactionId
 * @param {Map<number, Transaction>} deps.transactions
 * @param {(id: number) => Order} deps.orderOf
 * @param {(transaction: Transaction) => void} deps.sendProcessedCallback
 * @param {(transaction: Transaction, origin: string) => string} deps.responseCallbackUrl
 * @param {(order: Order, transaction: Transaction, key: any) => void} deps.markPaid
 * @param {(req: IncomingMessage) => Promise<Record<string, any>>} deps.readPayload
 * @param {(res: ServerResponse, status: number, html: string) => void} deps.sendPage
 * @param {() => number} deps.now
 * @param {(line: string) => void} deps.log
 */
export function createMethods(deps) {
  /** @type {Map<string, { transaction: Transaction; key: any }>} wallet OTP session → its payment */
  const walletSessions = new Map();
  /** @type {Map<string, { transaction: Transaction; key: any; expiresMs: number }>} bill reference → payment */
  const kioskBills = new Map();

  /**
   * A new non-card transaction: a real-shaped object, pending, with the method's source data.
   * @param {{ key: any; order: Order; integrationId: number; source: Record<string, unknown>; data: Record<string, unknown> }} fields
   */
  function newTransaction({ key, order, integrationId, source, data }) {
    const transaction = buildTransaction({
      id: deps.nextTransactionId(),
      order,
      integrationId,
      // Only shapes the card parts, all replaced below.
      cardNumber: '5123456789012346',
      outcomeName: 'pending',
      amountCents: key.claims.amount_cents,
      claims: structuredClone(key.claims),
      apiSource: key.api_source,
    });
    Object.assign(transaction.obj, { is_3d_secure: false, source_data: source, data });
    transaction.meta.notification_url = key.notification_url;
    transaction.meta.redirection_url = key.redirection_url;
    deps.transactions.set(transaction.obj.id, transaction);
    return transaction;
  }

  /**
   * @param {Transaction} transaction
   * @param {'success' | 'declined'} outcome
   * @param {string} message
   */
  function settle(transaction, outcome, message) {
    transaction.obj.pending = false;
    transaction.obj.success = outcome === 'success';
    transaction.obj.updated_at = freshTimestamp().text;
    Object.assign(transaction.obj.data, {
      message,
      txn_response_code: outcome === 'success' ? '200' : 'DECLINED',
    });
  }

  /**
   * A checkout's payment with a non-card method (`method` in the pay form or JSON). `offered` are the
   * integrations the intention (or payment key) offers; the method must be one of them.
   * @param {{ method: string; body: Record<string, any>; key: any; order: Order; offered: number[]; origin: string }} input
   * @returns {{ transaction: Transaction; redirectUrl: string; billReference?: number }}
   */
  function pay({ method, body, key, order, offered, origin }) {
    const integrationId = offered.find((id) => deps.integrationType(id) === method);
    if (integrationId === undefined) {
      throw new HttpError(400, {
        detail: `The payment method "${method}" is not available for this payment.`,
      });
    }
    if (method === 'wallet') {
      const phone = String(body.wallet_number ?? body.identifier ?? '').trim();
      if (!EGYPTIAN_MOBILE.test(phone)) {
        throw new HttpError(400, { wallet_number: ['Enter a valid mobile wallet number (01xxxxxxxxx).'] });
      }
      const transaction = newTransaction({
        key,
        order,
        integrationId,
        source: { pan: phone, type: 'wallet', tenure: null, sub_type: 'wallet', phone_number: phone },
        data: { message: 'Pending OTP verification', txn_response_code: 'PENDING', wallet_msisdn: phone },
      });
      const session = randomHex(16);
      walletSessions.set(session, { transaction, key });
      const redirectUrl = `${origin}/sandbox/paymob/wallet/otp?session=${session}`;
      Object.assign(transaction.obj.data, { redirect_url: redirectUrl });
      deps.log(`paymob: wallet transaction ${transaction.obj.id} waiting for its OTP`);
      deps.sendProcessedCallback(transaction);
      return { transaction, redirectUrl };
    }
    if (method === 'kiosk') {
      let reference;
      do reference = 1_000_000 + Math.floor(Math.random() * 9_000_000);
      while (kioskBills.has(String(reference)));
      const transaction = newTransaction({
        key,
        order,
        integrationId,
        source: { pan: '', type: 'aggregator', tenure: null, sub_type: 'AGGREGATOR' },
        data: {
          message: 'Pending payment at a kiosk',
          txn_response_code: 'PENDING',
          bill_reference: reference,
          due_amount: key.claims.amount_cents / 100,
          klass: 'AcceptAggregatorPayment',
        },
      });
      kioskBills.set(String(reference), { transaction, key, expiresMs: deps.now() + KIOSK_EXPIRY_MS });
      deps.log(`paymob: kiosk transaction ${transaction.obj.id}, bill reference ${reference}`);
      deps.sendProcessedCallback(transaction);
      return {
        transaction,
        redirectUrl: deps.responseCallbackUrl(transaction, origin),
        billReference: reference,
      };
    }
    if (method === 'valu') {
      const phone = String(body.valu_phone ?? body.identifier ?? '').trim();
      if (!EGYPTIAN_MOBILE.test(phone)) {
        throw new HttpError(400, { valu_phone: ['Enter the valU customer’s mobile number (01xxxxxxxxx).'] });
      }
      const outcome =
        /** @type {Record<string, 'success' | 'declined'>} */ (VALU_CUSTOMERS)[phone] ?? 'declined';
      const transaction = newTransaction({
        key,
        order,
        integrationId,
        source: { pan: phone, type: 'valu', tenure: null, sub_type: 'valu' },
        data: { message: '', txn_response_code: 'PENDING', tenure: 6 },
      });
      settle(transaction, outcome, MESSAGES.valu[outcome]);
      if (outcome === 'success') deps.markPaid(order, transaction, key);
      deps.log(`paymob: valU transaction ${transaction.obj.id}: ${outcome}`);
      deps.sendProcessedCallback(transaction);
      return { transaction, redirectUrl: deps.responseCallbackUrl(transaction, origin) };
    }
    throw new HttpError(400, { detail: `The sandbox does not imitate the payment method "${method}".` });
  }

  /**
   * The wallet provider's OTP page (GET) and its submission (POST, form or JSON).
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  async function walletOtp(req, res, url) {
    if (req.method === 'GET') {
      const session = url.searchParams.get('session') ?? '';
      const waiting = walletSessions.get(session);
      if (!waiting)
        return deps.sendPage(
          res,
          404,
          renderErrorPage('Payment not found', 'This OTP session is not known.'),
        );
      return deps.sendPage(res, 200, renderOtpPage(session, waiting.transaction));
    }
    const fromForm = /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '');
    const body = await deps.readPayload(req);
    const waiting = walletSessions.get(String(body.session ?? ''));
    if (!waiting) throw new HttpError(404, { detail: 'This OTP session is not known.' });
    const { transaction, key } = waiting;
    if (transaction.obj.pending) {
      const outcome = String(body.otp ?? '').trim() === WALLET_OTP ? 'success' : 'declined';
      settle(transaction, outcome, MESSAGES.wallet[outcome]);
      if (outcome === 'success') deps.markPaid(deps.orderOf(transaction.meta.order_id), transaction, key);
      deps.log(`paymob: wallet transaction ${transaction.obj.id} after OTP: ${outcome}`);
      deps.sendProcessedCallback(transaction);
    }
    const target = deps.responseCallbackUrl(transaction, `http://${req.headers.host}`);
    if (fromForm) {
      res.writeHead(303, { location: target, 'content-type': 'text/plain; charset=utf-8' });
      res.end(`See ${target}`);
      return;
    }
    sendJson(res, 200, { redirect_url: target, transaction_id: transaction.obj.id });
  }

  /**
   * "Pay at kiosk": the shopper pays the bill reference in cash; PayMob then sends the success callback.
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   */
  async function kioskPay(req, res) {
    const body = await deps.readPayload(req);
    const bill = kioskBills.get(String(body.bill_reference ?? ''));
    if (!bill) throw new HttpError(404, { detail: 'No payment has this bill reference.' });
    const { transaction, key, expiresMs } = bill;
    if (!transaction.obj.pending) throw new HttpError(400, { detail: 'This bill reference has been paid.' });
    if (deps.now() >= expiresMs) throw new HttpError(400, { detail: 'This bill reference has expired.' });
    settle(transaction, 'success', 'Paid at kiosk');
    deps.markPaid(deps.orderOf(transaction.meta.order_id), transaction, key);
    deps.log(`paymob: kiosk transaction ${transaction.obj.id} paid at a kiosk`);
    deps.sendProcessedCallback(transaction);
    sendJson(res, 200, { transaction_id: transaction.obj.id, success: true });
  }

  /** @type {Route[]} */
  const routes = [
    [/^\/sandbox\/paymob\/wallet\/otp\/?$/, { GET: walletOtp, POST: walletOtp }],
    [/^\/sandbox\/paymob\/kiosk\/pay\/?$/, { POST: kioskPay }],
  ];

  return {
    routes,
    pay,
    reset() {
      walletSessions.clear();
      kioskBills.clear();
    },
  };
}

/**
 * @param {string} session
 * @param {Transaction} transaction
 */
function renderOtpPage(session, transaction) {
  const phone = String(transaction.obj.source_data.pan ?? '');
  return layout(
    'Wallet verification - PayMob sandbox',
    `<h1>Confirm your wallet payment</h1>
<p class="merchant">We sent a one-time password to ${escapeHtml(`${phone.slice(0, 3)}*****${phone.slice(-3)}`)}.</p>
<form method="post" action="/sandbox/paymob/wallet/otp" autocomplete="off">
  <input type="hidden" name="session" value="${escapeHtml(session)}">
  <label for="otp">One-time password</label>
  <input id="otp" name="otp" inputmode="numeric" required>
  <button type="submit">Confirm</button>
</form>
<p class="note">Local PayMob sandbox: the OTP ${WALLET_OTP} pays; any other declines the payment.</p>`,
  );
}

/**
 * The checkout page's forms for the non-card methods an intention offers (docs/paymob.md §8).
 * @param {string[]} types the offered integrations' types
 * @param {{ name: string; value: string }} credential
 */
export function renderMethodForms(types, credential) {
  const hidden = `<input type="hidden" name="${escapeHtml(credential.name)}" value="${escapeHtml(credential.value)}">`;
  const forms = [];
  if (types.includes('wallet')) {
    forms.push(`<form method="post" action="/sandbox/paymob/pay" autocomplete="off" data-method="wallet">
  ${hidden}<input type="hidden" name="method" value="wallet">
  <label for="wallet_number">Mobile wallet number</label>
  <input id="wallet_number" name="wallet_number" inputmode="numeric" placeholder="01010101010" required>
  <button type="submit">Pay with wallet</button>
</form>`);
  }
  if (types.includes('kiosk')) {
    forms.push(`<form method="post" action="/sandbox/paymob/pay" data-method="kiosk">
  ${hidden}<input type="hidden" name="method" value="kiosk">
  <button type="submit">Pay at a kiosk (Aman, Masary)</button>
</form>`);
  }
  if (types.includes('valu')) {
    forms.push(`<form method="post" action="/sandbox/paymob/pay" autocomplete="off" data-method="valu">
  ${hidden}<input type="hidden" name="method" value="valu">
  <label for="valu_phone">valU mobile number (01000000001 approves)</label>
  <input id="valu_phone" name="valu_phone" inputmode="numeric" required>
  <button type="submit">Pay with valU instalments</button>
</form>`);
  }
  return forms.join('\n');
}
