import { describe, expect, it } from 'vitest';
import {
  actionForFacts,
  DEFAULT_FAILURE_REASON,
  eventKind,
  factsFromResponseQuery,
  factsFromTransaction,
  type PaymobTransactionFacts,
} from '../../src/paymob/events';
import { PaymobTransaction, ResponseCallbackQuery } from '../../src/paymob/schemas';

const base: PaymobTransactionFacts = {
  paymobTransactionId: 1001,
  paymobOrderId: 2002,
  merchantOrderId: 'SP-01J00000000000000000000000',
  amountCents: 10_000,
  currency: 'EGP',
  success: false,
  pending: false,
  isRefunded: false,
  isVoided: false,
  hasParentTransaction: false,
  refundedAmountCents: null,
  message: null,
};
const facts = (change: Partial<PaymobTransactionFacts>) => ({ ...base, ...change });

describe('flags → action (docs/api.md §4.4 step 5)', () => {
  it.each<[string, Partial<PaymobTransactionFacts>, ReturnType<typeof actionForFacts>]>([
    ['pending stays pending', { pending: true }, { kind: 'pending' }],
    ['pending wins over success', { pending: true, success: true }, { kind: 'pending' }],
    ['success → succeeded', { success: true }, { kind: 'succeeded' }],
    [
      'declined → failed with data.message',
      { message: 'Do not honour' },
      { kind: 'failed', reason: 'Do not honour' },
    ],
    [
      'declined without a message → failed with a default reason',
      {},
      { kind: 'failed', reason: DEFAULT_FAILURE_REASON },
    ],
    [
      'refund child → refund of its amount_cents',
      { success: true, hasParentTransaction: true, isRefunded: true, amountCents: 2_500 },
      { kind: 'refund', amountCents: 2_500, mode: 'delta' },
    ],
    [
      'refund child without is_refunded → still a refund',
      { success: true, hasParentTransaction: true, amountCents: 700 },
      { kind: 'refund', amountCents: 700, mode: 'delta' },
    ],
    [
      'original marked refunded → refund of amount_cents (all of it)',
      { success: true, isRefunded: true },
      { kind: 'refund', amountCents: 10_000, mode: 'total' },
    ],
    [
      'original marked refunded with refunded_amount_cents → that total',
      { success: true, isRefunded: true, refundedAmountCents: 4_000 },
      { kind: 'refund', amountCents: 4_000, mode: 'total' },
    ],
    ['original marked voided → voided', { success: true, isVoided: true }, { kind: 'voided' }],
    [
      'void child → voided',
      { success: true, isVoided: true, hasParentTransaction: true },
      { kind: 'voided' },
    ],
    [
      'declined refund child → no change',
      { success: false, hasParentTransaction: true, isRefunded: true, message: 'Refund not allowed' },
      { kind: 'none', reason: 'Refund not allowed' },
    ],
    [
      'declined void child → no change',
      { success: false, hasParentTransaction: true, isVoided: true },
      { kind: 'none', reason: 'PayMob declined the refund or void.' },
    ],
  ])('%s', (_name, change, action) => {
    expect(actionForFacts(facts(change))).toEqual(action);
  });
});

describe('event kinds (the dedupe key with PayMob’s transaction id)', () => {
  it('a pending report and the final result of one PayMob transaction are different events', () => {
    const pending = facts({ pending: true });
    const done = facts({ success: true });
    expect(eventKind(actionForFacts(pending), pending)).toBe('transaction_pending');
    expect(eventKind(actionForFacts(done), done)).toBe('transaction');
  });

  it('success and failure of one PayMob transaction share a kind (PayMob reports only one result)', () => {
    const failed = facts({});
    expect(eventKind(actionForFacts(failed), failed)).toBe('transaction');
  });

  it('refund children, voids and refunded totals have their own kinds', () => {
    const child = facts({ success: true, hasParentTransaction: true });
    const voided = facts({ success: true, isVoided: true });
    const total = facts({ success: true, isRefunded: true, refundedAmountCents: 300 });
    expect(eventKind(actionForFacts(child), child)).toBe('refund');
    expect(eventKind(actionForFacts(voided), voided)).toBe('void');
    expect(eventKind(actionForFacts(total), total)).toBe('refunded_total:300');
  });
});

describe('normalising what PayMob sends', () => {
  const obj = {
    id: 373906620,
    pending: false,
    success: false,
    amount_cents: 12353,
    currency: 'EGP',
    is_refunded: false,
    is_voided: false,
    has_parent_transaction: false,
    order: { id: 422946804, merchant_order_id: 'SP-01J00000000000000000000000' },
    data: { message: 'Do not\nhonour' },
  };

  it('reads a processed callback’s transaction object', () => {
    expect(factsFromTransaction(PaymobTransaction.parse(obj))).toEqual({
      ...base,
      paymobTransactionId: 373906620,
      paymobOrderId: 422946804,
      amountCents: 12353,
      message: 'Do not honour',
    });
  });

  it('ignores a non-string data.message and limits its length', () => {
    const numeric = factsFromTransaction(PaymobTransaction.parse({ ...obj, data: { message: 42 } }));
    expect(numeric.message).toBeNull();
    const long = factsFromTransaction(
      PaymobTransaction.parse({ ...obj, data: { message: 'x'.repeat(900) } }),
    );
    expect(long.message).toHaveLength(500);
  });

  it('reads the browser redirect’s flattened query (strings, order id as `order`)', () => {
    const query = ResponseCallbackQuery.parse({
      id: '373906620',
      pending: 'false',
      success: 'true',
      amount_cents: '12353',
      currency: 'EGP',
      is_refunded: 'false',
      is_voided: 'false',
      has_parent_transaction: 'false',
      order: '422946804',
      merchant_order_id: 'SP-01J00000000000000000000000',
      'data.message': 'Approved',
      hmac: 'ignored here',
    });
    expect(factsFromResponseQuery(query)).toEqual({
      ...base,
      paymobTransactionId: 373906620,
      paymobOrderId: 422946804,
      amountCents: 12353,
      success: true,
      message: 'Approved',
    });
  });

  it('takes `order_id` when `order` is absent, and refuses a query with neither', () => {
    const fields = { id: '1', pending: 'false', success: 'true', amount_cents: '100', currency: 'EGP' };
    expect(
      factsFromResponseQuery(ResponseCallbackQuery.parse({ ...fields, order_id: '77' })).paymobOrderId,
    ).toBe(77);
    expect(ResponseCallbackQuery.safeParse(fields).success).toBe(false);
  });
});
