import { and, asc, desc, eq, gte, inArray, isNotNull, like, lt, or, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/mysql-core';
import { kycSubmissionVersion } from '../customers/kyc';
import type { Database } from '../db/client';
import { containing, startingWith } from '../db/like';
import {
  addresses,
  auditLog,
  customers,
  type DocumentType,
  EMAIL_STATUSES,
  type EmailStatus,
  emailEvents,
  KYC_STATUSES,
  type KycStatus,
  kycRecords,
  paymentEvents,
  ROLES,
  type Role,
  TRANSACTION_STATUSES,
  type TransactionStatus,
  transactions,
  users,
} from '../db/schema';
import { userListConditions } from '../users/profiles';

/**
 * A role, KYC status, transaction status or e-mail status named in a query string or form field, checked
 * against the schema's enums; anything else is undefined. Routes parse with these so that they never import
 * the schema (CONTRIBUTING.md, "Layering").
 */
function member<T extends string>(value: string | undefined, allowed: readonly T[]): T | undefined {
  return allowed.find((v) => v === value);
}
export const parseRole = (value: string | undefined): Role | undefined => member(value, ROLES);
export const parseKycStatus = (value: string | undefined): KycStatus | undefined =>
  member(value, KYC_STATUSES);
export const parseTransactionStatus = (value: string | undefined): TransactionStatus | undefined =>
  member(value, TRANSACTION_STATUSES);
export const parseEmailStatus = (value: string | undefined): EmailStatus | undefined =>
  member(value, EMAIL_STATUSES);

/**
 * Read-only queries behind the admin pages: lists, the dashboard's aggregates and the detail pages. Each
 * function is one statement (one round trip). Lists return their total next to the page through a window
 * function, so a page never needs a second COUNT query. Writes never happen here: they go through the
 * domain services, like the API's.
 */

export interface PageWindow {
  page: number;
  pageSize: number;
}

export interface ListResult<T> {
  /** Rows matching the filters across all pages (0 when the page is past the end). */
  total: number;
  rows: T[];
}

const total = sql<number>`count(*) over ()`.mapWith(Number);
const offsetOf = (window: PageWindow) => (window.page - 1) * window.pageSize;

function withTotal<T extends { total: number }>(rows: T[]): ListResult<Omit<T, 'total'>> {
  return {
    total: rows[0]?.total ?? 0,
    rows: rows.map(({ total: _total, ...row }) => row),
  };
}

const whereAll = (conditions: SQL[]) => (conditions.length > 0 ? and(...conditions) : undefined);

// --- Dashboard ---------------------------------------------------------------------------------------------

export interface DashboardCounts {
  users: number;
  activeUsers: number;
  customers: number;
  verifiedCustomers: number;
  kycPending: number;
  /** Pending records that have a document: the review queue. */
  kycAwaitingReview: number;
  transactionsByStatus: Record<TransactionStatus, number>;
  /** Pending payments whose PayMob state stayed unknown past their expiry (docs/paymob.md §3). */
  needsAttention: number;
}

/** Every dashboard count in one statement (a UNION ALL of small aggregates). */
export async function dashboardCounts(db: Database): Promise<DashboardCounts> {
  const result = await db.execute(sql`
    select 'users' as metric, '' as detail, count(*) as n, sum(is_active) as extra from ${users}
    union all select 'customers', '', count(*), sum(is_verified) from ${customers}
    union all select 'kyc_pending', '', count(*), sum(document_key is not null) from ${kycRecords}
      where status = 'pending'
    union all select 'transactions', status, count(*), 0 from ${transactions} group by status
    union all select 'attention', '', count(*), 0 from ${transactions}
      where needs_attention_at is not null and status = 'pending'`);
  const counts: DashboardCounts = {
    users: 0,
    activeUsers: 0,
    customers: 0,
    verifiedCustomers: 0,
    kycPending: 0,
    kycAwaitingReview: 0,
    needsAttention: 0,
    transactionsByStatus: Object.fromEntries(TRANSACTION_STATUSES.map((s) => [s, 0])) as Record<
      TransactionStatus,
      number
    >,
  };
  for (const row of result.rows as Array<{ metric: string; detail: string; n: unknown; extra: unknown }>) {
    const n = Number(row.n ?? 0);
    const extra = Number(row.extra ?? 0);
    if (row.metric === 'users') [counts.users, counts.activeUsers] = [n, extra];
    else if (row.metric === 'customers') [counts.customers, counts.verifiedCustomers] = [n, extra];
    else if (row.metric === 'kyc_pending') [counts.kycPending, counts.kycAwaitingReview] = [n, extra];
    else if (row.metric === 'attention') counts.needsAttention = n;
    else if ((TRANSACTION_STATUSES as readonly string[]).includes(row.detail)) {
      counts.transactionsByStatus[row.detail as TransactionStatus] = n;
    }
  }
  return counts;
}

/** Statuses a payment reaches only after PayMob captured it (refunds and voids come after a success). */
export const PAID_STATUSES: readonly TransactionStatus[] = ['succeeded', 'refunded', 'voided'];
/** Statuses in which an attempt is over: paid, or not. Pending and initiated ones are still open. */
export const FINISHED_STATUSES: readonly TransactionStatus[] = [...PAID_STATUSES, 'failed', 'expired'];

export interface DailyPayments {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  currency: string;
  /** Attempts created that day that are finished (paid, failed or expired). */
  finished: number;
  paid: number;
  /** Sum of the paid attempts' amounts, in minor units, before refunds. */
  paidCents: number;
}

/** Payments per UTC day and currency since `since`: one GROUP BY over the created_at index. */
export async function dailyPayments(db: Database, since: Date): Promise<DailyPayments[]> {
  const paid = sql.join(
    PAID_STATUSES.map((s) => sql`${s}`),
    sql`, `,
  );
  const finished = sql.join(
    FINISHED_STATUSES.map((s) => sql`${s}`),
    sql`, `,
  );
  const day = sql<string>`date_format(${transactions.createdAt}, '%Y-%m-%d')`;
  const rows = await db
    .select({
      day,
      currency: transactions.currency,
      finished: sql<number>`sum(${transactions.status} in (${finished}))`.mapWith(Number),
      paid: sql<number>`sum(${transactions.status} in (${paid}))`.mapWith(Number),
      paidCents:
        sql<number>`sum(case when ${transactions.status} in (${paid}) then ${transactions.amountCents} else 0 end)`.mapWith(
          Number,
        ),
    })
    .from(transactions)
    .where(gte(transactions.createdAt, since))
    .groupBy(day, transactions.currency)
    .orderBy(day);
  return rows;
}

// --- Users -------------------------------------------------------------------------------------------------

export interface UserFilters {
  search?: string;
  role?: Role;
  active?: boolean;
}

export interface UserListRow {
  id: number;
  username: string;
  email: string;
  role: Role;
  isActive: boolean;
  dateJoined: Date;
  lastLogin: Date | null;
  customerId: number | null;
}

/** Users, newest first, with their customer profile id when they have one. */
export async function listUsers(
  db: Database,
  filters: UserFilters,
  window: PageWindow,
): Promise<ListResult<UserListRow>> {
  const conditions = userListConditions(filters);
  const rows = await db
    .select({
      id: users.id,
      username: users.username,
      email: users.email,
      role: users.role,
      isActive: users.isActive,
      dateJoined: users.dateJoined,
      lastLogin: users.lastLogin,
      customerId: customers.id,
      total,
    })
    .from(users)
    .leftJoin(customers, eq(customers.userId, users.id))
    .where(whereAll(conditions))
    .orderBy(desc(users.id))
    .limit(window.pageSize)
    .offset(offsetOf(window));
  return withTotal(rows);
}

// --- Customers ---------------------------------------------------------------------------------------------

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

/** Customers, newest first; search covers names, e-mail, username and phone. */
export async function listCustomers(
  db: Database,
  filters: CustomerFilters,
  window: PageWindow,
): Promise<ListResult<CustomerListRow>> {
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
  const rows = await db
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
    .limit(window.pageSize)
    .offset(offsetOf(window));
  return withTotal(rows);
}

export interface AdminAddress {
  id: number;
  country: string;
  state: string | null;
  city: string | null;
  line: string | null;
  buildingNumber: string | null;
  apartmentNumber: string | null;
  postalCode: string | null;
  mainAddress: boolean;
}

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
}

