import { users } from '../db/schema';

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
