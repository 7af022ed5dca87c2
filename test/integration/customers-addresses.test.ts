import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createAddress, updateAddress } from '../../src/customers/addresses';
import { addressLimitMessage, MESSAGES } from '../../src/customers/schemas';
import { createDatabase, isDuplicateKey } from '../../src/db/client';
import { addresses as addressesTable } from '../../src/db/schema';
import {
  ADDRESSES,
  address,
  addressRows,
  as,
  contextAs,
  customerIdOf,
  expectProblem,
  newCustomer,
} from './customers-fixtures';
import {
  createUser,
  describeAuthorization,
  readJson,
  roundTrips,
  type TestUser,
  uniqueRequestId,
} from './helpers';

type AddressBody = {
  id: number;
  customer: number;
  country: string;
  state: string | null;
  city: string | null;
  line: string | null;
  building_number: string | null;
  apartment_number: string | null;
  postal_code: string | null;
  main_address: boolean;
};

async function addresses(user: TestUser): Promise<AddressBody[]> {
  const res = await as(user, ADDRESSES);
  expect(res.status).toBe(200);
  return readJson<AddressBody[]>(res);
}

async function create(user: TestUser, json: Record<string, unknown>): Promise<AddressBody> {
  const res = await as(user, ADDRESSES, { method: 'POST', json });
  expect(res.status, await res.clone().text()).toBe(201);
  return readJson<AddressBody>(res);
}

/** The one main address's id, read from the database. */
async function mainIds(customerId: number): Promise<number[]> {
  return (await addressRows(customerId)).filter((a) => a.mainAddress).map((a) => a.id);
}

describe('addresses list and read (docs/api.md §3.3)', () => {
  it('lists the bootstrap address with exactly the documented keys', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    const [only, ...rest] = await addresses(user);
    expect(rest).toEqual([]);
    expect(only).toEqual({
      id: expect.any(Number),
      customer: customerId,
      country: 'EG',
      state: null,
      city: null,
      line: null,
      building_number: null,
      apartment_number: null,
      postal_code: null,
      main_address: true,
    });
    const one = await as(user, address((only as AddressBody).id));
    expect(await readJson(one)).toEqual(only);
  });

  it("another customer's address does not exist for the caller (404), for every method", async () => {
    const [owner, other] = await Promise.all([newCustomer(), newCustomer()]);
    const [theirs] = await addresses(owner);
    const path = address((theirs as AddressBody).id);
    for (const [method, json] of [
      ['GET', undefined],
      [
        'PUT',
        {
          country: 'EG',
          state: null,
          city: 'Giza',
          line: null,
          building_number: null,
          apartment_number: null,
          postal_code: null,
          main_address: true,
        },
      ],
      ['PATCH', { city: 'Giza' }],
      ['DELETE', undefined],
    ] as const) {
      await expectProblem(await as(other, path, { method, json }), 404, 'address_not_found');
    }
    expect((await addresses(owner))[0]).toEqual(theirs);
  });

  it.each(['abc', '0', '-1', '1.5', '99999999999999999999', '9007199254740993', '1e3', '%20'])(
    'a bad id %j is a 404, never a 5xx',
    async (id) => {
      const user = await newCustomer();
      for (const method of ['GET', 'PATCH', 'PUT', 'DELETE'] as const) {
        const res = await as(user, address(id), {
          method,
          json: method === 'GET' || method === 'DELETE' ? undefined : { city: 'x' },
        });
        expect(res.status, `${method} ${id}`).toBe(404);
        await res.body?.cancel();
      }
    },
  );
});