const reviewers = alias(users, 'reviewer');

/**
 * A customer with its user, KYC record (and reviewer) and addresses: one joined query, one row per address
 * (at most ADDRESSES_COUNT rows). Main address first, then oldest.
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
        country: addresses.country,
        state: addresses.state,
        city: addresses.city,
        line: addresses.line,
        buildingNumber: addresses.buildingNumber,
        apartmentNumber: addresses.apartmentNumber,
        postalCode: addresses.postalCode,
        mainAddress: addresses.mainAddress,
      },
    })
    .from(customers)
    .innerJoin(users, eq(users.id, customers.userId))
    .leftJoin(kycRecords, eq(kycRecords.customerId, customers.id))
    .leftJoin(reviewers, eq(reviewers.id, kycRecords.reviewedBy))
    .leftJoin(addresses, eq(addresses.customerId, customers.id))
    .where(eq(customers.id, customerId))
    .orderBy(sql`${addresses.mainAddress} desc`, asc(addresses.id));
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
    addresses: rows.flatMap((r) => (r.address ? [r.address] : [])),
  };
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

// --- Transactions ------------------------------------------------------------------------------------------

export interface TransactionFilters {
  statuses?: TransactionStatus[];
  /** Inclusive lower bound (start of a UTC day). */
  createdFrom?: Date;
  /** Exclusive upper bound (start of the UTC day after the chosen one). */
  createdBefore?: Date;
  customerId?: number;
  /** A merchant order id, or a PayMob order or transaction id. */
  reference?: string;
  /** Only pending payments flagged for staff. */
  needsAttention?: boolean;
}

