import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../../src/customers/schemas';
import { addresses, adminSessions, auditLog, customers, kycRecords, users } from '../../src/db/schema';
import {
  AdminBrowser,
  customerIdOf,
  expectSecurityHeaders,
  PNG_BYTES,
  SESSION_COOKIE,
  signedIn,
  submitKyc,
  textOf,
} from './admin-helpers';
import { createUser, roundTrips, testDb, uniqueRequestId } from './helpers';

async function kycOf(customerId: number) {
  const [row] = await testDb()
    .select({
      status: kycRecords.status,
      reason: kycRecords.rejectionReason,
      reviewedBy: kycRecords.reviewedBy,
      verified: customers.isVerified,
    })
    .from(kycRecords)
    .innerJoin(customers, eq(customers.id, kycRecords.customerId))
    .where(eq(kycRecords.customerId, customerId));
  return row;
}

async function addressesOf(customerId: number) {
  return testDb().select().from(addresses).where(eq(addresses.customerId, customerId)).orderBy(addresses.id);
}

/** A staff browser on a customer's page (so the page's CSRF token is current), with a submitted KYC. */
async function reviewSetup(options: { submitted?: boolean } = {}) {
  const staff = await createUser({ role: 'STAFF' });
  const customer = await createUser();
  const customerId = await customerIdOf(customer);
  if (options.submitted !== false) await submitKyc(customerId);
  const browser = await signedIn(staff);
  const html = await browser.page(`/admin/customers/${customerId}`);
  // docs/security.md §2: the page carries the version of the submission it shows; the decision sends it back.
  const version = /name="submission_version" value="([0-9a-f]{32})"/.exec(html)?.[1] ?? 'missing';
  return { staff, customer, customerId, browser, version };
}

describe('KYC review from the admin (through the customers review service)', () => {
  it('approve: 303 back to the customer, verified, audit-logged, flash shown', async () => {
    const { staff, customerId, browser, version } = await reviewSetup();
    const requestId = uniqueRequestId('admin-kyc');
    const response = await browser.post(
      `/admin/customers/${customerId}/kyc`,
      { status: 'approved', submission_version: version },
      { requestId },
    );
    expect(response.status).toBe(303);
    expect(response.headers.get('Location')).toBe(`/admin/customers/${customerId}`);
    // session + the service's read, BEGIN, guarded UPDATE, audit INSERT, event INSERT (docs/webhooks.md §2), COMMIT
    expect(await roundTrips(requestId)).toBe(7);
    expect(await kycOf(customerId)).toMatchObject({
      status: 'approved',
      verified: true,
      reviewedBy: staff.id,
    });
    const [audit] = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'kyc.review'), eq(auditLog.targetId, String(customerId))));
    expect(audit).toMatchObject({ actorUserId: staff.id, requestId });
    const text = textOf(await browser.page(`/admin/customers/${customerId}`));
    expect(text).toContain('KYC approved: the customer is now verified');
    expect(text).toContain(`Reviewed`);
    expect(text).toContain(`by ${staff.username}`);
  });

  it('reject needs a reason: without one the page comes back (400) with the message and nothing changes', async () => {
    const { customerId, browser, version } = await reviewSetup();
    const response = await browser.post(`/admin/customers/${customerId}/kyc`, {
      status: 'rejected',
      submission_version: version,
      reason: '  ',
    });
    expect(response.status).toBe(400);
    expectSecurityHeaders(response);
    expect(textOf(await response.text())).toContain(MESSAGES.reasonRequired);
    expect(await kycOf(customerId)).toMatchObject({ status: 'pending', reason: null });
  });

  it('reject with a reason stores it and leaves the customer unverified', async () => {
    const { customerId, browser, version } = await reviewSetup();
    const response = await browser.post(`/admin/customers/${customerId}/kyc`, {
      status: 'rejected',
      submission_version: version,
      reason: 'The photo is blurred.',
    });
    expect(response.status).toBe(303);
    expect(await kycOf(customerId)).toMatchObject({
      status: 'rejected',
      reason: 'The photo is blurred.',
      verified: false,
    });
    expect(textOf(await browser.page(`/admin/customers/${customerId}`))).toContain('The photo is blurred.');
  });

  it('approving a submission without a document is refused by the service (409 shown on the page)', async () => {
    const { customerId, browser, version } = await reviewSetup({ submitted: false });
    const response = await browser.post(`/admin/customers/${customerId}/kyc`, {
      status: 'approved',
      submission_version: version,
    });
    expect(response.status).toBe(409);
    expect(textOf(await response.text())).toContain('cannot be approved');
    expect(await kycOf(customerId)).toMatchObject({ status: 'pending' });
  });

  it('a decision without the CSRF token is refused (403 page) and changes nothing', async () => {
    const { customerId, browser, version } = await reviewSetup();
    const response = await browser.post(
      `/admin/customers/${customerId}/kyc`,
      { status: 'approved', submission_version: version },
      { withoutCsrf: true },
    );
    expect(response.status).toBe(403);
    expectSecurityHeaders(response);
    expect(await kycOf(customerId)).toMatchObject({ status: 'pending' });
  });

  it('another session’s CSRF token is refused', async () => {
    const { customerId, browser, version } = await reviewSetup();
    const other = await signedIn(await createUser({ role: 'STAFF' }));
    const response = await browser.post(`/admin/customers/${customerId}/kyc`, {
      status: 'approved',
      submission_version: version,
      csrf_token: other.csrf ?? '',
    });
    expect(response.status).toBe(403);
    expect(await kycOf(customerId)).toMatchObject({ status: 'pending' });
  });

  it('the document streams through the admin: right type, private no-store, never a public URL', async () => {
    const { customerId, browser } = await reviewSetup();
    const requestId = uniqueRequestId('admin-doc');
    const response = await browser.send(`/admin/customers/${customerId}/kyc/document`, { requestId });
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('image/png');
    expect(response.headers.get('Cache-Control')).toBe('private, no-store');
    expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(response.headers.get('Content-Disposition')).toMatch(/^inline; filename="id-card.png"/);
    expect(response.headers.get('Content-Security-Policy')).toMatch(/^default-src 'none'/);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(PNG_BYTES);
    expect(await roundTrips(requestId)).toBe(2);

    const anonymous = await new AdminBrowser().send(`/admin/customers/${customerId}/kyc/document`);
    expect(anonymous.status).toBe(303);
  });
});

