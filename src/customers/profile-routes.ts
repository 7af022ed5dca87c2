import { createRoute } from '@hono/zod-openapi';
import { createRouter, jsonBody, jsonResponse } from '../lib/openapi';
import { problemResponses } from '../lib/problem';
import { deleteProfile, getProfile, updateProfile } from './profile';
import { profileFirst, security, TAGS } from './routes-common';
import { ProfilePatchBody, ProfileReplaceBody, ProfileSchema } from './schemas';
import { toProfileView } from './view';

/** docs/api.md §3.2: the caller's customer profile (mounted under /api/v1/customers by ./routes.ts). */
export const profileRoutes = createRouter();

profileRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/profile',
    operationId: 'getCustomerProfile',
    tags: TAGS,
    security,
    summary: 'Your customer profile with its KYC status',
    responses: { 200: jsonResponse(ProfileSchema, 'The profile'), ...problemResponses(401, 404, 429) },
  }),
  async (c) => c.json(toProfileView(await getProfile(c.var.ctx)), 200),
);

for (const method of ['put', 'patch'] as const) {
  profileRoutes.openapi(
    createRoute({
      method,
      path: '/profile',
      operationId: method === 'put' ? 'replaceCustomerProfile' : 'updateCustomerProfile',
      tags: TAGS,
      security,
      summary:
        method === 'put' ? 'Replace your profile (all four keys, each may be null)' : 'Change your profile',
      description:
        'first_name: 3–50 characters, starting with an uppercase letter; phone_number: international format, ' +
        'stored as E.164, unique; dob: YYYY-MM-DD, at least 18 years ago. user, is_verified and kyc_status ' +
        'are read-only and ignored.',
      request: { body: jsonBody(method === 'put' ? ProfileReplaceBody : ProfilePatchBody) },
      responses: {
        200: jsonResponse(ProfileSchema, 'The updated profile'),
        ...problemResponses(400, 401, 404, 415, 429),
      },
    }),
    async (c) => c.json(toProfileView(await updateProfile(c.var.ctx, c.req.valid('json'))), 200),
    profileFirst,
  );
}

profileRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/profile',
    operationId: 'deleteCustomerProfile',
    tags: TAGS,
    security,
    summary: 'Delete your profile, addresses, KYC record and stored document',
    description:
      'Refused with 409 while the customer has any payment transaction (financial records are kept).',
    responses: { 204: { description: 'Deleted' }, ...problemResponses(401, 404, 409, 429) },
  }),
  async (c) => {
    await deleteProfile(c.var.ctx);
    return c.body(null, 204);
  },
);