describe('address create', () => {
  it('defaults to EG and to main, demoting the old main address', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    const [bootstrap] = await addresses(user);
    const created = await create(user, { city: '  Alexandria ', postal_code: '21500' });
    expect(created).toEqual({
      id: expect.any(Number),
      customer: customerId,
      country: 'EG',
      state: null,
      city: 'Alexandria',
      line: null,
      building_number: null,
      apartment_number: null,
      postal_code: '21500',
      main_address: true,
    });
    expect(await mainIds(customerId)).toEqual([created.id]);
    const listed = await addresses(user);
    expect(listed.map((a) => [a.id, a.main_address])).toEqual([
      [created.id, true],
      [(bootstrap as AddressBody).id, false],
    ]);
  });

  it('a non-main address leaves the main address alone', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    const [bootstrap] = await addresses(user);
    const created = await create(user, {
      country: 'sa',
      city: 'Riyadh',
      postal_code: '12271',
      main_address: false,
    });
    expect(created).toMatchObject({ country: 'SA', main_address: false });
    expect(await mainIds(customerId)).toEqual([(bootstrap as AddressBody).id]);
  });

  it('the first address of a customer with none is the main one', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    const [bootstrap] = await addresses(user);
    expect((await as(user, address((bootstrap as AddressBody).id), { method: 'DELETE' })).status).toBe(204);
    const created = await create(user, { city: 'Cairo', main_address: false });
    expect(created.main_address).toBe(true);
    expect(await mainIds(customerId)).toEqual([created.id]);
  });

  it('read-only fields (id, customer) are ignored', async () => {
    const [user, other] = await Promise.all([newCustomer(), newCustomer()]);
    const otherId = await customerIdOf(other);
    const created = await create(user, { id: 1, customer: otherId, city: 'Cairo' });
    expect(created.customer).toBe(await customerIdOf(user));
    expect(created.id).not.toBe(1);
    expect(await addressRows(otherId)).toHaveLength(1);
  });

  it('at most ADDRESSES_COUNT (3), the bootstrap address included', async () => {
    const user = await newCustomer();
    await create(user, { city: 'Giza' });
    await create(user, { city: 'Luxor', main_address: false });
    await expectProblem(
      await as(user, ADDRESSES, { method: 'POST', json: { city: 'Aswan' } }),
      400,
      'address_limit_reached',
      { non_field_errors: [addressLimitMessage(3)] },
    );
    expect(addressLimitMessage(3)).toBe('You have reached the maximum number of addresses (3).');
    expect(await addressRows(await customerIdOf(user))).toHaveLength(3);
  });

  it('concurrent creates never pass the limit and leave exactly one main address', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    const responses = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        as(user, ADDRESSES, { method: 'POST', json: { city: `City ${i}` } }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    for (const r of responses) await r.body?.cancel();
    expect(
      statuses.every((s) => [201, 400, 409].includes(s)),
      String(statuses),
    ).toBe(true);
    const rows = await addressRows(customerId);
    expect(rows.length).toBeLessThanOrEqual(3);
    expect(rows.length).toBe(1 + statuses.filter((s) => s === 201).length);
    expect(await mainIds(customerId)).toHaveLength(1);
  });

  const invalid: Array<[string, Record<string, unknown>, Record<string, string[]>]> = [
    ['unknown country', { country: 'US' }, { country: ['"US" is not a valid choice.'] }],
    ['country as a number', { country: 20 }, { country: ['Not a valid string.'] }],
    ['state of 3 characters', { state: 'Giz' }, { state: [MESSAGES.stateTooShort] }],
    [
      'state over 50',
      { state: 's'.repeat(51) },
      { state: ['Ensure this field has no more than 50 characters.'] },
    ],
    [
      'city over 50',
      { city: 'c'.repeat(51) },
      { city: ['Ensure this field has no more than 50 characters.'] },
    ],
    [
      'line over 50',
      { line: 'l'.repeat(51) },
      { line: ['Ensure this field has no more than 50 characters.'] },
    ],
    [
      'building number over 10',
      { building_number: '12345678901' },
      { building_number: ['Ensure this field has no more than 10 characters.'] },
    ],
    [
      'apartment number over 10',
      { apartment_number: 'A'.repeat(11) },
      { apartment_number: ['Ensure this field has no more than 10 characters.'] },
    ],
    [
      'Egyptian postal code of 4 digits',
      { postal_code: '1151' },
      { postal_code: [MESSAGES.egyptPostalCode] },
    ],
    [
      'Egyptian postal code with a letter',
      { country: 'EG', postal_code: '1151A' },
      { postal_code: [MESSAGES.egyptPostalCode] },
    ],
    ['Saudi postal code of 2', { country: 'SA', postal_code: '12' }, { postal_code: [MESSAGES.postalCode] }],
    [
      'Omani postal code of 11',
      { country: 'OM', postal_code: '12345678901' },
      { postal_code: [MESSAGES.postalCode] },
    ],
    [
      'postal code with a dash',
      { country: 'PK', postal_code: '440-00' },
      { postal_code: [MESSAGES.postalCode] },
    ],
    [
      'postal code over 20',
      { postal_code: '1'.repeat(21) },
      { postal_code: ['Ensure this field has no more than 20 characters.'] },
    ],
    ['main_address as a string', { main_address: 'yes' }, { main_address: ['Must be a valid boolean.'] }],
    ['main_address null', { main_address: null }, { main_address: ['This field may not be null.'] }],
    [
      'a body that is a list',
      [] as unknown as Record<string, unknown>,
      { non_field_errors: ['Invalid data. Expected a dictionary.'] },
    ],
  ];

  it.each(invalid)('%s → 400', async (_case, json, errors) => {
    const user = await newCustomer();
    await expectProblem(await as(user, ADDRESSES, { method: 'POST', json }), 400, 'validation_error', errors);
    expect(await addressRows(await customerIdOf(user))).toHaveLength(1);
  });

  it.each([
    ['EG', '11511'],
    ['SA', '12271'],
    ['AE', '00000'],
    ['OM', '112'],
    ['PK', '44000'],
    ['AE', 'ABC1234567'],
  ])('%s accepts postal code %s', async (country, postal_code) => {
    const user = await newCustomer();
    await create(user, { country, postal_code, state: 'Some state' });
  });

  it('every field at its length limit is accepted', async () => {
    const user = await newCustomer();
    const created = await create(user, {
      state: 's'.repeat(50),
      city: 'c'.repeat(50),
      line: 'l'.repeat(50),
      building_number: 'b'.repeat(10),
      apartment_number: 'a'.repeat(10),
      country: 'AE',
      postal_code: 'P'.repeat(10),
    });
    expect(created.city).toHaveLength(50);
  });

  it('POST costs 3 round trips for a non-main address and 6 when it takes over as main', async () => {
    const user = await newCustomer();
    const plain = uniqueRequestId('post-address');
    expect(
      (
        await as(user, ADDRESSES, {
          method: 'POST',
          json: { city: 'Giza', main_address: false },
          requestId: plain,
        })
      ).status,
    ).toBe(201);
    expect(await roundTrips(plain)).toBe(3); // auth, customer + count, guarded INSERT
    const main = uniqueRequestId('post-main-address');
    expect(
      (await as(user, ADDRESSES, { method: 'POST', json: { city: 'Cairo' }, requestId: main })).status,
    ).toBe(201);
    expect(await roundTrips(main)).toBe(6); // auth, customer + count, BEGIN, demote, INSERT, COMMIT
  });
});

