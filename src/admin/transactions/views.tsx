import { TRANSACTION_STATUSES } from '../../db/schema';
import { type AuditRow, auditActorLabel } from '../audit/queries';
import { Badge, choices, Empty, Select, TextInput, Time } from '../common/components';
import { formatAmount, humanize } from '../common/format';
import { Layout, type PageContext, PageHead } from '../common/layout';
import { type Column, DataTable, ListPage } from '../common/list';
import type { ListResult } from '../common/queries';
import { PaymentMethodData } from './methods';
import type { PaymentEventRow, TransactionDetail, TransactionListRow } from './queries';
import { ReversalPanel } from './reversal';

const TRANSACTION_COLUMNS: Column<TransactionListRow>[] = [
  { header: 'Id', num: true, cell: (t) => <a href={`/admin/transactions/${t.id}`}>{t.id}</a> },
  {
    header: 'Merchant order',
    class: 'mono nowrap',
    cell: (t) => <a href={`/admin/transactions/${t.id}`}>{t.merchantOrderId}</a>,
  },
  {
    header: 'Customer',
    cell: (t) => (
      <>
        {t.customerId === null ? (
          'Payment link payer'
        ) : (
          <a href={`/admin/customers/${t.customerId}`}>{t.customerName ?? `#${t.customerId}`}</a>
        )}
        {t.customerEmail ? <div class="muted small">{t.customerEmail}</div> : null}
      </>
    ),
  },
  {
    header: 'Amount',
    num: true,
    class: 'num nowrap',
    cell: (t) => formatAmount(t.amountCents, t.currency),
  },
  {
    header: 'Status',
    cell: (t) => (
      <>
        <Badge value={t.status} />
        {t.needsAttention ? (
          <>
            {' '}
            <Badge value="needs_attention" />
          </>
        ) : null}
      </>
    ),
  },
  {
    header: 'Method',
    cell: (t) =>
      t.methodType ? <span data-testid="method-type">{t.methodType}</span> : <span class="muted">—</span>,
  },
  {
    header: 'Payment link',
    cell: (t) =>
      t.paymentLinkId === null ? (
        <span class="muted">—</span>
      ) : (
        <a href={`/admin/payment-links/${t.paymentLinkId}`} data-testid="payment-link">
          Link #{t.paymentLinkId}
        </a>
      ),
  },
  {
    header: 'Refunded',
    num: true,
    class: 'num nowrap',
    cell: (t) =>
      t.refundedCents > 0 ? formatAmount(t.refundedCents, t.currency) : <span class="muted">—</span>,
  },
  { header: 'Created', cell: (t) => <Time value={t.createdAt} /> },
];

const columnsFor = (showCustomer: boolean) =>
  showCustomer ? TRANSACTION_COLUMNS : TRANSACTION_COLUMNS.filter((c) => c.header !== 'Customer');

/** A customer's latest transactions (on their page): the list's table without the customer column. */
export function TransactionsTable({ rows }: { rows: TransactionListRow[] }) {
  if (rows.length === 0) return <Empty>No transactions.</Empty>;
  return <DataTable label="Transactions" columns={columnsFor(false)} rows={rows} />;
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
    <ListPage
      csv
      ctx={ctx}
      section="transactions"
      title="Transactions"
      lead="Newest first. Dates are UTC days; both ends are included."
      url={url}
      filters={
        <>
          <Select
            name="status"
            label="Status"
            value={values.status}
            options={choices('Any status', TRANSACTION_STATUSES)}
          />
          <TextInput name="from" label="Created from" type="date" value={values.from} />
          <TextInput name="to" label="Created to" type="date" value={values.to} />
          <TextInput name="customer" label="Customer id" value={values.customer} />
          <TextInput name="reference" label="Order or PayMob id" value={values.reference} />
          <Select
            name="attention"
            label="Needs attention"
            value={values.attention}
            options={choices('Any', ['1'], () => 'Only payments needing attention')}
          />
        </>
      }
      columns={columnsFor(true)}
      result={result}
      page={page}
      pageSize={pageSize}
      empty="No transactions match these filters."
    />
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
        <strong>{entry.action}</strong> by {auditActorLabel(entry) ?? 'the system'}
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

export interface TransactionPageProps {
  ctx: PageContext;
  transaction: TransactionDetail;
  audit: AuditRow[];
}

type TimelineEntry =
  | { at: Date; kind: 'created' }
  | { at: Date; kind: 'event'; event: PaymentEventRow }
  | { at: Date; kind: 'audit'; entry: AuditRow };

/** The merchant's own data on the payment (docs/api.md §4.9), shown only when there is some. */
function MerchantData({ transaction: t }: { transaction: TransactionPageProps['transaction'] }) {
  const metadata =
    t.metadata && typeof t.metadata === 'object' && !Array.isArray(t.metadata)
      ? Object.entries(t.metadata as Record<string, unknown>)
      : [];
  return (
    <>
      {t.merchantReference ? (
        <>
          <dt>Merchant reference</dt>
          <dd class="mono" data-testid="merchant-reference">
            {t.merchantReference}
          </dd>
        </>
      ) : null}
      {t.description ? (
        <>
          <dt>Description</dt>
          <dd>{t.description}</dd>
        </>
      ) : null}
      {t.returnUrl ? (
        <>
          <dt>Return URL</dt>
          <dd class="mono">{t.returnUrl}</dd>
        </>
      ) : null}
      {metadata.length > 0 ? (
        <>
          <dt>Metadata</dt>
          <dd data-testid="metadata">
            {metadata.map(([key, value]) => (
              <div>
                <span class="mono">{key}</span>: {String(value)}
              </div>
            ))}
          </dd>
        </>
      ) : null}
    </>
  );
}

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
            <MerchantData transaction={t} />
            <dt>Customer</dt>
            <dd>
              {t.customerId === null ? (
                'Payment link payer'
              ) : (
                <a href={`/admin/customers/${t.customerId}`}>{t.customerName ?? `#${t.customerId}`}</a>
              )}
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
            <PaymentMethodData transaction={t} />
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
