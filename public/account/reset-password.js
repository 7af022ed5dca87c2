// The password-reset page's script (docs/accounts.md §1), served as a static asset: the page
// (src/users/password-reset-page.ts) allows only this origin's scripts. The token arrives in the link's
// fragment (#token=…), is removed from the address bar at once, and is sent only to the confirm endpoint.

const CONFIRM = '/api/v1/users/password-reset/confirm/';
const $ = (id) => document.getElementById(id);

function tokenFromFragment() {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const token = params.get('token');
  if (token) window.history.replaceState(null, '', window.location.pathname);
  return token || '';
}

function show(text, kind) {
  const box = $('message');
  box.textContent = text;
  box.className = `message ${kind}`;
  box.hidden = !text;
}

/** A readable sentence for a problem+json answer (docs/api.md §1). */
function explain(status, problem) {
  if (problem?.errors) {
    return Object.values(problem.errors).flat().join(' ');
  }
  if (status === 429) return 'Too many attempts. Wait a minute and try again.';
  return problem?.detail || `The request failed (HTTP ${status}).`;
}

const fromLink = tokenFromFragment();
if (fromLink) $('token').value = fromLink;
else $('token').closest('details').open = true;

$('reset-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const password = $('password').value;
  if (password !== $('password-again').value) {
    show('The two passwords differ.', 'error');
    return;
  }
  const token = $('token').value.trim();
  if (!token) {
    show('The reset code is missing: open the link from the e-mail again, or paste the code.', 'error');
    return;
  }
  $('submit').disabled = true;
  try {
    const response = await fetch(CONFIRM, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token, password }),
      credentials: 'omit',
    });
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      $('reset').hidden = true;
      show(body.detail || 'Your password has been reset.', 'info');
      return;
    }
    show(explain(response.status, body), 'error');
  } catch {
    show('The server could not be reached. Check the connection and try again.', 'error');
  } finally {
    $('submit').disabled = false;
  }
});