describe('address update', () => {
  it('PATCH changes only what it is given; postal code is checked against the stored country', async () => {
    const user = await newCustomer();
    const [bootstrap] = await addresses(user);
    const id = (bootstrap as AddressBody).id;
    const res = await as(user, address(id), {
      method: 'PATCH',
      json: { city: 'Giza', line: ' 12 Nile St ' },
    });
    expect(await readJson(res)).toMatchObject({
      id,
      city: 'Giza',
      line: '12 Nile St',
      country: 'EG',
      main_address: true,
    });
    await expectProblem(
      await as(user, address(id), { method: 'PATCH', json: { postal_code: 'ABC' } }),
      400,
      'validation_error',
      { postal_code: [MESSAGES.egyptPostalCode] },
    );
    // Changing the country makes the same code valid.
    const moved = await as(user, address(id), {
      method: 'PATCH',
      json: { country: 'SA', postal_code: 'ABC' },
    });
    expect(await readJson(moved)).toMatchObject({ country: 'SA', postal_code: 'ABC' });
  });

  it('a country change re-checks the stored postal code', async () => {
    const user = await newCustomer();
    const created = await create(user, { country: 'SA', postal_code: '123' });
    await expectProblem(
      await as(user, address(created.id), { method: 'PATCH', json: { country: 'EG' } }),
      400,
      'validation_error',
      { postal_code: [MESSAGES.egyptPostalCode] },
    );
  });

  it('PUT needs every writable key', async () => {
    const user = await newCustomer();
    const [bootstrap] = await addresses(user);
    const res = await as(user, address((bootstrap as AddressBody).id), {
      method: 'PUT',
      json: { city: 'Giza' },
    });
    const problem = await expectProblem(res, 400, 'validation_error');
    expect(Object.keys(problem.errors ?? {}).sort()).toEqual([
      'apartment_number',
      'building_number',
      'country',
      'line',
      'main_address',
      'postal_code',
      'state',
    ]);
    const full = {
      country: 'OM',
      state: 'Muscat Governorate',
      city: 'Muscat',
      line: 'Way 3011',
      building_number: '12',
      apartment_number: null,
      postal_code: '112',
      main_address: true,
    };
    const ok = await as(user, address((bootstrap as AddressBody).id), { method: 'PUT', json: full });
    expect(await readJson(ok)).toMatchObject(full);
  });

  it('setting main_address moves the main flag in one transaction', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    const [bootstrap] = await addresses(user);
    const second = await create(user, { city: 'Giza', main_address: false });
    const requestId = uniqueRequestId('promote-address');
    const res = await as(user, address(second.id), {
      method: 'PATCH',
      json: { main_address: true },
      requestId,
    });
    expect((await readJson(res)).main_address).toBe(true);
    expect(await mainIds(customerId)).toEqual([second.id]);
    expect(await roundTrips(requestId)).toBe(6); // auth, read, BEGIN, demote, update, COMMIT
    // Sending true again for the main address changes nothing.
    expect(
      (await as(user, address(second.id), { method: 'PATCH', json: { main_address: true } })).status,
    ).toBe(200);
    expect(await mainIds(customerId)).toEqual([second.id]);
    expect((bootstrap as AddressBody).id).not.toBe(second.id);
  });

  it('the main address cannot be switched off: "A customer must keep one main address."', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    const [bootstrap] = await addresses(user);
    await create(user, { city: 'Giza', main_address: false });
    await expectProblem(
      await as(user, address((bootstrap as AddressBody).id), {
        method: 'PATCH',
        json: { main_address: false },
      }),
      400,
      'validation_error',
      { main_address: [MESSAGES.keepOneMain] },
    );
    expect(await mainIds(customerId)).toEqual([(bootstrap as AddressBody).id]);
  });

  it('a non-main address may stay non-main', async () => {
    const user = await newCustomer();
    const second = await create(user, { city: 'Giza', main_address: false });
    const res = await as(user, address(second.id), {
      method: 'PATCH',
      json: { main_address: false, city: 'Cairo' },
    });
    expect(await readJson(res)).toMatchObject({ main_address: false, city: 'Cairo' });
  });
});

