import { and, eq, isNull } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import { writeAudit } from '../db/audit';
import { adminSessions, type Role, users } from '../db/schema';
import { AppError, notFound, validationError } from '../lib/errors';
import { describeError } from '../lib/logger';
import { actingUser } from './actor';
import { sendSetPasswordEmail, unusablePasswordHash } from './password-tokens';
import { applyProfileChanges, findUser } from './profiles';
import { duplicateIdentityErrors, identityConflicts, isStaffRole } from './service';
import { revokeAllRefreshTokens } from './sessions';
import type { Profile } from './view';

/**
 * Staff management (docs/admin.md §1), ADMIN only: create a STAFF or ADMIN account that nobody knows a password
 * for (the person sets it through an e-mailed single-use link), change a role, deactivate or reactivate. Every
 * change is in the audit log.
 */
export const STAFF_MESSAGES = {
  onlyAdmins: 'Only admins can manage staff accounts.',
  staffRoleOnly: 'A staff account is STAFF or ADMIN.',
} as const;

function requireAdmin(ctx: ServiceContext) {
  const actor = actingUser(ctx);
  if (actor.role !== 'ADMIN') throw new AppError(403, 'forbidden', STAFF_MESSAGES.onlyAdmins);
  return actor;
}

export interface CreateStaffInput {
  username: string;
  /** Lower-cased by the caller (as the sign-up schema does). */
  email: string;
  role: Role;
  /** Where the e-mailed link points when PUBLIC_BASE_URL is not configured. */
  origin?: string;
}

/**
 * Creates the account (active, with an unusable password: user.create_staff), then sends the set-password
 * e-mail (user.set_password_email). Until the owner sets a password through the link nobody can sign in as it.
 */
export async function createStaffUser(
  ctx: ServiceContext,
  input: CreateStaffInput,
): Promise<{ id: number; username: string; email: string; role: Role; emailQueued: boolean }> {
  const actor = requireAdmin(ctx);
  if (!isStaffRole(input.role)) throw validationError({ role_management: [STAFF_MESSAGES.staffRoleOnly] });
  const conflicts = await identityConflicts(ctx, { username: input.username, email: input.email });
  if (Object.keys(conflicts).length > 0) throw validationError(conflicts);
  let id: number;
  try {
    id = await ctx.db.transaction(async (tx) => {
      const inserted = await tx.insert(users).values({
        username: input.username,
        email: input.email,
        passwordHash: unusablePasswordHash(),
        role: input.role,
        // Active but with no usable password: nobody can sign in until the owner sets one through the link.
        // Deactivating it (a real, audited change) also kills the link.
        isActive: true,
        isStaff: true,
        dateJoined: ctx.now,
      });
      const userId = Number(inserted.insertId);
      await writeAudit(tx, {
        actorUserId: actor.id,
        action: 'user.create_staff',
        targetType: 'user',
        targetId: userId,
        details: { username: input.username, email: input.email, role: input.role },
        requestId: ctx.requestId,
        createdAt: ctx.now,
      });
      return userId;
    });
  } catch (err) {
    const duplicate = duplicateIdentityErrors(err);
    if (duplicate) throw validationError(duplicate);
    throw err;
  }
  ctx.logger.info('staff account created', { user_id: id, role: input.role, by: actor.id });
  // The account exists either way: when the queue refuses the e-mail, the admin is told to re-send it.
  let emailQueued = true;
  try {
    await sendSetPasswordEmail(ctx, { userId: id, origin: input.origin });
  } catch (err) {
    emailQueued = false;
    ctx.logger.error('set-password e-mail not queued', { user_id: id, ...describeError(err) });
  }
  return { id, username: input.username, email: input.email, role: input.role, emailQueued };
}

export interface StaffAccessInput {
  id: number;
  role: Role;
  isActive: boolean;
}

/**
 * Role and activation through the users service's profile rules (`applyProfileChanges`, as `updateProfile`:
 * audits `user.role_change` and `user.activation`, moves `tokens_valid_after` and expires unused password links
 * on deactivation). When either changed, the user's admin sessions end; on deactivation their refresh-token
 * families are revoked too.
 */
export async function changeStaffAccess(
  ctx: ServiceContext,
  { id, role, isActive }: StaffAccessInput,
): Promise<{ profile: Profile; changed: boolean; sessionsEnded: number }> {
  const actor = requireAdmin(ctx);
  const before = id === actor.id ? actor : await findUser(ctx, id);
  if (!before) throw notFound('No user profile matches the given id.', 'profile_not_found');
  const profile = await applyProfileChanges(
    ctx,
    before,
    { role_management: role, is_active: isActive },
    false,
  );
  const changed = before.role !== profile.role_management || before.isActive !== profile.is_active;
  if (!changed) return { profile, changed, sessionsEnded: 0 };
  const work: Promise<unknown>[] = [
    ctx.db
      .update(adminSessions)
      .set({ revokedAt: ctx.now })
      .where(and(eq(adminSessions.userId, id), isNull(adminSessions.revokedAt))),
  ];
  if (!profile.is_active) {
    work.push(revokeAllRefreshTokens(ctx.db, id, ctx.now));
  }
  const [sessions] = (await Promise.all(work)) as [{ rowsAffected: number }];
  return { profile, changed, sessionsEnded: sessions.rowsAffected };
}
