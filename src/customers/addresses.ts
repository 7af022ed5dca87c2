import { and, asc, eq, ne, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/mysql-core';
import type { ServiceContext } from '../context';
import type { Database } from '../db/client';
import { isDuplicateKey, isRetryableConflict, retryingConflicts } from '../db/client';
import { addresses, customers } from '../db/schema';
import { AppError, conflict, fieldError, notFound, validationError } from '../lib/errors';
import { NON_FIELD } from '../lib/validation';
import { addressColumns, addressFieldColumns } from './columns';
import { type CountryCode, DEFAULT_COUNTRY } from './countries';
import { callerId, customerProfileNotFound } from './profile';
import { type AddressChanges, addressErrors, addressLimitMessage, MESSAGES } from './schemas';

export interface Address {
  id: number;
  customerId: number;
  country: CountryCode;
  state: string | null;
  city: string | null;
  line: string | null;
  buildingNumber: string | null;
  apartmentNumber: string | null;
  postalCode: string | null;
  mainAddress: boolean;
}

type AddressValues = Omit<Address, 'id' | 'customerId'>;

/**
 * Whose addresses a write changes: the caller's own (the API), or — when staff edit a customer's addresses in
 * the admin, acting for that customer rather than for themselves — the owning user's id.
 */
export interface AddressOwner {
  userId?: number;
}

const ownerId = (ctx: ServiceContext, owner: AddressOwner) => owner.userId ?? callerId(ctx);

/** A database or an open transaction: both run statements the same way. */
type Runner = Pick<Database, 'execute' | 'update'>;

export function addressNotFound(): AppError {
  return notFound('No such address.', 'address_not_found');
}

function concurrentChange(): AppError {
  return new AppError(
    409,
    'address_conflict',
    'Another request changed your addresses at the same time. Reload them and try again.',
    { headers: { 'Retry-After': '1' } },
  );
}

/**
 * Runs a write once more when it lost a lock race (deadlock, lock wait, AUTO-INC deadlock 1467: docs/security.md
 * §4), and maps what is still refused (a second main address, a second lost race) to a 409.
 */
async function translatingConflicts<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await retryingConflicts(work);
  } catch (err) {
    if (isDuplicateKey(err, 'addresses_one_main') || isRetryableConflict(err)) throw concurrentChange();
    throw err;
  }
}

// The table again under its own name, for the count subquery inside statements on `addresses` itself.
const existingAddresses = alias(addresses, 'existing');

/** How many addresses the customer has (a subquery). */
function addressCount(customerId: number | SQLWrapper): SQL<number> {
  return sql<number>`(select count(*) from ${addresses} ${existingAddresses}
    where ${existingAddresses.customerId} = ${customerId})`;
}

/** The INSERT's column list, in the order of its SELECT below. */
const insertColumns = [
  addresses.customerId,
  ...Object.values(addressFieldColumns),
  addresses.mainAddress,
].map((column) => sql.identifier(column.name));

function toAddress(row: { country: string } & Omit<Address, 'country'>): Address {
  return { ...row, country: row.country as CountryCode };
}

/** The caller's addresses, main first then oldest first: one joined query. */
export async function listAddresses(ctx: ServiceContext): Promise<Address[]> {
  const rows = await ctx.db
    .select({ ownerId: customers.id, address: addressColumns })
    .from(customers)
    .leftJoin(addresses, eq(addresses.customerId, customers.id))
    .where(eq(customers.userId, callerId(ctx)))
    .orderBy(sql`${addresses.mainAddress} desc`, asc(addresses.id));
  if (rows.length === 0) throw customerProfileNotFound();
  return rows.flatMap((r) => (r.address ? [toAddress(r.address)] : []));
}

/** One of the caller's addresses; anyone else's is indistinguishable from a missing one (404). */
async function loadOwnAddress(
  db: Database,
  userId: number,
  addressId: number,
  extra?: { total: SQL<number> },
): Promise<{ customerId: number; address: Address; total: number }> {
  const [row] = await db
    .select({
      ownerId: customers.id,
      address: addressColumns,
      total: extra?.total ?? sql<number>`0`.mapWith(Number),
    })
    .from(customers)
    .leftJoin(addresses, and(eq(addresses.customerId, customers.id), eq(addresses.id, addressId)))
    .where(eq(customers.userId, userId))
    .limit(1);
  if (!row) throw customerProfileNotFound();
  if (!row.address) throw addressNotFound();
  return { customerId: row.ownerId, address: toAddress(row.address), total: row.total };
}

/** One of the caller's addresses. */
export async function getAddress(ctx: ServiceContext, addressId: number): Promise<Address> {
  return (await loadOwnAddress(ctx.db, callerId(ctx), addressId)).address;
}

function throwIfInvalid(values: AddressValues): void {
  const errors = addressErrors(values);
  if (Object.keys(errors).length > 0) throw validationError(errors);
}

/** Makes every other address of the customer non-main: the first statement of a main-address change. */
async function demoteOtherMainAddresses(runner: Runner, customerId: number, keepId?: number): Promise<void> {
  const others = and(eq(addresses.customerId, customerId), eq(addresses.mainAddress, true));
  await runner
    .update(addresses)
    .set({ mainAddress: false })
    .where(keepId === undefined ? others : and(others, ne(addresses.id, keepId)));
}

