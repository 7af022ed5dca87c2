import { and, desc, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { QueryBuilder } from 'drizzle-orm/mysql-core';
import type { ServiceContext } from '../context';
import type { Database } from '../db/client';
import { preparedSelect, preparedShapes } from '../db/prepared';
import { customers, TRANSACTION_STATUSES, transactions } from '../db/schema';
import { type FieldErrors, notFound, unauthorized, validationError } from '../lib/errors';
import { type Page, pageRequest, pageResponse } from '../lib/pagination';
import type { Actor, AuthenticatedUser } from '../users/actor';
import { transactionViewColumns as viewColumns } from './columns';
import { merchantReferenceProblem } from './merchant-data';
import type { TransactionListQuery, TransactionView } from './schemas';
import { toTransactionView } from './view';

const DAY_MS = 24 * 60 * 60 * 1000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// ISO-8601 date-time; without a zone it is read as UTC (docs/api.md §1: times are UTC).
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$/i;
/** A transaction (or customer) id as it may appear in a path or query: no sign, no leading zero, ≤ 16 digits. */
export const ID_PATTERN = /^[1-9]\d{0,15}$/;

/**
 * The reads are for signed-in callers only (the routes require authentication). A server API key the route
 * admitted (`payments:read`, or `refunds:write` reading its result) sees every transaction, like staff
 * (docs/api-keys.md §2): undefined here means "no ownership filter".
 */
function signedIn(ctx: ServiceContext): AuthenticatedUser | undefined {
  if (ctx.apiKey) return undefined;
  if (!ctx.actor) throw unauthorized('Authentication credentials were not provided.');
  return ctx.actor;
}

const isStaff = (actor: Actor) => actor.role === 'ADMIN' || actor.role === 'STAFF';

/** A real calendar day at UTC midnight, or undefined. */
function parseDate(text: string): Date | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d
    ? date
    : undefined;
}

