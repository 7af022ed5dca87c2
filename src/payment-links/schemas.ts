import { z } from '@hono/zod-openapi';
import { PAYMENT_LINK_STATUSES } from '../db/schema';
import { CURRENCIES } from '../lib/money';
import { pageSchema, paginationQuery } from '../lib/pagination';
import { MerchantReference } from '../transactions/merchant-data';
import { amountInput } from '../transactions/schemas';

/** docs/api.md §11: payment links. */

/** The longest a link may stay open, and the expiry when the request names none. */
export const MAX_LINK_SECONDS = 90 * 24 * 60 * 60;
export const DEFAULT_LINK_SECONDS = 7 * 24 * 60 * 60;
/** The shortest: a link that expires before a shopper can open it is a mistake. */
export const MIN_LINK_SECONDS = 5 * 60;

// Tab, line feed and carriage return are the control characters free text may hold.
const CONTROL_IN_TEXT = /[^\P{Cc}\t\n\r]/u;
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'This field may not be blank.')
    .max(max)
    .refine((value) => value.isWellFormed(), 'Not valid Unicode text (lone surrogate).')
    .refine((value) => !CONTROL_IN_TEXT.test(value), 'May not contain control characters.');

const email = z.string().trim().max(254).pipe(z.email('Enter a valid email address.'));

export const CreatePaymentLinkBody = z
  .object({
    amount: amountInput({ input: undefined, message: 'This field is required.' }).openapi({
      type: 'string',
      description: 'Decimal amount (> 0) in the PayMob account’s currency (PAYMOB_COUNTRY).',
      example: '250.00',
    }),
    description: text(255).openapi({
      description: 'What the payer pays for; shown on the link’s page.',
      example: 'Invoice 1042',
    }),
    customer_email: email.optional().openapi({
      description: 'The payer’s e-mail: the link is e-mailed there at once, and the page pre-fills it.',
      example: 'payer@example.com',
    }),
    expires_at: z.iso
      .datetime({ offset: true, message: 'Enter an ISO-8601 date-time.' })
      .optional()
      .openapi({ description: 'When the link stops working (5 minutes to 90 days ahead).' }),
    expires_in: z
      .number()
      .int()
      .positive()
      .optional()
      .openapi({
        description: `Seconds until the link stops working, instead of expires_at (default ${DEFAULT_LINK_SECONDS}: 7 days).`,
        example: 86400,
      }),
    single_use: z.boolean().optional().openapi({
      description:
        'Default true: the first successful payment closes the link. false: any number of payments.',
    }),
    merchant_reference: MerchantReference.optional().openapi({
      description: 'The merchant’s own reference; copied to every payment made through the link.',
      example: 'invoice-1042',
    }),
  })
  .strict()
  .openapi('CreatePaymentLink');
export type CreatePaymentLinkInput = z.infer<typeof CreatePaymentLinkBody>;

export const SendPaymentLinkBody = z
  .object({
    email: email
      .optional()
      .openapi({ description: 'Where to send it (default: the link’s customer_email).' }),
  })
  .strict()
  .openapi('SendPaymentLink');

export const PaymentLinkSchema = z
  .object({
    id: z.number().int(),
    url: z.string().openapi({
      format: 'uri',
      description: 'The page that takes the payment: `<base>/pay/link/<token>`.',
    }),
    amount: z.string().openapi({ example: '250.00' }),
    amount_cents: z.number().int().openapi({ example: 25000 }),
    currency: z.string().length(3).openapi({ enum: CURRENCIES, example: 'EGP' }),
    description: z.string(),
    customer_email: z.string().nullable(),
    merchant_reference: z.string().nullable(),
    single_use: z.boolean(),
    status: z.enum([...PAYMENT_LINK_STATUSES, 'expired']).openapi({
      description: '`expired` when expires_at has passed while the link was still active.',
    }),
    expires_at: z.string().openapi({ format: 'date-time' }),
    paid_count: z.number().int().openapi({ description: 'Successful payments counted for the link.' }),
    paid_at: z
      .string()
      .nullable()
      .openapi({ format: 'date-time', description: 'The first counted payment.' }),
    paid_transaction: z.number().int().nullable().openapi({
      description: 'A single-use link: the payment that paid it.',
    }),
    created_at: z.string().openapi({ format: 'date-time' }),
    deactivated_at: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('PaymentLink');
export type PaymentLinkView = z.infer<typeof PaymentLinkSchema>;

export const PaymentLinkPage = pageSchema(PaymentLinkSchema, 'PaymentLinkPage');

export const PaymentLinkListQuery = z.object({
  ...paginationQuery,
  status: z
    .string()
    .optional()
    .openapi({ enum: [...PAYMENT_LINK_STATUSES, 'expired'], description: 'Only links in this status.' }),
});
export type PaymentLinkListQuery = z.infer<typeof PaymentLinkListQuery>;

export const PaymentLinkIdParams = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, type: 'integer', example: 7 }),
});

/** `data.object` of a `payment_link.paid` event: the link as it is now, and the payment that counted. */
export const PaymentLinkEventObject = PaymentLinkSchema.extend({
  transaction: z.number().int().openapi({ description: 'The successful payment that counted for the link.' }),
}).openapi('PaymentLinkEventObject');
