/**
 * What each payment status means to the customer, in one place: the result page after paying (docs/api.md
 * §4.5, `page`) and the status e-mail (docs/api.md §6, `mail`) word it each their own way.
 */
export interface OutcomeWording {
  title: string;
  text: string;
}

export const PAYMENT_OUTCOMES: Record<string, { page?: OutcomeWording; mail?: OutcomeWording }> = {
  pending: {
    page: {
      title: 'Payment pending',
      text: 'Your payment is being processed. We will e-mail you when it is final.',
    },
    mail: { title: 'Payment pending', text: 'Your payment is being processed.' },
  },
  succeeded: {
    page: { title: 'Payment succeeded', text: 'Thank you: your payment was received.' },
    mail: { title: 'Payment received', text: 'Your payment was successful. Thank you.' },
  },
  failed: {
    page: { title: 'Payment failed', text: 'Your payment did not go through. You have not been charged.' },
    mail: { title: 'Payment failed', text: 'Your payment did not go through. You have not been charged.' },
  },
  expired: {
    page: { title: 'Payment expired', text: 'This payment was not completed in time.' },
    mail: { title: 'Payment expired', text: 'Your payment was not completed in time and has expired.' },
  },
  refunded: {
    page: { title: 'Payment refunded', text: 'This payment has been refunded.' },
    mail: { title: 'Payment refunded', text: 'Your payment has been refunded.' },
  },
  partially_refunded: {
    mail: {
      title: 'Payment partly refunded',
      text: 'Part of your payment has been refunded. The rest of the payment stands.',
    },
  },
  voided: {
    page: { title: 'Payment cancelled', text: 'This payment was cancelled.' },
    mail: { title: 'Payment cancelled', text: 'Your payment was cancelled before it was settled.' },
  },
  unmatched: {
    page: {
      title: 'Payment not recognised',
      text: 'PayMob reported a payment we could not match to your order. Please contact support.',
    },
  },
};
