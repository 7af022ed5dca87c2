import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../../src/customers/schemas';
import {
  addressRows,
  as,
  customerIdOf,
  customerRow,
  expectProblem,
  insertTransaction,
  kycRow,
  newCustomer,
  PROFILE,
  storedObject,
  uploadDocument,
} from './customers-fixtures';
import { createUser, describeAuthorization, readJson, roundTrips, uniqueRequestId } from './helpers';

/** A phone number nobody else in the run uses: Egyptian mobile +2010 + 8 random digits. */
function uniquePhone(): string {
  const [random = 0] = crypto.getRandomValues(new Uint32Array(1));
  const digits = String(random % 100_000_000).padStart(8, '0');
  return `+2010${digits}`;
}

describe('profile GET (docs/api.md §3.2)', () => {
  it('answers the bootstrap profile with exactly the documented keys', async () => {
    const user = await newCustomer();
    const res = await as(user, PROFILE);
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({
      user: user.id,
      first_name: null,
      last_name: null,
      phone_number: null,
      dob: null,
      is_verified: false,
      kyc_status: 'pending',
    });
  });

  it('works without the trailing slash too', async () => {
    const user = await newCustomer();
    const res = await as(user, PROFILE.slice(0, -1));
    expect(res.status).toBe(200);
  });

  it('costs one round trip: the auth query carries the profile (docs/round-trips.md)', async () => {
    const user = await newCustomer();
    const requestId = uniqueRequestId('get-profile');
    const res = await as(user, PROFILE, { requestId });
    expect(res.status).toBe(200);
    expect(await roundTrips(requestId)).toBe(1);
  });
});

describe('users without a customer profile get 404 customer_profile_not_found', () => {
  const calls: Array<[string, string, unknown?]> = [
    ['GET', '/api/v1/customers/profile/'],
    [
      'PUT',
      '/api/v1/customers/profile/',
      { first_name: 'Mona', last_name: null, phone_number: null, dob: null },
    ],
    ['PATCH', '/api/v1/customers/profile/', { first_name: 'x' }],
    ['DELETE', '/api/v1/customers/profile/'],
    ['GET', '/api/v1/customers/address/'],
    ['POST', '/api/v1/customers/address/', { city: 'Cairo' }],
    ['POST', '/api/v1/customers/address/', { country: 'XX' }],
    ['GET', '/api/v1/customers/address/1/'],
    ['GET', '/api/v1/customers/address/abc/'],
    ['PATCH', '/api/v1/customers/address/1/', { city: 'Giza' }],
    ['PUT', '/api/v1/customers/address/1/', {}],
    ['DELETE', '/api/v1/customers/address/1/'],
    ['GET', '/api/v1/customers/profile/upload-docs/'],
    ['PUT', '/api/v1/customers/profile/upload-docs/', { document_type: 'passport', document_id: 'A1234567' }],
    ['PATCH', '/api/v1/customers/profile/upload-docs/', { document_id: '1' }],
    ['GET', '/api/v1/customers/profile/upload-docs/file/'],
  ];

  it.each(calls)('staff: %s %s', async (method, path, json) => {
    const staff = await createUser({ role: 'STAFF' });
    await expectProblem(await as(staff, path, { method, json }), 404, 'customer_profile_not_found');
  });

  it.each(calls)('a customer who deleted their profile: %s %s', async (method, path, json) => {
    const user = await newCustomer();
    expect((await as(user, PROFILE, { method: 'DELETE' })).status).toBe(204);
    await expectProblem(await as(user, path, { method, json }), 404, 'customer_profile_not_found');
  });

  it('an active customer created without a profile', async () => {
    const user = await createUser({ customerProfile: false });
    await expectProblem(await as(user, PROFILE), 404, 'customer_profile_not_found');
  });
});

