import { type Database, isDuplicateKey } from '../db/client';
import { addresses, customers, kycRecords } from '../db/schema';
import { DEFAULT_COUNTRY } from './countries';

export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Either the request's database handle or an open transaction. */
export type Executor = Database | Transaction;

export interface BootstrapResult {
  created: boolean;
  customerId?: number;
}

/**
 * docs/api.md §3.1: the empty customer profile of a CUSTOMER who just became active (or who deleted theirs): a
 * customer with every personal field empty, one main address in Egypt, and a pending national-id KYC record.
 * Call inside a transaction so the three rows appear together. Never twice: the unique `customers.user_id`
 * makes a second (or concurrent) call fail on the first insert, which is then a no-op.
 */
export async function bootstrapCustomer(tx: Transaction, userId: number): Promise<BootstrapResult> {
  let customerId: number;
  try {
    const inserted = await tx.insert(customers).values({ userId, isVerified: false });
    customerId = Number(inserted.insertId);
  } catch (err) {
    // A statement that fails on a duplicate key leaves the transaction usable (MySQL rolls back the statement).
    if (isDuplicateKey(err, 'customers_user_unique')) return { created: false };
    throw err;
  }
  await tx.insert(addresses).values({ customerId, country: DEFAULT_COUNTRY, mainAddress: true });
  await tx.insert(kycRecords).values({ customerId, documentType: 'national_id', status: 'pending' });
  return { created: true, customerId };
}

/** bootstrapCustomer in its own transaction. */
export function ensureCustomerProfile(db: Database, userId: number): Promise<BootstrapResult> {
  return db.transaction((tx) => bootstrapCustomer(tx, userId));
}
