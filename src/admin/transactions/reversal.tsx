import { formatMinor, isCurrency } from '../../lib/money';
import { Badge, CsrfField, TextInput } from '../common/components';
import { formatAmount } from '../common/format';
import { Layout, type PageContext, PageHead } from '../common/layout';
import type { TransactionDetail } from './queries';

/** Minor units as a plain decimal for a form field (no grouping: it is parsed again). */
function plainAmount(minor: number, currency: string): string {
  return isCurrency(currency) ? formatMinor(minor, currency) : String(minor);
}

/**
 * ADMIN only: the first step of a refund or void. Both are GET forms to a confirmation page; only its POST
 * moves money. Shown for succeeded payments (the service decides, and refuses anything else with 409).
 */
export function ReversalPanel({ ctx, transaction: t }: { ctx: PageContext; transaction: TransactionDetail }) {
  if (ctx.role !== 'ADMIN') return null;
  const remaining = t.amountCents - t.refundedCents - t.heldCents;
  return (
    <section class="panel" aria-labelledby="reversal">
      <h2 id="reversal">Refund or void</h2>
      {t.status !== 'succeeded' ? (
        <p class="muted">Only a succeeded payment can be refunded or voided; this one is {t.status}.</p>
      ) : (
        <>
          <form method="get" action={`/admin/transactions/${t.id}/refund`} class="field">
            <label for="refund-amount">
              Refund amount in {t.currency} (empty: everything not refunded yet,{' '}
              {formatAmount(remaining, t.currency)})
            </label>
            <div class="actions">
              <input
                id="refund-amount"
                type="text"
                name="amount"
                inputmode="decimal"
                placeholder={plainAmount(remaining, t.currency)}
                maxlength={20}
              />
              <button type="submit" class="button-danger">
                Review refund…
              </button>
            </div>
          </form>
          <form method="get" action={`/admin/transactions/${t.id}/void`} class="field">
            <p class="muted small">
              A void cancels the whole payment; PayMob allows it only on the day of the payment and before any
              refund.
            </p>
            <button type="submit" class="button-secondary">
              Review void…
            </button>
          </form>
        </>
      )}
    </section>
  );
}

export interface ReversalConfirmProps {
  ctx: PageContext;
  transaction: TransactionDetail;
  kind: 'refund' | 'void';
  /** What the admin typed for a refund (the service checks it); empty means everything remaining. */
  amount: string;
  nonce: string;
  /** Step-up (docs/accounts.md §3): the user has two-factor on and entered no code in the last 5 minutes. */
  askCode?: boolean;
}

/** The second step: says exactly what will happen, and only its POST calls PayMob. */
export function ReversalConfirmPage({
  ctx,
  transaction: t,
  kind,
  amount,
  nonce,
  askCode,
}: ReversalConfirmProps) {
  const remaining = t.amountCents - t.refundedCents - t.heldCents;
  const what =
    kind === 'void'
      ? `void the whole payment of ${formatAmount(t.amountCents, t.currency)}`
      : amount === ''
        ? `refund everything not refunded yet: ${formatAmount(remaining, t.currency)}`
        : `refund ${amount} ${t.currency}`;
  const title = kind === 'refund' ? `Refund transaction #${t.id}` : `Void transaction #${t.id}`;
  return (
    <Layout ctx={ctx} title={title} section="transactions">
      <PageHead
        title={title}
        crumbs={
          <>
            <a href="/admin/transactions">Transactions</a> /{' '}
            <a href={`/admin/transactions/${t.id}`}>#{t.id}</a> / {kind}
          </>
        }
      />
      <section class="panel" aria-labelledby="confirm">
        <h2 id="confirm">Please confirm</h2>
        <dl class="fields">
          <dt>Merchant order id</dt>
          <dd class="mono">{t.merchantOrderId}</dd>
          <dt>Customer</dt>
          <dd>{t.customerName ?? (t.customerId === null ? 'Payment link payer' : `#${t.customerId}`)}</dd>
          <dt>Paid</dt>
          <dd>{formatAmount(t.amountCents, t.currency)}</dd>
          <dt>Refunded so far</dt>
          <dd>{formatAmount(t.refundedCents, t.currency)}</dd>
          <dt>Status</dt>
          <dd>
            <Badge value={t.status} />
          </dd>
        </dl>
        <p>
          <strong>You are about to {what}.</strong> StackPay asks PayMob to do it at once; it cannot be undone
          here, and it is recorded in the audit log under your name.
        </p>
        <form method="post" action={`/admin/transactions/${t.id}/${kind}`} class="actions">
          <CsrfField token={ctx.csrfToken} />
          <input type="hidden" name="confirmation" value={nonce} />
          {kind === 'refund' ? <input type="hidden" name="amount" value={amount} /> : null}
          {askCode ? (
            <TextInput
              name="code"
              label="Two-factor code (a fresh code is needed for refunds and voids)"
              autocomplete="one-time-code"
              maxlength={32}
              required
            />
          ) : null}
          <button type="submit" class="button-danger">
            {kind === 'refund' ? 'Confirm refund' : 'Confirm void'}
          </button>
          <a class="button button-secondary" href={`/admin/transactions/${t.id}`}>
            Cancel
          </a>
        </form>
      </section>
    </Layout>
  );
}