export interface TransactionListRow {
  id: number;
  merchantOrderId: string;
  customerId: number;
  customerName: string | null;
  customerEmail: string | null;
  amountCents: number;
  currency: string;
  status: TransactionStatus;
  refundedCents: number;
  createdAt: Date;
  needsAttention: boolean;
}

/** Pending, and reconciliation could not learn PayMob's state past the checkout's expiry. */
const needsAttention =
  sql<boolean>`(${transactions.needsAttentionAt} is not null and ${transactions.status} = 'pending')`.mapWith(
    (v) => Number(v) === 1,
  );

function transactionConditions(filters: TransactionFilters): SQL[] {
  const conditions: SQL[] = [];
  if (filters.statuses && filters.statuses.length > 0)
    conditions.push(inArray(transactions.status, filters.statuses));
  if (filters.createdFrom) conditions.push(gte(transactions.createdAt, filters.createdFrom));
  if (filters.createdBefore) conditions.push(lt(transactions.createdAt, filters.createdBefore));
  if (filters.customerId !== undefined) conditions.push(eq(transactions.customerId, filters.customerId));
  if (filters.needsAttention) {
    conditions.push(eq(transactions.status, 'pending'), isNotNull(transactions.needsAttentionAt));
  }
  if (filters.reference) {
    const reference = filters.reference;
    const byNumber = /^\d{1,15}$/.test(reference)
      ? [
          eq(transactions.paymobOrderId, Number(reference)),
          eq(transactions.paymobTransactionId, Number(reference)),
        ]
      : [];
    conditions.push(or(eq(transactions.merchantOrderId, reference), ...byNumber) as SQL);
  }
  return conditions;
}

const customerName = sql<
  string | null
>`nullif(trim(concat(coalesce(${customers.firstName}, ''), ' ', coalesce(${customers.lastName}, ''))), '')`;

