import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  auditLog,
  customers,
  refreshTokens,
  transactions,
  users,
  verificationCodes,
} from '../../src/db/schema';
import { hashVerificationCode } from '../../src/users/verification';
import {
  ADDRESSES,
  address,
  addressRows,
  as,
  customerIdOf,
  customerRow,
  KYC,
  kycRow,
  newCustomer,
  PROFILE,
  review,
  reviewBody,
  uploadDocument,
} from './customers-fixtures';
import { api, createUser, DEFAULT_PASSWORD, testConfig, testDb, uniqueName } from './helpers';
import { createPayer, createPayment, transactionsOfCustomer } from './transactions-support';

/**
 * docs/security.md §4: state-changing routes under real parallel requests against the real database. Every
 * answer is a 2xx or a 4xx (never a 5xx) and the final state keeps every rule.
 */

const statusesOf = (responses: Response[]) => responses.map((r) => r.status);
const no5xx = (statuses: number[]) =>
  expect(
    statuses.filter((s) => s >= 500),
    statuses.join(','),
  ).toEqual([]);

describe('addresses: concurrent creation (issue 13 item 9)', () => {
  it('twelve customers each sending six creates at once: no 5xx, at most three addresses, exactly one main', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => newCustomer()));
    const responses = await Promise.all(
      users.flatMap((user) =>
        Array.from({ length: 6 }, (_, i) =>
          as(user, ADDRESSES, {
            method: 'POST',
            json: { country: 'EG', city: `City ${i}`, line: `${i} Nile St`, main_address: i % 2 === 0 },
          }),
        ),
      ),
    );
    const statuses = statusesOf(responses);
    no5xx(statuses);
    for (const r of responses) {
      if (r.status === 409) expect(r.headers.get('Retry-After')).toMatch(/^\d+$/);
      await r.body?.cancel();
    }
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThan(0);
    for (const user of users) {
      const rows = await addressRows(await customerIdOf(user));
      expect(rows.length).toBeLessThanOrEqual(3);
      expect(rows.filter((a) => a.mainAddress)).toHaveLength(1);
    }
  });
});

describe('customer profile: deletion racing a payment (issue 13 item 6)', () => {
  it('twenty races of DELETE profile against POST txn never leave a transaction without its customer', async () => {
    const payers = await Promise.all(Array.from({ length: 20 }, () => createPayer()));
    const outcomes = await Promise.all(
      payers.map(async (payer) => {
        const [created, deleted] = await Promise.all([
          createPayment(payer, '25.00'),
          as(payer, PROFILE, { method: 'DELETE' }),
        ]);
        await created.body?.cancel();
        await deleted.body?.cancel();
        return { payer, created: created.status, deleted: deleted.status };
      }),
    );
    const summary = outcomes.map((o) => `${o.created}/${o.deleted}`).join(' ');
    console.log(`create/delete outcomes: ${summary}`);
    for (const { payer, created, deleted } of outcomes) {
      no5xx([created, deleted]);
      const customer = await customerRow(payer.customerId);
      const transactions = await transactionsOfCustomer(payer.customerId);
      // The rule: a customer with a transaction cannot be deleted, whichever request ran first.
      if (transactions.length > 0) expect(customer, summary).toBeDefined();
      if (created === 201) expect(deleted, summary).toBe(409);
      if (deleted === 204) {
        expect(created, summary).toBe(404);
        expect(transactions, summary).toEqual([]);
      }
    }
  });
});

/**
 * The same request sent N times at once (a double-click, a retrying client, an attacker racing a check):
 * no 5xx, and the final state is what one request would have left.
 */
const N = 6;
const parallel = (send: () => Promise<Response>) => Promise.all(Array.from({ length: N }, send));
const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

async function settle(responses: Response[]): Promise<number[]> {
  for (const r of responses) await r.body?.cancel();
  const statuses = statusesOf(responses);
  no5xx(statuses);
  return statuses;
}

