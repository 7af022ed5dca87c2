// The test checkout page's script (docs/api.md §4.7, docs/checkout.md), served as a static asset: the page
// (src/transactions/pay-page.ts) passes its settings in the JSON element #config and allows only this
// origin's scripts.

const API = '/api/v1';
const cfg = JSON.parse(document.getElementById('config').textContent);
const $ = (id) => document.getElementById(id);
const CURRENCY = cfg.currency; // [currency, minor digits] of the PayMob account (docs/paymob.md §1)
const store = window.sessionStorage;
let token = store.getItem('stackpay.access');
let pollTimer = null;
let pendingKey = null;

function show(text, kind) {
  const box = $('message');
  box.textContent = text || '';
  box.className = `message ${kind || 'info'}`;
  box.hidden = !text;
}

class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.retryAfter = retryAfter;
  }
}

const FRIENDLY = {
  kyc_not_approved: 'Your identity documents have not been approved yet, so payments are not possible.',
  main_address_required: 'Add a main address to your customer profile before paying.',
  customer_profile_not_found: 'This account has no customer profile (staff accounts cannot pay).',
  forbidden: 'This account is not allowed to make payments.',
  paymob_unavailable: 'The payment provider is unavailable right now. Please try again in a moment.',
  idempotency_request_in_progress: 'Your previous attempt is still being processed. Wait a moment and retry.',
};

function describe(err) {
  if (!(err instanceof ApiError)) return 'Could not reach StackPay. Check your connection and try again.';
  const body = err.body;
  if (err.status === 401) return 'Your sign-in is missing or has expired. Please sign in again.';
  if (err.status === 429) {
    return `Too many attempts. Try again${err.retryAfter ? ` in ${err.retryAfter} seconds.` : ' shortly.'}`;
  }
  if (body.code === 'profile_incomplete' && Array.isArray(body.missing_fields)) {
    return `Complete your profile first. Missing: ${body.missing_fields.join(', ').replace(/_/g, ' ')}.`;
  }
  let text = FRIENDLY[body.code] || body.detail || `Request failed (HTTP ${err.status}).`;
  if (body.errors) {
    const parts = Object.entries(body.errors).map(
      ([field, messages]) => `${field}: ${[].concat(messages).join(' ')}`,
    );
    if (parts.length) text += ` ${parts.join('; ')}`;
  }
  return text;
}

async function api(path, options) {
  const opts = options || {};
  const headers = Object.assign({ Accept: 'application/json' }, opts.headers || {});
  if (token && !opts.anonymous) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(API + path, {
    method: opts.method || 'GET',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) throw new ApiError(res.status, body, res.headers.get('Retry-After'));
  return body;
}

function signedIn(profile) {
  $('signin').hidden = true;
  $('pay').hidden = false;
  $('who').textContent = profile ? profile.username : 'token holder';
}

function signOut() {
  token = null;
  store.removeItem('stackpay.access');
  store.removeItem('stackpay.txn');
  stopPolling();
  $('signin').hidden = false;
  $('pay').hidden = true;
  $('status').hidden = true;
  $('checkout').hidden = true;
  show('Signed out.', 'info');
}

async function afterSignIn() {
  let profile = null;
  try {
    profile = await api('/users/profiles/mine/');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      token = null;
      store.removeItem('stackpay.access');
      show(describe(err), 'error');
      return false;
    }
  }
  signedIn(profile);
  // The account's currency, whatever the customer's address: one PayMob account, one currency.
  $('currency').textContent = CURRENCY[0];
  $('amount').placeholder = (100).toFixed(CURRENCY[1]);
  show('', 'info');
  return true;
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = $('login-button');
  button.disabled = true;
  show('Signing in…', 'info');
  try {
    const pair = await api('/users/login/', {
      method: 'POST',
      anonymous: true,
      body: { username: $('username').value, password: $('password').value },
    });
    token = pair.access;
    store.setItem('stackpay.access', token);
    $('password').value = '';
    await afterSignIn();
  } catch (err) {
    show(
      err instanceof ApiError && err.status === 401
        ? 'Wrong username or password, or the account is not active.'
        : describe(err),
      'error',
    );
  } finally {
    button.disabled = false;
  }
});

$('token-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const value = $('token')
    .value.trim()
    .replace(/^Bearer\s+/i, '');
  if (!value) return show('Paste an access token first.', 'error');
  token = value;
  store.setItem('stackpay.access', token);
  await afterSignIn();
});

$('signout').addEventListener('click', signOut);

function stopPolling() {
  if (pollTimer) clearTimeout(pollTimer);
  pollTimer = null;
}

function render(txn) {
  $('status').hidden = false;
  $('txn-ref').textContent = `${txn.merchant_order_id} (${txn.amount} ${txn.currency})`;
  const status = $('txn-status');
  status.textContent = txn.status;
  status.className = `status ${txn.status}`;
  $('txn-reason').textContent = txn.failure_reason ? `Reason: ${txn.failure_reason}` : '';
}

function poll(id, startedAt) {
  stopPolling();
  pollTimer = setTimeout(async () => {
    try {
      const txn = await api(`/transactions/txn/${id}/`);
      render(txn);
      if (cfg.settled.includes(txn.status)) {
        store.removeItem('stackpay.txn');
        $('checkout').hidden = true;
        show(
          txn.status === 'succeeded' ? 'Payment succeeded.' : `Payment ${txn.status}.`,
          txn.status === 'succeeded' ? 'info' : 'error',
        );
        return;
      }
    } catch (err) {
      show(describe(err), 'error');
      if (err instanceof ApiError && (err.status === 401 || err.status === 404)) return;
    }
    if (Date.now() - startedAt < cfg.pollLimitMs) poll(id, startedAt);
  }, cfg.pollIntervalMs);
}

$('pay-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = $('create');
  button.disabled = true;
  show('Creating the payment…', 'info');
  // One key per intended payment: a retry after a network error cannot create a second one.
  pendingKey = pendingKey || (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
  try {
    const txn = await api('/transactions/txn/', {
      method: 'POST',
      body: { amount: $('amount').value.trim() },
      headers: { 'Idempotency-Key': pendingKey },
    });
    pendingKey = null;
    render(txn);
    store.setItem('stackpay.txn', String(txn.id));
    if (cfg.mode === 'intention') {
      show('Redirecting to PayMob…', 'info');
      window.location.assign(txn.checkout_url);
      return;
    }
    const frame = $('checkout');
    frame.src = txn.checkout_url;
    frame.hidden = false;
    show('Complete the payment in the PayMob form below.', 'info');
    poll(txn.id, Date.now());
  } catch (err) {
    if (err instanceof ApiError) pendingKey = null;
    show(describe(err), 'error');
  } finally {
    button.disabled = false;
  }
});

(async () => {
  if (!token) return;
  if (!(await afterSignIn())) return;
  const resume = new URLSearchParams(window.location.search).get('txn') || store.getItem('stackpay.txn');
  if (resume && /^\d+$/.test(resume)) {
    show('Checking the payment…', 'info');
    poll(resume, Date.now());
  }
})();
