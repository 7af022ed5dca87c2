import { TRANSACTION_STATUSES } from '../../db/schema';
import { formatMinor, isCurrency } from '../../lib/money';
import { formatAmount, humanize } from '../format';
import type {
  AuditRow,
  ListResult,
  PaymentEventRow,
  TransactionDetail,
  TransactionListRow,
} from '../queries';
import {
  Badge,
  CsrfField,
  Empty,
  Filters,
  Pager,
  PastTheEnd,
  Select,
  TableWrap,
  TextInput,
  Time,
} from './components';
import { Layout, type PageContext, PageHead } from './layout';

export function TransactionsTable({
  rows,
  showCustomer,
}: {
  rows: TransactionListRow[];
  showCustomer: boolean;
}) {
  if (rows.length === 0) return <Empty>No transactions.</Empty>;
  return (
    <TableWrap label="Transactions">
      <table>
        <thead>
          <tr>
            <th class="num">Id</th>
            <th>Merchant order</th>
            {showCustomer ? <th>Customer</th> : null}
            <th class="num">Amount</th>
            <th>Status</th>
            <th class="num">Refunded</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr>
              <td class="num">
                <a href={`/admin/transactions/${t.id}`}>{t.id}</a>
              </td>
              <td class="mono nowrap">
                <a href={`/admin/transactions/${t.id}`}>{t.merchantOrderId}</a>
              </td>
              {showCustomer ? (
                <td>
                  <a href={`/admin/customers/${t.customerId}`}>{t.customerName ?? `#${t.customerId}`}</a>
                  {t.customerEmail ? <div class="muted small">{t.customerEmail}</div> : null}
                </td>
              ) : null}
              <td class="num nowrap">{formatAmount(t.amountCents, t.currency)}</td>
              <td>
                <Badge value={t.status} />
                {t.needsAttention ? (
                  <>
                    {' '}
                    <Badge value="needs_attention" />
                  </>
                ) : null}
              </td>
              <td class="num nowrap">
                {t.refundedCents > 0 ? (
                  formatAmount(t.refundedCents, t.currency)
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
              <td>
                <Time value={t.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export interface TransactionFilterValues {
  status?: string;
  from?: string;
  to?: string;
  customer?: string;
  reference?: string;
  attention?: string;
}

export interface TransactionsPageProps {
  ctx: PageContext;
  url: URL;
  values: TransactionFilterValues;
  result: ListResult<TransactionListRow>;
  page: number;
  pageSize: number;
}

export function TransactionsPage({ ctx, url, values, result, page, pageSize }: TransactionsPageProps) {
  return (
    <Layout ctx={ctx} title="Transactions" section="transactions">
      <PageHead title="Transactions" lead="Newest first. Dates are UTC days; both ends are included." />
      <Filters action="/admin/transactions">
        <Select
          name="status"
          label="Status"
          value={values.status}
          options={[
            { value: '', label: 'Any status' },
            ...TRANSACTION_STATUSES.map((s) => ({ value: s, label: humanize(s) })),
          ]}
        />
        <TextInput name="from" label="Created from" type="date" value={values.from} />
        <TextInput name="to" label="Created to" type="date" value={values.to} />
        <TextInput name="customer" label="Customer id" value={values.customer} />
        <TextInput name="reference" label="Order or PayMob id" value={values.reference} />
        <Select
          name="attention"
          label="Needs attention"
          value={values.attention}
          options={[
            { value: '', label: 'Any' },
            { value: '1', label: 'Only payments needing attention' },
          ]}
        />
      </Filters>
      {result.rows.length === 0 && page > 1 ? (
        <PastTheEnd url={url} />
      ) : result.rows.length === 0 ? (
        <Empty>No transactions match these filters.</Empty>
      ) : (
        <TransactionsTable rows={result.rows} showCustomer />
      )}
      <Pager url={url} page={page} pageSize={pageSize} total={result.total} shown={result.rows.length} />
    </Layout>
  );
}

function flag(value: boolean | null, label: string) {
  return value ? <Badge value="pending" label={label} /> : null;
}

function EventItem({ event }: { event: PaymentEventRow }) {
  return (
    <li>
      <div class="when">
        <Time value={event.receivedAt} /> · {humanize(event.source)}
      </div>
      <div>
        <strong>{humanize(event.kind)}</strong> <Badge value={event.outcome} />{' '}
        {event.success === true ? <Badge value="succeeded" label="success" /> : null}
        {event.success === false && !event.pending ? <Badge value="failed" label="not successful" /> : null}
        {flag(event.pending, 'pending')} {flag(event.isRefunded, 'refunded')} {flag(event.isVoided, 'voided')}{' '}
        {flag(event.hasParentTransaction, 'child transaction')}
      </div>
      <div class="small">
        PayMob transaction <span class="mono">{event.paymobTransactionId}</span>
        {event.amountCents !== null ? ` · ${formatAmount(event.amountCents, event.currency)}` : ''}
        {event.message ? ` · ${event.message}` : ''}
      </div>
      <details>
        <summary>Stored callback body</summary>
        <pre>{JSON.stringify(event.rawBody, null, 2)}</pre>
      </details>
    </li>
  );
}

function AuditItem({ entry }: { entry: AuditRow }) {
  return (
    <li>
      <div class="when">
        <Time value={entry.createdAt} /> · audit log
      </div>
      <div>
        <strong>{entry.action}</strong> by{' '}
        {entry.actorUsername ?? (entry.actorUserId ? `user #${entry.actorUserId}` : 'the system')}
      </div>
      {entry.details ? (
        <details>
          <summary>Audit details</summary>
          <pre>{JSON.stringify(entry.details, null, 2)}</pre>
        </details>
      ) : null}
    </li>
  );
}

/** Minor units as a plain decimal for a form field (no grouping: it is parsed again). */
function plainAmount(minor: number, currency: string): string {
  return isCurrency(currency) ? formatMinor(minor, currency) : String(minor);
}

/**
 * ADMIN only: the first step of a refund or void. Both are GET forms to a confirmation page; only its POST
 * moves money. Shown for succeeded payments (the service decides, and refuses anything else with 409).
 */
function ReversalPanel({ ctx, transaction: t }: { ctx: PageContext; transaction: TransactionDetail }) {
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
}

/** The second step: says exactly what will happen, and only its POST calls PayMob. */
export function ReversalConfirmPage({ ctx, transaction: t, kind, amount, nonce }: ReversalConfirmProps) {
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
          <dd>{t.customerName ?? `#${t.customerId}`}</dd>
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

export interface TransactionPageProps {
  ctx: PageContext;
  transaction: TransactionDetail;
  audit: AuditRow[];
}

type TimelineEntry =
  | { at: Date; kind: 'created' }
  | { at: Date; kind: 'event'; event: PaymentEventRow }
  | { at: Date; kind: 'audit'; entry: AuditRow };

export function TransactionPage({ ctx, transaction: t, audit }: TransactionPageProps) {
  const timeline: TimelineEntry[] = [
    { at: t.createdAt, kind: 'created' as const },
    ...t.events.map((event) => ({ at: event.receivedAt, kind: 'event' as const, event })),
    ...audit.map((entry) => ({ at: entry.createdAt, kind: 'audit' as const, entry })),
  ].sort((a, b) => a.at.getTime() - b.at.getTime());
  const title = `Transaction #${t.id}`;
  return (
    <Layout ctx={ctx} title={title} section="transactions">
      <PageHead
        title={title}
        crumbs={
          <>
            <a href="/admin/transactions">Transactions</a> / #{t.id}
          </>
        }
        lead={
          <>
            <Badge value={t.status} /> {formatAmount(t.amountCents, t.currency)}
          </>
        }
      />
      <div class="grid">
        <section class="panel" aria-labelledby="details">
          <h2 id="details">Details</h2>
          <dl class="fields">
            <dt>Merchant order id</dt>
            <dd class="mono">{t.merchantOrderId}</dd>
            <dt>Customer</dt>
            <dd>
              <a href={`/admin/customers/${t.customerId}`}>{t.customerName ?? `#${t.customerId}`}</a>
              {t.customerEmail ? <span class="muted"> · {t.customerEmail}</span> : null}
            </dd>
            <dt>Amount</dt>
            <dd>{formatAmount(t.amountCents, t.currency)}</dd>
            <dt>Refunded</dt>
            <dd>{formatAmount(t.refundedCents, t.currency)}</dd>
            {t.unknownCents > 0 ? (
              <>
                <dt>Refund outcome unknown</dt>
                <dd>
                  <strong>{formatAmount(t.unknownCents, t.currency)}: outcome unknown — check PayMob.</strong>{' '}
                  PayMob's answer to the refund was lost or unreadable; the amount stays held until PayMob
                  reports the refund.
                </dd>
              </>
            ) : null}
            {t.heldCents - t.unknownCents > 0 ? (
              <>
                <dt>Refunds in progress</dt>
                <dd>{formatAmount(t.heldCents - t.unknownCents, t.currency)}</dd>
              </>
            ) : null}
            <dt>Status</dt>
            <dd>
              <Badge value={t.status} />
            </dd>
            {t.needsAttention ? (
              <>
                <dt>
                  <Badge value="needs_attention" />
                </dt>
                <dd>
                  {t.attentionReason ?? 'PayMob’s state is unknown.'} Check this payment in PayMob’s
                  dashboard: it is not expired while PayMob’s answer proves nothing.
                </dd>
              </>
            ) : null}
            {t.failureReason ? (
              <>
                <dt>Failure reason</dt>
                <dd>{t.failureReason}</dd>
              </>
            ) : null}
            <dt>PayMob order</dt>
            <dd class="mono">{t.paymobOrderId ?? '—'}</dd>
            <dt>PayMob transaction</dt>
            <dd class="mono">{t.paymobTransactionId ?? '—'}</dd>
            <dt>Checkout flow</dt>
            <dd>{humanize(t.apiMode)}</dd>
            <dt>Payment key expires</dt>
            <dd>
              <Time value={t.paymentKeyExpiresAt} />
            </dd>
            <dt>Created</dt>
            <dd>
              <Time value={t.createdAt} />
            </dd>
            <dt>Updated</dt>
            <dd>
              <Time value={t.updatedAt} />
            </dd>
          </dl>
        </section>
        <ReversalPanel ctx={ctx} transaction={t} />
      </div>
      <section class="panel" aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        <p class="muted small">
          Every stored PayMob callback and inquiry answer for this payment ({t.events.length}), with the
          audit-log entries about it, oldest first.
        </p>
        <ol class="timeline">
          {timeline.map((item) =>
            item.kind === 'created' ? (
              <li>
                <div class="when">
                  <Time value={item.at} />
                </div>
                <div>
                  <strong>Created</strong> for {formatAmount(t.amountCents, t.currency)}
                </div>
              </li>
            ) : item.kind === 'event' ? (
              <EventItem event={item.event} />
            ) : (
              <AuditItem entry={item.entry} />
            ),
          )}
        </ol>
      </section>
    </Layout>
  );
}
