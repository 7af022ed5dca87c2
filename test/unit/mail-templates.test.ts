import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/mail/templates';
import type { NotificationMessage } from '../../src/notifications/messages';
import { renderEmail } from '../../src/notifications/templates';

// messages.ts names the Workers `Queue` type, which this Node-side typecheck does not load.
declare global {
  interface Queue<Body = unknown> {
    send(message: Body, options?: unknown): Promise<void>;
  }
}

const base = { idempotency_key: 'test:1', to: 'ada@example.com', user_id: 7 };

const verification: NotificationMessage = {
  ...base,
  type: 'verification_code',
  username: 'ada',
  code: '482913',
  valid_minutes: 10,
};

describe('verification e-mail', () => {
  const email = renderEmail(verification);

  it('has the subject "Verify your email"', () => {
    expect(email.subject).toBe('Verify your email');
  });

  it.each(['html', 'text'] as const)(
    'greets the user, shows the code and says it is valid for 10 minutes (%s)',
    (part) => {
      expect(email[part]).toContain('Hi ada,');
      expect(email[part]).toContain('482913');
      expect(email[part]).toContain('valid for 10 minutes');
      expect(email[part]).toContain('StackPay');
    },
  );

  it('is a complete HTML document with StackPay branding and no external resources', () => {
    expect(email.html).toMatch(/^<!doctype html>/);
    expect(email.html).toContain('</html>');
    expect(email.html).not.toMatch(/<script|<link|src="http/i);
  });

  it('uses the validity the message gives', () => {
    expect(renderEmail({ ...verification, valid_minutes: 15 }).text).toContain('valid for 15 minutes');
  });
});

describe('HTML escaping', () => {
  it('escapes every interpolated value in the HTML part and keeps it readable in the text part', () => {
    const email = renderEmail({ ...verification, username: '<img src=x onerror="alert(1)">&co' });
    expect(email.html).not.toContain('<img');
    expect(email.html).toContain('Hi &lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;co,');
    expect(email.text).toContain('Hi <img src=x onerror="alert(1)">&co,');
  });

  it('escapes a staff-written KYC rejection reason', () => {
    const email = renderEmail({
      ...base,
      type: 'kyc_review',
      username: 'ada',
      status: 'rejected',
      reason: 'Blurry <b>photo</b> & "expired"',
    });
    expect(email.html).toContain('Blurry &lt;b&gt;photo&lt;/b&gt; &amp; &quot;expired&quot;');
    expect(email.text).toContain('Reason: Blurry <b>photo</b> & "expired"');
  });

  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });
});

describe('transaction status e-mail', () => {
  const transaction = {
    ...base,
    type: 'transaction_status',
    username: 'ada',
    transaction_id: 42,
    merchant_order_id: 'SP-01JDXYZABCDEFGHJKMNPQRSTVW',
    amount: '100.00',
    currency: 'EGP',
    failure_reason: null,
  } as const;

  it.each([
    ['succeeded', 'Payment received'],
    ['failed', 'Payment failed'],
    ['refunded', 'Payment refunded'],
    ['partially_refunded', 'Payment partly refunded'],
    ['voided', 'Payment cancelled'],
    ['expired', 'Payment expired'],
  ])('names the outcome of a %s payment with amount and order reference', (status, title) => {
    const email = renderEmail({ ...transaction, status });
    expect(email.subject).toBe(`${title}: 100.00 EGP (SP-01JDXYZABCDEFGHJKMNPQRSTVW)`);
    expect(email.text).toContain('100.00 EGP');
    expect(email.html).toContain('SP-01JDXYZABCDEFGHJKMNPQRSTVW');
  });

  it('names the payment method when PayMob reported it (docs/paymob.md §8)', () => {
    const email = renderEmail({ ...transaction, status: 'succeeded', payment_method: 'wallet *******1010' });
    expect(email.text).toContain('Payment method: wallet *******1010');
    expect(renderEmail({ ...transaction, status: 'succeeded' }).text).not.toContain('Payment method');
  });

  it('gives a kiosk payment its bill reference and expiry', () => {
    const email = renderEmail({
      ...transaction,
      status: 'pending',
      bill_reference: '7432165',
      bill_reference_expires_at: '2026-12-09T15:00:00.000Z',
    });
    expect(email.subject).toBe('Pay at a kiosk with reference 7432165 (SP-01JDXYZABCDEFGHJKMNPQRSTVW)');
    expect(email.text).toContain('7432165');
    expect(email.text).toContain('before 2026-12-09 15:00 UTC');
    expect(email.text).toContain('100.00 EGP');
    expect(email.html).toContain('7432165');
  });

  it('includes the failure reason, escaped', () => {
    const email = renderEmail({ ...transaction, status: 'failed', failure_reason: 'Card <declined>' });
    expect(email.text).toContain('Reason: Card <declined>');
    expect(email.html).toContain('Reason: Card &lt;declined&gt;');
  });

  it('still renders an unknown status', () => {
    expect(renderEmail({ ...transaction, status: 'on_hold' }).subject).toContain('Payment on_hold');
  });
});

describe('KYC review e-mail', () => {
  it('tells an approved customer they can pay', () => {
    const email = renderEmail({
      ...base,
      type: 'kyc_review',
      username: 'ada',
      status: 'approved',
      reason: null,
    });
    expect(email.subject).toBe('Your identity documents were approved');
    expect(email.text).toContain('approved');
  });

  it('tells a rejected customer why and what to do', () => {
    const email = renderEmail({
      ...base,
      type: 'kyc_review',
      username: 'ada',
      status: 'rejected',
      reason: 'Expired',
    });
    expect(email.subject).toBe('Your identity documents need attention');
    expect(email.text).toContain('Reason: Expired');
    expect(email.text).toContain('upload corrected documents');
  });
});

describe('subjects', () => {
  it('never contain line breaks, whatever the data (no header injection)', () => {
    // A queue message, as the consumer hands it over (it carries more fields than the template reads).
    const message: NotificationMessage = {
      ...base,
      type: 'transaction_status',
      username: 'ada',
      transaction_id: 1,
      merchant_order_id: 'SP-1\r\nBcc: victim@example.com',
      status: 'succeeded',
      amount: '1.00',
      currency: 'EGP',
      failure_reason: null,
    };
    const email = renderEmail(message);
    expect(email.subject).not.toMatch(/[\r\n]/);
  });
});
