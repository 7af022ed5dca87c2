import { Hono } from 'hono';
import { AppError } from '../../lib/errors';
import { PASSWORD_MAX_LENGTH } from '../../users/password-policy';
import { checkPasswordToken, setPasswordWithToken } from '../../users/password-tokens';
import { FlashMessage, TextInput } from '../common/components';
import { isCrossOrigin } from '../common/csrf';
import { formRefusal } from '../common/forms';
import { type AdminContext, type AdminEnv, page, readForm } from '../common/http';
import { BareLayout } from '../common/layout';

/**
 * The page a "set your password" e-mail links to (docs/admin.md §1): GET shows the form for a live token, POST
 * sets the password through the users service (password policy, single use, account activated). No session:
 * the 256-bit token in the link is the credential. The page sends no Referer (the token is in its URL) and
 * has the admin's strict CSP; it needs no script.
 */
export const setPasswordRoutes = new Hono<AdminEnv>();

const TOKEN_MAX = 64; // a token is 43 characters; anything longer is not one

function SetPasswordPage({
  token,
  username,
  errors,
  message,
}: {
  token: string;
  username: string;
  errors?: string[];
  message?: string;
}) {
  return (
    <BareLayout title="Set your password">
      <div class="signin">
        <div class="brand-big">StackPay</div>
        <div class="panel">
          <h1>Set your password</h1>
          <p>
            Choose the password for <strong>{username}</strong>. At least 8 characters, starting with a
            capital letter, with a lowercase letter, a digit and a punctuation character, and no spaces.
          </p>
          {message ? <FlashMessage flash={{ kind: 'error', message }} /> : null}
          <form method="post" action="/admin/set-password">
            <input type="hidden" name="token" value={token} />
            {/* For password managers: which account this password belongs to. */}
            <input type="hidden" name="username" value={username} autocomplete="username" />
            <TextInput
              name="password"
              label="New password"
              type="password"
              autocomplete="new-password"
              maxlength={PASSWORD_MAX_LENGTH}
              errors={errors}
              required
            />
            <button type="submit">Set password</button>
          </form>
        </div>
      </div>
    </BareLayout>
  );
}

function Outcome({ title, text, signIn }: { title: string; text: string; signIn: boolean }) {
  return (
    <BareLayout title={title}>
      <div class="signin">
        <div class="brand-big">StackPay</div>
        <div class="panel">
          <h1>{title}</h1>
          <p>{text}</p>
          {signIn ? <a href="/admin/">Sign in to the admin</a> : null}
        </div>
      </div>
    </BareLayout>
  );
}

function invalidLink(c: AdminContext, err: AppError) {
  return page(c, Outcome({ title: 'This link does not work', text: err.message, signIn: false }), 400);
}

setPasswordRoutes.use('/set-password', async (c, next) => {
  await next();
  // The token is in the page's address: never send it on as a Referer (applySecurityHeaders keeps this).
  c.header('Referrer-Policy', 'no-referrer');
});

setPasswordRoutes.get('/set-password', async (c) => {
  const token = (c.req.query('token') ?? '').slice(0, TOKEN_MAX);
  const outcome = await formRefusal(() => checkPasswordToken(c.var.ctx, { token, purpose: 'set_password' }));
  if ('refused' in outcome) return invalidLink(c, outcome.refused);
  return page(c, SetPasswordPage({ token, username: outcome.value.username }));
});

setPasswordRoutes.post('/set-password', async (c) => {
  // A page without a Referer posts with `Origin: null`; any real other origin is refused.
  const origin = c.req.header('Origin');
  if (origin !== 'null' && isCrossOrigin(origin, c.req.url)) {
    throw new AppError(403, 'csrf_failed', 'This form was not sent from this site.');
  }
  const form = await readForm(c);
  const token = (form.token ?? '').slice(0, TOKEN_MAX);
  const password = form.password ?? '';
  const outcome = await formRefusal(() => setPasswordWithToken(c.var.ctx, { token, password }));
  if ('refused' in outcome) {
    const err = outcome.refused;
    if (err.code !== 'validation_error') return invalidLink(c, err);
    // The policy refused the password: the token is still live, so the form comes back with the reasons.
    const owner = await formRefusal(() => checkPasswordToken(c.var.ctx, { token, purpose: 'set_password' }));
    if ('refused' in owner) return invalidLink(c, owner.refused);
    return page(
      c,
      SetPasswordPage({
        token,
        username: owner.value.username,
        errors: err.errors?.password,
        message: 'Choose another password.',
      }),
      400,
    );
  }
  return page(
    c,
    Outcome({
      title: 'Your password is set',
      text: `Welcome, ${outcome.value.username}. You can now sign in with your username and the password you chose.`,
      signIn: true,
    }),
  );
});
