import { methodText } from '../../transactions/methods-view';
import { Time } from '../common/components';
import type { TransactionDetail } from './queries';

/** What the admin shows of a payment's methods (docs/paymob.md §8). */
type MethodFields = Pick<
  TransactionDetail,
  'paymentMethods' | 'methodType' | 'methodSubType' | 'methodPan' | 'billReference' | 'billExpiresAt'
>;

/** The methods offered, how it was paid (PayMob's signed source data) and a kiosk bill reference. */
export function PaymentMethodData({ transaction: t }: { transaction: MethodFields }) {
  const offered = Array.isArray(t.paymentMethods) ? t.paymentMethods.join(', ') : 'card';
  return (
    <>
      <dt>Methods offered</dt>
      <dd data-testid="methods-offered">{offered}</dd>
      <dt>Paid with</dt>
      <dd class="mono" data-testid="payment-method">
        {methodText(t) ?? '—'}
      </dd>
      {t.billReference ? (
        <>
          <dt>Kiosk bill reference</dt>
          <dd>
            <span class="mono" data-testid="bill-reference">
              {t.billReference}
            </span>
            {t.billExpiresAt ? (
              <span class="muted">
                {' '}
                · expires <Time value={t.billExpiresAt} />
              </span>
            ) : null}
          </dd>
        </>
      ) : null}
    </>
  );
}