describe('profile PUT and PATCH', () => {
  it('PUT stores every field, the phone number as E.164', async () => {
    const user = await newCustomer();
    const phone = uniquePhone();
    const spaced = `${phone.slice(0, 3)} ${phone.slice(3, 6)} ${phone.slice(6)}`;
    const res = await as(user, PROFILE, {
      method: 'PUT',
      json: { first_name: '  Mona ', last_name: 'Hassan', phone_number: spaced, dob: '1990-05-17' },
    });
    expect(res.status).toBe(200);
    const expected = {
      user: user.id,
      first_name: 'Mona',
      last_name: 'Hassan',
      phone_number: phone,
      dob: '1990-05-17',
      is_verified: false,
      kyc_status: 'pending',
    };
    expect(await readJson(res)).toEqual(expected);
    expect(await readJson(await as(user, PROFILE))).toEqual(expected);
    expect(await customerRow(await customerIdOf(user))).toMatchObject({ phoneNumber: phone });
  });

  it('PUT needs all four writable keys, each may be null', async () => {
    const user = await newCustomer();
    await expectProblem(
      await as(user, PROFILE, { method: 'PUT', json: { first_name: 'Mona' } }),
      400,
      'validation_error',
      {
        last_name: ['This field is required.'],
        phone_number: ['This field is required.'],
        dob: ['This field is required.'],
      },
    );
    const res = await as(user, PROFILE, {
      method: 'PUT',
      json: { first_name: null, last_name: null, phone_number: null, dob: null },
    });
    expect(res.status).toBe(200);
  });

  it('PATCH changes only what it is given', async () => {
    const user = await newCustomer();
    await as(user, PROFILE, { method: 'PATCH', json: { first_name: 'Mona', last_name: 'Hassan' } });
    const res = await as(user, PROFILE, { method: 'PATCH', json: { last_name: 'Said' } });
    expect(await readJson(res)).toMatchObject({ first_name: 'Mona', last_name: 'Said' });
    expect(await customerRow(await customerIdOf(user))).toMatchObject({
      firstName: 'Mona',
      lastName: 'Said',
    });
  });

  it('read-only and unknown fields are ignored, never applied', async () => {
    const user = await newCustomer();
    const res = await as(user, PROFILE, {
      method: 'PATCH',
      json: { user: 1, is_verified: true, kyc_status: 'approved', id: 5, first_name: 'Mona', extra: 'x' },
    });
    expect(res.status).toBe(200);
    expect(await readJson(res)).toMatchObject({ user: user.id, is_verified: false, kyc_status: 'pending' });
    expect(await customerRow(await customerIdOf(user))).toMatchObject({ isVerified: false, userId: user.id });
  });

  const invalid: Array<[string, Record<string, unknown>, Record<string, string[]>]> = [
    [
      'first name too short',
      { first_name: 'Mo' },
      { first_name: ['Ensure this field has at least 3 characters.'] },
    ],
    ['first name lower-case', { first_name: 'mona' }, { first_name: [MESSAGES.firstNameUppercase] }],
    [
      'first name over 50',
      { first_name: `M${'a'.repeat(50)}` },
      { first_name: ['Ensure this field has no more than 50 characters.'] },
    ],
    [
      'first name blank',
      { first_name: '   ' },
      { first_name: ['Ensure this field has at least 3 characters.', MESSAGES.firstNameUppercase] },
    ],
    [
      'last name over 50',
      { last_name: 'b'.repeat(51) },
      { last_name: ['Ensure this field has no more than 50 characters.'] },
    ],
    ['phone without +', { phone_number: '01001234567' }, { phone_number: [MESSAGES.phoneInvalid] }],
    [
      'phone invalid for its region',
      { phone_number: '+20100123456' },
      { phone_number: [MESSAGES.phoneInvalid] },
    ],
    ['phone that is text', { phone_number: 'call me' }, { phone_number: [MESSAGES.phoneInvalid] }],
    [
      // The phone check is asynchronous (its metadata is a static asset): it still reports with the rest.
      'first name and phone both wrong',
      { first_name: 'mo', phone_number: '+20100123456' },
      {
        first_name: ['Ensure this field has at least 3 characters.', MESSAGES.firstNameUppercase],
        phone_number: [MESSAGES.phoneInvalid],
      },
    ],
    [
      'dob too young',
      { dob: new Date(Date.now() - 17 * 365.25 * 86_400_000).toISOString().slice(0, 10) },
      { dob: [MESSAGES.tooYoung] },
    ],
    ['dob in the future', { dob: '2999-01-01' }, { dob: [MESSAGES.dobFuture] }],
    ['dob not a real date', { dob: '1990-02-30' }, { dob: [MESSAGES.dateFormat] }],
    ['dob in another format', { dob: '17/05/1990' }, { dob: [MESSAGES.dateFormat] }],
    [
      'wrong types',
      { first_name: 42, dob: true },
      { first_name: ['Not a valid string.'], dob: ['Not a valid string.'] },
    ],
  ];

  it.each(invalid)('PATCH %s → 400', async (_case, json, errors) => {
    const user = await newCustomer();
    await expectProblem(await as(user, PROFILE, { method: 'PATCH', json }), 400, 'validation_error', errors);
  });

  it('a customer exactly 18 today is old enough', async () => {
    const user = await newCustomer();
    const today = new Date();
    const dob = `${today.getUTCFullYear() - 18}-${String(today.getUTCMonth() + 1).padStart(2, '0')}-${String(Math.min(today.getUTCDate(), 28)).padStart(2, '0')}`;
    const res = await as(user, PROFILE, { method: 'PATCH', json: { dob } });
    expect(res.status).toBe(200);
  });

  it('a phone number is unique across customers', async () => {
    const phone = uniquePhone();
    const first = await newCustomer();
    const second = await newCustomer();
    expect((await as(first, PROFILE, { method: 'PATCH', json: { phone_number: phone } })).status).toBe(200);
    await expectProblem(
      await as(second, PROFILE, { method: 'PATCH', json: { phone_number: phone.replace('+20', '+20 ') } }),
      400,
      'validation_error',
      { phone_number: [MESSAGES.phoneTaken] },
    );
    // The owner may send their own number again.
    expect((await as(first, PROFILE, { method: 'PATCH', json: { phone_number: phone } })).status).toBe(200);
  });

  it('two customers racing for one phone number: one wins, the other gets the message (errno 1062)', async () => {
    const phone = uniquePhone();
    const [a, b] = await Promise.all([newCustomer(), newCustomer()]);
    const responses = await Promise.all(
      [a, b].map((user) => as(user, PROFILE, { method: 'PATCH', json: { phone_number: phone } })),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, 400]);
    const loser = responses.find((r) => r.status === 400);
    expect((await readJson(loser as Response)).errors).toEqual({ phone_number: [MESSAGES.phoneTaken] });
  });

  it('PATCH costs two round trips (auth with the profile, update)', async () => {
    const user = await newCustomer();
    const requestId = uniqueRequestId('patch-profile');
    const res = await as(user, PROFILE, { method: 'PATCH', json: { first_name: 'Mona' }, requestId });
    expect(res.status).toBe(200);
    expect(await roundTrips(requestId)).toBe(2);
  });
});

