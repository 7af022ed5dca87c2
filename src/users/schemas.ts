import { z } from '@hono/zod-openapi';
import { ROLES } from '../db/schema';
import { openApiPattern } from '../lib/openapi';
import { paginationQuery } from '../lib/pagination';

/**
 * Request and response shapes of /api/v1/users (docs/api.md §2). Strings are trimmed before validation — except
 * passwords, which are secrets and used exactly as typed (a stray space then fails "must not contain spaces"
 * at sign-up instead of being silently dropped). Unknown and read-only fields are ignored.
 */

// Room for any password the policy accepts, and a bound on the work a login can be made to do.
const MAX_PASSWORD_INPUT = 4096;
const MAX_TOKEN_INPUT = 4096;

const USERNAME_PATTERN = /^[\p{L}\p{N}@.+\-_]+$/u;
const USERNAME_MESSAGE =
  'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.';

export const usernameField = z
  .string()
  .trim()
  .min(1, { abort: true })
  .max(150)
  .regex(USERNAME_PATTERN, USERNAME_MESSAGE)
  .openapi({
    pattern: openApiPattern(USERNAME_PATTERN),
    description: 'Letters, digits and @ . + - _; unique without regard to case.',
    example: 'amira',
  });

export const emailField = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .check(z.email())
  .openapi({ format: 'email', description: 'Stored lower-cased; unique.', example: 'amira@example.com' });

const passwordField = (description: string) =>
  z.string().min(1).max(MAX_PASSWORD_INPUT).openapi({ format: 'password', description });

export const roleField = z
  // An enum reports null as an invalid choice; say what DRF says instead.
  .enum(ROLES, { error: (issue) => (issue.input === null ? 'This field may not be null.' : undefined) })
  .openapi({ description: 'ADMIN, STAFF or CUSTOMER.' });

export const SignUpBody = z
  .object({
    username: usernameField,
    email: emailField,
    password: passwordField('Write-only; see the password policy.'),
    role_management: roleField.optional(),
  })
  .openapi('SignUpRequest');

/** The fields every answer about a user starts with (docs/api.md §2.5). */
const userFields = {
  id: z.number().int(),
  username: z.string(),
  email: z.string(),
  role_management: roleField,
};

export const SignedUpUser = z.object({ ...userFields, is_active: z.literal(false) }).openapi('SignedUpUser');

export const LoginBody = z
  .object({
    username: z.string().trim().min(1).max(254).openapi({ description: 'Username or e-mail address.' }),
    password: passwordField('The account password.'),
  })
  .openapi('LoginRequest');

export const TokenPair = z
  .object({
    refresh: z.string().openapi({ description: 'Refresh token (JWT, 1 day).' }),
    access: z.string().openapi({ description: 'Access token (JWT, 15 minutes).' }),
  })
  .openapi('TokenPair');

export const RefreshBody = z
  .object({ refresh: z.string().trim().min(1).max(MAX_TOKEN_INPUT) })
  .openapi('RefreshRequest');

export const EmptyObject = z.object({}).openapi('Empty');

export const ValidateCodeBody = z
  .object({
    email: emailField,
    code: z
      .string()
      .trim()
      .regex(/^[0-9]{6}$/, 'Enter the 6-digit code.')
      .openapi({ example: '012345' }),
  })
  .openapi('ValidateCodeRequest');

export const ResendCodeBody = z.object({ email: emailField }).openapi('ResendCodeRequest');

export const Detail = z.object({ detail: z.string() }).openapi('Detail');

export const Profile = z
  .object({
    ...userFields,
    is_active: z.boolean(),
    date_joined: z.string().openapi({ format: 'date-time' }),
    last_login: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('Profile');

const booleanParam = z
  .enum(['true', 'false', 'True', 'False', '1', '0'])
  .transform((v) => v === 'true' || v === 'True' || v === '1');

export const ProfileListQuery = z.object({
  ...paginationQuery,
  role_management: roleField.optional(),
  is_active: booleanParam.optional().openapi({ type: 'boolean' }),
  search: z
    .string()
    .trim()
    .max(254)
    .optional()
    .openapi({ description: 'Substring of the username or e-mail.' }),
});

export const ProfileIdParams = z.object({
  id: z.string().openapi({
    param: { name: 'id', in: 'path' },
    type: 'integer',
    example: 42,
    description: 'The user id.',
  }),
});

export const AdminProfilePatch = z
  .object({
    username: usernameField.optional(),
    email: emailField.optional(),
    role_management: roleField.optional(),
    is_active: z.boolean().optional(),
  })
  .openapi('AdminProfilePatch');

export const OwnProfilePatch = z
  .object({
    username: usernameField.optional(),
    email: emailField.optional(),
    role_management: roleField.optional().openapi({ description: 'ADMIN only.' }),
    is_active: z.boolean().optional().openapi({ description: 'ADMIN only.' }),
    current_password: passwordField('Required when changing the e-mail.').optional(),
  })
  .openapi('OwnProfilePatch');

export const NewPasswordBody = z
  .object({
    old_password: passwordField('The current password.'),
    new_password: passwordField('The new password; must satisfy the password policy.'),
  })
  .openapi('NewPasswordRequest');
