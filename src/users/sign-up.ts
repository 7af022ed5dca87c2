import type { ServiceContext } from '../context';
import { type Role, users } from '../db/schema';
import { type FieldErrors, validationError } from '../lib/errors';
import { hashPassword } from '../lib/password';
import type { Actor } from './actor';
import { checkPasswordPolicy } from './password-policy';
import { duplicateIdentityErrors, identityConflicts, isStaffRole, mergeFieldErrors } from './service';
import { issueVerificationCode } from './verification';
import { type SignedUpUser, toSignedUpUser } from './view';

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

function roleErrors(role: Role, actor: Actor | undefined): FieldErrors {
  if (!isStaffRole(role)) return {};
  if (!actor) return { role_management: [SIGN_UP_MESSAGES.staffNeedsAuthentication] };
  if (actor.role !== 'ADMIN') return { role_management: [SIGN_UP_MESSAGES.staffNeedsAdmin] };
  return {};
}

/**
 * docs/api.md §2.1: creates the user inactive, stores a verification code and queues its e-mail. Staff roles
 * only when `ctx.actor` is an ADMIN. Every problem — role, password policy, duplicate username or e-mail — is
 * reported at once. Three queries: the duplicate check, the user, the code.
 */
export async function signUp(ctx: ServiceContext, input: SignUpInput): Promise<SignedUpUser> {
  const role = input.role_management ?? 'CUSTOMER';
  const problems = await checkPasswordPolicy(ctx.env, input.password, {
    username: input.username,
    email: input.email,
  });
  const errors = mergeFieldErrors(
    await identityConflicts(ctx, { username: input.username, email: input.email }),
    problems.length > 0 ? { password: problems } : {},
    roleErrors(role, ctx.actor),
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
  const user = { id: userId, username: input.username, email: input.email, role };
  await issueVerificationCode(ctx, user);
  return toSignedUpUser(user);
}
