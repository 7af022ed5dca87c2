import { describe, expect, it } from 'vitest';
import { TRANSACTION_STATUSES, type TransactionStatus } from '../../src/db/schema';
import {
  canTransition,
  FINAL_STATUSES,
  refundedAfter,
  sourcesOf,
  TRANSITIONS,
} from '../../src/transactions/state-machine';

// docs/api.md §4.1, written out independently of the module's table.
const ALLOWED: ReadonlyArray<[TransactionStatus, TransactionStatus]> = [
  ['initiated', 'pending'],
  ['initiated', 'failed'],
  ['pending', 'succeeded'],
  ['pending', 'failed'],
  ['pending', 'expired'],
  ['succeeded', 'refunded'],
  ['succeeded', 'voided'],
  ['failed', 'succeeded'],
];
const isAllowed = (from: TransactionStatus, to: TransactionStatus) =>
  ALLOWED.some(([a, b]) => a === from && b === to);

const ALL_PAIRS = TRANSACTION_STATUSES.flatMap((from) =>
  TRANSACTION_STATUSES.map((to) => [from, to] as const),
);

describe('allowed transitions (docs/api.md §4.1)', () => {
  it.each(ALLOWED)('%s → %s is allowed', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });
});

describe('forbidden transitions', () => {
  it.each(ALL_PAIRS.filter(([from, to]) => !isAllowed(from, to)))('%s → %s is never applied', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('no status moves to itself (a repeated event is a no-op)', () => {
    for (const status of TRANSACTION_STATUSES) expect(canTransition(status, status)).toBe(false);
  });

  it('the table covers every status and nothing else', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...TRANSACTION_STATUSES].sort());
  });
});

describe('guards used by the single-row UPDATE', () => {
  it.each<[TransactionStatus, TransactionStatus[]]>([
    ['pending', ['initiated']],
    ['succeeded', ['pending', 'failed']],
    ['failed', ['initiated', 'pending']],
    ['expired', ['pending']],
    ['refunded', ['succeeded']],
    ['voided', ['succeeded']],
    ['initiated', []],
  ])('%s may be reached only from %j', (to, from) => {
    expect(sourcesOf(to).sort()).toEqual(from.sort());
  });

  it('final statuses are expired, refunded and voided', () => {
    expect([...FINAL_STATUSES].sort()).toEqual(['expired', 'refunded', 'voided']);
  });
});

describe('refund arithmetic (partial refunds keep the payment succeeded)', () => {
  const snapshot = { id: 1, amountCents: 10_000, refundedCents: 0 };

  it.each<[string, { refundedCents: number }, number, 'delta' | 'total', number]>([
    ['a partial refund adds its amount', { refundedCents: 0 }, 2_500, 'delta', 2_500],
    ['a second partial refund adds to the first', { refundedCents: 2_500 }, 2_500, 'delta', 5_000],
    ['the sum never exceeds the amount', { refundedCents: 9_000 }, 5_000, 'delta', 10_000],
    ['a reported total replaces a smaller sum', { refundedCents: 2_500 }, 6_000, 'total', 6_000],
    ['an older (smaller) total changes nothing', { refundedCents: 6_000 }, 2_500, 'total', 6_000],
    ['a total is capped at the amount', { refundedCents: 0 }, 12_000, 'total', 10_000],
  ])('%s', (_name, change, amount, mode, expected) => {
    expect(refundedAfter({ ...snapshot, ...change }, amount, mode)).toBe(expected);
  });
});
