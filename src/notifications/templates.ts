import { type EmailLayout, type RenderedEmail, renderLayout } from '../mail/templates';
import { PAYMENT_OUTCOMES } from '../transactions/outcomes';

/** The notification e-mails' wording (docs/api.md §6); mail/templates.ts lays them out. */

/**
 * What each e-mail says: the fields the templates read, which the queue messages (./messages.ts, docs/api.md
 * §6) carry.
 */
export type EmailContent =
  | { type: 'verification_code'; username: string; code: string; valid_minutes: number }
  | {
      type: 'transaction_status';
      username: string;
      merchant_order_id: string;
      status: string;
      amount: string;
      currency: string;
      failure_reason: string | null;
      payment_method?: string | null;
      bill_reference?: string;
      bill_reference_expires_at?: string;
    }
  | { type: 'kyc_review'; username: string; status: 'approved' | 'rejected'; reason: string | null }
  | { type: 'password_reset'; username: string; reset_url: string; token: string; valid_minutes: number }
  | { type: 'password_changed'; username: string }
  | { type: 'webhook_endpoint_disabled'; username: string; endpoint_id: string; url: string }
  | { type: 'set_password'; username: string; link: string; valid_hours: number }
  | {
      type: 'payment_link';
      description: string;
      amount: string;
      currency: string;
      url: string;
      expires_at: string;
    };

/** A queued notification as an e-mail: its wording here, the shared layout from mail/. */
export function renderEmail(message: EmailContent): RenderedEmail {
  return renderLayout(contentFor(message));
}

function contentFor(message: EmailContent): EmailLayout {
  switch (message.type) {
    case 'password_reset':
    case 'password_changed':
      return accountContent(message);
    case 'webhook_endpoint_disabled':
      return {
        subject: 'A webhook endpoint was disabled',
        preheader: 'Every delivery to a webhook endpoint failed for three days.',
        heading: `Hi ${message.username},`,
        paragraphs: [
          'Every delivery to this webhook endpoint failed for three days, so StackPay disabled it:',
          `${message.url} (${message.endpoint_id})`,
        ],
        closing: 'Fix the receiver, then enable the endpoint again (PATCH it with "enabled": true).',
      };
    case 'verification_code':
      return {
        subject: 'Verify your email',
        preheader: `Your StackPay verification code, valid for ${message.valid_minutes} minutes.`,
        heading: `Hi ${message.username},`,
        paragraphs: [
          'Welcome to StackPay. Enter this code to verify your email address and activate your account:',
        ],
        highlight: message.code,
        closing: `The code is valid for ${message.valid_minutes} minutes. If you did not sign up for StackPay, you can ignore this email.`,
      };
    case 'transaction_status': {
      if (message.bill_reference)
        return kioskReferenceContent({ ...message, bill_reference: message.bill_reference });
      const outcome = PAYMENT_OUTCOMES[message.status]?.mail ?? {
        title: `Payment ${message.status}`,
        text: `The status of your payment is now "${message.status}".`,
      };
      const paragraphs = [outcome.text, `Order reference: ${message.merchant_order_id}`];
      if (message.payment_method) paragraphs.push(`Payment method: ${message.payment_method}`);
      if (message.failure_reason) paragraphs.push(`Reason: ${message.failure_reason}`);
      return {
        subject: `${outcome.title}: ${message.amount} ${message.currency} (${message.merchant_order_id})`,
        preheader: `${outcome.title}: ${message.amount} ${message.currency}`,
        heading: `Hi ${message.username},`,
        paragraphs,
        highlight: `${message.amount} ${message.currency}`,
        closing: 'You can see every payment and its status in your StackPay account.',
      };
    }
    case 'set_password':
      return {
        subject: 'Set your StackPay password',
        preheader: `An administrator created your StackPay staff account. The link works for ${message.valid_hours} hours.`,
        heading: `Hi ${message.username},`,
        paragraphs: [
          'An administrator created a StackPay staff account for you. Choose your password by opening this link (it works once):',
          message.link,
        ],
        closing: `The link is valid for ${message.valid_hours} hours. If you did not expect this email, you can ignore it; ask your administrator for a new link if it has expired.`,
      };
    case 'payment_link':
      return {
        subject: `Payment request: ${message.amount} ${message.currency} (${message.description})`,
        preheader: `A payment request for ${message.amount} ${message.currency}.`,
        heading: 'Hello,',
        paragraphs: [`You have a payment request for: ${message.description}`],
        highlight: `${message.amount} ${message.currency}`,
        link: { href: message.url, label: 'Pay now' },
        closing: `The link works until ${message.expires_at.replace('T', ' ').slice(0, 16)} UTC. If you did not expect this request, ignore this email.`,
      };
    case 'kyc_review':
      if (message.status === 'approved') {
        return {
          subject: 'Your identity documents were approved',
          preheader: 'Your identity verification is complete.',
          heading: `Hi ${message.username},`,
          paragraphs: ['Good news: we reviewed your identity documents and approved them.'],
          closing: 'You can now make payments with StackPay.',
        };
      }
      return {
        subject: 'Your identity documents need attention',
        preheader: 'We could not approve your identity documents.',
        heading: `Hi ${message.username},`,
        paragraphs: [
          'We reviewed your identity documents and could not approve them.',
          ...(message.reason ? [`Reason: ${message.reason}`] : []),
        ],
        closing:
          'Please upload corrected documents from your StackPay profile and we will review them again.',
      };
  }
}