/** Transactions, newest first, with the customer's name and e-mail. */
export async function listTransactions(
  db: Database,
  filters: TransactionFilters,
  window: PageWindow,
): Promise<ListResult<TransactionListRow>> {
  const rows = await db
    .select({
      id: transactions.id,
      merchantOrderId: transactions.merchantOrderId,
      customerId: transactions.customerId,
      customerName,
      customerEmail: users.email,
      amountCents: transactions.amountCents,
      currency: transactions.currency,
      status: transactions.status,
      refundedCents: transactions.refundedCents,
      createdAt: transactions.createdAt,
      needsAttention,
      total,
    })
    .from(transactions)
    .leftJoin(customers, eq(customers.id, transactions.customerId))
    .leftJoin(users, eq(users.id, customers.userId))
    .where(whereAll(transactionConditions(filters)))
    .orderBy(desc(transactions.createdAt), desc(transactions.id))
    .limit(window.pageSize)
    .offset(offsetOf(window));
  return withTotal(rows);
}

/** A customer's latest transactions, for their page. */
export async function recentCustomerTransactions(
  db: Database,
  customerId: number,
  limit: number,
): Promise<ListResult<TransactionListRow>> {
  return listTransactions(db, { customerId }, { page: 1, pageSize: limit });
}

export interface PaymentEventRow {
  id: number;
  paymobTransactionId: number;
  kind: string;
  source: string;
  type: string;
  amountCents: number | null;
  currency: string | null;
  success: boolean | null;
  pending: boolean | null;
  isRefunded: boolean | null;
  isVoided: boolean | null;
  hasParentTransaction: boolean | null;
  outcome: string;
  message: string | null;
  rawBody: unknown;
  receivedAt: Date;
}

export interface TransactionDetail {
  id: number;
  merchantOrderId: string;
  customerId: number;
  customerName: string | null;
  customerEmail: string | null;
  amountCents: number;
  currency: string;
  status: TransactionStatus;
  paymobOrderId: number | null;
  paymobTransactionId: number | null;
  apiMode: string;
  checkoutUrl: string | null;
  paymentKeyExpiresAt: Date | null;
  failureReason: string | null;
  refundedCents: number;
  /** Held by refund calls in flight or with an unknown outcome (docs/payments.md "Reservation"). */
  heldCents: number;
  /** Of that, refund calls whose outcome is unknown: staff must check PayMob. */
  unknownCents: number;
  createdAt: Date;
  updatedAt: Date;
  needsAttention: boolean;
  attentionReason: string | null;
  events: PaymentEventRow[];
}

/** A transaction, its customer and every stored PayMob event for it (oldest first): one joined query. */
export async function transactionDetail(db: Database, id: number): Promise<TransactionDetail | undefined> {
  const rows = await db
    .select({
      id: transactions.id,
      merchantOrderId: transactions.merchantOrderId,
      customerId: transactions.customerId,
      customerName,
      customerEmail: users.email,
      amountCents: transactions.amountCents,
      currency: transactions.currency,
      status: transactions.status,
      paymobOrderId: transactions.paymobOrderId,
      paymobTransactionId: transactions.paymobTransactionId,
      apiMode: transactions.apiMode,
      checkoutUrl: transactions.checkoutUrl,
      paymentKeyExpiresAt: transactions.paymentKeyExpiresAt,
      failureReason: transactions.failureReason,
      refundedCents: transactions.refundedCents,
      heldCents: transactions.heldCents,
      unknownCents: sql<string>`(SELECT COALESCE(SUM(r.amount_cents), 0) FROM payment_reversals r WHERE r.transaction_id = ${id} AND r.state = 'unknown')`,
      createdAt: transactions.createdAt,
      updatedAt: transactions.updatedAt,
      needsAttention,
      attentionReason: transactions.attentionReason,
      event: {
        id: paymentEvents.id,
        paymobTransactionId: paymentEvents.paymobTransactionId,
        kind: paymentEvents.kind,
        source: paymentEvents.source,
        type: paymentEvents.type,
        amountCents: paymentEvents.amountCents,
        currency: paymentEvents.currency,
        success: paymentEvents.success,
        pending: paymentEvents.pending,
        isRefunded: paymentEvents.isRefunded,
        isVoided: paymentEvents.isVoided,
        hasParentTransaction: paymentEvents.hasParentTransaction,
        outcome: paymentEvents.outcome,
        message: paymentEvents.message,
        rawBody: paymentEvents.rawBody,
        receivedAt: paymentEvents.receivedAt,
      },
    })
    .from(transactions)
    .leftJoin(customers, eq(customers.id, transactions.customerId))
    .leftJoin(users, eq(users.id, customers.userId))
    .leftJoin(paymentEvents, eq(paymentEvents.transactionId, transactions.id))
    .where(eq(transactions.id, id))
    .orderBy(asc(paymentEvents.receivedAt), asc(paymentEvents.id));
  const first = rows[0];
  if (!first) return undefined;
  const { event: _event, ...transaction } = first;
  return {
    ...transaction,
    unknownCents: Number(transaction.unknownCents),
    events: rows.flatMap((r) => (r.event ? [r.event] : [])),
  };
}

