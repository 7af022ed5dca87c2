import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { MESSAGES } from '../../src/customers/schemas';
import { auditLog } from '../../src/db/schema';
import worker from '../../src/index';
import {
  as,
  customerIdOf,
  customerRow,
  documentBytes,
  expectProblem,
  kycRow,
  newCustomer,
  review,
  reviewBody,
  staffKyc,
  staffKycFile,
  uploadDocument,
} from './customers-fixtures';
import {
  apiWithEnv,
  createUser,
  describeAuthorization,
  readJson,
  recordingQueue,
  roundTrips,
  type TestUser,
  testDb,
  uniqueRequestId,
} from './helpers';

/** A customer who has submitted a national ID and a PDF. */
async function submittedCustomer(): Promise<{ user: TestUser; customerId: number; bytes: Uint8Array }> {
  const user = await newCustomer();
  const bytes = documentBytes('pdf', 3000);
  await uploadDocument(user, { bytes, name: 'national-id.pdf' });
  return { user, customerId: await customerIdOf(user), bytes };
}

async function auditRows(customerId: number) {
  return testDb()
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.targetType, 'customer'), eq(auditLog.targetId, String(customerId))));
}

describe('KYC review (docs/api.md §3.4, staff)', () => {
  it('approving sets status, reviewed_at, reviewed_by and is_verified, audits it and queues the e-mail', async () => {
    const { user, customerId } = await submittedCustomer();
    const staff = await createUser({ role: 'STAFF' });
    const { queue, sent } = recordingQueue();
    const requestId = uniqueRequestId('kyc-approve');
    const before = Date.now();
    const res = await apiWithEnv(
      review(customerId),
      {
        method: 'POST',
        token: staff.access,
        json: await reviewBody(customerId, { status: 'approved', reason: 'ignored' }),
        requestId,
      },
      { NOTIFICATIONS: queue },
    );
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body).toMatchObject({
      customer_id: customerId,
      document_type: 'national_id',
      document_file: staffKycFile(customerId),
      status: 'approved',
      rejection_reason: null,
    });
    expect(body.reviewed_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const reviewedAt = new Date(body.reviewed_at as string);
    expect(reviewedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);

    const kyc = await kycRow(customerId);
    expect(kyc).toMatchObject({ status: 'approved', reviewedBy: staff.id, rejectionReason: null });
    expect(kyc?.reviewedAt?.getTime()).toBe(reviewedAt.getTime());
    expect(await customerRow(customerId)).toMatchObject({ isVerified: true });

    expect(await auditRows(customerId)).toEqual([
      expect.objectContaining({
        actorUserId: staff.id,
        action: 'kyc.review',
        requestId,
        details: expect.objectContaining({ kyc_id: kyc?.id, status: 'approved', previous_status: 'pending' }),
      }),
    ]);

    expect(sent).toEqual([
      {
        type: 'kyc_review',
        idempotency_key: `kyc-review:${kyc?.id}:${reviewedAt.getTime()}`,
        to: user.email,
        user_id: user.id,
        username: user.username,
        status: 'approved',
        reason: null,
      },
    ]);
    // auth, read, BEGIN, UPDATE, audit INSERT, event INSERT (docs/webhooks.md §2), COMMIT
    expect(await roundTrips(requestId)).toBe(7);

    // The customer sees the decision.
    const own = await readJson(await as(user, '/api/v1/customers/profile/'));
    expect(own).toMatchObject({ is_verified: true, kyc_status: 'approved' });
  });

  it('rejecting needs a reason; with one it is stored, is_verified stays false, and the e-mail carries it', async () => {
    const { user, customerId } = await submittedCustomer();
    const admin = await createUser({ role: 'ADMIN' });
    for (const json of [
      { status: 'rejected' },
      { status: 'rejected', reason: '   ' },
      { status: 'rejected', reason: null },
    ]) {
      await expectProblem(
        await as(admin, review(customerId), { method: 'POST', json: await reviewBody(customerId, json) }),
        400,
        'validation_error',
        {
          reason: [MESSAGES.reasonRequired],
        },
      );
    }
    expect(await kycRow(customerId)).toMatchObject({ status: 'pending', reviewedAt: null });

    const { queue, sent } = recordingQueue();
    const res = await apiWithEnv(
      review(customerId),
      {
        method: 'POST',
        token: admin.access,
        json: await reviewBody(customerId, { status: 'rejected', reason: ' The photo is blurry. ' }),
      },
      { NOTIFICATIONS: queue },
    );
    expect(await readJson(res)).toMatchObject({
      status: 'rejected',
      rejection_reason: 'The photo is blurry.',
    });
    expect(await kycRow(customerId)).toMatchObject({ status: 'rejected', reviewedBy: admin.id });
    expect(await customerRow(customerId)).toMatchObject({ isVerified: false });
    expect(sent).toEqual([
      expect.objectContaining({ to: user.email, status: 'rejected', reason: 'The photo is blurry.' }),
    ]);
  });

  it('a later rejection withdraws an approval (is_verified back to false)', async () => {
    const { customerId } = await submittedCustomer();
    const staff = await createUser({ role: 'STAFF' });
    await as(staff, review(customerId), {
      method: 'POST',
      json: await reviewBody(customerId, { status: 'approved' }),
    });
    await as(staff, review(customerId), {
      method: 'POST',
      json: await reviewBody(customerId, { status: 'rejected', reason: 'Expired document.' }),
    });
    expect(await customerRow(customerId)).toMatchObject({ isVerified: false });
    expect(await auditRows(customerId)).toHaveLength(2);
  });

  it('the queued e-mail reaches the customer through the notifications consumer', async () => {
    const { user, customerId } = await submittedCustomer();
    const staff = await createUser({ role: 'STAFF' });
    const { queue, sent } = recordingQueue();
    await apiWithEnv(
      review(customerId),
      {
        method: 'POST',
        token: staff.access,
        json: await reviewBody(customerId, { status: 'rejected', reason: 'Unreadable scan.' }),
      },
      { NOTIFICATIONS: queue },
    );
    const batch = createMessageBatch('notifications', [
      { id: `kyc-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body: sent[0] },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toHaveLength(1);
    await vi.waitFor(
      async () => {
        const res = await fetch(`${env.SANDBOX_URL}/mailbox/messages?to=${encodeURIComponent(user.email)}`);
        const messages = (await res.json()) as Array<{ text: string }>;
        expect(messages).toHaveLength(1);
        expect(messages[0]?.text).toContain('Unreadable scan.');
      },
      { timeout: 5_000 },
    );
  });

  it('a queue failure does not undo the review (the decision stands, the failure is logged)', async () => {
    const { customerId } = await submittedCustomer();
    const staff = await createUser({ role: 'STAFF' });
    const { queue } = recordingQueue({ failing: true });
    const res = await apiWithEnv(
      review(customerId),
      { method: 'POST', token: staff.access, json: await reviewBody(customerId, { status: 'approved' }) },
      { NOTIFICATIONS: queue },
    );
    expect(res.status).toBe(200);
    expect(await kycRow(customerId)).toMatchObject({ status: 'approved' });
    expect(await auditRows(customerId)).toHaveLength(1);
  });

  it('approval needs a submitted document id and file (409); rejection does not', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    const staff = await createUser({ role: 'STAFF' });
    await expectProblem(
      await as(staff, review(customerId), {
        method: 'POST',
        json: await reviewBody(customerId, { status: 'approved' }),
      }),
      409,
      'kyc_incomplete',
    );
    expect(await customerRow(customerId)).toMatchObject({ isVerified: false });
    expect(await auditRows(customerId)).toEqual([]);
    const res = await as(staff, review(customerId), {
      method: 'POST',
      json: await reviewBody(customerId, { status: 'rejected', reason: 'Please upload your national ID.' }),
    });
    expect(res.status).toBe(200);
  });

  it.each([
    [{ status: 'pending' }, { status: ['"pending" is not a valid choice.'] }],
    [{}, { status: ['This field is required.'] }],
    [
      { status: 'rejected', reason: 'r'.repeat(501) },
      { reason: ['Ensure this field has no more than 500 characters.'] },
    ],
    [{ status: 1 }, { status: ['Not a valid string.'] }],
  ])('body %j → 400', async (json, errors) => {
    const { customerId } = await submittedCustomer();
    const staff = await createUser({ role: 'STAFF' });
    await expectProblem(
      await as(staff, review(customerId), { method: 'POST', json: await reviewBody(customerId, json) }),
      400,
      'validation_error',
      errors,
    );
  });

  it.each(['999999999', 'abc', '0', '99999999999999999999'])(
    'customer id %s names no customer: 404',
    async (id) => {
      const staff = await createUser({ role: 'STAFF' });
      await expectProblem(
        await as(staff, review(id), { method: 'POST', json: await reviewBody(id, { status: 'approved' }) }),
        404,
        'customer_not_found',
      );
    },
  );

  it('a customer cannot review, not even their own KYC (403)', async () => {
    const { user, customerId } = await submittedCustomer();
    await expectProblem(
      await as(user, review(customerId), {
        method: 'POST',
        json: await reviewBody(customerId, { status: 'approved' }),
      }),
      403,
      'forbidden',
    );
    expect(await customerRow(customerId)).toMatchObject({ isVerified: false });
  });
});

describe('staff read a customer’s KYC and document', () => {
  it('GET {customer_id}/kyc/ shows the record with the staff document path', async () => {
    const { customerId } = await submittedCustomer();
    const staff = await createUser({ role: 'STAFF' });
    const res = await as(staff, staffKyc(customerId));
    expect(await readJson(res)).toMatchObject({
      customer_id: customerId,
      document_file: staffKycFile(customerId),
      status: 'pending',
    });
  });

  it('GET {customer_id}/kyc/file/ streams the document byte for byte', async () => {
    const { customerId, bytes } = await submittedCustomer();
    const admin = await createUser({ role: 'ADMIN' });
    const res = await as(admin, staffKycFile(customerId));
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('application/pdf');
    expect(res.headers.get('Cache-Control')).toBe('private, no-store');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(res.headers.get('Content-Disposition')).toBe(
      `inline; filename="national-id.pdf"; filename*=UTF-8''national-id.pdf`,
    );
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
  });

  it('a customer without a document: 404 document_not_found; an unknown customer: 404 customer_not_found', async () => {
    const user = await newCustomer();
    const staff = await createUser({ role: 'STAFF' });
    await expectProblem(await as(staff, staffKycFile(await customerIdOf(user))), 404, 'document_not_found');
    await expectProblem(await as(staff, staffKycFile(987654321)), 404, 'customer_not_found');
    await expectProblem(await as(staff, staffKyc('x1')), 404, 'customer_not_found');
  });
});

const customerPath = (suffix: string) => async (owner: TestUser) =>
  `/api/v1/customers/${await customerIdOf(owner)}/kyc/${suffix}`;

describeAuthorization(
  'POST {customer_id}/kyc/review/',
  {
    method: 'POST',
    path: customerPath('review/'),
    body: async (owner) => reviewBody(await customerIdOf(owner), { status: 'rejected', reason: 'Blurry.' }),
  },
  { customer: 403, otherCustomer: 403, staff: 200, admin: 200 },
);
describeAuthorization(
  'GET {customer_id}/kyc/',
  { method: 'GET', path: customerPath('') },
  {
    customer: 403,
    otherCustomer: 403,
    staff: 200,
    admin: 200,
  },
);
describeAuthorization(
  'GET {customer_id}/kyc/file/',
  { method: 'GET', path: customerPath('file/') },
  {
    customer: 403,
    otherCustomer: 403,
    // The owner has no document yet: staff reach the record and learn just that.
    staff: 404,
    admin: 404,
  },
);
