import { z } from 'zod';

/**
 * PayMob's answers and callbacks as we rely on them. Objects are loose: PayMob adds fields freely, and we
 * validate only what we read. A response that fails these schemas is treated as PayMob being unavailable,
 * never passed on.
 */

export const AuthTokenResponse = z.looseObject({ token: z.string().min(1) });

export const OrderResponse = z.looseObject({
  id: z.number().int().positive(),
  merchant_order_id: z.string().nullish(),
});

export const OrderList = z.looseObject({ results: z.array(OrderResponse) });

export const PaymentKeyResponse = z.looseObject({ token: z.string().min(1) });

/**
 * `intention_order_id` is in the EG docs' sample answer but not in the Oman and Pakistan ones
 * (docs.oman.paymob.com integration-guide-api-reference: `payment_keys`, `id`, `intention_detail`,
 * `client_secret`…); the payment keys name the order (`order_id`) there (docs/paymob.md §4).
 */
export const IntentionResponse = z.looseObject({
  id: z.string().min(1),
  client_secret: z.string().min(1),
  intention_order_id: z.number().int().positive().optional(),
  payment_keys: z
    .array(z.looseObject({ order_id: z.number().int().positive().optional() }))
    .optional()
    .catch(undefined),
});

/** What every PayMob transaction object carries, however it reached us. */
const transactionCore = {
  id: z.number().int().positive(),
  pending: z.boolean(),
  success: z.boolean(),
  // Any sign: a refund or void child may carry a negative amount (docs/payments.md); facts take abs.
  amount_cents: z.number().int(),
  currency: z.string().min(1).max(8),
};

/** A transaction object as callbacks (`obj`) and the inquiry endpoints return it. */
export const PaymobTransaction = z.looseObject({
  ...transactionCore,
  is_refunded: z.boolean().optional(),
  is_refund: z.boolean().optional(),
  is_voided: z.boolean().optional(),
  is_void: z.boolean().optional(),
  has_parent_transaction: z.boolean().optional(),
  refunded_amount_cents: z.number().int().nullish(),
  order: z.looseObject({
    id: z.number().int().positive(),
    merchant_order_id: z.string().nullish(),
  }),
  data: z.looseObject({ message: z.unknown().optional() }).nullish(),
});
export type PaymobTransaction = z.infer<typeof PaymobTransaction>;

/**
 * PayMob's answer to our own refund, void or transaction read (docs/payments.md "Outcome unknown"), read
 * leniently because PayMob acted before it answered: `amount_cents` of either sign (PayMob's own WooCommerce
 * plugin takes `abs((int) $trans['amount_cents'])`), `order` as an id or an object, totals null or numeric.
 */
export const ReversalAnswer = z.looseObject({
  ...transactionCore,
  is_refunded: z.boolean().nullish(),
  is_refund: z.boolean().nullish(),
  is_voided: z.boolean().nullish(),
  is_void: z.boolean().nullish(),
  has_parent_transaction: z.boolean().nullish(),
  parent_transaction: z.number().int().nullish(),
  refunded_amount_cents: z.number().int().nullish(),
  order: z
    .union([
      z.number().int().positive(),
      z.looseObject({ id: z.number().int().positive(), merchant_order_id: z.string().nullish() }),
    ])
    .nullish(),
  data: z.looseObject({ message: z.unknown().optional() }).nullish(),
});
export type ReversalAnswer = z.infer<typeof ReversalAnswer>;

/** The processed callback envelope: `{"type": "TRANSACTION" | "TOKEN" | ..., "obj": {...}}`. */
export const CallbackEnvelope = z.object({
  type: z.string().min(1).max(32),
  obj: z.record(z.string(), z.unknown()),
});

/** A saved-card (TOKEN) callback object: stored and acknowledged, never applied to a transaction. */
export const PaymobToken = z.looseObject({
  id: z.number().int().positive(),
  order_id: z.union([z.number().int(), z.string()]).nullish(),
});

const queryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');
const queryInt = z
  .string()
  .regex(/^\d{1,15}$/)
  .transform(Number);

/**
 * The browser redirect (response callback): the same transaction, flattened into query fields whose values
 * are all strings. The order id arrives as `order` (some accounts: `order_id`).
 */
export const ResponseCallbackQuery = z
  .looseObject({
    id: queryInt,
    pending: queryBoolean,
    success: queryBoolean,
    amount_cents: queryInt,
    currency: z.string().min(1).max(8),
    is_refunded: queryBoolean.optional(),
    is_voided: queryBoolean.optional(),
    has_parent_transaction: queryBoolean.optional(),
    order: queryInt.optional(),
    order_id: queryInt.optional(),
    merchant_order_id: z.string().max(64).optional(),
    'data.message': z.string().optional(),
  })
  .refine((q) => q.order !== undefined || q.order_id !== undefined, { path: ['order'], message: 'missing' });
