import { addressFieldColumns, profileColumns } from '../customers/columns';
import { addresses, users } from '../db/schema';
import type { ActorAddress, ActorCustomer, AuthenticatedUser } from './actor';

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
  lastLogin: users.lastLogin,
};

/** The user row behind `userColumns`. */
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

/** The auth query's flat row as the actor, its customer nested (null without a profile). */
export function toAuthenticatedUser(row: AuthQueryRow): AuthenticatedUser {
  const { customerId, firstName, lastName, phoneNumber, dob, isVerified, kycStatus, addressId, ...rest } =
    row;
  const {
    country,
    state,
    city,
    line,
    buildingNumber,
    apartmentNumber,
    postalCode,
    userId: _owner,
    ...user
  } = rest;
  const mainAddress =
    addressId === null || country === null
      ? null
      : { id: addressId, country, state, city, line, buildingNumber, apartmentNumber, postalCode };
  return {
    ...user,
    customer:
      customerId === null
        ? null
        : {
            id: customerId,
            firstName,
            lastName,
            phoneNumber,
            dob,
            isVerified: isVerified === true,
            kycStatus,
            mainAddress,
          },
  };
}
