import { type Role, users } from '../db/schema';

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
export interface UserRow {
  id: number;
  username: string;
  email: string;
  role: Role;
  isActive: boolean;
  dateJoined: Date;
  lastLogin: Date | null;
}

/** `userColumns` plus what authentication checks: the columns of an `AuthenticatedUser` (users/actor.ts). */
export const authenticatedUserColumns = {
  ...userColumns,
  tokensValidAfter: users.tokensValidAfter,
};
