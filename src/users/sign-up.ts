import { type Role, users } from '../db/schema';
import { type FieldErrors, validationError } from '../lib/errors';
import { hashPassword } from '../lib/password';
import type { Actor } from '../users/actor';
import { passwordProblems } from './password-policy';
import {
  duplicateIdentityErrors,
  identityConflicts,
  isStaffRole,
  mergeFieldErrors,
  type UsersContext,
} from './service';
import { issueVerificationCode } from './verification';

export const SIGN_UP_MESSAGES = {
  staffNeedsAuthentication: 'Authentication required to create staff or admin.',
  staffNeedsAdmin: 'Only admins can assign admin or staff roles.',
} as const;

export interface SignUpInput {
  username: string;
  /** Already lower-cased by the schema. */
  email: string;
  password: string;
  role_management?: Role;
}

export interface SignedUpUser {
  id: number;
  username: string;
  email: string;
  role_management: Role;
  is_active: false;
}

function roleErrors(role: Role, actor: Actor | undefined): FieldErrors {
  if (!isStaffRole(role)) return {};
  if (!actor) return { role_management: [SIGN_UP_MESSAGES.staffNeedsAuthentication] };
  if (actor.role !== 'ADMIN') return { role_management: [SIGN_UP_MESSAGES.staffNeedsAdmin] };
  return {};
}

/**
 * docs/api.md §2.1: creates the user inactive, stores a verification code and queues its e-mail. Every problem —
 * role, password policy, duplicate username or e-mail — is reported at once. Three queries: the duplicate
 * check, the user, the code.
 */
export async function signUp(
  ctx: UsersContext,
  queue: Queue,
  actor: Actor | undefined,
  input: SignUpInput,
): Promise<SignedUpUser> {
  const role = input.role_management ?? 'CUSTOMER';
  const problems = passwordProblems(input.password, { username: input.username, email: input.email });
  const errors = mergeFieldErrors(
    await identityConflicts(ctx.db, { username: input.username, email: input.email }),
    problems.length > 0 ? { password: problems } : {},
    roleErrors(role, actor),
  );
  if (Object.keys(errors).length > 0) throw validationError(errors);

  let userId: number;
  try {
    const inserted = await ctx.db.insert(users).values({
      username: input.username,
      email: input.email,
      passwordHash: await hashPassword(input.password),
      role,
      isActive: false,
      isStaff: isStaffRole(role),
      dateJoined: ctx.now,
    });
    userId = Number(inserted.insertId);
  } catch (err) {
    const duplicate = duplicateIdentityErrors(err);
    if (duplicate) throw validationError(duplicate);
    throw err;
  }
  ctx.logger.info('user signed up', { user_id: userId, role });
  await issueVerificationCode(ctx, queue, { id: userId, username: input.username, email: input.email });
  return {
    id: userId,
    username: input.username,
    email: input.email,
    role_management: role,
    is_active: false,
  };
}
