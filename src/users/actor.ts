import type { addresses, customers, KycStatus, Role } from '../db/schema';
import { unauthorized } from '../lib/errors';

/** Who is acting: the user an access token, an admin session or (later) an API key resolves to. */
export interface Actor {
  id: number;
  username: string;
  email: string;
  role: Role;
}

/** The caller's main address as the auth query loaded it: its id and fields (customers/columns.ts). */
export type ActorAddress = Pick<
  typeof addresses.$inferSelect,
  'id' | 'country' | 'state' | 'city' | 'line' | 'buildingNumber' | 'apartmentNumber' | 'postalCode'
>;

/**
 * The caller's customer profile with its KYC status and main address, loaded by the auth query's left joins
 * (docs/round-trips.md): the customer routes, the transaction list and a payment need no lookup of their own.
 */
export type ActorCustomer = Pick<
  typeof customers.$inferSelect,
  'id' | 'firstName' | 'lastName' | 'phoneNumber' | 'dob' | 'isVerified'
> & { kycStatus: KycStatus | null; mainAddress: ActorAddress | null };

/** The authenticated user as the one auth query loaded it: enough to answer `profiles/mine` without another. */
export interface AuthenticatedUser extends Actor {
  isActive: boolean;
  dateJoined: Date;
  lastLogin: Date | null;
  tokensValidAfter: Date | null;
  /**
   * The user's customer profile as of the auth query; `null` when they have none. Absent when whoever set the
   * actor did not load it (the admin session): services then look it up themselves.
   */
  customer?: ActorCustomer | null;
}

/**
 * The acting user of a service that needs one (`ctx.actor`, set by the auth middleware or the admin session).
 * Behind requireAuth it is always there; without one the request is a 401, never a 500.
 */
export function actingUser(ctx: { actor: AuthenticatedUser | undefined }): AuthenticatedUser {
  if (!ctx.actor) throw unauthorized('Authentication credentials were not provided.');
  return ctx.actor;
}
