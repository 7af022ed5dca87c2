import type { Role } from '../db/schema';
import type { UserRow } from './columns';

/**
 * Rows to API shapes for users (docs/design.md, "Services": one `view.ts` per domain). Admin uses the same
 * mappers where the shape is the same.
 */

/** The public shape of a user (docs/api.md §2.5). */
export interface Profile {
  id: number;
  username: string;
  email: string;
  role_management: Role;
  is_active: boolean;
  date_joined: string;
  last_login: string | null;
}

export function toProfile(user: UserRow): Profile {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    role_management: user.role,
    is_active: user.isActive,
    date_joined: user.dateJoined.toISOString(),
    last_login: user.lastLogin ? user.lastLogin.toISOString() : null,
  };
}

/** What sign-up answers (docs/api.md §2.1): the new user, inactive until the code is validated. */
export interface SignedUpUser {
  id: number;
  username: string;
  email: string;
  role_management: Role;
  is_active: false;
}

export function toSignedUpUser(user: {
  id: number;
  username: string;
  email: string;
  role: Role;
}): SignedUpUser {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    role_management: user.role,
    is_active: false,
  };
}