function parseDateTime(text: string): Date | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const day = parseDate(`${m[1]}-${m[2]}-${m[3]}`);
  const [hours, minutes, seconds] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (!day || hours > 23 || minutes > 59 || seconds > 59) return undefined;
  const zone = (m[8] ?? 'Z').toUpperCase();
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${(m[7] ?? '').slice(0, 4)}${
    zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`
  }`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const asList = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : (Array.isArray(value) ? value : [value]).map((v) => v.trim());

/**
 * The list's filters (docs/api.md §4.3) as a statement shape and its values: `key` names the conditions the
 * statement needs (built once per shape, src/db/prepared.ts), `values` fills their placeholders. Every unusable
 * value is a 400 naming its parameter.
 */
interface ListFilters {
  key: string[];
  values: Record<string, unknown>;
}

function filterConditions(query: TransactionListQuery): ListFilters {
  const errors: FieldErrors = {};
  const key: string[] = [];
  const values: Record<string, unknown> = {};
  const fail = (field: string, message: string) => {
    errors[field] = [...(errors[field] ?? []), message];
  };

  const statuses = asList(query.status);
  for (const status of statuses) {
    if (!(TRANSACTION_STATUSES as readonly string[]).includes(status)) {
      fail('status', `Select a valid choice. ${status.slice(0, 50)} is not one of the available choices.`);
    }
  }
  if (statuses.length > 0 && !errors.status) {
    // A repeated status selects nothing more: at most one placeholder per status.
    const distinct = [...new Set(statuses)];
    key.push(`status${distinct.length}`);
    distinct.forEach((status, i) => {
      values[`status${i}`] = status;
    });
  }

  for (const field of ['created_after', 'created_before'] as const) {
    const raw = query[field]?.trim();
    if (raw === undefined || raw === '') continue;
    const at = parseDate(raw) ?? parseDateTime(raw);
    if (!at) fail(field, 'Enter a valid date (YYYY-MM-DD) or date-time (ISO 8601).');
    else {
      key.push(field);
      values[field] = at;
    }
  }

  const day = query.created_at?.trim();
  if (day) {
    const start = parseDate(day);
    if (!start) fail('created_at', 'Enter a valid date (YYYY-MM-DD).');
    else {
      key.push('created_at');
      values.dayStart = start;
      values.dayEnd = new Date(start.getTime() + DAY_MS);
    }
  }

  const merchantOrderId = query.merchant_order_id?.trim();
  if (merchantOrderId) {
    if (merchantOrderId.length > 40)
      fail('merchant_order_id', 'Ensure this field has no more than 40 characters.');
    else {
      key.push('merchant_order_id');
      values.merchantOrderId = merchantOrderId;
    }
  }

  // Exact, untrimmed: a value no reference can have is a 400, not an empty page (docs/api.md §4.9).
  const merchantReference = query.merchant_reference;
  if (merchantReference !== undefined && merchantReference !== '') {
    const problem = merchantReferenceProblem(merchantReference);
    if (problem) fail('merchant_reference', problem);
    else {
      key.push('merchant_reference');
      values.merchantReference = merchantReference;
    }
  }

  const customer = query.customer?.trim();
  if (customer) {
    // For a customer this can only narrow their own list further (ownership still applies).
    if (!ID_PATTERN.test(customer)) fail('customer', 'Enter a whole number.');
    else {
      key.push('customer');
      values.customer = Number(customer);
    }
  }

  if (Object.keys(errors).length > 0) throw validationError(errors, 'Some filters are invalid.');
  return { key, values };
}

const at = (name: string) => sql.placeholder(name);
/** A placeholder for a time, written as the column writes its values (`2026-01-02 03:04:05.678`). */
const atTime = (name: string) => sql.param(at(name), transactions.createdAt);

/** One condition of a list shape, with placeholders for its values (see filterConditions). */
function conditionOf(part: string): SQL[] {
  const statuses = /^status(\d+)$/.exec(part);
  if (statuses) {
    const count = Number(statuses[1]);
    return [
      inArray(
        transactions.status,
        Array.from({ length: count }, (_, i) => at(`status${i}`)),
      ),
    ];
  }
  switch (part) {
    case 'created_after':
      return [gte(transactions.createdAt, atTime('created_after'))];
    case 'created_before':
      return [lt(transactions.createdAt, atTime('created_before'))];
    case 'created_at':
      return [gte(transactions.createdAt, atTime('dayStart')), lt(transactions.createdAt, atTime('dayEnd'))];
    case 'merchant_order_id':
      return [eq(transactions.merchantOrderId, at('merchantOrderId'))];
    case 'merchant_reference':
      return [eq(transactions.merchantReference, at('merchantReference'))];
    case 'customer':
      return [eq(transactions.customerId, at('customer'))];
    // Ownership (see listOwnership).
    case 'own:none':
      return [sql`false`];
    case 'own:customer':
      return [eq(transactions.customerId, at('ownCustomer'))];
    case 'own:user':
      return [
        inArray(
          transactions.customerId,
          new QueryBuilder()
            .select({ id: customers.id })
            .from(customers)
            .where(eq(customers.userId, at('ownUser'))),
        ),
      ];
    default:
      throw new Error(`unknown transaction list condition ${part}`);
  }
}

/**
 * Customers see only their own transactions: by the customer id the auth query loaded (docs/round-trips.md),
 * none without a profile, or through their user id (a sub-select) when the actor came without it. Staff see
 * all (undefined). The one rule behind the list's shape part and the single read's condition.
 */
type Ownership = { by: 'none' } | { by: 'customer'; id: number } | { by: 'user'; id: number } | undefined;

function ownershipOf(actor: AuthenticatedUser | undefined): Ownership {
  if (!actor || isStaff(actor)) return undefined;
  if (actor.customer === null) return { by: 'none' };
  if (actor.customer !== undefined) return { by: 'customer', id: actor.customer.id };
  return { by: 'user', id: actor.id };
}

/** The list's ownership condition as a shape part (conditionOf's `own:…`) and its value. */
function listOwnership(actor: AuthenticatedUser | undefined, values: Record<string, unknown>): string[] {
  const own = ownershipOf(actor);
  if (!own) return [];
  if (own.by === 'customer') values.ownCustomer = own.id;
  if (own.by === 'user') values.ownUser = own.id;
  return [`own:${own.by}`];
}

/**
 * The page with the total beside each row, one statement per shape (which filters, which ownership), built on
 * its first use in the isolate (src/db/prepared.ts). A filter list longer than anything the API offers is
 * still answered, only not kept.
 */
const listStatement = preparedShapes(64, (key) =>
  preparedSelect({ ...viewColumns, total: sql<number | string>`count(*) over ()`.as('total') }, (select) =>
    select
      .from(transactions)
      .where(and(...(key === '' ? [] : key.split(',').flatMap(conditionOf))))
      .orderBy(desc(transactions.createdAt), desc(transactions.id))
      .limit(at('limit'))
      .offset(at('offset')),
  ),
);

/** The single read's ownership condition (ownershipOf's rule, with its value). */
function ownership(db: Database, actor: AuthenticatedUser | undefined): SQL | undefined {
  const own = ownershipOf(actor);
  if (!own) return undefined;
  if (own.by === 'none') return sql`false`;
  if (own.by === 'customer') return eq(transactions.customerId, own.id);
  return inArray(
    transactions.customerId,
    db.select({ id: customers.id }).from(customers).where(eq(customers.userId, own.id)),
  );
}

/**
 * docs/api.md §4.3: newest first, paginated, filtered. One statement: the page with the total beside each row
 * (`COUNT(*) OVER ()`, computed before LIMIT). An empty page says nothing of the total, but needs none: on
 * page 1 the total is 0, and past page 1 an empty page is past the end (a 404) whatever the total.
 * Vitess allows the window function in an unsharded keyspace, not across shards (docs/round-trips.md).
 */
export async function listTransactions(
  ctx: ServiceContext,
  input: { query: TransactionListQuery; requestUrl: string },
): Promise<Page<TransactionView>> {
  const { query, requestUrl } = input;
  const actor = signedIn(ctx);
  const page = pageRequest(query);
  const { key, values } = filterConditions(query);
  key.push(...listOwnership(actor, values));
  values.limit = page.pageSize;
  values.offset = page.offset;
  const rows = await listStatement(key.join(',')).run(ctx.db, values);
  const total = rows.length > 0 ? Number(rows[0]?.total) : page.page === 1 ? 0 : page.offset;
  return pageResponse(
    requestUrl,
    page,
    total,
    rows.map(({ total: _total, ...row }) => toTransactionView(row)),
  );
}

/** One transaction; another customer's is a 404, like one that does not exist. */
export async function getTransaction(ctx: ServiceContext, rawId: string): Promise<TransactionView> {
  const { db } = ctx;
  const actor = signedIn(ctx);
  const missing = () => notFound('No transaction matches the given id.', 'transaction_not_found');
  if (!ID_PATTERN.test(rawId)) throw missing();
  const [row] = await db
    .select(viewColumns)
    .from(transactions)
    .where(and(eq(transactions.id, Number(rawId)), ownership(db, actor)))
    .limit(1);
  if (!row) throw missing();
  return toTransactionView(row);
}
