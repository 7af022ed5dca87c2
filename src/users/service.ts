import { and, eq, ne, or, type SQL } from 'drizzle-orm';
import { type Database, isDuplicateKey } from '../db/client';
import { type Role, users } from '../db/schema';
import type { Config } from '../env';
import type { FieldErrors } from '../lib/errors';
import type { Logger } from '../lib/logger';

/**
 * What every users service needs, passed explicitly by the route: the request's database handle, the parsed
 * configuration, a logger carrying the request id, and the request's clock.
 */
export interface UsersContext {
  db: Database;
  config: Config;
  logger: Logger;
  now: Date;
  /** For audit-log rows. */
  requestId?: string;
}

export const USER_MESSAGES = {
  usernameTaken: 'A user with that username already exists.',
  emailTaken: 'A user with this email already exists.',
} as const;

export interface UserRow {
  id: number;
  username: string;
  email: string;
  role: Role;
  isActive: boolean;
  dateJoined: Date;
  lastLogin: Date | null;
}

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

/** Columns of `UserRow`, for selects. */
export const userColumns = {
  id: users.id,
  username: users.username,
  email: users.email,
  role: users.role,
  isActive: users.isActive,
  dateJoined: users.dateJoined,
  lastLogin: users.lastLogin,
};

/** Staff flag as the original kept it: true exactly for ADMIN and STAFF. */
export function isStaffRole(role: Role): boolean {
  return role === 'ADMIN' || role === 'STAFF';
}

/** `tokens_valid_after` is stored truncated to the second, the precision of a token's `iat`. */
export function startOfSecond(now: Date): Date {
  return new Date(Math.floor(now.getTime() / 1000) * 1000);
}

/**
 * Which of a username and an e-mail already belong to another user: one query. Usernames compare without case
 * through the column's case-insensitive collation; e-mails are stored lower-cased.
 */
export async function identityConflicts(
  db: Database,
  identity: { username?: string; email?: string },
  exceptUserId?: number,
): Promise<FieldErrors> {
  const matches: SQL[] = [];
  if (identity.username !== undefined) matches.push(eq(users.username, identity.username));
  if (identity.email !== undefined) matches.push(eq(users.email, identity.email));
  if (matches.length === 0) return {};
  const where = exceptUserId === undefined ? or(...matches) : and(or(...matches), ne(users.id, exceptUserId));
  const rows = await db
    .select({ username: users.username, email: users.email })
    .from(users)
    .where(where)
    .limit(2);
  const errors: FieldErrors = {};
  const username = identity.username?.toLowerCase();
  if (username !== undefined && rows.some((r) => r.username.toLowerCase() === username)) {
    errors.username = [USER_MESSAGES.usernameTaken];
  }
  if (identity.email !== undefined && rows.some((r) => r.email.toLowerCase() === identity.email)) {
    errors.email = [USER_MESSAGES.emailTaken];
  }
  // The collation may match what toLowerCase does not (e.g. accents): still a duplicate.
  if (rows.length > 0 && Object.keys(errors).length === 0) {
    if (username !== undefined) errors.username = [USER_MESSAGES.usernameTaken];
    else errors.email = [USER_MESSAGES.emailTaken];
  }
  return errors;
}

/** The field message for a duplicate-key error on users (a concurrent insert won the race), if it is one. */
export function duplicateIdentityErrors(err: unknown): FieldErrors | undefined {
  if (isDuplicateKey(err, 'users_username_unique')) return { username: [USER_MESSAGES.usernameTaken] };
  if (isDuplicateKey(err, 'users_email_unique')) return { email: [USER_MESSAGES.emailTaken] };
  return undefined;
}

export function mergeFieldErrors(...all: FieldErrors[]): FieldErrors {
  const merged: FieldErrors = {};
  for (const errors of all) {
    for (const [field, messages] of Object.entries(errors))
      merged[field] = [...(merged[field] ?? []), ...messages];
  }
  return merged;
}
