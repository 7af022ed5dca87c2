import { and, eq, ne, or, type SQL } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { isDuplicateKey } from '../db/client';
import { type Role, users } from '../db/schema';
import type { FieldErrors } from '../lib/errors';

export const USER_MESSAGES = {
  usernameTaken: 'A user with that username already exists.',
  emailTaken: 'A user with this email already exists.',
} as const;

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
  ctx: Pick<ServiceContext, 'db'>,
  input: { username?: string; email?: string; exceptUserId?: number },
): Promise<FieldErrors> {
  const { exceptUserId, ...identity } = input;
  const matches: SQL[] = [];
  if (identity.username !== undefined) matches.push(eq(users.username, identity.username));
  if (identity.email !== undefined) matches.push(eq(users.email, identity.email));
  if (matches.length === 0) return {};
  const where = exceptUserId === undefined ? or(...matches) : and(or(...matches), ne(users.id, exceptUserId));
  const rows = await ctx.db
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
