import { TRANSACTION_STATUSES } from '../../db/schema';
import { Badge, Empty } from '../common/components';
import { formatAmount } from '../common/format';
import { Layout, type PageContext, PageHead } from '../common/layout';
import { CHART_DAYS, niceCeiling, type PaymentSeries, toMajorUnits } from './chart';
import type { DashboardCounts } from './queries';

const numberFormat = new Intl.NumberFormat('en-US');
const compactFormat = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

function percent(rate: number | null): string {
  return rate === null ? '—' : `${Math.round(rate * 100)}%`;
}

// Chart geometry in SVG user units; the viewBox scales it to any width.
const WIDTH = 720;
const HEIGHT = 260;
const PLOT = { left: 56, right: 44, top: 16, bottom: 34 };
const GRID_STEPS = 4;
// With no volume at all the axis still reads as money (0 … 100), not as fractions of 1.
const EMPTY_AXIS_MAX = 100;

/** Bars: daily paid volume; line: daily success rate. Pure SVG, readable without scripts or styles. */
function PaymentsChart({ series }: { series: PaymentSeries }) {
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
  const slot = plotWidth / CHART_DAYS;
  const barWidth = slot * 0.68;
  const largest = Math.max(...series.days.map((d) => toMajorUnits(d.paidCents, series.currency)));
  const maxMajor = largest > 0 ? niceCeiling(largest) : EMPTY_AXIS_MAX;
  const y = (fraction: number) => PLOT.top + plotHeight * (1 - fraction);
  const ratePoints = series.days
    .map((d, i) =>
      d.successRate === null ? null : { x: PLOT.left + slot * (i + 0.5), y: y(d.successRate), d },
    )
    .filter((p) => p !== null);
  const currencyLabel = series.currency ?? '';
  const lastIndex = series.days.length - 1;

  return (
    <svg
      class="chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-labelledby="chart-title chart-desc"
      xmlns="http://www.w3.org/2000/svg"
    >
      <title id="chart-title">Payment volume and success rate, last {CHART_DAYS} days</title>
      <desc id="chart-desc">
        Bars show the daily volume of paid transactions in {currencyLabel || 'the main currency'}; the line
        shows the share of finished payments that succeeded. The table below the chart has the same data.
      </desc>
      {Array.from({ length: GRID_STEPS + 1 }, (_, i) => {
        const fraction = i / GRID_STEPS;
        return (
          <g>
            <line
              class="grid-line"
              x1={PLOT.left}
              x2={WIDTH - PLOT.right}
              y1={y(fraction)}
              y2={y(fraction)}
            />
            <text x={PLOT.left - 6} y={y(fraction) + 4} text-anchor="end">
              {compactFormat.format(maxMajor * fraction)}
            </text>
            <text x={WIDTH - PLOT.right + 6} y={y(fraction) + 4} text-anchor="start">
              {`${Math.round(fraction * 100)}%`}
            </text>
          </g>
        );
      })}
      {series.days.map((d, i) => {
        const major = toMajorUnits(d.paidCents, series.currency);
        const height = maxMajor > 0 ? (plotHeight * major) / maxMajor : 0;
        const x = PLOT.left + slot * i + (slot - barWidth) / 2;
        return (
          <g>
            <rect
              class={i === lastIndex ? 'bar bar-today' : 'bar'}
              x={x.toFixed(1)}
              y={(PLOT.top + plotHeight - height).toFixed(1)}
              width={barWidth.toFixed(1)}
              height={Math.max(height, d.paidCents > 0 ? 1 : 0).toFixed(1)}
              fill="#b8c9ff"
            >
              <title>
                {`${d.day}: ${d.paidCents > 0 ? formatAmount(d.paidCents, series.currency) : 'no volume'}; ` +
                  `${d.paid} paid of ${d.finished} finished (${percent(d.successRate)})`}
              </title>
            </rect>
            {i % 5 === 4 || i === 0 ? (
              <text x={(PLOT.left + slot * (i + 0.5)).toFixed(1)} y={HEIGHT - 12} text-anchor="middle">
                {d.day.slice(5)}
              </text>
            ) : null}
          </g>
        );
      })}
      {ratePoints.length > 1 ? (
        <polyline
          class="rate"
          fill="none"
          stroke="#0f7b3f"
          stroke-width="2"
          points={ratePoints.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')}
        />
      ) : null}
      {ratePoints.map((p) => (
        <circle class="rate-dot" cx={p.x.toFixed(1)} cy={p.y.toFixed(1)} r="3" fill="#0f7b3f">
          <title>{`${p.d.day}: ${percent(p.d.successRate)} success (${p.d.paid}/${p.d.finished})`}</title>
        </circle>
      ))}
    </svg>
  );
}

export interface DashboardProps {
  ctx: PageContext;
  counts: DashboardCounts;
  series: PaymentSeries;
}

export function DashboardPage({ ctx, counts, series }: DashboardProps) {
  const transactionTotal = Object.values(counts.transactionsByStatus).reduce((a, b) => a + b, 0);
  const overallRate = series.finished > 0 ? series.paid / series.finished : null;
  return (
    <Layout ctx={ctx} title="Dashboard" section="dashboard">
      <PageHead title="Dashboard" lead={`Signed in as ${ctx.username}. Figures are live; times are UTC.`} />
      <section class="cards" aria-label="Totals">
        <a class="card" href="/admin/users">
          <div class="label">Users</div>
          <div class="value">{numberFormat.format(counts.users)}</div>
          <div class="sub">{numberFormat.format(counts.activeUsers)} active</div>
        </a>
        <a class="card" href="/admin/customers">
          <div class="label">Customers</div>
          <div class="value">{numberFormat.format(counts.customers)}</div>
          <div class="sub">{numberFormat.format(counts.verifiedCustomers)} verified</div>
        </a>
        <a class="card" href="/admin/customers?kyc=pending">
          <div class="label">KYC pending</div>
          <div class="value">{numberFormat.format(counts.kycPending)}</div>
          <div class="sub">{numberFormat.format(counts.kycAwaitingReview)} with a document to review</div>
        </a>
        <a class="card" href="/admin/transactions?attention=1">
          <div class="label">Payments needing attention</div>
          <div class="value">{numberFormat.format(counts.needsAttention)}</div>
          <div class="sub">PayMob’s state unknown past the checkout’s expiry</div>
        </a>
        <a class="card" href="/admin/transactions">
          <div class="label">Transactions</div>
          <div class="value">{numberFormat.format(transactionTotal)}</div>
          <div class="sub">
            {percent(overallRate)} success, last {CHART_DAYS} days
          </div>
        </a>
      </section>

      <div class="grid">
        <section class="panel" aria-labelledby="by-status">
          <h2 id="by-status">Transactions by status</h2>
          <table>
            <tbody>
              {TRANSACTION_STATUSES.map((status) => (
                <tr>
                  <td>
                    <a href={`/admin/transactions?status=${status}`}>
                      <Badge value={status} />
                    </a>
                  </td>
                  <td class="num">{numberFormat.format(counts.transactionsByStatus[status])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section class="panel" aria-labelledby="volume">
          <h2 id="volume">Paid volume, last {CHART_DAYS} days</h2>
          {series.totals.length === 0 ? (
            <Empty>No paid transactions in the last {CHART_DAYS} days.</Empty>
          ) : (
            <table>
              <tbody>
                {series.totals.map((t) => (
                  <tr>
                    <td>{t.currency}</td>
                    <td class="num">{formatAmount(t.paidCents, t.currency)}</td>
                    <td class="num muted">{t.paid} paid</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>

      <section class="panel" aria-labelledby="chart-heading">
        <h2 id="chart-heading">
          Payments per day{series.currency ? ` (${series.currency})` : ''}: volume and success rate
        </h2>
        {/* A focusable scroll box: on a phone the chart scrolls sideways rather than shrinking its labels. */}
        <section class="chart-wrap" aria-label="Chart" tabindex={0}>
          <PaymentsChart series={series} />
        </section>
        <div class="legend">
          <span>
            <i class="l-bar" />
            Paid volume{series.currency ? ` in ${series.currency}` : ''} (before refunds)
          </span>
          <span>
            <i class="l-rate" />
            Success rate (paid ÷ finished, all currencies)
          </span>
        </div>
        <details>
          <summary>Show the data as a table</summary>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Day</th>
                  <th class="num">Paid volume</th>
                  <th class="num">Paid</th>
                  <th class="num">Finished</th>
                  <th class="num">Success rate</th>
                </tr>
              </thead>
              <tbody>
                {series.days.map((d) => (
                  <tr>
                    <td class="nowrap">{d.day}</td>
                    <td class="num">{series.currency ? formatAmount(d.paidCents, series.currency) : '—'}</td>
                    <td class="num">{d.paid}</td>
                    <td class="num">{d.finished}</td>
                    <td class="num">{percent(d.successRate)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
        <p class="muted small">
          Finished means succeeded, refunded, voided, failed or expired; pending payments are not counted
          until they finish.
        </p>
      </section>
    </Layout>
  );
}
