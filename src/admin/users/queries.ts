import { desc, eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { customers, ROLES, type Role, users } from '../../db/schema';
import { userListConditions } from '../../users/profiles';
import { userColumns } from '../../users/service';
import { type ListResult, member, type PageWindow, pageOf, total, whereAll } from '../shared/queries';

export const parseRole = (value: string | undefined): Role | undefined => member(value, ROLES);

export interface UserFilters {
  search?: string;
  role?: Role;
  active?: boolean;
}

export interface UserListRow {
  id: number;
  username: string;
  email: string;
  role: Role;
  isActive: boolean;
  dateJoined: Date;
  lastLogin: Date | null;
  customerId: number | null;
}

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
