import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import { notFound } from '../lib/errors';
import { createRouter, jsonBody, jsonResponse } from '../lib/openapi';
import { pageRequest, pageResponse, pageSchema } from '../lib/pagination';
import { problemResponses } from '../lib/problem';
import { optionalAuth, requireAuth, requireRole } from '../middleware/auth';
import { byIp, byUser, limitSubject, rateLimit, rateLimitWithSubject } from '../middleware/rate-limit';
import {
  changePassword,
  getOwnProfile,
  getProfile,
  listProfiles,
  PROFILE_MESSAGES,
  updateOwnProfile,
  updateProfile,
} from './profiles';
import {
  AdminProfilePatch,
  Detail,
  EmptyObject,
  LoginBody,
  NewPasswordBody,
  OwnProfilePatch,
  Profile,
  ProfileIdParams,
  ProfileListQuery,
  RefreshBody,
  ResendCodeBody,
  SignedUpUser,
  SignUpBody,
  TokenPair,
  ValidateCodeBody,
} from './schemas';
import { login, logout, rotateRefreshToken } from './sessions';
import { signUp } from './sign-up';
import { resendCode, VERIFICATION_MESSAGES, validateCode } from './verification';

export const usersRoutes = createRouter();

const TAGS = ['Users'];
const BEARER = [{ bearerAuth: [] }];

/**
 * A Users route: the tag, and for `bearer` routes the security requirement, are filled in where the document
 * has always had them (after the operation id; security after the description), so each definition below lists
 * only what is its own.
 */
function usersRoute<
  P extends string,
  R extends Omit<RouteConfig, 'path' | 'tags' | 'security'> & { path: P },
>(config: R, access: 'public' | 'bearer' = 'public') {
  const { method, path, operationId, ...rest } = config;
  const security = access === 'bearer' ? { security: BEARER } : {};
  return createRoute({ method, path, operationId, tags: TAGS, ...rest, ...security });
}

/** Ids are positive integers; anything else names no user (404, like an unknown id). */
function userIdFrom(raw: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(raw))
    throw notFound('No user profile matches the given id.', 'profile_not_found');
  return Number(raw);
}

// --- Sign-up, login, tokens --------------------------------------------------------------------------------

usersRoutes.openapi(
  usersRoute({
    method: 'post',
    path: '/sign-up',
    operationId: 'signUp',
    summary: 'Create an inactive user and e-mail a verification code',
    description:
      'ADMIN and STAFF roles may only be assigned by an authenticated ADMIN. Rate limit: 20/min per IP (`sign_up`).',
    middleware: [rateLimit('sign_up', byIp), optionalAuth] as const,
    request: { body: jsonBody(SignUpBody) },
    responses: {
      201: jsonResponse(SignedUpUser, 'The user, inactive until the code is validated'),
      ...problemResponses(400, 401, 413, 415, 429),
    },
  }),
  async (c) => {
    return c.json(await signUp(c.var.ctx, c.req.valid('json')), 201);
  },
);

usersRoutes.openapi(
  usersRoute({
    method: 'post',
    path: '/login',
    operationId: 'login',
    summary: 'Exchange a username (or e-mail) and password for tokens',
    description:
      'Rate limit: 10/min per IP and 10/min per account (`login`): the account the name or e-mail resolves ' +
      'to, however it is spelled, or the normalised name when it resolves to none.',
    middleware: [rateLimitWithSubject('login', byIp)] as const,
    request: { body: jsonBody(LoginBody) },
    responses: {
      200: jsonResponse(TokenPair, 'Access and refresh tokens'),
      ...problemResponses(400, 401, 413, 415, 429, 503),
    },
  }),
  async (c) => {
    const { username, password } = c.req.valid('json');
    // docs/security.md §1: the per-account limit is charged once the lookup has resolved the name.
    const pair = await login(c.var.ctx, {
      identifier: username,
      password,
      beforeVerify: (subject) => limitSubject(c, 'login', 'account', subject),
    });
    return c.json(pair, 200);
  },
);

