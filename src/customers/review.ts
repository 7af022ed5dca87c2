import { eq, sql } from 'drizzle-orm';
import { writeAudit } from '../db/audit';
import type { Database } from '../db/client';
import { customers, kycRecords, users } from '../db/schema';
import { conflict } from '../lib/errors';
import { enqueueNotification } from '../notifications/messages';
import { customerNotFound, type Kyc, kycColumns, kycRecordNotFound, kycSubmissionVersion } from './kyc';

function submissionChanged() {
  return conflict(
    'kyc_changed',
    'The submission changed while it was being reviewed. Reload it and review again.',
  );
}

export type KycDecision = 'approved' | 'rejected';

export interface KycReviewInput {
  customerId: number;
  reviewerId: number;
  status: KycDecision;
  /** Required when rejecting (the schemas check it); kept as the rejection reason. */
  reason: string | null;
  /** kycSubmissionVersion of the submission the reviewer saw (docs/security.md §2). */
  submissionVersion: string;
  requestId?: string | null;
  now?: Date;
}

export interface KycReviewDeps {
  db: Database;
  notifications: Queue;
  /** Called when the e-mail could not be queued: the review stands, the failure is only logged. */
  onNotificationError: (err: unknown) => void;
}

/**
 * docs/api.md §3.4 staff review, shared by the API and the admin UI. One read; then one transaction holding a
 * single multi-table UPDATE (KYC status, reviewer, time, and the customer's is_verified) and the audit row;
 * then the e-mail to the customer is queued.
 */
export async function reviewKyc(deps: KycReviewDeps, input: KycReviewInput): Promise<Kyc> {
  const { db } = deps;
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

  const reviewedAt = input.now ?? new Date();
  const rejectionReason = input.status === 'rejected' ? input.reason : null;
  await db.transaction(async (tx) => {
    // Guarded on the submission the reviewer saw: a document replaced meanwhile is not approved unseen.
    const result = await tx.execute(sql`
      update kyc_records k join customers c on c.id = k.customer_id
      set k.status = ${input.status}, k.rejection_reason = ${rejectionReason}, k.reviewed_at = ${reviewedAt},
        k.reviewed_by = ${input.reviewerId}, k.updated_at = ${reviewedAt},
        c.is_verified = ${input.status === 'approved'}, c.updated_at = ${reviewedAt}
      where k.id = ${current.kycId} and k.document_type = ${current.documentType}
        and k.document_id <=> ${current.documentId} and k.document_key <=> ${current.documentKey}`);
    if (result.rowsAffected === 0) throw submissionChanged();
    await writeAudit(tx, {
      actorUserId: input.reviewerId,
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
      requestId: input.requestId ?? null,
    });
  });

  try {
    await enqueueNotification(deps.notifications, {
      type: 'kyc_review',
      idempotency_key: `kyc-review:${current.kycId}:${reviewedAt.getTime()}`,
      to: row.email,
      user_id: row.userId,
      username: row.username,
      status: input.status,
      reason: rejectionReason,
    });
  } catch (err) {
    deps.onNotificationError(err);
  }

  return {
    ...current,
    status: input.status,
    reviewedAt,
    reviewedBy: input.reviewerId,
    rejectionReason,
  };
}
