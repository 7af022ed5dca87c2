import type { TotpStatus } from '../../users/totp';
import type { Profile } from '../../users/view';
import { Badge, CsrfField } from '../common/components';
import { Layout, type PageContext, PageHead } from '../common/layout';

/**
 * ADMIN only: one user's sign-in security (docs/accounts.md §3) — their two-factor status with a reset, and
 * a password-reset e-mail (docs/accounts.md §1). Both are audit-logged.
 */
export function UserSecurityPage({ ctx, user, totp }: { ctx: PageContext; user: Profile; totp: TotpStatus }) {
  const base = `/admin/users/${user.id}`;
  return (
    <Layout ctx={ctx} title={`Security of ${user.username}`} section="users">
      <PageHead
        title={`Security of ${user.username}`}
        crumbs={
          <>
            <a href="/admin/users">Users</a> / #{user.id}
          </>
        }
        lead={`${user.email} · ${user.role_management} · ${user.is_active ? 'active' : 'inactive'}`}
      />
      <section class="panel" aria-labelledby="user-two-factor">
        <h2 id="user-two-factor">Two-factor authentication</h2>
        <p id="user-totp-status">
          {totp.enabled ? (
            <>
              <Badge value="active" label="On" /> {totp.recovery_codes_left} recovery codes left.
            </>
          ) : totp.pending ? (
            <Badge value="pending" label="Set-up started, not confirmed" />
          ) : (
            <Badge value="inactive" label="Off" />
          )}
        </p>
        {totp.enabled || totp.pending ? (
          <form method="post" action={`${base}/totp-reset`} class="actions">
            <CsrfField token={ctx.csrfToken} />
            <p class="muted small">
              For a user who lost their device: removes the key and the recovery codes; they set it up again
              at their next sign-in.
            </p>
            <button type="submit" class="button-danger">
              Reset two-factor
            </button>
          </form>
        ) : null}
      </section>
      <section class="panel" aria-labelledby="user-password">
        <h2 id="user-password">Password</h2>
        <form method="post" action={`${base}/password-reset`} class="actions">
          <CsrfField token={ctx.csrfToken} />
          <p class="muted small">
            E-mails {user.email} a single-use link to choose a new password (valid 30 minutes). Nobody else
            sees or chooses the password.
          </p>
          <button type="submit" class="button-secondary">
            Send a password-reset e-mail
          </button>
        </form>
      </section>
    </Layout>
  );
}
