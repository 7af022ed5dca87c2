import { asc, desc, eq, like, or, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/mysql-core';
import { savedCardColumns } from '../../cards/columns';
import type { SavedCard } from '../../cards/service';
import type { Address } from '../../customers/addresses';
import { addressFieldColumns } from '../../customers/columns';
import { kycSubmissionVersion } from '../../customers/kyc';
import type { Database } from '../../db/client';
import { containing } from '../../db/like';
import {
  addresses,
  customers,
  type DocumentType,
  KYC_STATUSES,
  type KycStatus,
  kycRecords,
  savedCards,
  users,
} from '../../db/schema';
import { type ListResult, member, type PageWindow, pageOf, total, whereAll } from '../common/queries';

export const parseKycStatus = (value: string | undefined): KycStatus | undefined =>
  member(value, KYC_STATUSES);

export interface CustomerFilters {
  search?: string;
  verified?: boolean;
  kyc?: KycStatus;
}

export interface CustomerListRow {
  id: number;
  firstName: string | null;
  lastName: string | null;
  email: string;
  isVerified: boolean;
  createdAt: Date;
}

/** The customer list's filters; search covers names, e-mail, username and phone. */
export function customerConditions(filters: CustomerFilters): SQL[] {
  const conditions: SQL[] = [];
  if (filters.verified !== undefined) conditions.push(eq(customers.isVerified, filters.verified));
  if (filters.kyc) conditions.push(eq(kycRecords.status, filters.kyc));
  if (filters.search) {
    const pattern = containing(filters.search);
    conditions.push(
      or(
        like(customers.firstName, pattern),
        like(customers.lastName, pattern),
        like(users.email, pattern),
        like(users.username, pattern),
        like(customers.phoneNumber, pattern),
      ) as SQL,
    );
  }
  return conditions;
}

/** Customers, newest first; search covers names, e-mail, username and phone. */
export async function listCustomers(
  db: Database,
  filters: CustomerFilters,
  window: PageWindow,
): Promise<ListResult<CustomerListRow>> {
  const conditions = customerConditions(filters);
  return pageOf(
    db
      .select({
        id: customers.id,
        firstName: customers.firstName,
        lastName: customers.lastName,
        email: users.email,
        isVerified: customers.isVerified,
        createdAt: customers.createdAt,
        total,
      })
      .from(customers)
      .innerJoin(users, eq(users.id, customers.userId))
      .leftJoin(kycRecords, eq(kycRecords.customerId, customers.id))
      .where(whereAll(conditions))
      .orderBy(desc(customers.id))
      .$dynamic(),
    window,
  );
}

/** An address as the customer page shows it: the customers service's shape, country as stored. */
export type AdminAddress = Omit<Address, 'customerId' | 'country'> & { country: string };

export interface CustomerDetail {
  id: number;
  userId: number;
  username: string;
  email: string;
  isActive: boolean;
  firstName: string | null;
  lastName: string | null;
  phoneNumber: string | null;
  dob: string | null;
  isVerified: boolean;
  createdAt: Date;
  updatedAt: Date;
  kyc: {
    documentType: DocumentType;
    documentId: string | null;
    hasDocument: boolean;
    documentName: string | null;
    documentContentType: string | null;
    documentSize: number | null;
    status: KycStatus;
    rejectionReason: string | null;
    reviewedAt: Date | null;
    reviewerUsername: string | null;
    updatedAt: Date;
    /** Sent back with the decision (docs/security.md §2). */
    submissionVersion: string;
  } | null;
  addresses: AdminAddress[];
  /** Saved cards, newest first: brand, last four and dates only, never the token (docs/api.md §8). */
  cards: SavedCard[];
}

const reviewers = alias(users, 'reviewer');

/**
 * A customer with its user, KYC record (and reviewer), addresses and saved cards: one joined query, one row per
 * (address, card) pair (ADDRESSES_COUNT × the customer's few cards at most). Main address first, then oldest;
 * cards newest first.
 */
export async function customerDetail(db: Database, customerId: number): Promise<CustomerDetail | undefined> {
  const rows = await db
    .select({
      id: customers.id,
      userId: customers.userId,
      username: users.username,
      email: users.email,
      isActive: users.isActive,
      firstName: customers.firstName,
      lastName: customers.lastName,
      phoneNumber: customers.phoneNumber,
      dob: customers.dob,
      isVerified: customers.isVerified,
      createdAt: customers.createdAt,
      updatedAt: customers.updatedAt,
      kycId: kycRecords.id,
      documentType: kycRecords.documentType,
      documentId: kycRecords.documentId,
      documentKey: kycRecords.documentKey,
      documentName: kycRecords.documentName,
      documentContentType: kycRecords.documentContentType,
      documentSize: kycRecords.documentSize,
      kycStatus: kycRecords.status,
      rejectionReason: kycRecords.rejectionReason,
      reviewedAt: kycRecords.reviewedAt,
      kycUpdatedAt: kycRecords.updatedAt,
      reviewerUsername: reviewers.username,
      address: {
        id: addresses.id,
        ...addressFieldColumns,
        mainAddress: addresses.mainAddress,
      },
      // Never the token's ciphertext or the fingerprint.
      card: savedCardColumns,
    })
    .from(customers)
    .innerJoin(users, eq(users.id, customers.userId))
    .leftJoin(kycRecords, eq(kycRecords.customerId, customers.id))
    .leftJoin(reviewers, eq(reviewers.id, kycRecords.reviewedBy))
    .leftJoin(addresses, eq(addresses.customerId, customers.id))
    .leftJoin(savedCards, eq(savedCards.customerId, customers.id))
    .where(eq(customers.id, customerId))
    .orderBy(
      sql`${addresses.mainAddress} desc`,
      asc(addresses.id),
      desc(savedCards.updatedAt),
      desc(savedCards.id),
    );
  const first = rows[0];
  if (!first) return undefined;
  const kyc =
    first.kycId !== null && first.documentType !== null && first.kycStatus !== null && first.kycUpdatedAt
      ? {
          documentType: first.documentType,
          documentId: first.documentId,
          hasDocument: first.documentKey !== null,
          documentName: first.documentName,
          documentContentType: first.documentContentType,
          documentSize: first.documentSize,
          status: first.kycStatus,
          rejectionReason: first.rejectionReason,
          reviewedAt: first.reviewedAt,
          reviewerUsername: first.reviewerUsername,
          updatedAt: first.kycUpdatedAt,
          submissionVersion: await kycSubmissionVersion({
            documentType: first.documentType,
            documentId: first.documentId,
            documentKey: first.documentKey,
          }),
        }
      : null;
  return {
    id: first.id,
    userId: first.userId,
    username: first.username,
    email: first.email,
    isActive: first.isActive,
    firstName: first.firstName,
    lastName: first.lastName,
    phoneNumber: first.phoneNumber,
    dob: first.dob,
    isVerified: first.isVerified,
    createdAt: first.createdAt,
    updatedAt: first.updatedAt,
    kyc,
    addresses: distinctById(rows.flatMap((r) => (r.address ? [r.address] : []))),
    // The rows of the first address carry every card, in the query's card order.
    cards: distinctById(rows.flatMap((r) => (r.card ? [r.card] : []))),
  };
}

/** The first of each id, in order: the joined rows repeat each address per card and each card per address. */
function distinctById<T extends { id: number }>(items: T[]): T[] {
  const byId = new Map<number, T>();
  for (const item of items) if (!byId.has(item.id)) byId.set(item.id, item);
  return [...byId.values()];
}

/** The user who owns a customer profile: the customers services address profiles by their user. */
export async function customerOwner(db: Database, customerId: number): Promise<number | undefined> {
  const [row] = await db
    .select({ userId: customers.userId })
    .from(customers)
    .where(eq(customers.id, customerId))
    .limit(1);
  return row?.userId;
}
