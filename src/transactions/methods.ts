import { and, eq, isNull, ne, or } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { transactions } from '../db/schema';
import type { Config } from '../env';
import { fieldError } from '../lib/errors';
import type { PaymobTransactionFacts } from '../paymob/events';
import {
  integrationsByMethod,
  isPaymentMethod,
  PAYMENT_METHODS,
  type PaymentMethod,
} from '../paymob/settings';
import type { PaymentSource } from '../paymob/source-data';
import type { TransitionChanges } from './state-machine';
import { notify, type StatusMessageTarget, statusMessage } from './status-mail';

/**
 * Payment methods through unified checkout (docs/paymob.md §8): which integrations a payment offers, how
 * PayMob says it was paid, and a kiosk payment's bill reference with its own expiry.
 */

export interface ChosenMethods {
  names: PaymentMethod[];
  integrationIds: number[];
}

const FIELD = 'payment_methods';

/**
 * The methods a new payment offers: the requested names (default: every configured method), each known and
 * configured, with their integration ids in the configuration's order. The legacy iframe takes one card
 * integration (docs/paymob.md §2), so legacy mode offers `card` only and refuses any other name.
 */
export function chooseMethods(config: Config, requested: readonly string[] | undefined): ChosenMethods {
  const configured = integrationsByMethod(config);
  const available = PAYMENT_METHODS.filter((name) => (configured[name]?.length ?? 0) > 0);
  const legacy = config.PAYMOB_API_MODE === 'legacy';
  let names: PaymentMethod[];
  if (requested === undefined) {
    names = legacy ? ['card'] : available;
  } else {
    names = [];
    for (const raw of requested) {
      const name = raw.trim().toLowerCase();
      if (!isPaymentMethod(name)) {
        throw fieldError(
          FIELD,
          `"${raw.slice(0, 32)}" is not a payment method; use one of: ${PAYMENT_METHODS.join(', ')}.`,
        );
      }
      if (!available.includes(name)) {
        throw fieldError(
          FIELD,
          `"${name}" is not available on this account; available: ${(legacy ? ['card'] : available).join(', ')}.`,
        );
      }
      if (legacy && name !== 'card') {
        throw fieldError(
          FIELD,
          `"${name}" needs unified checkout; the legacy iframe mode (PAYMOB_API_MODE=legacy) offers card only.`,
        );
      }
      if (!names.includes(name)) names.push(name);
    }
  }
  const integrationIds = [...new Set(names.flatMap((name) => configured[name] ?? []))];
  return { names, integrationIds };
}

/** The columns a report's payment source sets along with a status change (no change without a source). */
export function sourceChanges(facts: PaymobTransactionFacts): TransitionChanges {
  const source = facts.source;
  if (!source) return {};
  return {
    methodType: source.type,
    methodSubType: source.subType,
    methodPan: source.pan,
    // The redirect never carries one (src/paymob/source-data.ts): a stored reference is kept.
    ...(source.billReference !== null ? { billReference: source.billReference } : {}),
  };
}

/** The method columns a report shows before it is written: the stored ones, overridden by the report's. */
export function withSource<T extends StatusMessageTarget & MethodColumns>(
  target: T,
  source: PaymentSource | null | undefined,
): T {
  if (!source) return target;
  return {
    ...target,
    methodType: source.type,
    methodSubType: source.subType,
    methodPan: source.pan,
    billReference: source.billReference ?? target.billReference ?? null,
  };
}

export interface MethodColumns {
  methodType?: string | null;
  methodSubType?: string | null;
  methodPan?: string | null;
  billReference?: string | null;
  billExpiresAt?: Date | null;
}

/**
 * A pending report with a kiosk bill reference (PayMob's `data.bill_reference`; docs/paymob.md §8): the
 * reference, its expiry (`PAYMOB_KIOSK_EXPIRY_HOURS` from now) and the source are stored on the pending
 * payment, once per reference, and the customer is e-mailed the reference through the notifications queue.
 * The reference is not covered by PayMob's HMAC: it is read from the processed callback (server to server)
 * and inquiries only, never from the browser redirect. One guarded UPDATE; nothing when already stored.
 */
export async function recordBillReference(
  ctx: ServiceContext,
  target: StatusMessageTarget & MethodColumns & { status: string; amountCents: number },
  facts: PaymobTransactionFacts,
): Promise<boolean> {
  const source = facts.source;
  const reference = source?.billReference;
  if (!source || !reference || target.status !== 'pending' || target.billReference === reference)
    return false;
  const expiresAt = new Date(ctx.now.getTime() + ctx.config.PAYMOB_KIOSK_EXPIRY_HOURS * 3_600_000);
  const result = await ctx.db
    .update(transactions)
    .set({
      billReference: reference,
      billExpiresAt: expiresAt,
      methodType: source.type,
      methodSubType: source.subType,
      methodPan: source.pan,
      updatedAt: ctx.now,
    })
    .where(
      and(
        eq(transactions.id, target.id),
        eq(transactions.status, 'pending'),
        or(isNull(transactions.billReference), ne(transactions.billReference, reference)),
      ),
    );
  if (result.rowsAffected !== 1) return false;
  ctx.logger.info('kiosk bill reference stored', { transaction_id: target.id });
  const message = statusMessage(
    withSource(target, source),
    'pending',
    target.amountCents,
    null,
    `kiosk_reference:${target.id}:${reference}`,
  );
  await notify(
    ctx,
    message && {
      ...message,
      bill_reference: reference,
      bill_reference_expires_at: expiresAt.toISOString(),
    },
  );
  return true;
}

export const KIOSK_EXPIRED_REASON = 'The kiosk bill reference expired before it was paid.';
