import { type Flash, FlashMessage, TextInput } from '../common/components';
import { CSRF_FIELD } from '../common/csrf';
import { BareLayout } from '../common/layout';

export interface SignInProps {
  csrfToken: string;
  /** Where to go after signing in (a local /admin path). */
  next?: string;
  username?: string;
  flash?: Flash;
}

/** `/admin/` without a session. Works without JavaScript; the password manager hints are set. */
export function SignInPage({ csrfToken, next, username, flash }: SignInProps) {
  return (
    <BareLayout title="Sign in">
      <div class="signin">
        <div class="brand-big">StackPay</div>
        <div class="panel">
          <h1>Admin sign-in</h1>
          <FlashMessage flash={flash} />
          <form method="post" action="/admin/">
            <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
            {next ? <input type="hidden" name="next" value={next} /> : null}
            <TextInput
              name="username"
              label="Username"
              value={username}
              autocomplete="username"
              maxlength={150}
              required
            />
            <TextInput
              name="password"
              label="Password"
              type="password"
              autocomplete="current-password"
              maxlength={128}
              required
            />
            <button type="submit">Sign in</button>
          </form>
        </div>
        <p class="muted small">For StackPay staff and administrators only.</p>
      </div>
    </BareLayout>
  );
}

export interface SecondFactorProps {
  csrfToken: string;
  next?: string;
  flash?: Flash;
}

/**
 * The second sign-in step (docs/accounts.md §3): the password was right and the account has two-factor on.
 * Takes a 6-digit code from the app or a recovery code; "cancel" ends the half-open session.
 */
export function SecondFactorPage({ csrfToken, next, flash }: SecondFactorProps) {
  return (
    <BareLayout title="Two-factor code">
      <div class="signin">
        <div class="brand-big">StackPay</div>
        <div class="panel">
          <h1>Two-factor code</h1>
          <FlashMessage flash={flash} />
          <p class="muted small">
            Enter the 6-digit code from your authenticator app, or one of your recovery codes.
          </p>
          <form method="post" action="/admin/sign-in/code">
            <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
            {next ? <input type="hidden" name="next" value={next} /> : null}
            <TextInput name="code" label="Code" autocomplete="one-time-code" maxlength={32} required />
            <button type="submit">Verify</button>
          </form>
          <form method="post" action="/admin/sign-in/cancel">
            <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
            <button type="submit" class="button-secondary">
              Cancel and sign out
            </button>
          </form>
        </div>
      </div>
    </BareLayout>
  );
}
