import { addresses, customers, kycRecords, users } from '../db/schema';
import type { ActorCustomer, AuthenticatedUser } from './actor';

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
  customerId: customers.id,
  firstName: customers.firstName,
  lastName: customers.lastName,
  phoneNumber: customers.phoneNumber,
  dob: customers.dob,
  isVerified: customers.isVerified,
  kycStatus: kycRecords.status,
  addressId: addresses.id,
  country: addresses.country,
  state: addresses.state,
  city: addresses.city,
  line: addresses.line,
  buildingNumber: addresses.buildingNumber,
  apartmentNumber: addresses.apartmentNumber,
  postalCode: addresses.postalCode,
};

type AuthQueryRow = {
  [K in keyof typeof authenticatedUserColumns]: AuthenticatedUser[K];
} & {
  customerId: number | null;
  firstName: string | null;
  lastName: string | null;
  phoneNumber: string | null;
  dob: string | null;
  isVerified: boolean | null;
  kycStatus: ActorCustomer['kycStatus'];
  addressId: number | null;
  country: string | null;
  state: string | null;
  city: string | null;
  line: string | null;
  buildingNumber: string | null;
  apartmentNumber: string | null;
  postalCode: string | null;
};

/** The auth query's flat row as the actor, its customer nested (null without a profile). */
export function toAuthenticatedUser(row: AuthQueryRow): AuthenticatedUser {
  const { customerId, firstName, lastName, phoneNumber, dob, isVerified, kycStatus, addressId, ...rest } =
    row;
  const { country, state, city, line, buildingNumber, apartmentNumber, postalCode, ...user } = rest;
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
