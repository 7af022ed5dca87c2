import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { isDuplicateKey } from '../db/client';
import { customers, type KycStatus, kycRecords, transactions } from '../db/schema';
import { AppError, conflict, fieldError } from '../lib/errors';
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

const profileColumns = {
  customerId: customers.id,
  userId: customers.userId,
  firstName: customers.firstName,
  lastName: customers.lastName,
  phoneNumber: customers.phoneNumber,
  dob: customers.dob,
  isVerified: customers.isVerified,
  kycStatus: kycRecords.status,
};

/** The caller's customer id; one indexed lookup. Throws customer_profile_not_found. */
export async function requireCustomerId(db: Database, userId: number): Promise<number> {
  const [row] = await db
    .select({ id: customers.id })
    .from(customers)
    .where(eq(customers.userId, userId))
    .limit(1);
  if (!row) throw customerProfileNotFound();
  return row.id;
}

/** The profile with its KYC status: one joined query. */
export async function getProfile(db: Database, userId: number): Promise<CustomerProfile> {
  const [row] = await db
    .select(profileColumns)
    .from(customers)
    .leftJoin(kycRecords, eq(kycRecords.customerId, customers.id))
    .where(eq(customers.userId, userId))
    .limit(1);
  if (!row) throw customerProfileNotFound();
  return row;
}

/**
 * Applies validated changes (PUT passes all four keys, PATCH any subset). Two statements: the read that
 * proves the profile exists and gives the read-only fields, then the update. The phone number's uniqueness
 * is the database's unique index, so two concurrent requests cannot both take one number.
 */
export async function updateProfile(
  db: Database,
  userId: number,
  changes: ProfileChanges,
): Promise<CustomerProfile> {
  const current = await getProfile(db, userId);
  const values: Partial<typeof customers.$inferInsert> = {};
  const updated: CustomerProfile = { ...current };
  if (changes.first_name !== undefined) values.firstName = updated.firstName = changes.first_name;
  if (changes.last_name !== undefined) values.lastName = updated.lastName = changes.last_name;
  if (changes.phone_number !== undefined) values.phoneNumber = updated.phoneNumber = changes.phone_number;
  if (changes.dob !== undefined) values.dob = updated.dob = changes.dob;
  if (Object.keys(values).length === 0) return updated;
  try {
    await db.update(customers).set(values).where(eq(customers.id, current.customerId));
  } catch (err) {
    if (isDuplicateKey(err, 'customers_phone_unique')) throw fieldError('phone_number', MESSAGES.phoneTaken);
    throw err;
  }
  return updated;
}

export interface DeleteProfileDeps {
  db: Database;
  documents: R2Bucket;
  onStorageError: (err: unknown) => void;
}

/**
 * docs/api.md §3.2 DELETE: refused (409) while the customer has any transaction, since financial records are kept.
 * Otherwise the customer, its addresses and KYC record go in one multi-table DELETE (atomic without a
 * BEGIN/COMMIT), guarded again against a transaction created meanwhile; the stored document goes after.
 */
export async function deleteProfile(deps: DeleteProfileDeps, userId: number): Promise<void> {
  const { db } = deps;
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
    delete c, a, k from customers c
    left join addresses a on a.customer_id = c.id
    left join kyc_records k on k.customer_id = c.id
    where c.id = ${row.customerId}
      and not exists (select 1 from transactions t where t.customer_id = c.id)`);
  if (result.rowsAffected === 0) {
    // Either a transaction appeared since the read, or a concurrent DELETE won: say which.
    await requireCustomerId(db, userId);
    throw transactionsKept();
  }
  if (row.documentKey) await deleteDocument(deps.documents, row.documentKey, deps.onStorageError);
}
