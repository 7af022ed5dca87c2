import { and, eq, sql } from 'drizzle-orm';
import { recordSaveRequest, savedCardChoice } from '../cards/payment';
import type { ServiceContext } from '../context';
import { addressFieldColumns } from '../customers/columns';
import { customerNotFound } from '../customers/kyc';
import { customerProfileNotFound } from '../customers/profile';
import { type Database, isDuplicateKey } from '../db/client';
import { addresses, customers, kycRecords, transactions, users } from '../db/schema';
import type { Config } from '../env';
import { ulid } from '../lib/crypto';
import { AppError, conflict, fieldError, forbidden, unauthorized } from '../lib/errors';
import { type Currency, parseAmount } from '../lib/money';
import {
  ACCOUNT_CURRENCIES,
  type BillingData,
  PAYMENT_KEY_EXPIRATION_SECONDS,
  PaymobError,
} from '../paymob/client';
import type { AuthenticatedUser } from '../users/actor';
import { chooseMethods } from './methods';
import { ABANDONED_CHECKOUT_REASON } from './reconcile';
import { checkReturnUrl } from './return-url';
import type { TransactionView } from './schemas';
import { transitionTransaction } from './state-machine';
import { toTransactionView } from './view';

/** The merchant's own data (docs/api.md §4.9), validated by the body's schema (src/transactions/merchant-data.ts). */
export interface MerchantDataInput {
  merchant_reference?: string;
  metadata?: Record<string, string>;
  description?: string;
  return_url?: string;
}

export interface CreateTransactionInput extends MerchantDataInput {
  amount: string | number;
  /** The customer who pays: required for a server API key, optional (and only one's own) for a customer. */
  customer_id?: number;
  /** Where PayMob sends the processed callback and the browser: `<base>/api/v1/transactions/webhook/`. */
  callbackUrl: string;
  /** docs/api.md "Saved cards": store the card PayMob's TOKEN callback sends for this payment. */
  save_card?: boolean;
  /** docs/api.md "Saved cards": pay with this saved card of the payer's (unified checkout, no card form). */
  card_id?: number;
  /** The methods the checkout offers (docs/paymob.md §8); default: every configured one. */
  payment_methods?: string[];
}

/** PayMob refuses a payment key without these (docs/design.md §5); "NA" is not accepted for them. */
const REQUIRED_BILLING = ['first_name', 'last_name', 'phone_number', 'email'] as const;
// What PayMob accepts for an unknown optional billing field.
const UNKNOWN = 'NA';

/** Everything the checks and the billing data need: one query (customer, user, KYC status, main address). */
async function loadPayer(db: Database, by: { userId: number } | { customerId: number }) {
  const [row] = await db
    .select({
      customerId: customers.id,
      userId: customers.userId,
      email: users.email,
      isActive: users.isActive,
      firstName: customers.firstName,
      lastName: customers.lastName,
      phoneNumber: customers.phoneNumber,
      kycStatus: kycRecords.status,
      addressId: addresses.id,
      ...addressFieldColumns,
    })
    .from(customers)
    .innerJoin(users, eq(users.id, customers.userId))
    .leftJoin(kycRecords, eq(kycRecords.customerId, customers.id))
    // main_of is customer_id for the main address only, with a unique index: the main address in one probe.
    .leftJoin(addresses, eq(addresses.mainOf, customers.id))
    .where('userId' in by ? eq(customers.userId, by.userId) : eq(customers.id, by.customerId))
    .limit(1);
  return row;
}
type Payer = NonNullable<Awaited<ReturnType<typeof loadPayer>>>;

/** The caller as payer from what the auth query loaded (docs/round-trips.md): no query of its own. */
function payerOf(actor: AuthenticatedUser): Payer | undefined {
  const customer = actor.customer;
  if (!customer) return undefined;
  const address = customer.mainAddress;
  return {
    customerId: customer.id,
    userId: actor.id,
    email: actor.email,
    isActive: actor.isActive,
    firstName: customer.firstName,
    lastName: customer.lastName,
    phoneNumber: customer.phoneNumber,
    kycStatus: customer.kycStatus,
    addressId: address?.id ?? null,
    country: address?.country ?? null,
    state: address?.state ?? null,
    city: address?.city ?? null,
    line: address?.line ?? null,
    buildingNumber: address?.buildingNumber ?? null,
    apartmentNumber: address?.apartmentNumber ?? null,
    postalCode: address?.postalCode ?? null,
  };
}

/**
 * Who pays (docs/api-keys.md §2): a customer pays for themselves (a `customer_id` naming anyone else → 403);
 * a server API key with `payments:write` must name the customer (`customer_id`), whose user must be active.
 */
