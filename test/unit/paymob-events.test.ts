import { describe, expect, it } from 'vitest';
import {
  actionForFacts,
  DEFAULT_FAILURE_REASON,
  eventKind,
  factsFromAnswer,
  factsFromResponseQuery,
  factsFromTransaction,
  type PaymobTransactionFacts,
} from '../../src/paymob/events';
import { PaymobTransaction, ResponseCallbackQuery, ReversalAnswer } from '../../src/paymob/schemas';

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
  childKind: null,
  refundedAmountCents: null,
  message: null,
  origin: 'signed',
};
const facts = (change: Partial<PaymobTransactionFacts>) => ({ ...base, ...change });
const confirmed = (change: Partial<PaymobTransactionFacts>) => facts({ ...change, origin: 'confirmed' });

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
    // Issue 13 item 1 (docs/payments.md "Signed facts"): a signed child's kind and a signed parent's total
    // are in unsigned fields, so they are confirmed with PayMob first; confirmed facts are applied.
    [
      'signed child → confirm (is_refund/is_void are not signed)',
      { success: true, hasParentTransaction: true, childKind: 'refund', amountCents: 2_500 },
      { kind: 'confirm' },
    ],
    [
      'confirmed refund child → reversal of its amount_cents',
      {
        success: true,
        hasParentTransaction: true,
        childKind: 'refund',
        amountCents: 2_500,
        origin: 'confirmed',
      },
      { kind: 'reversal', reversal: 'refund', amountCents: 2_500 },
    ],
    [
      'confirmed void child → reversal void',
      { success: true, hasParentTransaction: true, childKind: 'void', origin: 'confirmed' },
      { kind: 'reversal', reversal: 'void', amountCents: 10_000 },
    ],
    [
      'confirmed child that is neither → none',
      { success: true, hasParentTransaction: true, origin: 'confirmed' },
      { kind: 'none', reason: 'a child transaction that is neither refund nor void' },
    ],
    [
      'signed original marked refunded → confirm (refunded_amount_cents is not signed)',
      { success: true, isRefunded: true, refundedAmountCents: 4_000 },
      { kind: 'confirm' },
    ],
    [
      'confirmed original with a numeric refunded total → that total',
      { success: true, isRefunded: true, refundedAmountCents: 4_000, origin: 'confirmed' },
      { kind: 'refund_total', amountCents: 4_000 },
    ],
    [
      'confirmed original with a null total → none (never the full amount)',
      { success: true, isRefunded: true, refundedAmountCents: null, origin: 'confirmed' },
      { kind: 'none', reason: 'refunded total not reported' },
    ],
    [
      'original marked voided (signed is_voided) → voided',
      { success: true, isVoided: true },
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
    const child = confirmed({ success: true, hasParentTransaction: true, childKind: 'refund' });
    const voidChild = confirmed({ success: true, hasParentTransaction: true, childKind: 'void' });
    const voided = facts({ success: true, isVoided: true });
    const total = confirmed({ success: true, isRefunded: true, refundedAmountCents: 300 });
    const unconfirmed = facts({ success: true, hasParentTransaction: true, childKind: 'void' });
    expect(eventKind(actionForFacts(child), child)).toBe('refund');
    expect(eventKind(actionForFacts(voidChild), voidChild)).toBe('void');
    expect(eventKind(actionForFacts(voided), voided)).toBe('void');
    expect(eventKind(actionForFacts(total), total)).toBe('refunded_total:300');
    expect(eventKind(actionForFacts(unconfirmed), unconfirmed)).toBe('unconfirmed_child');
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
      // No source_data in this object (docs/paymob.md §8).
      source: null,
    });
  });

  it('reads is_refund/is_void and refunded_amount_cents but marks them signed-only', () => {
    const child = factsFromTransaction(
      PaymobTransaction.parse({ ...obj, success: true, has_parent_transaction: true, is_void: true }),
    );
    expect(child).toMatchObject({ childKind: 'void', origin: 'signed', isVoided: false });
    expect(actionForFacts(child)).toEqual({ kind: 'confirm' });
  });

  it('reads PayMob’s refund/void answers leniently: negative amounts, order as an id, null totals', () => {
    const answer = ReversalAnswer.parse({
      ...obj,
      success: true,
      amount_cents: -2_500,
      order: 422946804,
      is_refund: true,
      parent_transaction: 373906000,
      refunded_amount_cents: null,
    });
    expect(factsFromAnswer(answer)).toMatchObject({
      amountCents: 2_500,
      paymobOrderId: 422946804,
      merchantOrderId: null,
      hasParentTransaction: true,
      childKind: 'refund',
      refundedAmountCents: null,
      origin: 'confirmed',
    });
    expect(ReversalAnswer.safeParse({ ...obj, order: { id: 5 } }).success).toBe(true);
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
      source: null,
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
