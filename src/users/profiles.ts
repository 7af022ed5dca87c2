import { and, eq, like, or, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { bootstrapCustomer } from '../customers/bootstrap';
import { type AuditAction, type AuditEntry, writeAudit } from '../db/audit';
import { containing } from '../db/like';
import { type Role, users } from '../db/schema';
import { AppError, type FieldErrors, notFound, validationError } from '../lib/errors';
import type { PageRequest } from '../lib/pagination';
import { hashPassword, verifyPassword } from '../lib/password';
import { actingUser } from './actor';
import { type UserRow, userColumns } from './columns';
import { checkPasswordPolicy } from './password-policy';
import { expirePasswordTokens } from './password-tokens';
import {
  duplicateIdentityErrors,
  identityConflicts,
  isStaffRole,
  mergeFieldErrors,
  startOfSecond,
} from './service';
import { revokeAllRefreshTokens } from './sessions';
import { type Profile, toProfile } from './view';

export const PROFILE_MESSAGES = {
  onlyAdminsChangeRoles: 'Only admins can change roles or activation.',
  currentPasswordRequired: 'Your current password is required to change the email.',
  currentPasswordIncorrect: 'Current password is incorrect.',
  oldPasswordIncorrect: 'Old password is incorrect.',
  newPasswordSameAsOld: 'New password must differ from the old password.',
  passwordUpdated: 'Password successfully updated.',
} as const;

const profileNotFound = () => notFound('No user profile matches the given id.', 'profile_not_found');

export interface ProfileListInput {
  role_management?: Role;
  is_active?: boolean;
  search?: string;
  page: PageRequest;
}

/** The staff user-list filters (role, activation, username or e-mail substring), shared with the admin UI. */
export function userListConditions(filters: { role?: Role; active?: boolean; search?: string }): SQL[] {
  const conditions: SQL[] = [];
  if (filters.role !== undefined) conditions.push(eq(users.role, filters.role));
  if (filters.active !== undefined) conditions.push(eq(users.isActive, filters.active));
  if (filters.search) {
    const pattern = containing(filters.search);
    conditions.push(or(like(users.username, pattern), like(users.email, pattern.toLowerCase())) as SQL);
  }
  return conditions;
}

/**
 * Staff list of users, oldest first. One query: the total comes from a window function alongside the page.
 * An empty result past page 1 reports a zero total, which the pagination turns into a 404.
 */
export async function listProfiles(
  ctx: ServiceContext,
  { page, ...filters }: ProfileListInput,
): Promise<{ count: number; results: Profile[] }> {
  const conditions = userListConditions({
    role: filters.role_management,
    active: filters.is_active,
    search: filters.search,
  });
  const rows = await ctx.db
    .select({ ...userColumns, total: sql<number>`count(*) over ()`.mapWith(Number) })
    .from(users)
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(users.id)
    .limit(page.pageSize)
    .offset(page.offset);
  return { count: rows[0]?.total ?? 0, results: rows.map(toProfile) };
}

export async function findUser(ctx: ServiceContext, id: number): Promise<UserRow | undefined> {
  const [row] = await ctx.db.select(userColumns).from(users).where(eq(users.id, id)).limit(1);
  return row;
}

/** GET profiles/mine: the authenticated user as the auth query loaded it (no further query). */
export async function getOwnProfile(ctx: ServiceContext): Promise<Profile> {
  return toProfile(actingUser(ctx));
}

/** Staff see anyone; everybody else only themself (another user's id is a 404, never a 403). */
export async function getProfile(ctx: ServiceContext, id: number): Promise<Profile> {
  const actor = actingUser(ctx);
  if (id === actor.id) return toProfile(actor);
  if (!isStaffRole(actor.role)) throw profileNotFound();
  const user = await findUser(ctx, id);
  if (!user) throw profileNotFound();
  return toProfile(user);
}

export interface ProfileChanges {
  username?: string;
  email?: string;
  role_management?: Role;
  is_active?: boolean;
  current_password?: string;
}

async function passwordHashOf(ctx: ServiceContext, userId: number): Promise<string | undefined> {
  const [row] = await ctx.db
    .select({ passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  return row?.passwordHash;
}

/**
 * Applies a PATCH to `target`. `self` is `profiles/mine`: there a non-admin may not touch role or activation
 * and a new e-mail needs the current password. Role changes keep `is_staff` in step; deactivation sets
 * `tokens_valid_after`, so every token issued so far stops working; a CUSTOMER who becomes active gets the
 * customer profile of docs/api.md §3.1. Role and activation changes are written to the audit log.
 */
export async function applyProfileChanges(
  ctx: ServiceContext,
  target: UserRow,
  changes: ProfileChanges,
  self: boolean,
): Promise<Profile> {
  const actor = actingUser(ctx);
  const wantsPrivileged = changes.role_management !== undefined || changes.is_active !== undefined;
  if (self && wantsPrivileged && actor.role !== 'ADMIN') {
    throw new AppError(403, 'forbidden', PROFILE_MESSAGES.onlyAdminsChangeRoles);
  }
  const username =
    changes.username !== undefined && changes.username !== target.username ? changes.username : undefined;
  const email = changes.email !== undefined && changes.email !== target.email ? changes.email : undefined;
  const role =
    changes.role_management !== undefined && changes.role_management !== target.role
      ? changes.role_management
      : undefined;
  const isActive =
    changes.is_active !== undefined && changes.is_active !== target.isActive ? changes.is_active : undefined;

  const errors: FieldErrors[] = [];
  if (self && email !== undefined) {
    if (changes.current_password === undefined) {
      errors.push({ current_password: [PROFILE_MESSAGES.currentPasswordRequired] });
    } else {
      const hash = await passwordHashOf(ctx, target.id);
      if (!hash || !(await verifyPassword(changes.current_password, hash))) {
        errors.push({ current_password: [PROFILE_MESSAGES.currentPasswordIncorrect] });
      }
    }
  }
  if (username !== undefined || email !== undefined) {
    errors.push(await identityConflicts(ctx, { username, email, exceptUserId: target.id }));
  }
  const merged = mergeFieldErrors(...errors);
  if (Object.keys(merged).length > 0) throw validationError(merged);

  const updated: UserRow = {
    ...target,
    username: username ?? target.username,
    email: email ?? target.email,
    role: role ?? target.role,
    isActive: isActive ?? target.isActive,
  };
  if (username === undefined && email === undefined && role === undefined && isActive === undefined) {
    return toProfile(updated);
  }
  const set: Partial<typeof users.$inferInsert> = { username, email };
  if (role !== undefined) Object.assign(set, { role, isStaff: isStaffRole(role) });
  if (isActive !== undefined) set.isActive = isActive;
  if (isActive === false) set.tokensValidAfter = startOfSecond(ctx.now);

  const audit: AuditEntry[] = [];
  const entry = (action: AuditAction, from: unknown, to: unknown): AuditEntry => ({
    actorUserId: actor.id,
    action,
    targetType: 'user',
    targetId: target.id,
    details: { from, to },
    requestId: ctx.requestId,
    createdAt: ctx.now,
  });
  if (role !== undefined) audit.push(entry('user.role_change', target.role, role));
  if (isActive !== undefined) audit.push(entry('user.activation', target.isActive, isActive));
  const becameActiveCustomer =
    updated.isActive && updated.role === 'CUSTOMER' && (role !== undefined || isActive !== undefined);

  try {
    if (audit.length === 0) {
      await ctx.db.update(users).set(set).where(eq(users.id, target.id));
    } else {
      await ctx.db.transaction(async (tx) => {
        await tx.update(users).set(set).where(eq(users.id, target.id));
        await writeAudit(tx, audit);
        if (becameActiveCustomer) await bootstrapCustomer(tx, target.id);
        // A deactivated account's unused password links die with its tokens (docs/admin.md §1).
        if (isActive === false) await expirePasswordTokens(tx, target.id, ctx.now);
      });
    }
  } catch (err) {
    const duplicate = duplicateIdentityErrors(err);
    if (duplicate) throw validationError(duplicate);
    throw err;
  }
  ctx.logger.info('user profile updated', {
    user_id: target.id,
    by: actor.id,
    fields: Object.keys(set)
      .filter((k) => set[k as keyof typeof set] !== undefined)
      .join(','),
  });
  return toProfile(updated);
}

/** PATCH profiles/{id} and the admin's user form: ADMIN only (the caller checks the role). */
export async function updateProfile(
  ctx: ServiceContext,
  { id, changes }: { id: number; changes: ProfileChanges },
): Promise<Profile> {
  const actor = actingUser(ctx);
  const target = id === actor.id ? actor : await findUser(ctx, id);
  if (!target) throw profileNotFound();
  return applyProfileChanges(ctx, target, changes, false);
}

/** PATCH profiles/mine. */
export function updateOwnProfile(ctx: ServiceContext, changes: ProfileChanges): Promise<Profile> {
  return applyProfileChanges(ctx, actingUser(ctx), changes, true);
}

/**
 * PATCH profiles/mine/new-password. Success revokes every refresh token and sets `tokens_valid_after` (to the
 * start of the current second: tokens issued earlier stop working, tokens issued later in the same second —
 * the precision of a JWT's `iat` — keep working).
 */
export async function changePassword(
  ctx: ServiceContext,
  { oldPassword, newPassword }: { oldPassword: string; newPassword: string },
): Promise<void> {
  const actor = actingUser(ctx);
  const currentHash = await passwordHashOf(ctx, actor.id);
  const oldIsRight = currentHash !== undefined && (await verifyPassword(oldPassword, currentHash));
  const newProblems = await checkPasswordPolicy(ctx.env, newPassword, {
    username: actor.username,
    email: actor.email,
  });
  if (oldIsRight && newPassword === oldPassword) newProblems.unshift(PROFILE_MESSAGES.newPasswordSameAsOld);
  const errors: FieldErrors = {};
  if (!oldIsRight) errors.old_password = [PROFILE_MESSAGES.oldPasswordIncorrect];
  if (newProblems.length > 0) errors.new_password = newProblems;
  if (Object.keys(errors).length > 0 || currentHash === undefined) throw validationError(errors);

  const passwordHash = await hashPassword(newPassword);
  const [updated] = await Promise.all([
    // Guarded by the hash just checked: a concurrent change wins and this one reports the old password wrong.
    ctx.db
      .update(users)
      .set({ passwordHash, tokensValidAfter: startOfSecond(ctx.now) })
      .where(and(eq(users.id, actor.id), eq(users.passwordHash, currentHash))),
    revokeAllRefreshTokens(ctx.db, actor.id, ctx.now),
  ]);
  if (updated.rowsAffected !== 1) {
    throw validationError({ old_password: [PROFILE_MESSAGES.oldPasswordIncorrect] });
  }
  ctx.logger.info('password changed', { user_id: actor.id });
}