async function resolvePayer(ctx: ServiceContext, customerId: number | undefined): Promise<Payer> {
  if (ctx.apiKey) {
    if (customerId === undefined) {
      throw fieldError('customer_id', 'This field is required when an API key creates the payment.');
    }
    const payer = await loadPayer(ctx.db, { customerId });
    if (!payer?.isActive) throw customerNotFound();
    return payer;
  }
  // The route lets customers only in (requireRole): the payer is the caller, as the auth query loaded them.
  const actor = ctx.actor;
  if (!actor) throw unauthorized('Authentication credentials were not provided.');
  const payer = actor.customer === undefined ? await loadPayer(ctx.db, { userId: actor.id }) : payerOf(actor);
  if (!payer) throw customerProfileNotFound();
  if (customerId !== undefined && customerId !== payer.customerId) {
    throw forbidden('A customer can only pay for their own customer profile.');
  }
  return payer;
}

const filled = (value: string | null | undefined): string | undefined => {
  const text = value?.trim();
  return text ? text : undefined;
};

function billingData(payer: Payer, email: string): BillingData {
  return {
    first_name: filled(payer.firstName) ?? UNKNOWN,
    last_name: filled(payer.lastName) ?? UNKNOWN,
    email,
    phone_number: filled(payer.phoneNumber) ?? UNKNOWN,
    apartment: filled(payer.apartmentNumber) ?? UNKNOWN,
    floor: UNKNOWN,
    street: filled(payer.line) ?? UNKNOWN,
    building: filled(payer.buildingNumber) ?? UNKNOWN,
    shipping_method: UNKNOWN,
    postal_code: filled(payer.postalCode) ?? UNKNOWN,
    city: filled(payer.city) ?? UNKNOWN,
    country: payer.country ?? UNKNOWN,
    state: filled(payer.state) ?? UNKNOWN,
  };
}

/**
 * The docs/api.md §4.2 preconditions, in order; returns the payment currency: the PayMob account's
 * (`PAYMOB_COUNTRY`), never the address's — an account's integrations take one currency, so a customer
 * whose main address is elsewhere pays in the account's currency (docs/paymob.md §1).
 */
function checkPayer(config: Config, payer: Payer, email: string): Currency {
  if (config.REQUIRE_KYC_FOR_PAYMENTS && payer.kycStatus !== 'approved') {
    throw new AppError(
      403,
      'kyc_not_approved',
      'Your identity documents must be approved before you can pay.',
    );
  }
  if (payer.addressId === null || payer.country === null) {
    throw conflict('main_address_required', 'Add a main address before making a payment.');
  }
  const currency: Currency = ACCOUNT_CURRENCIES[config.PAYMOB_COUNTRY];
  const values: Record<(typeof REQUIRED_BILLING)[number], string | null> = {
    first_name: payer.firstName,
    last_name: payer.lastName,
    phone_number: payer.phoneNumber,
    email,
  };
  const missing = REQUIRED_BILLING.filter((field) => !filled(values[field]));
  if (missing.length > 0) {
    throw new AppError(
      409,
      'profile_incomplete',
      `Complete your profile before paying; missing: ${missing.join(', ')}.`,
      { extensions: { missing_fields: missing } },
    );
  }
  return currency;
}

/** What a PayMob failure leaves in `failure_reason`: the step and PayMob's words, never a raw body. */
function failureReason(err: unknown): string {
  if (err instanceof PaymobError) {
    if (err.failure === 'rejected') return `PayMob rejected the ${err.operation}: ${err.reason}`;
    if (err.failure === 'auth_failed') return `PayMob refused our credentials during ${err.operation}`;
    return `PayMob unavailable during ${err.operation}`;
  }
  return ABANDONED_CHECKOUT_REASON;
}

/** 409 naming the customer's payment that already has this reference (one query, only on the conflict). */
async function referenceConflict(db: Database, customerId: number, reference: string): Promise<AppError> {
  const [existing] = await db
    .select({ id: transactions.id })
    .from(transactions)
    .where(and(eq(transactions.customerId, customerId), eq(transactions.merchantReference, reference)))
    .limit(1);
  return new AppError(
    409,
    'merchant_reference_conflict',
    'You already have a payment with this merchant_reference; use another reference or read that payment.',
    existing ? { extensions: { transaction_id: existing.id } } : {},
  );
}

/**
 * docs/api.md §4.2, in this order: preconditions → row `initiated` → PayMob (auth token, order, payment key; or one
 * intention) → row `pending` with the checkout. A PayMob failure leaves the row `failed` with its reason
 * and answers 502; no `initiated` row outlives its request. Three database round trips on success (auth
 * included): the auth user with the payer's profile, KYC status and main address, the INSERT and the
 * guarded UPDATE (docs/round-trips.md); a server API key's payer is one more (loadPayer).
 */