describe('address delete', () => {
  it('deletes a non-main address: 204', async () => {
    const user = await newCustomer();
    const second = await create(user, { city: 'Giza', main_address: false });
    const res = await as(user, address(second.id), { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect((await addresses(user)).map((a) => a.id)).not.toContain(second.id);
    await expectProblem(await as(user, address(second.id)), 404, 'address_not_found');
  });

  it('the main address cannot be deleted while others exist: 409', async () => {
    const user = await newCustomer();
    const main = await create(user, { city: 'Giza' });
    await expectProblem(await as(user, address(main.id), { method: 'DELETE' }), 409, 'main_address_in_use');
    expect(await mainIds(await customerIdOf(user))).toEqual([main.id]);
  });

  it('the last address, main, can be deleted', async () => {
    const user = await newCustomer();
    const [only] = await addresses(user);
    expect((await as(user, address((only as AddressBody).id), { method: 'DELETE' })).status).toBe(204);
    expect(await addresses(user)).toEqual([]);
  });
});

describe('a failed write changes nothing (atomicity, real database)', () => {
  // The services are called directly with a value the API's validation would refuse, so the database itself
  // refuses the second statement of the transaction (STRICT mode: "Data too long"). The first statement —
  // demoting the current main address — must be rolled back with it.
  const db = () => createDatabase(env.DATABASE_URL as string, uniqueRequestId('atomicity'));
  const ctx = (user: TestUser) => contextAs(user, { label: 'atomicity' });

  it('create: demote succeeds, INSERT fails → the old main address is still main, no new row', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    const before = await addressRows(customerId);
    await expect(
      createAddress(ctx(user), {
        address: { city: 'Giza', building_number: 'x'.repeat(40), main_address: true },
      }),
    ).rejects.toThrow();
    expect(await addressRows(customerId)).toEqual(before);
    expect(await mainIds(customerId)).toEqual([before[0]?.id]);
  });

  it('update: demote succeeds, UPDATE fails → nothing changed', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    const second = await create(user, { city: 'Giza', main_address: false });
    const before = await addressRows(customerId);
    await expect(
      updateAddress(ctx(user), {
        addressId: second.id,
        changes: { main_address: true, city: 'c'.repeat(80) },
      }),
    ).rejects.toThrow();
    expect(await addressRows(customerId)).toEqual(before);
    expect(await mainIds(customerId)).toEqual([before[0]?.id]);
  });

  it('the database itself refuses a second main address (addresses_one_main)', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    const second = await create(user, { city: 'Giza', main_address: false });
    const error = await db()
      .update(addressesTable)
      .set({ mainAddress: true })
      .where(eq(addressesTable.id, second.id))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(isDuplicateKey(error, 'addresses_one_main')).toBe(true);
    expect(await mainIds(customerId)).toHaveLength(1);
  });
});

