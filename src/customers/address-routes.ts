import { createRoute, z } from '@hono/zod-openapi';
import { createRouter, jsonBody, jsonResponse } from '../lib/openapi';
import { problemResponses } from '../lib/problem';
import { createAddress, deleteAddress, getAddress, listAddresses, updateAddress } from './addresses';
import { profileFirst, security, TAGS } from './routes-common';
import {
  AddressCreateBody,
  AddressIdParam,
  AddressPatchBody,
  AddressReplaceBody,
  AddressSchema,
} from './schemas';
import { toAddressView } from './view';

/** docs/api.md §3.3: the caller's addresses (mounted under /api/v1/customers by ./routes.ts). */
export const addressRoutes = createRouter();

const addressRules =
  'country: EG, SA, AE, OM or PK; state, city, line ≤ 50 characters (state more than 3); building and ' +
  'apartment numbers ≤ 10; postal_code: 5 digits in Egypt, elsewhere 3–10 letters or digits. At most ' +
  'ADDRESSES_COUNT (3) addresses; exactly one is the main address.';

addressRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/address',
    operationId: 'listAddresses',
    tags: TAGS,
    security,
    summary: 'Your addresses (at most three, so never paginated)',
    responses: {
      200: jsonResponse(z.array(AddressSchema), 'Main address first'),
      ...problemResponses(401, 404, 429),
    },
  }),
  async (c) => c.json((await listAddresses(c.var.ctx)).map(toAddressView), 200),
);

addressRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/address',
    operationId: 'createAddress',
    tags: TAGS,
    security,
    summary: 'Add an address',
    description: `${addressRules} main_address defaults to true and demotes the current main address in the same transaction; the first address is always the main one.`,
    request: { body: jsonBody(AddressCreateBody) },
    responses: {
      201: jsonResponse(AddressSchema, 'The new address'),
      ...problemResponses(400, 401, 404, 409, 415, 429),
    },
  }),
  async (c) => {
    const address = await createAddress(c.var.ctx, { address: c.req.valid('json') });
    return c.json(toAddressView(address), 201);
  },
  profileFirst,
);

addressRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/address/{id}',
    operationId: 'getAddress',
    tags: TAGS,
    security,
    summary: 'One of your addresses',
    request: { params: AddressIdParam },
    responses: { 200: jsonResponse(AddressSchema, 'The address'), ...problemResponses(401, 404, 429) },
  }),
  async (c) => c.json(toAddressView(await getAddress(c.var.ctx, c.req.valid('param').id)), 200),
  profileFirst,
);

for (const method of ['put', 'patch'] as const) {
  addressRoutes.openapi(
    createRoute({
      method,
      path: '/address/{id}',
      operationId: method === 'put' ? 'replaceAddress' : 'updateAddress',
      tags: TAGS,
      security,
      summary:
        method === 'put' ? 'Replace one of your addresses (every key)' : 'Change one of your addresses',
      description: `${addressRules} Setting main_address true demotes the others in the same transaction; the main address cannot be set to false directly.`,
      request: {
        params: AddressIdParam,
        body: jsonBody(method === 'put' ? AddressReplaceBody : AddressPatchBody),
      },
      responses: {
        200: jsonResponse(AddressSchema, 'The updated address'),
        ...problemResponses(400, 401, 404, 409, 415, 429),
      },
    }),
    async (c) => {
      const address = await updateAddress(c.var.ctx, {
        addressId: c.req.valid('param').id,
        changes: c.req.valid('json'),
      });
      return c.json(toAddressView(address), 200);
    },
    profileFirst,
  );
}

addressRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/address/{id}',
    operationId: 'deleteAddress',
    tags: TAGS,
    security,
    summary: 'Delete one of your addresses',
    description: 'The main address can be deleted only when it is the last one (409 otherwise).',
    request: { params: AddressIdParam },
    responses: { 204: { description: 'Deleted' }, ...problemResponses(401, 404, 409, 429) },
  }),
  async (c) => {
    await deleteAddress(c.var.ctx, c.req.valid('param').id);
    return c.body(null, 204);
  },
  profileFirst,
);
