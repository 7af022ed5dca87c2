import { z } from '@hono/zod-openapi';
import { TRANSACTION_STATUSES } from '../db/schema';
import { CURRENCIES } from '../lib/money';
import { pageSchema, paginationQuery } from '../lib/pagination';
import { merchantDataFields } from './merchant-data';
import { paymentMethodFields, paymentMethodsInput } from './methods-schemas';

const METADATA_EXAMPLE = { order_id: '1042', channel: 'web' };

/** docs/api.md §4.1: a transaction as the API shows it. */
export const TransactionSchema = z
  .object({
    id: z.number().int(),
    customer: z.number().int().nullable().openapi({
      description: 'The customer id; null for a payment through a payment link (docs/api.md §11).',
    }),
    merchant_order_id: z.string().openapi({ example: 'SP-01JDZ6T3Q4W2M8N5R7V9X0Y1Z2' }),
    amount: z
      .string()
      .openapi({ description: 'Decimal with the currency’s minor digits.', example: '100.00' }),
    amount_cents: z.number().int().openapi({ description: 'Amount in minor units.', example: 10000 }),
    currency: z.string().length(3).openapi({ enum: CURRENCIES, example: 'EGP' }),
    status: z.enum(TRANSACTION_STATUSES),
    paymob_order_id: z.number().int().nullable(),
    paymob_transaction_id: z.number().int().nullable(),
    payment_token: z.string().nullable().openapi({
      description: 'Legacy flow: the payment key; intention flow: the client secret.',
    }),
    checkout_url: z.string().nullable().openapi({
      description: 'Legacy flow: PayMob’s iframe URL; intention flow: the unified checkout URL.',
    }),
    failure_reason: z.string().nullable(),
    refunded_cents: z.number().int(),
    merchant_reference: z.string().nullable().openapi({
      description: 'The merchant’s own reference (e.g. their order number), unique per customer.',
      example: 'order-1042',
    }),
    metadata: z
      .record(z.string(), z.string())
      .openapi({ description: 'The merchant’s key-value data, `{}` when none.', example: METADATA_EXAMPLE }),
    description: z.string().nullable().openapi({ example: 'Two notebooks and a pen' }),
    return_url: z.string().nullable().openapi({
      description: 'Where the result page sends the shopper after paying (docs/api.md §4.9).',
      example: 'https://shop.example/orders/1042/paid',
    }),
    payment_link: z.number().int().nullable().openapi({
      description: 'The payment link this payment was made through (docs/api.md §11), else null.',
    }),
    ...paymentMethodFields,
    created_at: z.string().openapi({ format: 'date-time', example: '2026-11-26T10:00:00.000Z' }),
    updated_at: z.string().openapi({ format: 'date-time', example: '2026-11-26T10:00:05.000Z' }),
  })
  .openapi('Transaction');
export type TransactionView = z.infer<typeof TransactionSchema>;

export const TransactionPage = pageSchema(TransactionSchema, 'TransactionPage');

/**
 * A decimal amount as a string or a JSON number (the request bodies of create and refund); `absent` words the
 * error for a missing (undefined) or null value.
 */
export const amountInput = (absent: { input: undefined | null; message: string }) =>
  z.union([z.string().trim().min(1, 'This field may not be blank.'), z.number()], {
    error: (issue) => (issue.input === absent.input ? absent.message : 'A valid number is required.'),
  });

// Only the shape is checked here; the digits depend on the customer's currency (checked by the service).
export const CreateTransactionBody = z
  .object({
    amount: amountInput({ input: undefined, message: 'This field is required.' }).openapi({
      type: 'string',
      description: 'Decimal amount (> 0) in the currency of the customer’s main address.',
      example: '100.00',
    }),
    ...merchantDataFields,
    payment_methods: paymentMethodsInput,
    customer_id: z.number().int().positive().optional().openapi({
      description:
        'The paying customer. Required with a server API key (`payments:write`, docs/api-keys.md); a customer may only name themselves (another id → 403).',
      example: 42,
    }),
    save_card: z.boolean().optional().openapi({
      description:
        'Unified checkout only: save the card the shopper pays with (PayMob sends its token in a signed TOKEN callback; it then appears in `GET /customers/cards/`). Not with `card_id`.',
      example: true,
    }),
    card_id: z.number().int().positive().optional().openapi({
      description:
        'Unified checkout only: pay with this saved card of the payer (`GET /customers/cards/`); the checkout shows it instead of the card form, with 3-D Secure where the card asks for it. Another customer’s card → 404 `card_not_found`.',
      example: 7,
    }),
  })
  .openapi('CreateTransaction');

const statusList = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .openapi({
    description: 'Repeatable (`?status=pending&status=succeeded`); an unknown status → 400.',
    param: { style: 'form', explode: true },
    // Published as what a client sends: a list of statuses (one value is the same as a list of one).
    type: 'array',
    items: { type: 'string', enum: [...TRANSACTION_STATUSES] },
  });

export const TransactionListQuery = z.object({
  ...paginationQuery,
  status: statusList,
  created_after: z
    .string()
    .optional()
    .openapi({ description: 'Created at or after this date (UTC midnight) or date-time.' }),
  created_before: z
    .string()
    .optional()
    .openapi({ description: 'Created strictly before this date (UTC midnight) or date-time.' }),
  created_at: z
    .string()
    .optional()
    .openapi({ format: 'date', description: 'Created on this UTC day (YYYY-MM-DD).' }),
  merchant_order_id: z.string().optional(),
  merchant_reference: z.string().optional().openapi({
    description: 'Exact (case-sensitive) match on the merchant’s reference.',
    example: 'order-1042',
  }),
  customer: z.string().optional().openapi({ type: 'integer', description: 'Staff only: a customer id.' }),
});
export type TransactionListQuery = z.infer<typeof TransactionListQuery>;

export const TransactionIdParams = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, type: 'integer', example: 42 }),
});

export const WebhookAck = z.object({ received: z.literal(true) }).openapi('WebhookAck');
