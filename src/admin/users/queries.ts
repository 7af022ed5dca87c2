import { desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { customers, ROLES, type Role, users } from '../../db/schema';
import { type UserRow, userColumns } from '../../users/columns';
import { UNUSABLE_PASSWORD_PREFIX } from '../../users/password-tokens';
import { userListConditions } from '../../users/profiles';
import { type ListResult, member, type PageWindow, pageOf, total, whereAll } from '../common/queries';

export const parseRole = (value: string | undefined): Role | undefined => member(value, ROLES);

export interface UserFilters {
  search?: string;
  role?: Role;
  active?: boolean;
}

/** The users service's row (its one column set) and the user's customer profile, when they have one. */
export interface UserListRow extends UserRow {
  customerId: number | null;
  /** Created by an admin and no password chosen yet (docs/admin.md §1). */
  passwordPending: boolean;
}

const passwordPending = sql<boolean>`(${users.passwordHash} like ${`${UNUSABLE_PASSWORD_PREFIX}%`})`.mapWith(
  (v) => Number(v) === 1,
);

/** Users, newest first, with their customer profile id when they have one. */
export async function listUsers(
  db: Database,
  filters: UserFilters,
  window: PageWindow,
): Promise<ListResult<UserListRow>> {
  const conditions = userListConditions(filters);
  return pageOf(
    db
      .select({
        ...userColumns,
        customerId: customers.id,
        passwordPending,
        total,
      })
      .from(users)
      .leftJoin(customers, eq(customers.userId, users.id))
      .where(whereAll(conditions))
      .orderBy(desc(users.id))
      .$dynamic(),
    window,
  );
}