// --- E-mails and audit log ---------------------------------------------------------------------------------

export interface EmailFilters {
  status?: EmailStatus;
  kind?: string;
  recipient?: string;
}

export interface EmailRow {
  id: number;
  kind: string;
  recipient: string;
  subject: string;
  status: EmailStatus;
  provider: string;
  providerMessageId: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
  deliveredAt: Date | null;
}

/** E-mail events, newest first. */
export async function listEmails(
  db: Database,
  filters: EmailFilters,
  window: PageWindow,
): Promise<ListResult<EmailRow>> {
  const conditions: SQL[] = [];
  if (filters.status) conditions.push(eq(emailEvents.status, filters.status));
  if (filters.kind) conditions.push(eq(emailEvents.kind, filters.kind));
  if (filters.recipient) conditions.push(like(emailEvents.recipient, containing(filters.recipient)));
  const rows = await db
    .select({
      id: emailEvents.id,
      kind: emailEvents.kind,
      recipient: emailEvents.recipient,
      subject: emailEvents.subject,
      status: emailEvents.status,
      provider: emailEvents.provider,
      providerMessageId: emailEvents.providerMessageId,
      attempts: emailEvents.attempts,
      lastError: emailEvents.lastError,
      createdAt: emailEvents.createdAt,
      sentAt: emailEvents.sentAt,
      deliveredAt: emailEvents.deliveredAt,
      total,
    })
    .from(emailEvents)
    .where(whereAll(conditions))
    .orderBy(desc(emailEvents.createdAt), desc(emailEvents.id))
    .limit(window.pageSize)
    .offset(offsetOf(window));
  return withTotal(rows);
}

export interface AuditFilters {
  /** An action (`kyc.review`) or a prefix ending in a dot (`user.`). */
  action?: string;
  /** The actor's username, or their user id. */
  actor?: string;
  targetType?: string;
  targetId?: string;
}

export interface AuditRow {
  id: number;
  actorUserId: number | null;
  actorUsername: string | null;
  action: string;
  targetType: string;
  targetId: string;
  details: unknown;
  requestId: string | null;
  createdAt: Date;
}

/** Audit-log entries, newest first, with the actor's username. */
export async function listAudit(
  db: Database,
  filters: AuditFilters,
  window: PageWindow,
): Promise<ListResult<AuditRow>> {
  const conditions: SQL[] = [];
  if (filters.action) {
    conditions.push(
      filters.action.endsWith('.')
        ? like(auditLog.action, startingWith(filters.action))
        : eq(auditLog.action, filters.action),
    );
  }
  if (filters.actor) {
    const actor = filters.actor;
    conditions.push(
      /^\d{1,15}$/.test(actor)
        ? (or(eq(auditLog.actorUserId, Number(actor)), eq(users.username, actor)) as SQL)
        : eq(users.username, actor),
    );
  }
  if (filters.targetType) conditions.push(eq(auditLog.targetType, filters.targetType));
  if (filters.targetId) conditions.push(eq(auditLog.targetId, filters.targetId));
  const rows = await db
    .select({
      id: auditLog.id,
      actorUserId: auditLog.actorUserId,
      actorUsername: users.username,
      action: auditLog.action,
      targetType: auditLog.targetType,
      targetId: auditLog.targetId,
      details: auditLog.details,
      requestId: auditLog.requestId,
      createdAt: auditLog.createdAt,
      total,
    })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.actorUserId))
    .where(whereAll(conditions))
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(window.pageSize)
    .offset(offsetOf(window));
  return withTotal(rows);
}