usersRoutes.openapi(
  usersRoute({
    method: 'post',
    path: '/refresh',
    operationId: 'refreshTokens',
    summary: 'Rotate a refresh token',
    description:
      'The presented token is revoked and a new pair issued. Presenting a revoked token again revokes every ' +
      'token of its login and answers 401.',
    middleware: [rateLimit('default', byIp)] as const,
    request: { body: jsonBody(RefreshBody) },
    responses: {
      200: jsonResponse(TokenPair, 'A new access token and a new refresh token'),
      ...problemResponses(400, 401, 413, 415, 429),
    },
  }),
  async (c) => {
    const { refresh } = c.req.valid('json');
    return c.json(await rotateRefreshToken(c.var.ctx, refresh), 200);
  },
);

usersRoutes.openapi(
  usersRoute({
    method: 'post',
    path: '/logout',
    operationId: 'logout',
    summary: 'Revoke a refresh token',
    middleware: [rateLimit('default', byIp)] as const,
    request: { body: jsonBody(RefreshBody) },
    responses: {
      200: jsonResponse(EmptyObject, 'Revoked'),
      ...problemResponses(400, 401, 413, 415, 429),
    },
  }),
  async (c) => {
    await logout(c.var.ctx, c.req.valid('json').refresh);
    return c.json({}, 200);
  },
);

// --- E-mail verification -----------------------------------------------------------------------------------

usersRoutes.openapi(
  usersRoute({
    method: 'post',
    path: '/verify-code/validate',
    operationId: 'validateVerificationCode',
    summary: 'Validate an e-mail verification code: activates the user and returns tokens',
    description:
      'Every failure (unknown e-mail, wrong, expired, burnt or missing code) is the same 400 ' +
      '`invalid_or_expired_code`. A code is burnt after 5 wrong attempts. Rate limit: 10/min per IP.',
    middleware: [rateLimit('verify_code', byIp)] as const,
    request: { body: jsonBody(ValidateCodeBody) },
    responses: {
      200: jsonResponse(TokenPair, 'The user is active; access and refresh tokens'),
      ...problemResponses(400, 413, 415, 429, 503),
    },
  }),
  async (c) => {
    return c.json(await validateCode(c.var.ctx, c.req.valid('json')), 200);
  },
);

usersRoutes.openapi(
  usersRoute({
    method: 'post',
    path: '/verify-code/resend',
    operationId: 'resendVerificationCode',
    summary: 'Send a new verification code',
    description:
      'Replaces the current code of an inactive user, at most once a minute (429 with Retry-After). An unknown ' +
      'e-mail gets the same 200. Rate limit: 3/min per IP.',
    middleware: [rateLimit('resend_code', byIp)] as const,
    request: { body: jsonBody(ResendCodeBody) },
    responses: {
      200: jsonResponse(Detail, 'Sent (or nothing to send)'),
      ...problemResponses(400, 413, 415, 429),
    },
  }),
  async (c) => {
    await resendCode(c.var.ctx, c.req.valid('json').email);
    return c.json({ detail: VERIFICATION_MESSAGES.codeSent }, 200);
  },
);

// --- Profiles ----------------------------------------------------------------------------------------------
// `mine` routes are registered before `{id}` so the literal segment wins.

const profileLimit = rateLimit('profile', byUser);

usersRoutes.openapi(
  usersRoute(
    {
      method: 'get',
      path: '/profiles',
      operationId: 'listUserProfiles',
      summary: 'List users (staff)',
      middleware: [requireAuth, profileLimit, requireRole('ADMIN', 'STAFF')] as const,
      request: { query: ProfileListQuery },
      responses: {
        200: jsonResponse(pageSchema(Profile, 'ProfilePage'), 'A page of users'),
        ...problemResponses(400, 401, 403, 404, 429),
      },
    },
    'bearer',
  ),
  async (c) => {
    const { page, page_size, ...filters } = c.req.valid('query');
    const request = pageRequest({ page, page_size });
    const { count, results } = await listProfiles(c.var.ctx, { ...filters, page: request });
    return c.json(pageResponse(c.req.url, request, count, results), 200);
  },
);

