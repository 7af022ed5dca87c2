import { describe, expect, it } from 'vitest';
import { TRANSACTION_STATUSES, type TransactionStatus } from '../../src/db/schema';
import { refundedFrom } from '../../src/transactions/ledger';
import { canTransition, FINAL_STATUSES, sourcesOf, TRANSITIONS } from '../../src/transactions/state-machine';

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

describe('refund arithmetic (docs/payments.md "Refund ledger")', () => {
  it.each<[string, number, number, number]>([
    ['the children’s sum', 2_500, 0, 2_500],
    ['a larger reported total wins over fewer children (their callbacks are late)', 2_500, 6_000, 6_000],
    ['a smaller (older) reported total changes nothing', 6_000, 2_500, 6_000],
    ['a child already counted in the total is not added to it', 2_500, 2_500, 2_500],
    ['capped at the amount', 12_000, 0, 10_000],
  ])('%s', (_name, children, reported, expected) => {
    expect(refundedFrom(10_000, children, reported)).toBe(expected);
  });
});
