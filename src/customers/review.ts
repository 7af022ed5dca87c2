import { eq, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { writeAudit } from '../db/audit';
import { customers, kycRecords, users } from '../db/schema';
import { conflict } from '../lib/errors';
import { describeError } from '../lib/logger';
import { publishEvent, recordEvent } from '../webhooks/events';
import { kycColumns } from './columns';
import { customerNotFound, type Kyc, kycRecordNotFound, kycSubmissionVersion } from './kyc';
import { callerId } from './profile';
import { toKycView } from './view';

function submissionChanged() {
  return conflict(
    'kyc_changed',
    'The submission changed while it was being reviewed. Reload it and review again.',
  );
}

export type KycDecision = 'approved' | 'rejected';

export interface KycReviewInput {
  customerId: number;
  status: KycDecision;
  /** Required when rejecting (the schemas check it); kept as the rejection reason. */
  reason: string | null;
  /** kycSubmissionVersion of the submission the reviewer saw (docs/security.md §2). */
  submissionVersion: string;
}

/**
 * docs/api.md §3.4 staff review, shared by the API and the admin UI; the reviewer is `ctx.actor`. One read; then
 * one transaction holding a single multi-table UPDATE (KYC status, reviewer, time, and the customer's
 * is_verified), the audit row and the `customer.kyc_approved`/`customer.kyc_rejected` event row
 * (docs/webhooks.md §2); then the event is published and the e-mail to the customer is queued (a failure to
 * queue it is logged: the review stands).
 */
export async function reviewKyc(ctx: ServiceContext, input: KycReviewInput): Promise<Kyc> {
  const { db } = ctx;
  const reviewerId = callerId(ctx);
  const [row] = await db
    .select({ userId: users.id, username: users.username, email: users.email, kyc: kycColumns })
    .from(customers)
    .innerJoin(users, eq(users.id, customers.userId))
    .leftJoin(kycRecords, eq(kycRecords.customerId, customers.id))
    .where(eq(customers.id, input.customerId))
    .limit(1);
  if (!row) throw customerNotFound();
  const current = row.kyc;
  if (!current) throw kycRecordNotFound();
  // docs/security.md §2: the decision is about the document the reviewer saw, never one swapped in since.
  if ((await kycSubmissionVersion(current)) !== input.submissionVersion) throw submissionChanged();
  if (input.status === 'approved' && (!current.documentId || !current.documentKey)) {
    throw conflict(
      'kyc_incomplete',
      'The customer has not submitted both a document id and a document file yet: it cannot be approved.',
    );
  }

  const reviewedAt = ctx.now;
  const rejectionReason = input.status === 'rejected' ? input.reason : null;
  const reviewed: Kyc = {
    ...current,
    status: input.status,
    reviewedAt,
    reviewedBy: reviewerId,
    rejectionReason,
  };
  // The event's object is the staff read of the record as the review leaves it (docs/webhooks.md §1).
  const object = await toKycView(reviewed, `/api/v1/customers/${input.customerId}/kyc/file/`);
  const eventId = await db.transaction(async (tx) => {
    // Guarded on the submission the reviewer saw: a document replaced meanwhile is not approved unseen.
    const result = await tx.execute(sql`
      update ${kycRecords} join ${customers} on ${customers.id} = ${kycRecords.customerId}
      set ${kycRecords.status} = ${input.status}, ${kycRecords.rejectionReason} = ${rejectionReason},
        ${kycRecords.reviewedAt} = ${reviewedAt}, ${kycRecords.reviewedBy} = ${reviewerId},
        ${kycRecords.updatedAt} = ${reviewedAt},
        ${customers.isVerified} = ${input.status === 'approved'}, ${customers.updatedAt} = ${reviewedAt}
      where ${kycRecords.id} = ${current.kycId} and ${kycRecords.documentType} = ${current.documentType}
        and ${kycRecords.documentId} <=> ${current.documentId}
        and ${kycRecords.documentKey} <=> ${current.documentKey}`);
    if (result.rowsAffected === 0) throw submissionChanged();
    await writeAudit(tx, {
      actorUserId: reviewerId,
      action: 'kyc.review',
      targetType: 'customer',
      targetId: input.customerId,
      details: {
        kyc_id: current.kycId,
        status: input.status,
        previous_status: current.status,
        reason: rejectionReason,
        document_type: current.documentType,
      },
      requestId: ctx.requestId,
    });
    // The outbox (docs/webhooks.md §2): the event row commits with the review, then is published.
    return recordEvent(ctx, {
      type: input.status === 'approved' ? 'customer.kyc_approved' : 'customer.kyc_rejected',
      objectId: input.customerId,
      object,
      db: tx,
    });
  });
  await publishEvent(ctx, eventId);

  try {
    await ctx.notify({
      type: 'kyc_review',
      idempotency_key: `kyc-review:${current.kycId}:${reviewedAt.getTime()}`,
      to: row.email,
      user_id: row.userId,
      username: row.username,
      status: input.status,
      reason: rejectionReason,
    });
  } catch (err) {
    ctx.logger.error('kyc review e-mail not queued', describeError(err));
  }

  return reviewed;
}
