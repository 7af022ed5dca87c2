import { getTableName, type SQL, sql } from 'drizzle-orm';
import { addressFieldColumns, profileColumns } from '../customers/columns';
import { addresses, refreshTokens, users } from '../db/schema';
import type { ActorAddress, ActorCustomer, AuthenticatedUser } from './actor';

const quoted = (identifier: string) => `\`${identifier}\``;
const usersTable = quoted(getTableName(users));
const storedLastLogin = `${usersTable}.${quoted(users.lastLogin.name)}`;
const tokens = quoted('last_login_rt');
const loginAt = `${tokens}.${quoted(refreshTokens.loginAt.name)}`;
// The newest login row of the user: one backward probe of refresh_tokens (user_id, login_at).
const newestLogin = `(select ${loginAt} from ${quoted(getTableName(refreshTokens))} ${tokens} where ${tokens}.${quoted(refreshTokens.userId.name)} = ${usersTable}.${quoted(users.id.name)} and ${loginAt} is not null order by ${loginAt} desc limit 1)`;

/**
 * A user's `last_login` (docs/api.md §2.5), the one definition every read uses. A login stores no `users` row
 * (docs/round-trips.md: login in 2 statements): its time is the `login_at` of the refresh-token row it stores,
 * so the value is the later of the stored `users.last_login` (admin sign-ins, and login times the daily prune
 * folded in before deleting expired tokens: src/jobs/cleanup.ts) and the user's newest login row; null when
 * neither exists. GREATEST alone would be null when either is. SQL for a query whose `users` table is named
 * `users` (not aliased); `lastLoginColumn` is the same for drizzle selects.
 */
export const LAST_LOGIN_SQL = `greatest(coalesce(${storedLastLogin}, ${newestLogin}), coalesce(${newestLogin}, ${storedLastLogin}))`;

/** `LAST_LOGIN_SQL` as a drizzle expression, decoded like the `users.last_login` column. */
export const lastLoginColumn = sql.raw(LAST_LOGIN_SQL).mapWith(users.lastLogin) as SQL<Date | null>;

/**
 * The one user column set (docs/design.md, "Services"): every select of a user row uses it, spreading it and
 * adding the extra columns a query needs (the password hash for a credential check, a joined customer id).
 */
export const userColumns = {
  id: users.id,
  username: users.username,
  email: users.email,
  role: users.role,
  isActive: users.isActive,
  dateJoined: users.dateJoined,
  lastLogin: lastLoginColumn,
};

/** The user row behind `userColumns` (`lastLogin` derived: `LAST_LOGIN_SQL`). */
export type UserRow = Pick<typeof users.$inferSelect, keyof typeof userColumns>;

/** `userColumns` plus what authentication checks: the columns of an `AuthenticatedUser` (users/actor.ts). */
export const authenticatedUserColumns = {
  ...userColumns,
  tokensValidAfter: users.tokensValidAfter,
};

/**
 * What the auth query selects (src/middleware/auth.ts): `authenticatedUserColumns` and, through left joins on
 * unique keys (customers.user_id, kyc_records.customer_id, addresses.main_of), the caller's customer profile,
 * KYC status and main address, so the routes that need them cost no second round trip (docs/round-trips.md).
 */
export const authQueryColumns = {
  ...authenticatedUserColumns,
  // The customers service's profile column set (customerId, its userId, names, phone, dob, KYC status).
  ...profileColumns,
  addressId: addresses.id,
  ...addressFieldColumns,
};

type Nullable<T> = { [K in keyof T]: T[K] | null };

/** The auth query's row: the user's columns, and the left-joined ones (null without a profile or address). */
type AuthQueryRow = Omit<AuthenticatedUser, 'customer'> &
  Nullable<Omit<ActorCustomer, 'id' | 'mainAddress'>> &
  Nullable<Omit<ActorAddress, 'id'>> & {
    customerId: number | null;
    userId: number | null;
    addressId: number | null;
  };

// The user's own keys of the auth query's row (whatever authenticatedUserColumns holds).
const USER_KEYS = Object.keys(authenticatedUserColumns) as (keyof typeof authenticatedUserColumns)[];

/**
 * The auth query's flat row as the actor, its customer nested (null without a profile). Copies named keys
 * rather than destructuring with rest, which costs an object copy per step on every authenticated request
 * (docs/benchmarks.md §9).
 */
export function toAuthenticatedUser(row: AuthQueryRow): AuthenticatedUser {
  const user = {} as Record<string, unknown>;
  for (const key of USER_KEYS) user[key] = row[key];
  const mainAddress: ActorAddress | null =
    row.addressId === null || row.country === null
      ? null
      : {
          id: row.addressId,
          country: row.country,
          state: row.state,
          city: row.city,
          line: row.line,
          buildingNumber: row.buildingNumber,
          apartmentNumber: row.apartmentNumber,
          postalCode: row.postalCode,
        };
  user.customer =
    row.customerId === null
      ? null
      : {
          id: row.customerId,
          firstName: row.firstName,
          lastName: row.lastName,
          phoneNumber: row.phoneNumber,
          dob: row.dob,
          isVerified: row.isVerified === true,
          kycStatus: row.kycStatus,
          mainAddress,
        };
  return user as unknown as AuthenticatedUser;
}