usersRoutes.openapi(
  usersRoute(
    {
      method: 'get',
      path: '/profiles/mine',
      operationId: 'getOwnProfile',
      summary: 'The authenticated user',
      middleware: [requireAuth, profileLimit] as const,
      responses: { 200: jsonResponse(Profile, 'The profile'), ...problemResponses(401, 429) },
    },
    'bearer',
  ),
  async (c) => c.json(await getOwnProfile(c.var.ctx), 200),
);

usersRoutes.openapi(
  usersRoute(
    {
      method: 'patch',
      path: '/profiles/mine',
      operationId: 'updateOwnProfile',
      summary: 'Update the authenticated user',
      description: `Changing the e-mail needs \`current_password\`. Non-admins sending \`role_management\` or \`is_active\` get 403 "${PROFILE_MESSAGES.onlyAdminsChangeRoles}"`,
      middleware: [requireAuth, profileLimit] as const,
      request: { body: jsonBody(OwnProfilePatch) },
      responses: {
        200: jsonResponse(Profile, 'The updated profile'),
        ...problemResponses(400, 401, 403, 413, 415, 429),
      },
    },
    'bearer',
  ),
  async (c) => c.json(await updateOwnProfile(c.var.ctx, c.req.valid('json')), 200),
);

usersRoutes.openapi(
  usersRoute(
    {
      method: 'patch',
      path: '/profiles/mine/new-password',
      operationId: 'changeOwnPassword',
      summary: 'Change the password',
      description:
        'Revokes every refresh token and every access token issued before the change. Rate limit: 10/day per user.',
      middleware: [requireAuth, rateLimit('new_password', byUser)] as const,
      request: { body: jsonBody(NewPasswordBody) },
      responses: { 200: jsonResponse(Detail, 'Changed'), ...problemResponses(400, 401, 413, 415, 429) },
    },
    'bearer',
  ),
  async (c) => {
    const { old_password, new_password } = c.req.valid('json');
    await changePassword(c.var.ctx, { oldPassword: old_password, newPassword: new_password });
    return c.json({ detail: PROFILE_MESSAGES.passwordUpdated }, 200);
  },
);

usersRoutes.openapi(
  usersRoute(
    {
      method: 'get',
      path: '/profiles/{id}',
      operationId: 'getUserProfile',
      summary: 'A user (staff, or the user themself)',
      middleware: [requireAuth, profileLimit] as const,
      request: { params: ProfileIdParams },
      responses: { 200: jsonResponse(Profile, 'The profile'), ...problemResponses(401, 404, 429) },
    },
    'bearer',
  ),
  async (c) => {
    return c.json(await getProfile(c.var.ctx, userIdFrom(c.req.valid('param').id)), 200);
  },
);

usersRoutes.openapi(
  usersRoute(
    {
      method: 'patch',
      path: '/profiles/{id}',
      operationId: 'updateUserProfile',
      summary: 'Update a user (ADMIN)',
      description:
        'May change username, email, role_management and is_active. Deactivation revokes all tokens.',
      middleware: [requireAuth, profileLimit, requireRole('ADMIN')] as const,
      request: { params: ProfileIdParams, body: jsonBody(AdminProfilePatch) },
      responses: {
        200: jsonResponse(Profile, 'The updated profile'),
        ...problemResponses(400, 401, 403, 404, 413, 415, 429),
      },
    },
    'bearer',
  ),
  async (c) => {
    const id = userIdFrom(c.req.valid('param').id);
    return c.json(await updateProfile(c.var.ctx, { id, changes: c.req.valid('json') }), 200);
  },
);