describe('no input produces a 5xx', () => {
  const bodies: Array<[string, string]> = [
    ['malformed JSON', '{"city": '],
    ['a JSON string', '"Cairo"'],
    ['null', 'null'],
    ['a number', '42'],
    ['nested objects', '{"city": {"a": 1}, "state": [1, 2], "country": {"$gt": ""}}'],
    ['a huge string', JSON.stringify({ city: 'x'.repeat(500_000), postal_code: '9'.repeat(100_000) })],
    ['nulls everywhere', '{"country": null, "state": null, "city": null, "main_address": null}'],
    ['unicode and control characters', JSON.stringify({ city: '\u0000\u202e😀', line: '\ud800' })],
  ];

  it.each(bodies)('POST %s → an answer below 500', async (_case, body) => {
    const user = await newCustomer();
    const res = await as(user, ADDRESSES, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBeLessThan(500);
    await res.body?.cancel();
  });

  it.each(bodies)('PATCH %s → an answer below 500', async (_case, body) => {
    const user = await newCustomer();
    const [only] = await addresses(user);
    const res = await as(user, address((only as AddressBody).id), {
      method: 'PATCH',
      body,
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBeLessThan(500);
    await res.body?.cancel();
  });

  it('a non-JSON content type is 415', async () => {
    const user = await newCustomer();
    const res = await as(user, ADDRESSES, {
      method: 'POST',
      body: 'city=Cairo',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    await expectProblem(res, 415, 'unsupported_media_type');
  });

  it('an unsupported method is 405 with Allow', async () => {
    const user = await newCustomer();
    const res = await as(user, ADDRESSES, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('Allow')).toBe('GET, HEAD, POST');
    await res.body?.cancel();
  });
});

const fullAddress = {
  country: 'EG',
  state: 'Cairo Governorate',
  city: 'Cairo',
  line: '1 Tahrir Sq',
  building_number: '1',
  apartment_number: '2',
  postal_code: '11511',
  main_address: true,
};

/** Read from the database: the suite also calls this for a user it has just deactivated. */
async function firstAddressPath(owner: TestUser): Promise<string> {
  const [first] = await addressRows(await customerIdOf(owner));
  return address(first?.id ?? 0);
}

describeAuthorization(
  'GET address/',
  { method: 'GET', path: () => ADDRESSES },
  {
    customer: 200,
    otherCustomer: 200,
    staff: 404,
    admin: 404,
  },
);
describeAuthorization(
  'POST address/',
  { method: 'POST', path: () => ADDRESSES, body: () => ({ city: 'Giza' }) },
  { customer: 201, otherCustomer: 201, staff: 404, admin: 404 },
);
describeAuthorization(
  'GET address/{id}/',
  { method: 'GET', path: firstAddressPath },
  {
    customer: 200,
    otherCustomer: 404,
    staff: 404,
    admin: 404,
  },
);
describeAuthorization(
  'PUT address/{id}/',
  { method: 'PUT', path: firstAddressPath, body: () => fullAddress },
  { customer: 200, otherCustomer: 404, staff: 404, admin: 404 },
);
describeAuthorization(
  'PATCH address/{id}/',
  { method: 'PATCH', path: firstAddressPath, body: () => ({ city: 'Giza' }) },
  { customer: 200, otherCustomer: 404, staff: 404, admin: 404 },
);
describeAuthorization(
  'DELETE address/{id}/',
  { method: 'DELETE', path: firstAddressPath },
  {
    customer: 204,
    otherCustomer: 404,
    staff: 404,
    admin: 404,
  },
);

it('staff get customer_profile_not_found on address routes (not a hint that the address exists)', async () => {
  const [owner, staff] = await Promise.all([newCustomer(), createUser({ role: 'ADMIN' })]);
  await expectProblem(await as(staff, await firstAddressPath(owner)), 404, 'customer_profile_not_found');
});
