import { describe, expect, it } from 'vitest';
import { maskPan, sourceFromObject, sourceFromQuery } from '../../src/paymob/source-data';

/** docs/paymob.md §8: how a payment was made, as PayMob reports it, with every pan masked. */
describe('payment source data', () => {
  it('masks a pan to its last four characters (a wallet’s pan is the whole phone number)', () => {
    expect(maskPan('01010101010')).toBe('*******1010');
    expect(maskPan('2346')).toBe('2346');
    expect(maskPan('512345xxxxxx2346')).toBe('************2346');
    expect(maskPan('')).toBeNull();
    expect(maskPan(null)).toBeNull();
    expect(maskPan('9'.repeat(64))).toHaveLength(32);
  });

  it('reads PayMob’s published wallet redirect (type, sub_type and the masked number)', () => {
    // M-Nasser-M/paymob-js-sdk paymentRedirectResponse: source_data.pan=01010101010, type and sub_type wallet.
    expect(
      sourceFromQuery({
        'source_data.pan': '01010101010',
        'source_data.sub_type': 'wallet',
        'source_data.type': 'wallet',
        // The redirect is never trusted for a bill reference.
        'data.bill_reference': '123',
      }),
    ).toEqual({ type: 'wallet', subType: 'wallet', pan: '*******1010', billReference: null });
    expect(sourceFromQuery({ 'source_data.type': '' })).toBeNull();
  });

  it('reads a kiosk callback’s bill reference, as a number or a string, and a card’s source', () => {
    const kiosk = {
      source_data: { type: 'aggregator', sub_type: 'AGGREGATOR', pan: '' },
      data: { bill_reference: 7432165 },
    };
    expect(sourceFromObject(kiosk)).toEqual({
      type: 'aggregator',
      subType: 'AGGREGATOR',
      pan: null,
      billReference: '7432165',
    });
    expect(sourceFromObject({ ...kiosk, data: { bill_reference: ' 7432165\n' } })?.billReference).toBe(
      '7432165',
    );
    expect(
      sourceFromObject({ source_data: { type: 'card', sub_type: 'MasterCard', pan: '2346' }, data: {} }),
    ).toEqual({ type: 'card', subType: 'MasterCard', pan: '2346', billReference: null });
    // Nothing usable: no source at all, or hostile shapes.
    expect(sourceFromObject({})).toBeNull();
    expect(sourceFromObject({ source_data: ['card'] })).toBeNull();
    expect(sourceFromObject({ source_data: { type: { nested: true } } })).toBeNull();
    expect(sourceFromObject({ source_data: { type: 'x'.repeat(100) } })?.type).toHaveLength(32);
  });
});