export async function createTransaction(
  ctx: ServiceContext,
  input: CreateTransactionInput,
): Promise<TransactionView> {
  const { db, config, logger, now } = ctx;
  const returnUrl = input.return_url === undefined ? null : checkReturnUrl(config, input.return_url);
  const reference = input.merchant_reference ?? null;
  const metadata = input.metadata ?? null;
  const description = input.description ?? null;
  const methods = chooseMethods(config, input.payment_methods);
  const payer = await resolvePayer(ctx, input.customer_id);
  const currency = checkPayer(config, payer, payer.email);
  const amount = parseAmount(input.amount, currency);
  if (!amount.ok) throw fieldError('amount', amount.message);
  const amountCents = amount.minor;
  const cardTokens = await savedCardChoice(ctx, input, payer.customerId);

  const merchantOrderId = `SP-${ulid(now.getTime())}`;
  const apiMode = config.PAYMOB_API_MODE;
  // docs/security.md §4: the INSERT … SELECT inserts only while the customer row exists, and holds a shared lock
  // on it meanwhile; DELETE profile takes that row exclusively and re-checks "no transaction" in the same
  // statement. Whichever runs first, a transaction never outlives its customer.
  // The unique (customer_id, merchant_reference) index decides a duplicate reference, even between
  // concurrent requests: the loser's INSERT fails and nothing of it is written (docs/api.md §4.9).
  let inserted: Awaited<ReturnType<Database['execute']>>;
  try {
    inserted = await db.execute(sql`
    insert into ${transactions} (customer_id, merchant_order_id, amount_cents, currency, status, api_mode,
      merchant_reference, metadata, description, return_url, ${sql.identifier(transactions.paymentMethods.name)}, created_at, updated_at)
    select ${customers.id}, ${merchantOrderId}, ${amountCents}, ${currency}, 'initiated', ${apiMode},
      ${reference}, ${metadata === null ? null : JSON.stringify(metadata)}, ${description}, ${returnUrl},
      ${JSON.stringify(methods.names)}, ${now}, ${now}
    from ${customers} where ${customers.id} = ${payer.customerId} and ${customers.userId} = ${payer.userId}`);
  } catch (err) {
    if (reference !== null && isDuplicateKey(err, 'transactions_customer_reference_unique')) {
      throw await referenceConflict(db, payer.customerId, reference);
    }
    throw err;
  }
  if (inserted.rowsAffected !== 1) throw customerProfileNotFound();
  const id = Number(inserted.insertId);
  if (input.save_card) await recordSaveRequest(db, id, now);
  const log = logger.child({ transaction_id: id, merchant_order_id: merchantOrderId });

  const paymob = ctx.paymob();
  let checkout: { orderId: number; token: string; url: string; expiresAt: Date };
  try {
    const billing = billingData(payer, payer.email);
    const expiresAt = new Date(now.getTime() + PAYMENT_KEY_EXPIRATION_SECONDS * 1000);
    if (apiMode === 'intention') {
      const intention = await paymob.createIntention({
        merchantOrderId,
        amountCents,
        currency,
        billing,
        notificationUrl: input.callbackUrl,
        redirectionUrl: input.callbackUrl,
        cardTokens,
        integrationIds: methods.integrationIds,
      });
      checkout = {
        orderId: intention.orderId,
        token: intention.clientSecret,
        url: paymob.unifiedCheckoutUrl(intention.clientSecret),
        expiresAt,
      };
    } else {
      const order = await paymob.registerOrder({ merchantOrderId, amountCents, currency });
      const key = await paymob.createPaymentKey({
        orderId: order.id,
        amountCents,
        currency,
        billing,
        notificationUrl: input.callbackUrl,
        redirectionUrl: input.callbackUrl,
      });
      checkout = { orderId: order.id, token: key.token, url: paymob.iframeUrl(key.token), expiresAt };
    }
  } catch (err) {
    const reason = failureReason(err);
    log.warn('checkout failed; transaction marked failed', { reason });
    try {
      await transitionTransaction(db, id, 'failed', { failureReason: reason }, new Date());
      // The client got a 502 and no transaction: the reference is freed so the retry may use it.
      if (reference !== null) {
        await db.update(transactions).set({ merchantReference: null }).where(eq(transactions.id, id));
      }
    } catch (markErr) {
      // Reconciliation (§4.8) expires what this could not mark; the client still learns of the failure.
      log.error('could not mark the transaction failed', { error: String(markErr).slice(0, 200) });
    }
    if (err instanceof PaymobError) throw err;
    throw new PaymobError('unavailable', 'checkout', reason, { cause: err });
  }

  const updatedAt = new Date();
  const changes = {
    paymobOrderId: checkout.orderId,
    paymentToken: checkout.token,
    checkoutUrl: checkout.url,
    paymentKeyExpiresAt: checkout.expiresAt,
  };
  const moved = await transitionTransaction(db, id, 'pending', changes, updatedAt);
  if (!moved) log.error('transaction left initiated by someone else; answering with the checkout anyway');
  log.info('checkout ready', { paymob_order_id: checkout.orderId, api_mode: apiMode });
  return toTransactionView({
    id,
    customerId: payer.customerId,
    merchantOrderId,
    amountCents,
    currency,
    status: 'pending',
    paymobOrderId: checkout.orderId,
    paymobTransactionId: null,
    paymentToken: checkout.token,
    checkoutUrl: checkout.url,
    failureReason: null,
    refundedCents: 0,
    merchantReference: reference,
    metadata,
    description,
    returnUrl,
    paymentLinkId: null,
    paymentMethods: methods.names,
    createdAt: now,
    updatedAt,
  });
}
