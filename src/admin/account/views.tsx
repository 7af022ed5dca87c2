import { raw } from 'hono/html';
import type { TotpEnrolment, TotpStatus } from '../../users/totp';
import { Badge, CsrfField, TextInput } from '../common/components';
import { Layout, type PageContext, PageHead } from '../common/layout';

// The QR code's drawn size (its SVG has only a viewBox, so it would otherwise fill the panel's width).
const QR_PIXELS = 200;

export interface AccountPageProps {
  ctx: PageContext;
  status: TotpStatus;
  /** The pending enrolment's QR code and secret, while one waits for its confirming code. */
  enrolment?: TotpEnrolment;
  /** ADMIN_REQUIRE_2FA applies and two-factor is off: nothing else opens until it is on. */
  mustEnrol: boolean;
}

/** The signed-in staff member's own account: two-factor status and enrolment (docs/accounts.md §3). */
export function AccountPage({ ctx, status, enrolment, mustEnrol }: AccountPageProps) {
  return (
    <Layout ctx={ctx} title="Your account">
      <PageHead title="Your account" lead={`Signed in as ${ctx.username} (${ctx.role}).`} />
      <section class="panel" aria-labelledby="two-factor">
        <h2 id="two-factor">Two-factor authentication</h2>
        {mustEnrol ? (
          <p class="flash flash-info" role="status">
            Administrators must use two-factor authentication. Set it up here to use the rest of the admin.
          </p>
        ) : null}
        {status.enabled ? (
          <p>
            <Badge value="active" label="On" /> Sign-in asks for a code from your authenticator app; refunds
            and voids ask again after 5 minutes. Recovery codes left:{' '}
            <strong id="recovery-codes-left">{status.recovery_codes_left}</strong>. An administrator can reset
            it if you lose your device.
          </p>
        ) : enrolment ? (
          <Enrolment ctx={ctx} enrolment={enrolment} />
        ) : (
          <>
            <p>
              <Badge value="inactive" label="Off" /> Protect your account with a 6-digit code from an
              authenticator app (any app that supports TOTP).
            </p>
            <form method="post" action="/admin/account/2fa/start">
              <CsrfField token={ctx.csrfToken} />
              <button type="submit">Set up two-factor authentication</button>
            </form>
          </>
        )}
      </section>
    </Layout>
  );
}

function Enrolment({ ctx, enrolment }: { ctx: PageContext; enrolment: TotpEnrolment }) {
  return (
    <>
      <ol>
        <li>Scan this QR code with your authenticator app, or type the key below into it.</li>
        <li>Enter the 6-digit code the app shows to turn two-factor on.</li>
      </ol>
      {/* The SVG is generated here from the otpauth URI (uqr): no external service sees the secret. */}
      <div class="qr" role="img" aria-label="QR code of the two-factor key">
        {raw(enrolment.qr_svg.replace('<svg ', `<svg width="${QR_PIXELS}" height="${QR_PIXELS}" `))}
      </div>
      <p>
        Key: <code id="totp-secret">{enrolment.secret}</code>
      </p>
      <form method="post" action="/admin/account/2fa/confirm">
        <CsrfField token={ctx.csrfToken} />
        <TextInput
          name="code"
          label="Code from the app"
          autocomplete="one-time-code"
          maxlength={6}
          required
        />
        <div class="actions">
          <button type="submit">Turn on two-factor</button>
        </div>
      </form>
      <form method="post" action="/admin/account/2fa/start">
        <CsrfField token={ctx.csrfToken} />
        <button type="submit" class="button-secondary">
          Start again with a new key
        </button>
      </form>
    </>
  );
}

/** Shown once, right after enrolment: the recovery codes are stored only as HMACs. */
export function RecoveryCodesPage({ ctx, codes }: { ctx: PageContext; codes: string[] }) {
  return (
    <Layout ctx={ctx} title="Recovery codes">
      <PageHead title="Two-factor authentication is on" />
      <section class="panel" aria-labelledby="recovery">
        <h2 id="recovery">Your recovery codes</h2>
        <p>
          <strong>Save these codes now; they are not shown again.</strong> Each one signs you in once in place
          of a code from the app, if you lose your device.
        </p>
        <ol id="recovery-codes" class="mono">
          {codes.map((code) => (
            <li>{code}</li>
          ))}
        </ol>
        <p>
          <a class="button" href="/admin/">
            I have saved them — continue
          </a>
        </p>
      </section>
    </Layout>
  );
}
