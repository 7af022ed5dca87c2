import { describe, expect, it } from 'vitest';
import { signedIn, textOf } from './admin-helpers';
import {
  as,
  customerIdOf,
  customerRow,
  documentBytes,
  expectProblem,
  kycRow,
  newCustomer,
  review,
  staffKyc,
  uploadDocument,
} from './customers-fixtures';
import { createUser, readJson } from './helpers';

/**
 * docs/security.md §2 (issue 13 item 5): a KYC decision applies only to the submission the reviewer read.
 * The customer swaps the document between the reviewer's read and the decision: the decision is refused
 * (409 kyc_changed), in the API and in the admin, and the new document stays pending.
 */
async function submitted() {
  const user = await newCustomer();
  await uploadDocument(user, { bytes: documentBytes('pdf', 2000), name: 'first.pdf' });
  return { user, customerId: await customerIdOf(user) };
}

const swapDocument = (user: Awaited<ReturnType<typeof newCustomer>>) =>
  uploadDocument(user, { bytes: documentBytes('png', 3000), name: 'swapped.png' });

describe('KYC review applies only to the submission the reviewer read', () => {
  it('API: a document swapped after the read is not approved (409 kyc_changed), nothing changes', async () => {
    const { user, customerId } = await submitted();
    const staff = await createUser({ role: 'STAFF' });
    const seen = await readJson<{ submission_version: string }>(await as(staff, staffKyc(customerId)));
    expect(seen.submission_version).toMatch(/^[0-9a-f]{32}$/);
    await swapDocument(user);
    const before = await kycRow(customerId);
    await expectProblem(
      await as(staff, review(customerId), {
        method: 'POST',
        json: { status: 'approved', submission_version: seen.submission_version },
      }),
      409,
      'kyc_changed',
    );
    expect(await kycRow(customerId)).toEqual(before);
    expect(await customerRow(customerId)).toMatchObject({ isVerified: false });

    // Read again: the new version approves the new document.
    const reread = await readJson<{ submission_version: string }>(await as(staff, staffKyc(customerId)));
    expect(reread.submission_version).not.toBe(seen.submission_version);
    const ok = await as(staff, review(customerId), {
      method: 'POST',
      json: { status: 'approved', submission_version: reread.submission_version },
    });
    expect(ok.status).toBe(200);
  });

  it('API: changing only the document id is a new submission too', async () => {
    const { user, customerId } = await submitted();
    const staff = await createUser({ role: 'STAFF' });
    const seen = await readJson<{ submission_version: string }>(await as(staff, staffKyc(customerId)));
    const res = await as(user, '/api/v1/customers/profile/upload-docs/', {
      method: 'PATCH',
      json: { document_type: 'passport', document_id: 'A1234567' },
    });
    expect(res.status).toBe(200);
    await expectProblem(
      await as(staff, review(customerId), {
        method: 'POST',
        json: { status: 'approved', submission_version: seen.submission_version },
      }),
      409,
      'kyc_changed',
    );
  });

  it('API: a review without the version is refused (400, the field is required)', async () => {
    const { customerId } = await submitted();
    const staff = await createUser({ role: 'STAFF' });
    await expectProblem(
      await as(staff, review(customerId), { method: 'POST', json: { status: 'approved' } }),
      400,
      'validation_error',
      { submission_version: ['This field is required.'] },
    );
    expect(await kycRow(customerId)).toMatchObject({ status: 'pending' });
  });

  it('admin: the page’s decision for the old document is refused (409 page), the swapped one stays pending', async () => {
    const { user, customerId } = await submitted();
    const staff = await createUser({ role: 'STAFF' });
    const browser = await signedIn(staff);
    const html = await browser.page(`/admin/customers/${customerId}`);
    const version = /name="submission_version" value="([0-9a-f]{32})"/.exec(html)?.[1];
    expect(version).toBeDefined();
    await swapDocument(user);
    const response = await browser.post(`/admin/customers/${customerId}/kyc`, {
      status: 'approved',
      submission_version: version ?? '',
    });
    expect(response.status).toBe(409);
    expect(textOf(await response.text())).toContain('changed while it was being reviewed');
    expect(await kycRow(customerId)).toMatchObject({ status: 'pending', reviewedBy: null });
    expect(await customerRow(customerId)).toMatchObject({ isVerified: false });
  });
});