describe('addresses from the admin (through the customers address service)', () => {
  async function setup() {
    const staff = await createUser({ role: 'STAFF' });
    const customer = await createUser();
    const customerId = await customerIdOf(customer);
    const browser = await signedIn(staff);
    await browser.page(`/admin/customers/${customerId}`);
    const [main] = await addressesOf(customerId);
    if (!main) throw new Error('bootstrap made no address');
    return { browser, customerId, main };
  }
  const fields = (values: Record<string, string> = {}) => ({
    country: 'EG',
    state: 'Giza Governorate',
    city: 'Giza',
    line: '12 Pyramids Road',
    building_number: '12',
    apartment_number: '4',
    postal_code: '12511',
    ...values,
  });

  it('edits an address: 303 with a flash, stored exactly', async () => {
    const { browser, customerId, main } = await setup();
    const requestId = uniqueRequestId('admin-address');
    const response = await browser.post(`/admin/customers/${customerId}/addresses/${main.id}`, fields(), {
      requestId,
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('Location')).toBe(`/admin/customers/${customerId}#address-${main.id}`);
    // session + owner lookup + the service's read and UPDATE
    expect(await roundTrips(requestId)).toBe(4);
    const [stored] = await addressesOf(customerId);
    expect(stored).toMatchObject({
      city: 'Giza',
      postalCode: '12511',
      mainAddress: true,
      buildingNumber: '12',
    });
    expect(textOf(await browser.page(`/admin/customers/${customerId}`))).toContain('Address saved.');
  });

  it('a rule violation re-renders the page (400) with the service’s message and the typed values', async () => {
    const { browser, customerId, main } = await setup();
    const response = await browser.post(
      `/admin/customers/${customerId}/addresses/${main.id}`,
      fields({ postal_code: '123', city: 'Typed City' }),
    );
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(textOf(html)).toContain(MESSAGES.egyptPostalCode);
    expect(html).toContain('value="Typed City"');
    const [stored] = await addressesOf(customerId);
    expect(stored?.city).toBeNull();
  });

  it('adds addresses up to the limit of 3; the add form then disappears and a 4th is refused', async () => {
    const { browser, customerId } = await setup();
    for (const city of ['Alexandria', 'Luxor']) {
      const response = await browser.post(`/admin/customers/${customerId}/addresses`, fields({ city }));
      expect(response.status).toBe(303);
    }
    const list = await addressesOf(customerId);
    expect(list).toHaveLength(3);
    expect(list.filter((a) => a.mainAddress)).toHaveLength(1);
    const html = await browser.page(`/admin/customers/${customerId}`);
    expect(html).not.toContain(`action="/admin/customers/${customerId}/addresses"`);
    const fourth = await browser.post(`/admin/customers/${customerId}/addresses`, fields({ city: 'Aswan' }));
    expect(fourth.status).toBe(400);
    expect(textOf(await fourth.text())).toContain('You have reached the maximum number of addresses (3).');
    expect(await addressesOf(customerId)).toHaveLength(3);
  });

  it('making another address main demotes the old one in the same step: always exactly one main', async () => {
    const { browser, customerId, main } = await setup();
    expect(
      (await browser.post(`/admin/customers/${customerId}/addresses`, fields({ city: 'Luxor' }))).status,
    ).toBe(303);
    const [, second] = await addressesOf(customerId);
    if (!second) throw new Error('no second address');
    const response = await browser.post(
      `/admin/customers/${customerId}/addresses/${second.id}`,
      fields({ city: 'Luxor', main_address: 'true' }),
    );
    expect(response.status).toBe(303);
    const after = await addressesOf(customerId);
    expect(after.find((a) => a.id === second.id)?.mainAddress).toBe(true);
    expect(after.find((a) => a.id === main.id)?.mainAddress).toBe(false);
  });

  it('another customer’s address id is a 404 page, and nothing changes', async () => {
    const { browser, customerId } = await setup();
    const stranger = await createUser();
    const [theirs] = await addressesOf(await customerIdOf(stranger));
    const response = await browser.post(
      `/admin/customers/${customerId}/addresses/${theirs?.id}`,
      fields({ city: 'Hijack' }),
    );
    expect(response.status).toBe(404);
    const [after] = await addressesOf(await customerIdOf(stranger));
    expect(after?.city).toBeNull();
  });

  it('an address edit without the CSRF token is refused', async () => {
    const { browser, customerId, main } = await setup();
    const response = await browser.post(`/admin/customers/${customerId}/addresses/${main.id}`, fields(), {
      withoutCsrf: true,
    });
    expect(response.status).toBe(403);
    const [stored] = await addressesOf(customerId);
    expect(stored?.city).toBeNull();
  });
});

describe('role and activation from the admin (through the users service)', () => {
  async function adminOnUsers(search: string): Promise<AdminBrowser> {
    const admin = await createUser({ role: 'ADMIN' });
    const browser = await signedIn(admin);
    await browser.page(`/admin/users?search=${search}`);
    return browser;
  }

  it('ADMIN promotes a customer to STAFF: is_staff in step, audit-logged, flash shown', async () => {
    const target = await createUser();
    const browser = await adminOnUsers(target.username);
    const requestId = uniqueRequestId('admin-role');
    const response = await browser.post(
      `/admin/users/${target.id}`,
      {
        role_management: 'STAFF',
        is_active: 'true',
        was_role: 'CUSTOMER',
        was_active: 'true',
        back: `/admin/users?search=${target.username}`,
      },
      { requestId },
    );
    expect(response.status).toBe(303);
    // session + the service's read, BEGIN, UPDATE, audit INSERT, COMMIT + ending the user's admin sessions
    expect(await roundTrips(requestId)).toBe(7);
    expect(response.headers.get('Location')).toBe(`/admin/users?search=${target.username}`);
    const [row] = await testDb().select().from(users).where(eq(users.id, target.id));
    expect(row).toMatchObject({ role: 'STAFF', isStaff: true });
    const audit = await testDb()
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, String(target.id)));
    expect(audit.map((a) => a.action)).toContain('user.role_change');
    expect(textOf(await browser.page('/admin/users'))).toContain(`${target.username} is now STAFF, active.`);
  });

  it('deactivating a STAFF user ends their admin sessions at once', async () => {
    const target = await createUser({ role: 'STAFF' });
    const targetBrowser = await signedIn(target);
    const browser = await adminOnUsers(target.username);
    const response = await browser.post(`/admin/users/${target.id}`, {
      role_management: 'STAFF',
      is_active: 'false',
      was_role: 'STAFF',
      was_active: 'true',
    });
    expect(response.status).toBe(303);
    const sessions = await testDb().select().from(adminSessions).where(eq(adminSessions.userId, target.id));
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.every((s) => s.revokedAt !== null)).toBe(true);
    expect((await targetBrowser.send('/admin/customers')).status).toBe(303);
    const [row] = await testDb().select().from(users).where(eq(users.id, target.id));
    expect(row?.isActive).toBe(false);
    expect(row?.tokensValidAfter).not.toBeNull();
  });

  it('STAFF may not change roles or activation: 403 page, nothing changes', async () => {
    const staff = await createUser({ role: 'STAFF' });
    const target = await createUser();
    const browser = await signedIn(staff);
    const response = await browser.post(`/admin/users/${target.id}`, {
      role_management: 'ADMIN',
      is_active: 'true',
      was_role: 'CUSTOMER',
      was_active: 'true',
    });
    expect(response.status).toBe(403);
    expect(textOf(await response.text())).toContain('Only ADMIN users can change roles or activation.');
    const [row] = await testDb().select().from(users).where(eq(users.id, target.id));
    expect(row?.role).toBe('CUSTOMER');
  });

  it('a role change without the CSRF token is refused', async () => {
    const target = await createUser();
    const browser = await adminOnUsers(target.username);
    const response = await browser.post(
      `/admin/users/${target.id}`,
      { role_management: 'ADMIN', is_active: 'true' },
      { withoutCsrf: true },
    );
    expect(response.status).toBe(403);
    const [row] = await testDb().select().from(users).where(eq(users.id, target.id));
    expect(row?.role).toBe('CUSTOMER');
  });

  it('an unknown user id is a 404 page', async () => {
    const browser = await adminOnUsers('x');
    const response = await browser.post('/admin/users/999999999', {
      role_management: 'STAFF',
      is_active: 'true',
    });
    expect(response.status).toBe(404);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(true);
  });
});