describe('profile DELETE', () => {
  it('deletes the profile, its addresses, its KYC record and its stored document: 204', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    await uploadDocument(user);
    const key = (await kycRow(customerId))?.documentKey as string;
    expect(await storedObject(key)).not.toBeNull();

    const res = await as(user, PROFILE, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await customerRow(customerId)).toBeUndefined();
    expect(await addressRows(customerId)).toEqual([]);
    expect(await kycRow(customerId)).toBeUndefined();
    expect(await storedObject(key)).toBeNull();
  });

  it('409 when the customer has any transaction; nothing is deleted', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    await insertTransaction(customerId);
    await expectProblem(await as(user, PROFILE, { method: 'DELETE' }), 409, 'customer_has_transactions');
    expect(await customerRow(customerId)).toBeDefined();
    expect(await addressRows(customerId)).toHaveLength(1);
    expect(await kycRow(customerId)).toBeDefined();
  });

  it('deletes only the caller’s rows', async () => {
    const [user, other] = await Promise.all([newCustomer(), newCustomer()]);
    const otherId = await customerIdOf(other);
    expect((await as(user, PROFILE, { method: 'DELETE' })).status).toBe(204);
    expect(await customerRow(otherId)).toBeDefined();
    expect(await addressRows(otherId)).toHaveLength(1);
  });
});

describeAuthorization(
  'GET profile/',
  { method: 'GET', path: () => PROFILE },
  {
    customer: 200,
    otherCustomer: 200,
    staff: 404,
    admin: 404,
  },
);
describeAuthorization(
  'PATCH profile/',
  { method: 'PATCH', path: () => PROFILE, body: () => ({ last_name: 'Said' }) },
  { customer: 200, otherCustomer: 200, staff: 404, admin: 404 },
);
describeAuthorization(
  'DELETE profile/',
  { method: 'DELETE', path: () => PROFILE },
  {
    customer: 204,
    otherCustomer: 204,
    staff: 404,
    admin: 404,
  },
);
