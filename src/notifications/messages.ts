import { z } from 'zod';

/**
 * Messages on the `notifications` queue (docs/api.md §6). Each names the one logical e-mail it stands for through
 * `idempotency_key`, which becomes the unique key of its `email_events` row: a redelivered message can
 * never send a second e-mail.
 */
const base = {
  idempotency_key: z.string().min(1).max(191),
  to: z.email(),
  user_id: z.number().int().positive().nullable(),
};

export const VerificationCodeMessage = z.object({
  type: z.literal('verification_code'),
  ...base,
  username: z.string(),
  // Plain code, needed to write the e-mail; the database keeps only its hash.
  code: z.string().regex(/^\d{6}$/),
  valid_minutes: z.number().int().positive(),
});

export const TransactionStatusMessage = z.object({
  type: z.literal('transaction_status'),
  ...base,
  username: z.string(),
  transaction_id: z.number().int().positive(),
  merchant_order_id: z.string(),
  status: z.string(),
  amount: z.string(),
  currency: z.string().length(3),
  failure_reason: z.string().nullable(),
  // docs/paymob.md §8: how it was paid ("wallet *******1010"); a kiosk payment's reference and its expiry.
  payment_method: z.string().max(120).nullable().optional(),
  bill_reference: z.string().max(64).optional(),
  bill_reference_expires_at: z.string().optional(),
});

export const KycReviewMessage = z.object({
  type: z.literal('kyc_review'),
  ...base,
  username: z.string(),
  status: z.enum(['approved', 'rejected']),
  reason: z.string().nullable(),
});

// docs/accounts.md §1: the reset link carries the token (plain, like the verification code; only its hash is stored).
export const PasswordResetMessage = z.object({
  type: z.literal('password_reset'),
  ...base,
  username: z.string(),
  reset_url: z.url(),
  token: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  valid_minutes: z.number().int().positive(),
});

export const PasswordChangedMessage = z.object({
  type: z.literal('password_changed'),
  ...base,
  username: z.string(),
});

/** To each ADMIN when a webhook endpoint is disabled after three days of failures (docs/webhooks.md). */
export const WebhookEndpointDisabledMessage = z.object({
  type: z.literal('webhook_endpoint_disabled'),
  ...base,
  username: z.string(),
  endpoint_id: z.string(),
  url: z.string(),
});

// The set-password link of a staff account an admin created (docs/admin.md §1); the token is in the link.
export const SetPasswordMessage = z.object({
  type: z.literal('set_password'),
  ...base,
  username: z.string(),
  link: z.url({ protocol: /^https?$/ }),
  valid_hours: z.number().int().positive(),
});

// docs/api.md §11: a payment link sent to its payer (who may have no StackPay account: user_id null).
export const PaymentLinkMessage = z.object({
  type: z.literal('payment_link'),
  ...base,
  description: z.string(),
  amount: z.string(),
  currency: z.string().length(3),
  url: z.url({ protocol: /^https?$/ }),
  expires_at: z.string(),
});

export const NotificationMessage = z.discriminatedUnion('type', [
  VerificationCodeMessage,
  TransactionStatusMessage,
  KycReviewMessage,
  PasswordResetMessage,
  PasswordChangedMessage,
  WebhookEndpointDisabledMessage,
  SetPasswordMessage,
  PaymentLinkMessage,
]);
export type NotificationMessage = z.infer<typeof NotificationMessage>;

/** Validates before sending so a malformed message never reaches the queue. */
export async function enqueueNotification(queue: Queue, message: NotificationMessage): Promise<void> {
  await queue.send(NotificationMessage.parse(message), { contentType: 'json' });
}
