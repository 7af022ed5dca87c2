import { z } from '@hono/zod-openapi';
import { PAYMENT_METHODS } from '../paymob/settings';

/**
 * The payment-method fields of a transaction (docs/paymob.md §8): what `POST txn/` accepts and what the API
 * shows. Which names are configured is decided by the service (src/transactions/methods.ts).
 */

export const paymentMethodsInput = z
  .array(z.string().max(32), { error: 'Expected a list of payment method names.' })
  .min(1, 'Name at least one payment method, or leave the field out for every configured one.')
  .max(PAYMENT_METHODS.length * 2)
  .optional()
  .openapi({
    description:
      'The methods the checkout offers (default: every configured method). Unknown or unconfigured names → 400. The legacy iframe mode offers `card` only.',
    items: { type: 'string', enum: [...PAYMENT_METHODS] },
    example: ['card', 'wallet', 'kiosk'],
  });

const PaymentMethodSchema = z
  .object({
    type: z.string().openapi({ description: 'PayMob’s `source_data.type`.', example: 'wallet' }),
    sub_type: z
      .string()
      .nullable()
      .openapi({ description: 'PayMob’s `source_data.sub_type`.', example: 'wallet' }),
    pan: z.string().nullable().openapi({
      description: 'The card or wallet number masked to its last four digits.',
      example: '*******1010',
    }),
  })
  .openapi('PaymentMethod');

export const paymentMethodFields = {
  payment_methods: z.array(z.string()).openapi({
    description: 'The methods the checkout offered.',
    example: ['card', 'wallet', 'kiosk'],
  }),
  payment_method: PaymentMethodSchema.nullable().openapi({
    description: 'How it was paid, as PayMob’s signed callback says; null until PayMob reports it.',
  }),
  bill_reference: z.string().nullable().openapi({
    description: 'Kiosk payments: the reference the shopper pays at a kiosk (Aman, Masary).',
    example: '7432165',
  }),
  bill_reference_expires_at: z.string().nullable().openapi({
    format: 'date-time',
    description: 'Kiosk payments: when the bill reference stops being payable; then the payment expires.',
  }),
};