/**
 * docs/api.md §3.3 create. One read (customer and address count), then either a single guarded INSERT, or —
 * when the new address takes over as main from an existing one — demote + INSERT in one transaction.
 * The INSERT re-checks the count itself, so concurrent creates cannot pass the limit.
 */
export async function createAddress(
  ctx: ServiceContext,
  input: AddressOwner & { address: AddressChanges },
): Promise<Address> {
  const { db } = ctx;
  const limit = ctx.config.ADDRESSES_COUNT;
  const [owner] = await db
    .select({ customerId: customers.id, count: sql<number>`count(${addresses.id})`.mapWith(Number) })
    .from(customers)
    .leftJoin(addresses, eq(addresses.customerId, customers.id))
    .where(eq(customers.userId, ownerId(ctx, input)))
    .groupBy(customers.id);
  if (!owner) throw customerProfileNotFound();
  const limitReached = () => fieldError(NON_FIELD, addressLimitMessage(limit), 'address_limit_reached');
  if (owner.count >= limit) throw limitReached();

  const { address } = input;
  const values: AddressValues = {
    country: address.country ?? DEFAULT_COUNTRY,
    state: address.state ?? null,
    city: address.city ?? null,
    line: address.line ?? null,
    buildingNumber: address.building_number ?? null,
    apartmentNumber: address.apartment_number ?? null,
    postalCode: address.postal_code ?? null,
    // The first address is always the main one: a customer with addresses has exactly one main.
    mainAddress: owner.count === 0 ? true : (address.main_address ?? true),
  };
  throwIfInvalid(values);
  const { customerId } = owner;

  const insert = async (runner: Runner): Promise<number> => {
    const result = await runner.execute(sql`
      insert into ${addresses} (${sql.join(insertColumns, sql`, `)})
      select ${customerId}, ${values.country}, ${values.state}, ${values.city}, ${values.line},
        ${values.buildingNumber}, ${values.apartmentNumber}, ${values.postalCode}, ${values.mainAddress}
      from dual
      where ${addressCount(customerId)} < ${limit}`);
    if (result.rowsAffected === 0) throw limitReached();
    return Number(result.insertId);
  };

  const id = await translatingConflicts(() =>
    values.mainAddress && owner.count > 0
      ? db.transaction(async (tx) => {
          await demoteOtherMainAddresses(tx, customerId);
          return insert(tx);
        })
      : insert(db),
  );
  return { id, customerId, ...values };
}

/**
 * docs/api.md §3.3 PUT/PATCH. One read, then one UPDATE — or demote + UPDATE in one transaction when this
 * address becomes the main one. The only main address cannot be switched off directly.
 */
export async function updateAddress(
  ctx: ServiceContext,
  input: AddressOwner & { addressId: number; changes: AddressChanges },
): Promise<Address> {
  const { db } = ctx;
  const { addressId, changes } = input;
  const { customerId, address: current } = await loadOwnAddress(db, ownerId(ctx, input), addressId);
  const values: Partial<AddressValues> = {};
  if (changes.country !== undefined) values.country = changes.country;
  if (changes.state !== undefined) values.state = changes.state;
  if (changes.city !== undefined) values.city = changes.city;
  if (changes.line !== undefined) values.line = changes.line;
  if (changes.building_number !== undefined) values.buildingNumber = changes.building_number;
  if (changes.apartment_number !== undefined) values.apartmentNumber = changes.apartment_number;
  if (changes.postal_code !== undefined) values.postalCode = changes.postal_code;
  if (changes.main_address !== undefined) values.mainAddress = changes.main_address;
  const merged: Address = { ...current, ...values };

  throwIfInvalid(merged);
  if (current.mainAddress && !merged.mainAddress) throw fieldError('main_address', MESSAGES.keepOneMain);
  if (Object.keys(values).length === 0) return merged;

  const update = (runner: Runner) =>
    runner
      .update(addresses)
      .set(values)
      .where(and(eq(addresses.id, addressId), eq(addresses.customerId, customerId)));

  await translatingConflicts(async () => {
    if (!merged.mainAddress || current.mainAddress) return void (await update(db));
    await db.transaction(async (tx) => {
      await demoteOtherMainAddresses(tx, customerId, addressId);
      await update(tx);
    });
  });
  return merged;
}

/** docs/api.md §3.3 DELETE: the main address goes only when it is the last one (409 otherwise). */
export async function deleteAddress(ctx: ServiceContext, addressId: number): Promise<void> {
  const { db } = ctx;
  const total = addressCount(customers.id).mapWith(Number);
  const loaded = await loadOwnAddress(db, callerId(ctx), addressId, { total });
  if (loaded.address.mainAddress && loaded.total > 1) {
    throw conflict(
      'main_address_in_use',
      'This is your main address. Make another address the main one before deleting it.',
    );
  }
  const result = await db
    .delete(addresses)
    .where(and(eq(addresses.id, addressId), eq(addresses.customerId, loaded.customerId)));
  // A concurrent DELETE of the same address got there first: answered as if it came after (docs/security.md §4).
  if (result.rowsAffected === 0) throw addressNotFound();
}
