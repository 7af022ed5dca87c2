/** Customer profiles, addresses and KYC records (src/customers). */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  char,
  date,
  index,
  int,
  mysqlEnum,
  mysqlTable,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';
import { createdAt, id, ref, timestamp, updatedAt } from './common';

export const KYC_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type KycStatus = (typeof KYC_STATUSES)[number];

export const DOCUMENT_TYPES = ['national_id', 'passport'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export const customers = mysqlTable(
  'customers',
  {
    id: id(),
    userId: ref('user_id').notNull(),
    firstName: varchar('first_name', { length: 50 }),
    lastName: varchar('last_name', { length: 50 }),
    // E.164, at most 15 digits plus '+'.
    phoneNumber: varchar('phone_number', { length: 16 }),
    dob: date('dob', { mode: 'string' }),
    isVerified: boolean('is_verified').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('customers_user_unique').on(t.userId),
    uniqueIndex('customers_phone_unique').on(t.phoneNumber),
    index('customers_created_idx').on(t.createdAt),
    index('customers_verified_idx').on(t.isVerified),
  ],
);

export const addresses = mysqlTable(
  'addresses',
  {
    id: id(),
    customerId: ref('customer_id').notNull(),
    country: char('country', { length: 2 }).notNull().default('EG'),
    state: varchar('state', { length: 50 }),
    city: varchar('city', { length: 50 }),
    line: varchar('line', { length: 50 }),
    buildingNumber: varchar('building_number', { length: 10 }),
    apartmentNumber: varchar('apartment_number', { length: 10 }),
    postalCode: varchar('postal_code', { length: 20 }),
    mainAddress: boolean('main_address').notNull().default(false),
    // customer_id when this is the main address, else NULL: the unique index below lets the database itself
    // refuse a second main address, even under concurrent writes (NULLs never collide).
    mainOf: bigint('main_of', { mode: 'number', unsigned: true }).generatedAlwaysAs(
      sql`(case when main_address then customer_id else null end)`,
      { mode: 'stored' },
    ),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('addresses_customer_idx').on(t.customerId), uniqueIndex('addresses_one_main').on(t.mainOf)],
);

export const kycRecords = mysqlTable(
  'kyc_records',
  {
    id: id(),
    customerId: ref('customer_id').notNull(),
    documentType: mysqlEnum('document_type', DOCUMENT_TYPES).notNull().default('national_id'),
    documentId: varchar('document_id', { length: 20 }),
    // R2 object key (random); the original file name is metadata only.
    documentKey: varchar('document_key', { length: 100 }),
    documentName: varchar('document_name', { length: 255 }),
    documentContentType: varchar('document_content_type', { length: 64 }),
    documentSize: int('document_size'),
    status: mysqlEnum('status', KYC_STATUSES).notNull().default('pending'),
    rejectionReason: varchar('rejection_reason', { length: 500 }),
    reviewedAt: timestamp('reviewed_at'),
    reviewedBy: ref('reviewed_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('kyc_records_customer_unique').on(t.customerId),
    index('kyc_records_status_idx').on(t.status),
  ],
);
