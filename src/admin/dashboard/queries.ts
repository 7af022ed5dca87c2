import { gte, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import {
  customers,
  kycRecords,
  TRANSACTION_STATUSES,
  type TransactionStatus,
  transactions,
  users,
} from '../../db/schema';

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
    select 'users' as metric, '' as detail, count(*) as n, sum(${users.isActive}) as extra from ${users}
    union all select 'customers', '', count(*), sum(${customers.isVerified}) from ${customers}
    union all select 'kyc_pending', '', count(*), sum(${kycRecords.documentKey} is not null) from ${kycRecords}
      where ${kycRecords.status} = 'pending'
    union all select 'transactions', ${transactions.status}, count(*), 0 from ${transactions}
      group by ${transactions.status}
    union all select 'attention', '', count(*), 0 from ${transactions}
      where ${transactions.needsAttentionAt} is not null and ${transactions.status} = 'pending'`);
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
