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
    }
  | { type: 'kyc_review'; username: string; status: 'approved' | 'rejected'; reason: string | null }
  | { type: 'set_password'; username: string; link: string; valid_hours: number };

/** A queued notification as an e-mail: its wording here, the shared layout from mail/. */
export function renderEmail(message: EmailContent): RenderedEmail {
  return renderLayout(contentFor(message));
}

function contentFor(message: EmailContent): EmailLayout {
  switch (message.type) {
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
      const outcome = PAYMENT_OUTCOMES[message.status]?.mail ?? {
        title: `Payment ${message.status}`,
        text: `The status of your payment is now "${message.status}".`,
      };
      const paragraphs = [outcome.text, `Order reference: ${message.merchant_order_id}`];
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
