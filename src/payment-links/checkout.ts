import { eq, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { paymentLinks, transactions } from '../db/schema';
import { ulid } from '../lib/crypto';
import { AppError, notFound } from '../lib/errors';
import { type BillingData, PAYMENT_KEY_EXPIRATION_SECONDS, PaymobError } from '../paymob/client';
import { transitionTransaction } from '../transactions/state-machine';
import { publicIdOf } from './token';
import { linkState, type PaymentLinkRow } from './view';

/**
 * Paying a payment link (docs/api.md §11): the public page reads the link by its token, and its form starts a
 * checkout — a normal transaction with `payment_link_id` set and no customer (the payer needs no StackPay
 * account; the form asks for the billing data PayMob requires). Unified checkout in intention mode, PayMob's
 * iframe page in legacy mode (card only), exactly as `POST txn/` does (src/transactions/create.ts).
 */

/** What the page's form asks for: PayMob refuses a payment key without these (docs/design.md §5). */
export interface LinkPayer {
  first_name: string;
  last_name: string;
  email: string;
  phone_number: string;
}

const UNKNOWN = 'NA';

const linkGone = (state: string) =>
  new AppError(410, 'payment_link_gone', `This payment link is ${state}; it can no longer be paid.`);

/** The link a token names (404 for a malformed token, a wrong MAC or an unknown link). */
export async function linkByToken(ctx: ServiceContext, token: string): Promise<PaymentLinkRow> {
  const publicId = await publicIdOf(ctx.config, token);
  const [row] = publicId
    ? await ctx.db.select().from(paymentLinks).where(eq(paymentLinks.publicId, publicId)).limit(1)
    : [];
  if (!row) throw notFound('There is no payment link at this address.');
  return row;
}

/** The link, only while it can be paid: active and not expired (410 otherwise). */
export async function payableLink(ctx: ServiceContext, token: string): Promise<PaymentLinkRow> {
  const row = await linkByToken(ctx, token);
  const state = linkState(row, ctx.now);
  if (state !== 'active') throw linkGone(state);
  return row;
}

function billing(payer: LinkPayer): BillingData {
  return {
    first_name: payer.first_name,
    last_name: payer.last_name,
    email: payer.email,
    phone_number: payer.phone_number,
    apartment: UNKNOWN,
    floor: UNKNOWN,
    street: UNKNOWN,
    building: UNKNOWN,
    shipping_method: UNKNOWN,
    postal_code: UNKNOWN,
    city: UNKNOWN,
    country: UNKNOWN,
    state: UNKNOWN,
  };
}

/**
 * Starts one checkout for the link (read by `payableLink`) and returns where the browser goes (PayMob's page). The INSERT … SELECT
 * inserts only while the link is active and unexpired, in the same statement: a link deactivated or paid a
 * moment earlier starts nothing (410). Several checkouts of a single-use link may be open at once; the first
 * success pays it (src/payment-links/paid.ts). A PayMob failure leaves the row `failed` and answers 502.
 */
export async function startLinkCheckout(
  ctx: ServiceContext,
  input: { link: PaymentLinkRow; payer: LinkPayer; callbackUrl: string },
): Promise<{ transactionId: number; checkoutUrl: string }> {
  const { db, config, now } = ctx;
  const { link } = input;
  const merchantOrderId = `SP-${ulid(now.getTime())}`;
  const apiMode = config.PAYMOB_API_MODE;
  const inserted = await db.execute(sql`
    insert into ${transactions} (customer_id, payment_link_id, merchant_order_id, amount_cents, currency, status,
      api_mode, merchant_reference, description, created_at, updated_at)
    select null, ${paymentLinks.id}, ${merchantOrderId}, ${paymentLinks.amountCents}, ${paymentLinks.currency},
      'initiated', ${apiMode}, ${paymentLinks.merchantReference}, ${paymentLinks.description}, ${now}, ${now}
    from ${paymentLinks}
    where ${paymentLinks.id} = ${link.id} and ${paymentLinks.status} = 'active'
      and ${paymentLinks.expiresAt} > ${sql.param(now, paymentLinks.expiresAt)}`);
  if (inserted.rowsAffected !== 1) throw linkGone('no longer active');
  const id = Number(inserted.insertId);
  const log = ctx.logger.child({
    transaction_id: id,
    payment_link_id: link.id,
    merchant_order_id: merchantOrderId,
  });

  const paymob = ctx.paymob();
  let checkout: { orderId: number; token: string; url: string };
  try {
    const common = {
      amountCents: link.amountCents,
      currency: link.currency,
      billing: billing(input.payer),
      notificationUrl: input.callbackUrl,
      redirectionUrl: input.callbackUrl,
    };
    if (apiMode === 'intention') {
      const intention = await paymob.createIntention({ merchantOrderId, ...common });
      checkout = {
        orderId: intention.orderId,
        token: intention.clientSecret,
        url: paymob.unifiedCheckoutUrl(intention.clientSecret),
      };
    } else {
      const order = await paymob.registerOrder({
        merchantOrderId,
        amountCents: link.amountCents,
        currency: link.currency,
      });
      const key = await paymob.createPaymentKey({ orderId: order.id, ...common });
      checkout = { orderId: order.id, token: key.token, url: paymob.iframeUrl(key.token) };
    }
  } catch (err) {
    const reason =
      err instanceof PaymobError
        ? `PayMob ${err.failure} during ${err.operation}`
        : 'checkout could not start';
    log.warn('payment link checkout failed; transaction marked failed', { reason });
    await transitionTransaction(db, id, 'failed', { failureReason: reason }, new Date()).catch((markErr) =>
      log.error('could not mark the transaction failed', { error: String(markErr).slice(0, 200) }),
    );
    if (err instanceof PaymobError) throw err;
    throw new PaymobError('unavailable', 'checkout', reason, { cause: err });
  }
  await transitionTransaction(
    db,
    id,
    'pending',
    {
      paymobOrderId: checkout.orderId,
      paymentToken: checkout.token,
      checkoutUrl: checkout.url,
      paymentKeyExpiresAt: new Date(now.getTime() + PAYMENT_KEY_EXPIRATION_SECONDS * 1000),
    },
    new Date(),
  );
  log.info('payment link checkout ready', { paymob_order_id: checkout.orderId, api_mode: apiMode });
  return { transactionId: id, checkoutUrl: checkout.url };
}
