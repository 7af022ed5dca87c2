/**
 * 3-D Secure seen by the Worker (docs/checkout.md §2): the sandbox sends a first processed callback with
 * `pending: true` while the card is at the issuer's page and the final one after it; the browser comes back
 * through the signed response redirect. Whatever order those three arrive in, the result is the issuer's
 * answer, the pending report never moves a settled payment back, and one status e-mail goes out.
 */
import { describe, expect, it } from 'vitest';
import { api, apiWithEnv } from './helpers';
import {
  createPayer,
  createPendingPayment,
  deliverRecorded,
  pay,
  type RecordedCallback,
  recordedCallbacks,
  recordingNotifications,
  statusMessages,
  transactionRow,
} from './transactions-support';

// tools/sandbox/paymob-model.mjs THREE_DS_CARDS; the password is tools/sandbox/paymob-acs.mjs ACS_OTP.
const CHALLENGE_CARD = '4000000000003220';

/** Pays with the challenge card and answers the issuer's page; returns the signed response redirect. */
async function payThroughChallenge(otp: string) {
  const payer = await createPayer();
  const txn = await createPendingPayment(payer);
  const answer = await pay(txn, CHALLENGE_CARD);
  const acs = new URL(answer.redirect_url);
  expect(acs.pathname).toBe('/acs/authenticate');
  const session = acs.searchParams.get('session') ?? '';
  const answered = await fetch(`${acs.origin}/acs/authenticate`, {
    method: 'POST',
    body: new URLSearchParams({ session, otp, action: 'submit' }),
    redirect: 'manual',
  });
  expect(answered.status).toBe(303);
  const completed = await fetch(answered.headers.get('location') ?? '', { redirect: 'manual' });
  expect(completed.status).toBe(303);
  const redirect = new URL(completed.headers.get('location') ?? '');
  const callbacks = await recordedCallbacks(txn.merchant_order_id, 2);
  const pending = callbacks.find((c) => c.body.obj.pending === true);
  const final = callbacks.find((c) => c.body.obj.pending === false);
  if (!pending || !final) throw new Error('expected a pending and a final callback');
  return { txn, redirect: `${redirect.pathname}${redirect.search}`, pending, final };
}

type Step = 'pending' | 'final' | 'redirect';

describe('3-D Secure: pending callback, final callback and response redirect in any order', () => {
  const orders: Step[][] = [
    ['pending', 'final', 'redirect'],
    ['final', 'pending', 'redirect'],
    ['redirect', 'pending', 'final'],
    ['pending', 'redirect', 'final'],
  ];

  it.each(
    orders.flatMap((order) => [
      ['123456', 'succeeded', order] as const,
      ['999999', 'failed', order] as const,
    ]),
  )('password %s → %s, order %j', async (otp, expected, order) => {
    const { txn, redirect, pending, final } = await payThroughChallenge(otp);
    const { queue, sent } = recordingNotifications();
    const deliver = async (callback: RecordedCallback) =>
      expect((await deliverRecorded(callback, { NOTIFICATIONS: queue })).status).toBe(200);
    let settled = false;
    for (const step of order) {
      if (step === 'pending') await deliver(pending);
      if (step === 'final') await deliver(final);
      if (step === 'redirect') {
        const response = await apiWithEnv(redirect, {}, { NOTIFICATIONS: queue });
        expect(response.status).toBe(200);
        expect(await response.text()).toContain(
          expected === 'succeeded' ? 'Payment succeeded' : 'Payment failed',
        );
      }
      if (step !== 'pending') settled = true;
      // Only the pending report so far: still pending. After any result: the result, for good.
      expect((await transactionRow(txn.id)).status).toBe(settled ? expected : 'pending');
    }
    const row = await transactionRow(txn.id);
    if (expected === 'failed') expect(row.failureReason).toContain('3-D Secure authentication failed');
    expect(statusMessages(sent).length).toBe(1);
  });

  it('the result page, loaded again (as its frame break-out does), changes nothing', async () => {
    const { txn, redirect } = await payThroughChallenge('123456');
    const first = await api(redirect);
    const second = await api(redirect);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await second.text()).toContain('Payment succeeded');
    expect((await transactionRow(txn.id)).status).toBe('succeeded');
  });
});
