import { isCurrency, minorDigits } from '../../lib/money';
import type { DailyPayments } from './queries';

/** The dashboard chart covers this many UTC days, today included. */
export const CHART_DAYS = 30;

export interface ChartDay {
  day: string;
  finished: number;
  paid: number;
  /** Paid volume in the charted currency, minor units. */
  paidCents: number;
  /** paid / finished, or null when nothing finished that day. */
  successRate: number | null;
}

export interface PaymentSeries {
  /** Volumes of different currencies cannot be added: the chart shows the one with the most volume. */
  currency: string | null;
  days: ChartDay[];
  /** 30-day paid volume per currency, largest first. */
  totals: Array<{ currency: string; paidCents: number; paid: number }>;
  finished: number;
  paid: number;
}

/** The first instant of the first charted day (UTC midnight, CHART_DAYS - 1 days before today). */
export function chartStart(now: Date): Date {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  start.setUTCDate(start.getUTCDate() - (CHART_DAYS - 1));
  return start;
}

/** Turns the per-day, per-currency rows into one series of CHART_DAYS days (missing days are zeros). */
export function buildPaymentSeries(rows: DailyPayments[], now: Date): PaymentSeries {
  const totalsByCurrency = new Map<string, { paidCents: number; paid: number }>();
  for (const row of rows) {
    const entry = totalsByCurrency.get(row.currency) ?? { paidCents: 0, paid: 0 };
    entry.paidCents += row.paidCents;
    entry.paid += row.paid;
    totalsByCurrency.set(row.currency, entry);
  }
  const totals = [...totalsByCurrency]
    .map(([currency, t]) => ({ currency, ...t }))
    .sort((a, b) => b.paidCents - a.paidCents || a.currency.localeCompare(b.currency));
  const currency = totals[0]?.currency ?? null;

  const start = chartStart(now);
  const days: ChartDay[] = [];
  const index = new Map<string, ChartDay>();
  for (let i = 0; i < CHART_DAYS; i++) {
    const date = new Date(start.getTime());
    date.setUTCDate(start.getUTCDate() + i);
    const day: ChartDay = {
      day: date.toISOString().slice(0, 10),
      finished: 0,
      paid: 0,
      paidCents: 0,
      successRate: null,
    };
    days.push(day);
    index.set(day.day, day);
  }
  let finished = 0;
  let paid = 0;
  for (const row of rows) {
    const day = index.get(row.day);
    if (!day) continue;
    // The success rate counts every currency: whether a payment went through does not depend on it.
    day.finished += row.finished;
    day.paid += row.paid;
    finished += row.finished;
    paid += row.paid;
    if (row.currency === currency) day.paidCents += row.paidCents;
  }
  for (const day of days) day.successRate = day.finished > 0 ? day.paid / day.finished : null;
  return { currency, days, totals, finished, paid };
}

/** Minor units to major units for axis labels only (display, never arithmetic on money). */
export function toMajorUnits(minor: number, currency: string | null): number {
  const digits = currency && isCurrency(currency) ? minorDigits(currency) : 2;
  return minor / 10 ** digits;
}

/** A round axis maximum at or above `value`: 1, 2, 2.5 or 5 times a power of ten. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}
