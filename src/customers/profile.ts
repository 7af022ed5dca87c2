import { eq, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { isDuplicateKey } from '../db/client';
import { addresses, customers, type KycStatus, kycRecords, transactions } from '../db/schema';
import { AppError, conflict, fieldError, unauthorized } from '../lib/errors';
import { profileColumns } from './columns';
import { deleteDocument } from './documents';
import { MESSAGES, type ProfileChanges } from './schemas';

/** docs/api.md §3: every customer route answers this to a user without a profile (staff, or after DELETE). */
export function customerProfileNotFound(): AppError {
  return new AppError(404, 'customer_profile_not_found', 'You have no customer profile.');
}

export interface CustomerProfile {
  customerId: number;
  userId: number;
  firstName: string | null;
  lastName: string | null;
  phoneNumber: string | null;
  dob: string | null;
  isVerified: boolean;
  kycStatus: KycStatus | null;
}

/**
 * The signed-in user whose own profile, addresses and KYC record the customer services work on (every
 * customers route is behind requireAuth, so this throws only when a service is called without an actor).
 */
export function callerId(ctx: Pick<ServiceContext, 'actor'>): number {
  if (!ctx.actor) throw unauthorized('Authentication credentials were not provided.');
  return ctx.actor.id;
}

/** The caller's customer id; one indexed lookup. Throws customer_profile_not_found. */
export async function requireCustomerId(ctx: Pick<ServiceContext, 'db' | 'actor'>): Promise<number> {
  const userId = callerId(ctx);
  const [row] = await ctx.db
    .select({ id: customers.id })
    .from(customers)
    .where(eq(customers.userId, userId))
    .limit(1);
  if (!row) throw customerProfileNotFound();
  return row.id;
}

/**
 * The caller's profile with its KYC status: as the auth query loaded it (docs/round-trips.md), else one joined
 * query (an actor set without its customer, e.g. by the admin session).
 */
export async function getProfile(ctx: ServiceContext): Promise<CustomerProfile> {
  const loaded = ctx.actor?.customer;
  if (loaded === null) throw customerProfileNotFound();
  if (loaded !== undefined && ctx.actor) {
    const { id, firstName, lastName, phoneNumber, dob, isVerified, kycStatus } = loaded;
    return {
      customerId: id,
      userId: ctx.actor.id,
      firstName,
      lastName,
      phoneNumber,
      dob,
      isVerified,
      kycStatus,
    };
  }
  const [row] = await ctx.db
    .select(profileColumns)
    .from(customers)
    .leftJoin(kycRecords, eq(kycRecords.customerId, customers.id))
    .where(eq(customers.userId, callerId(ctx)))
    .limit(1);
  if (!row) throw customerProfileNotFound();
  return row;
}

/**
 * Applies validated changes (PUT passes all four keys, PATCH any subset). The profile the auth query
 * loaded gives the read-only fields (docs/round-trips.md), so it is one statement: the update. The phone number's uniqueness
 * is the database's unique index, so two concurrent requests cannot both take one number.
 */
export async function updateProfile(ctx: ServiceContext, changes: ProfileChanges): Promise<CustomerProfile> {
  const current = await getProfile(ctx);
  const values: Partial<typeof customers.$inferInsert> = {};
  const updated: CustomerProfile = { ...current };
  if (changes.first_name !== undefined) values.firstName = updated.firstName = changes.first_name;
  if (changes.last_name !== undefined) values.lastName = updated.lastName = changes.last_name;
  if (changes.phone_number !== undefined) values.phoneNumber = updated.phoneNumber = changes.phone_number;
  if (changes.dob !== undefined) values.dob = updated.dob = changes.dob;
  if (Object.keys(values).length === 0) return updated;
  try {
    await ctx.db.update(customers).set(values).where(eq(customers.id, current.customerId));
  } catch (err) {
    if (isDuplicateKey(err, 'customers_phone_unique')) throw fieldError('phone_number', MESSAGES.phoneTaken);
    throw err;
  }
  return updated;
}

/**
 * docs/api.md §3.2 DELETE: refused (409) while the customer has any transaction, since financial records are kept.
 * Otherwise the customer, its addresses and KYC record go in one multi-table DELETE (atomic without a
 * BEGIN/COMMIT), guarded again against a transaction created meanwhile; the stored document goes after.
 */
export async function deleteProfile(ctx: ServiceContext): Promise<void> {
  const { db } = ctx;
  const userId = callerId(ctx);
  const hasTransactions = sql<number>`exists (select 1 from ${transactions} where ${transactions.customerId} = ${customers.id})`;
  const [row] = await db
    .select({ customerId: customers.id, documentKey: kycRecords.documentKey, hasTransactions })
    .from(customers)
    .leftJoin(kycRecords, eq(kycRecords.customerId, customers.id))
    .where(eq(customers.userId, userId))
    .limit(1);
  if (!row) throw customerProfileNotFound();
  const transactionsKept = () =>
    conflict(
      'customer_has_transactions',
      'This profile has payment transactions: financial records are kept, so it cannot be deleted.',
    );
  if (Number(row.hasTransactions) === 1) throw transactionsKept();

  const result = await db.execute(sql`
    delete ${customers}, ${addresses}, ${kycRecords} from ${customers}
    left join ${addresses} on ${addresses.customerId} = ${customers.id}
    left join ${kycRecords} on ${kycRecords.customerId} = ${customers.id}
    where ${customers.id} = ${row.customerId} and not ${hasTransactions}`);
  if (result.rowsAffected === 0) {
    // Either a transaction appeared since the read, or a concurrent DELETE won: say which.
    await requireCustomerId(ctx);
    throw transactionsKept();
  }
  if (row.documentKey) await deleteDocument(ctx, row.documentKey);
}