/**
 * docs/paymob.md §8: a kiosk payment's bill reference, which the customer pays in cash at an Aman or Masary
 * kiosk before it expires.
 */
function kioskReferenceContent(message: {
  username: string;
  merchant_order_id: string;
  amount: string;
  currency: string;
  bill_reference: string;
  bill_reference_expires_at?: string;
}): EmailLayout {
  const expiry = message.bill_reference_expires_at
    ? ` before ${message.bill_reference_expires_at.slice(0, 16).replace('T', ' ')} UTC`
    : '';
  return {
    subject: `Pay at a kiosk with reference ${message.bill_reference} (${message.merchant_order_id})`,
    preheader: `Your kiosk reference: ${message.bill_reference}`,
    heading: `Hi ${message.username},`,
    paragraphs: [
      `To complete your payment of ${message.amount} ${message.currency}, pay in cash at any Aman or Masary kiosk${expiry} with this reference:`,
      `Order reference: ${message.merchant_order_id}`,
    ],
    highlight: message.bill_reference,
    closing: `After${expiry ? ' that time' : ' it expires'}, the reference can no longer be paid and the payment expires.`,
  };
}

/** docs/accounts.md §1: the reset e-mail (link and code) and the notice that the password changed. */
function accountContent(
  message: Extract<EmailContent, { type: 'password_reset' | 'password_changed' }>,
): EmailLayout {
  if (message.type === 'password_changed') {
    return {
      subject: 'Your password was changed',
      preheader: 'The password of your StackPay account was just changed.',
      heading: `Hi ${message.username},`,
      paragraphs: [
        'The password of your StackPay account was just changed, and every device signed in to it was signed out.',
      ],
      closing: 'If you did not do this, reset your password at once and contact support.',
    };
  }
  return {
    subject: 'Reset your password',
    preheader: `Your StackPay password-reset link, valid for ${message.valid_minutes} minutes.`,
    heading: `Hi ${message.username},`,
    paragraphs: [
      'Someone (hopefully you) asked to reset the password of your StackPay account. Open this link to choose a new one:',
    ],
    link: { href: message.reset_url, label: 'Choose a new password' },
    closing: `Or send this reset code with your new password to the API: ${message.token} — the link and the code work once, for ${message.valid_minutes} minutes. If you did not ask for this, ignore this email: your password stays as it is.`,
  };
}
