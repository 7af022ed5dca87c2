import { describe, expect, it } from 'vitest';
import { buildPaymentSeries, CHART_DAYS, chartStart, niceCeiling } from '../../src/admin/dashboard/chart';

const NOW = new Date('2026-11-26T15:30:00Z');

describe('admin dashboard chart data', () => {
  it('covers the last 30 UTC days, today included, starting at midnight', () => {
    expect(chartStart(NOW).toISOString()).toBe('2026-10-28T00:00:00.000Z');
    const series = buildPaymentSeries([], NOW);
    expect(series.days).toHaveLength(CHART_DAYS);
    expect(series.days[0]?.day).toBe('2026-10-28');
    expect(series.days.at(-1)?.day).toBe('2026-11-26');
    expect(series.currency).toBeNull();
    expect(series.days.every((d) => d.successRate === null && d.paidCents === 0)).toBe(true);
  });

  it('charts the currency with the most volume; the success rate counts every currency', () => {
    const series = buildPaymentSeries(
      [
        { day: '2026-11-25', currency: 'EGP', finished: 4, paid: 3, paidCents: 300_00 },
        { day: '2026-11-25', currency: 'OMR', finished: 1, paid: 0, paidCents: 0 },
        { day: '2026-11-26', currency: 'OMR', finished: 1, paid: 1, paidCents: 5_000 },
        { day: '2026-01-01', currency: 'EGP', finished: 9, paid: 9, paidCents: 9 },
      ],
      NOW,
    );
    expect(series.currency).toBe('EGP');
    expect(series.totals.map((t) => t.currency)).toEqual(['EGP', 'OMR']);
    const day = series.days.find((d) => d.day === '2026-11-25');
    expect(day).toEqual({ day: '2026-11-25', finished: 5, paid: 3, paidCents: 300_00, successRate: 0.6 });
    expect(series.days.at(-1)).toMatchObject({ paidCents: 0, successRate: 1 });
    expect(series.finished).toBe(6);
    expect(series.paid).toBe(4);
  });

  it.each([
    [0.3, 0.5],
    [1, 1],
    [7, 10],
    [180, 200],
    [2_100, 2_500],
    [42_000, 50_000],
  ])('axis maximum for %d is %d', (value, expected) => {
    expect(niceCeiling(value)).toBe(expected);
  });
});
