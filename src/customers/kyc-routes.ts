import { createRoute, type RouteConfig, z } from '@hono/zod-openapi';
import { AppError } from '../lib/errors';
import { createRouter, jsonBody, jsonResponse } from '../lib/openapi';
import { problemResponses } from '../lib/problem';
import { streamDocument } from './documents';
import {
  getCustomerKyc,
  getOwnKyc,
  type KycChanges,
  openCustomerDocument,
  openOwnDocument,
  updateKyc,
} from './kyc';
import { readKycChanges } from './kyc-body';
import { requireCustomerId } from './profile';
import { reviewKyc } from './review';
import { customerParamFirst, security, staffOnly, TAGS } from './routes-common';
import { CustomerIdParam, KycJsonBody, KycMultipartBody, KycReviewBody, KycSchema } from './schemas';
import { toKycView } from './view';

/**
 * docs/api.md §3.4: the caller's KYC record and document, and the staff's read, download and review of a
 * customer's (mounted under /api/v1/customers by ./routes.ts).
 */
export const kycRoutes = createRouter();

const OWN_DOCUMENT_PATH = '/api/v1/customers/profile/upload-docs/file/';
const customerDocumentPath = (customerId: number) => `/api/v1/customers/${customerId}/kyc/file/`;

kycRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/profile/upload-docs',
    operationId: 'getKyc',
    tags: TAGS,
    security,
    summary: 'Your KYC record',
    responses: { 200: jsonResponse(KycSchema, 'The KYC record'), ...problemResponses(401, 404, 429) },
  }),
  async (c) => c.json(await toKycView(await getOwnKyc(c.var.ctx), OWN_DOCUMENT_PATH), 200),
);

for (const method of ['put', 'patch'] as const) {
  const route = createRoute({
    method,
    path: '/profile/upload-docs',
    operationId: method === 'put' ? 'replaceKyc' : 'updateKyc',
    tags: TAGS,
    security,
    summary:
      method === 'put'
        ? 'Replace your KYC document fields (document_type and document_id required)'
        : 'Change your KYC document fields',
    description:
      'Send JSON, or multipart/form-data to upload `document_file` (PDF, JPEG or PNG by content, 1 byte to ' +
      'KYC_MAX_BYTES). national_id: an Egyptian national ID; passport: 6–9 letters or digits. Any change ' +
      'sets the status back to pending and the profile to unverified.',
    request: {
      body: {
        required: true,
        content: {
          'application/json': { schema: KycJsonBody },
          'multipart/form-data': { schema: KycMultipartBody },
        },
      },
    },
    responses: {
      200: jsonResponse(KycSchema, 'The KYC record'),
      ...problemResponses(400, 401, 404, 409, 413, 415, 429),
    },
  }) satisfies RouteConfig;
  // Documented from the schemas above; the body is parsed by readKycChanges (JSON or multipart).
  kycRoutes.openAPIRegistry.registerPath(route);
  kycRoutes.on(method.toUpperCase(), '/profile/upload-docs', async (c) => {
    // Profile first (404), then the body (400); the extra profile query runs only for an invalid body.
    let changes: KycChanges;
    try {
      changes = await readKycChanges(c, method === 'put');
    } catch (err) {
      if (err instanceof AppError && err.status === 400) await requireCustomerId(c.var.ctx);
      throw err;
    }
    return c.json(await toKycView(await updateKyc(c.var.ctx, changes), OWN_DOCUMENT_PATH), 200);
  });
}

const documentContent = {
  description: 'The document, streamed with its detected content type',
  content: {
    'application/pdf': { schema: z.string().openapi({ format: 'binary' }) },
    'image/jpeg': { schema: z.string().openapi({ format: 'binary' }) },
    'image/png': { schema: z.string().openapi({ format: 'binary' }) },
  },
};

kycRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/profile/upload-docs/file',
    operationId: 'downloadKycDocument',
    tags: TAGS,
    security,
    summary: 'Download your KYC document',
    responses: { 200: documentContent, ...problemResponses(401, 404, 429) },
  }),
  async (c) => streamDocument(await openOwnDocument(c.var.ctx)),
);

// Staff — docs/api.md §3.4 review (also used by the admin UI through reviewKyc)

/** Every staff route: ADMIN or STAFF only, on the customer named in the path. */
const staffOnCustomer = { middleware: [staffOnly], request: { params: CustomerIdParam } };

kycRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{customer_id}/kyc',
    operationId: 'getCustomerKyc',
    tags: TAGS,
    // docs/api-keys.md: also a server API key with customers:read.
    security: [...security, { apiKeyAuth: ['customers:read'] }],
    summary: "A customer's KYC record (staff)",
    ...staffOnCustomer,
    responses: {
      200: jsonResponse(KycSchema, 'The KYC record'),
      ...problemResponses(401, 403, 404, 429),
    },
  }),
  async (c) => {
    const { customer_id: customerId } = c.req.valid('param');
    const kyc = await getCustomerKyc(c.var.ctx, customerId);
    return c.json(await toKycView(kyc, customerDocumentPath(customerId)), 200);
  },
  customerParamFirst,
);

kycRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{customer_id}/kyc/file',
    operationId: 'downloadCustomerKycDocument',
    tags: TAGS,
    // docs/api-keys.md: also a server API key with customers:read.
    security: [...security, { apiKeyAuth: ['customers:read'] }],
    summary: "Download a customer's KYC document (staff)",
    ...staffOnCustomer,
    responses: { 200: documentContent, ...problemResponses(401, 403, 404, 429) },
  }),
  async (c) => streamDocument(await openCustomerDocument(c.var.ctx, c.req.valid('param').customer_id)),
  customerParamFirst,
);

kycRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{customer_id}/kyc/review',
    operationId: 'reviewCustomerKyc',
    tags: TAGS,
    security,
    summary: "Approve or reject a customer's KYC (staff)",
    description:
      'Sets reviewed_at, reviewed_by and the customer’s is_verified (true only when approved), writes the ' +
      'audit log and queues an e-mail to the customer. A reason is required when rejecting. Approval needs a ' +
      'submitted document id and file (409 otherwise).',
    middleware: staffOnCustomer.middleware,
    request: { ...staffOnCustomer.request, body: jsonBody(KycReviewBody) },
    responses: {
      200: jsonResponse(KycSchema, 'The reviewed KYC record'),
      ...problemResponses(400, 401, 403, 404, 409, 415, 429),
    },
  }),
  async (c) => {
    const { customer_id: customerId } = c.req.valid('param');
    const body = c.req.valid('json');
    const kyc = await reviewKyc(c.var.ctx, {
      customerId,
      status: body.status,
      reason: body.reason ?? null,
      submissionVersion: body.submission_version,
    });
    return c.json(await toKycView(kyc, customerDocumentPath(customerId)), 200);
  },
  customerParamFirst,
);
