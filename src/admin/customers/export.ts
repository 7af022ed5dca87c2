import { desc, eq, lt } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { customers, type KycStatus, kycRecords, users } from '../../db/schema';
import type { CsvValue } from '../../lib/csv';
import { whereAll } from '../common/queries';
import { type CustomerFilters, customerConditions } from './queries';

/**
 * The customers CSV (docs/admin.md §2): the list's filters, newest id first, in keyset batches. Contact and
 * status columns only: no date of birth, document number or address (ask for a customer's page for those).
 */
export const CUSTOMER_CSV_HEADER = [
  'id',
  'created_at',
  'username',
  'email',
  'first_name',
  'last_name',
  'phone_number',
  'is_verified',
  'kyc_status',
  'user_active',
] as const;

export interface CustomerExportRow {
  id: number;
  createdAt: Date;
  username: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  phoneNumber: string | null;
  isVerified: boolean;
  kycStatus: KycStatus | null;
  userActive: boolean;
}

export function customerExportBatch(
  db: Database,
  filters: CustomerFilters,
  after: number | undefined,
  limit: number,
): Promise<CustomerExportRow[]> {
  const conditions = customerConditions(filters);
  if (after !== undefined) conditions.push(lt(customers.id, after));
  return db
    .select({
      id: customers.id,
      createdAt: customers.createdAt,
      username: users.username,
      email: users.email,
      firstName: customers.firstName,
      lastName: customers.lastName,
      phoneNumber: customers.phoneNumber,
      isVerified: customers.isVerified,
      kycStatus: kycRecords.status,
      userActive: users.isActive,
    })
    .from(customers)
    .innerJoin(users, eq(users.id, customers.userId))
    .leftJoin(kycRecords, eq(kycRecords.customerId, customers.id))
    .where(whereAll(conditions))
    .orderBy(desc(customers.id))
    .limit(limit);
}

export function customerCsvLine(row: CustomerExportRow): CsvValue[] {
  return [
    row.id,
    row.createdAt,
    row.username,
    row.email,
    row.firstName,
    row.lastName,
    row.phoneNumber,
    row.isVerified,
    row.kycStatus,
    row.userActive,
  ];
}