describe('concurrent identical requests on every state-changing route', () => {
  it('POST users/sign-up: one account, the others 400', async () => {
    const username = uniqueName('twin');
    const json = { username, email: `${username}@example.com`, password: DEFAULT_PASSWORD };
    const statuses = await settle(
      await parallel(() => api('/api/v1/users/sign-up/', { method: 'POST', json })),
    );
    expect(count(statuses, 201), statuses.join()).toBe(1);
    expect(count(statuses, 400), statuses.join()).toBe(N - 1);
    expect(await testDb().select().from(users).where(eq(users.username, username))).toHaveLength(1);
  });

  it('POST users/verify-code/validate with the right code: one activation, one token pair', async () => {
    const user = await createUser({ active: false });
    await testDb()
      .insert(verificationCodes)
      .values({
        userId: user.id,
        codeHash: await hashVerificationCode(testConfig().JWT_SECRET, user.id, '482913'),
        attempts: 0,
        createdAt: new Date(),
        expiresAt: new Date(Date.now() + 600_000),
      });
    const before = (await testDb().select().from(refreshTokens).where(eq(refreshTokens.userId, user.id)))
      .length;
    const statuses = await settle(
      await parallel(() =>
        api('/api/v1/users/verify-code/validate/', {
          method: 'POST',
          json: { email: user.email, code: '482913' },
        }),
      ),
    );
    expect(count(statuses, 200), statuses.join()).toBe(1);
    const after = await testDb().select().from(refreshTokens).where(eq(refreshTokens.userId, user.id));
    expect(after.length - before).toBe(1);
    expect(await testDb().select().from(customers).where(eq(customers.userId, user.id))).toHaveLength(1);
  });

  it('POST users/logout with one refresh token: one 200, the others 401', async () => {
    const user = await createUser();
    const statuses = await settle(
      await parallel(() => api('/api/v1/users/logout/', { method: 'POST', json: { refresh: user.refresh } })),
    );
    expect(count(statuses, 200), statuses.join()).toBe(1);
    expect(count(statuses, 401), statuses.join()).toBe(N - 1);
  });

  it('POST users/refresh with one refresh token: at most one new pair, the rest 401', async () => {
    const user = await createUser();
    const statuses = await settle(
      await parallel(() =>
        api('/api/v1/users/refresh/', { method: 'POST', json: { refresh: user.refresh } }),
      ),
    );
    expect(count(statuses, 200), statuses.join()).toBeLessThanOrEqual(1);
    expect(count(statuses, 401), statuses.join()).toBeGreaterThanOrEqual(N - 1);
  });

  it('PATCH users/profiles/mine/new-password: the new password works, the old does not', async () => {
    const user = await createUser();
    const next = 'Harbour-Lights73!';
    const statuses = await settle(
      await parallel(() =>
        as(user, '/api/v1/users/profiles/mine/new-password/', {
          method: 'PATCH',
          json: { old_password: user.password, new_password: next },
        }),
      ),
    );
    expect(count(statuses, 200), statuses.join()).toBeGreaterThanOrEqual(1);
    const login = (password: string) =>
      api('/api/v1/users/login/', { method: 'POST', json: { username: user.username, password } });
    expect((await login(next)).status).toBe(200);
    expect((await login(user.password)).status).toBe(401);
  });

  it('PATCH users/profiles/{id} (admin sets a role): all agree, the role is set once', async () => {
    const [admin, target] = await Promise.all([createUser({ role: 'ADMIN' }), createUser()]);
    const statuses = await settle(
      await parallel(() =>
        as(admin, `/api/v1/users/profiles/${target.id}/`, {
          method: 'PATCH',
          json: { role_management: 'STAFF' },
        }),
      ),
    );
    expect(count(statuses, 200), statuses.join()).toBe(N);
    const [row] = await testDb().select().from(users).where(eq(users.id, target.id));
    expect(row).toMatchObject({ role: 'STAFF', isStaff: true });
  });

  it('PUT customers/profile: the profile holds the values', async () => {
    const user = await newCustomer();
    const json = { first_name: 'Laila', last_name: 'Samir', phone_number: null, dob: '1990-04-01' };
    const statuses = await settle(await parallel(() => as(user, PROFILE, { method: 'PUT', json })));
    expect(count(statuses, 200), statuses.join()).toBe(N);
    expect(await customerRow(await customerIdOf(user))).toMatchObject({
      firstName: 'Laila',
      lastName: 'Samir',
    });
  });

  it('DELETE customers/profile: one 204, the others 404; nothing of the customer is left', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    const statuses = await settle(await parallel(() => as(user, PROFILE, { method: 'DELETE' })));
    expect(count(statuses, 204), statuses.join()).toBe(1);
    expect(count(statuses, 404), statuses.join()).toBe(N - 1);
    expect(await customerRow(customerId)).toBeUndefined();
    expect(await addressRows(customerId)).toEqual([]);
    expect(await kycRow(customerId)).toBeUndefined();
  });

  it('PATCH customers/address/{id} making a second address main: exactly one main', async () => {
    const user = await newCustomer();
    const created = await as(user, ADDRESSES, {
      method: 'POST',
      json: { country: 'EG', city: 'Giza', main_address: false },
    });
    const { id } = (await created.json()) as { id: number };
    const statuses = await settle(
      await parallel(() => as(user, address(id), { method: 'PATCH', json: { main_address: true } })),
    );
    expect(count(statuses, 200), statuses.join()).toBeGreaterThanOrEqual(1);
    const rows = await addressRows(await customerIdOf(user));
    expect(rows.filter((a) => a.mainAddress).map((a) => a.id)).toEqual([id]);
  });

  it('DELETE customers/address/{id}: one 204, the others 404', async () => {
    const user = await newCustomer();
    const created = await as(user, ADDRESSES, {
      method: 'POST',
      json: { country: 'EG', city: 'Luxor', main_address: false },
    });
    const { id } = (await created.json()) as { id: number };
    const statuses = await settle(await parallel(() => as(user, address(id), { method: 'DELETE' })));
    expect(count(statuses, 204), statuses.join()).toBe(1);
    expect(count(statuses, 404), statuses.join()).toBe(N - 1);
    expect((await addressRows(await customerIdOf(user))).map((a) => a.id)).not.toContain(id);
  });

  it('PATCH customers/profile/upload-docs: the record holds the values, pending', async () => {
    const user = await newCustomer();
    const statuses = await settle(
      await parallel(() =>
        as(user, KYC, { method: 'PATCH', json: { document_type: 'passport', document_id: 'A7654321' } }),
      ),
    );
    expect(count(statuses, 200), statuses.join()).toBe(N);
    expect(await kycRow(await customerIdOf(user))).toMatchObject({
      documentType: 'passport',
      documentId: 'A7654321',
      status: 'pending',
    });
  });

  it('POST customers/{id}/kyc/review: one decision per answer, every 200 audited, customer verified', async () => {
    const user = await newCustomer();
    await uploadDocument(user);
    const customerId = await customerIdOf(user);
    const staff = await createUser({ role: 'STAFF' });
    const json = await reviewBody(customerId, { status: 'approved' });
    const statuses = await settle(
      await parallel(() => as(staff, review(customerId), { method: 'POST', json })),
    );
    expect(count(statuses, 200), statuses.join()).toBeGreaterThanOrEqual(1);
    const audits = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'kyc.review'), eq(auditLog.targetId, String(customerId))));
    expect(audits).toHaveLength(count(statuses, 200));
    expect(await customerRow(customerId)).toMatchObject({ isVerified: true });
    expect(await kycRow(customerId)).toMatchObject({ status: 'approved', reviewedBy: staff.id });
  });

  it('POST transactions/txn with one Idempotency-Key: one payment, every answer the same or "in progress"', async () => {
    const payer = await createPayer();
    const statuses = await settle(
      await parallel(() =>
        createPayment(payer, '42.00', { headers: { 'Idempotency-Key': `twin-${payer.id}` } }),
      ),
    );
    expect(
      statuses.every((s) => s === 201 || s === 409),
      statuses.join(),
    ).toBe(true);
    expect(await transactionsOfCustomer(payer.customerId)).toHaveLength(1);
  });

  it('POST transactions/txn without a key: each request is its own payment, none lost', async () => {
    const payer = await createPayer();
    const statuses = await settle(await parallel(() => createPayment(payer, '10.00')));
    expect(await transactionsOfCustomer(payer.customerId)).toHaveLength(count(statuses, 201));
    const rows = await testDb()
      .select()
      .from(transactions)
      .where(eq(transactions.customerId, payer.customerId));
    expect(rows.every((t) => t.status === 'pending')).toBe(true);
  });
});
