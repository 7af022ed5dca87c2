import { createRoute, type RouteConfig, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { AppError, type FieldErrors, unauthorized, validationError } from '../lib/errors';
import { describeError } from '../lib/logger';
import { createRouter } from '../lib/openapi';
import { problemResponses } from '../lib/problem';
import { fieldErrorsFrom, throwOnInvalid } from '../lib/validation';
import { requireAuth, requireRole } from '../middleware/auth';
import { byUser, rateLimit } from '../middleware/rate-limit';
import {
  type Address,
  addressNotFound,
  createAddress,
  deleteAddress,
  getAddress,
  listAddresses,
  updateAddress,
} from './addresses';
import { inlineContentDisposition } from './documents';
import {
  customerNotFound,
  getCustomerKyc,
  getOwnKyc,
  type Kyc,
  type KycChanges,
  kycSubmissionVersion,
  type OpenedDocument,
  openDocument,
  updateKyc,
} from './kyc';
import { type CustomerProfile, deleteProfile, getProfile, requireCustomerId, updateProfile } from './profile';
import { reviewKyc } from './review';
import {
  AddressCreateBody,
  AddressIdParam,
  AddressPatchBody,
  AddressReplaceBody,
  AddressSchema,
  addFieldError,
  CustomerIdParam,
  KycJsonBody,
  KycMultipartBody,
  KycPatchFields,
  KycReplaceFields,
  KycReviewBody,
  KycSchema,
  MESSAGES,
  ProfilePatchBody,
  ProfileReplaceBody,
  ProfileSchema,
} from './schemas';

/** docs/api.md §3: `/api/v1/customers/...`. Every route needs a signed-in user and counts against `default`. */
export const customersRoutes = createRouter();

customersRoutes.use('*', requireAuth, rateLimit('default', byUser));

const OWN_DOCUMENT_PATH = '/api/v1/customers/profile/upload-docs/file/';
const customerDocumentPath = (customerId: number) => `/api/v1/customers/${customerId}/kyc/file/`;
const TAGS = ['Customers'];
const security = [{ bearerAuth: [] }];
const staffOnly = requireRole('ADMIN', 'STAFF');

function callerId(c: Context<AppEnv>): number {
  const actor = c.var.ctx.actor;
  if (!actor) throw unauthorized('Authentication credentials were not provided.');
  return actor.id;
}

type ValidationResult = { target: string; success: boolean; error?: z.ZodError };
type ValidationHook = (result: ValidationResult, c: Context<AppEnv>) => undefined;

/** zod-openapi types hooks as synchronous but awaits them; these async hooks only ever throw or finish. */
const asHook = (hook: (result: ValidationResult, c: Context<AppEnv>) => Promise<void>) =>
  hook as unknown as ValidationHook;

/**
 * Validation hook for the caller's own resources: a user without a profile gets 404
 * customer_profile_not_found whatever they sent, so the profile is checked (one query) before a 400 —
 * only on that failure path, never on the happy one. A path id that is not a number names nothing: 404.
 */
const profileFirst = asHook(async (result, c) => {
  if (result.success) return;
  await requireCustomerId(c.var.db, callerId(c));
  if (result.target === 'param') throw addressNotFound();
  throwOnInvalid(result);
});

/** Staff routes: a customer id that is not a number names no customer. */
const customerParamFirst = asHook(async (result) => {
  if (!result.success && result.target === 'param') throw customerNotFound();
  throwOnInvalid(result);
});

function profileBody(p: CustomerProfile) {
  return {
    user: p.userId,
    first_name: p.firstName,
    last_name: p.lastName,
    phone_number: p.phoneNumber,
    dob: p.dob,
    is_verified: p.isVerified,
    kyc_status: p.kycStatus,
  };
}

function addressBody(a: Address) {
  return {
    id: a.id,
    customer: a.customerId,
    country: a.country,
    state: a.state,
    city: a.city,
    line: a.line,
    building_number: a.buildingNumber,
    apartment_number: a.apartmentNumber,
    postal_code: a.postalCode,
    main_address: a.mainAddress,
  };
}

async function kycBody(k: Kyc, documentPath: string) {
  return {
    customer_id: k.customerId,
    document_type: k.documentType,
    document_id: k.documentId,
    document_file: k.documentKey ? documentPath : null,
    status: k.status,
    reviewed_at: k.reviewedAt ? k.reviewedAt.toISOString() : null,
    rejection_reason: k.rejectionReason,
    submission_version: await kycSubmissionVersion(k),
  };
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

// ---------------------------------------------------------------------------------------------------------
// Profile — docs/api.md §3.2

customersRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/profile',
    operationId: 'getCustomerProfile',
    tags: TAGS,
    security,
    summary: 'Your customer profile with its KYC status',
    responses: { 200: json(ProfileSchema, 'The profile'), ...problemResponses(401, 404, 429) },
  }),
  async (c) => c.json(profileBody(await getProfile(c.var.db, callerId(c))), 200),
);

for (const method of ['put', 'patch'] as const) {
  customersRoutes.openapi(
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
        200: json(ProfileSchema, 'The updated profile'),
        ...problemResponses(400, 401, 404, 415, 429),
      },
    }),
    async (c) => {
      const profile = await updateProfile(c.var.db, callerId(c), c.req.valid('json'));
      return c.json(profileBody(profile), 200);
    },
    profileFirst,
  );
}

customersRoutes.openapi(
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
    await deleteProfile(
      {
        db: c.var.db,
        documents: c.env.KYC_DOCUMENTS,
        onStorageError: (err) => c.var.logger.error('kyc document delete failed', describeError(err)),
      },
      callerId(c),
    );
    return c.body(null, 204);
  },
);

// ---------------------------------------------------------------------------------------------------------
// Addresses — docs/api.md §3.3

const addressRules =
  'country: EG, SA, AE, OM or PK; state, city, line ≤ 50 characters (state more than 3); building and ' +
  'apartment numbers ≤ 10; postal_code: 5 digits in Egypt, elsewhere 3–10 letters or digits. At most ' +
  'ADDRESSES_COUNT (3) addresses; exactly one is the main address.';

customersRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/address',
    operationId: 'listAddresses',
    tags: TAGS,
    security,
    summary: 'Your addresses (at most three, so never paginated)',
    responses: {
      200: json(z.array(AddressSchema), 'Main address first'),
      ...problemResponses(401, 404, 429),
    },
  }),
  async (c) => c.json((await listAddresses(c.var.db, callerId(c))).map(addressBody), 200),
);

customersRoutes.openapi(
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
      201: json(AddressSchema, 'The new address'),
      ...problemResponses(400, 401, 404, 409, 415, 429),
    },
  }),
  async (c) => {
    const address = await createAddress(
      c.var.db,
      callerId(c),
      c.req.valid('json'),
      c.var.config.ADDRESSES_COUNT,
    );
    return c.json(addressBody(address), 201);
  },
  profileFirst,
);

customersRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/address/{id}',
    operationId: 'getAddress',
    tags: TAGS,
    security,
    summary: 'One of your addresses',
    request: { params: AddressIdParam },
    responses: { 200: json(AddressSchema, 'The address'), ...problemResponses(401, 404, 429) },
  }),
  async (c) => c.json(addressBody(await getAddress(c.var.db, callerId(c), c.req.valid('param').id)), 200),
  profileFirst,
);

for (const method of ['put', 'patch'] as const) {
  customersRoutes.openapi(
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
        200: json(AddressSchema, 'The updated address'),
        ...problemResponses(400, 401, 404, 409, 415, 429),
      },
    }),
    async (c) => {
      const address = await updateAddress(
        c.var.db,
        callerId(c),
        c.req.valid('param').id,
        c.req.valid('json'),
      );
      return c.json(addressBody(address), 200);
    },
    profileFirst,
  );
}

customersRoutes.openapi(
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
    await deleteAddress(c.var.db, callerId(c), c.req.valid('param').id);
    return c.body(null, 204);
  },
  profileFirst,
);

// ---------------------------------------------------------------------------------------------------------
// KYC — docs/api.md §3.4

customersRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/profile/upload-docs',
    operationId: 'getKyc',
    tags: TAGS,
    security,
    summary: 'Your KYC record',
    responses: { 200: json(KycSchema, 'The KYC record'), ...problemResponses(401, 404, 429) },
  }),
  async (c) => c.json(await kycBody(await getOwnKyc(c.var.db, callerId(c)), OWN_DOCUMENT_PATH), 200),
);

/** Form fields arrive as strings or files; only the first value of a repeated field counts. */
function formFields(form: FormData, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (form.has(key)) out[key] = form.get(key);
  return out;
}

async function readJsonObject(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError(400, 'malformed_body', 'The request body could not be parsed.');
  }
}

/**
 * The KYC body as JSON (document fields, `document_file: null` to remove the document) or as
 * multipart/form-data (the same fields plus the file). Parsed here rather than by the route validator so the
 * caller's profile is found (404) before the body is judged, and every field's messages come together.
 */
async function readKycChanges(c: Context<AppEnv>, replace: boolean): Promise<KycChanges> {
  const mediaType = (c.req.header('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase();
  const keys = ['document_type', 'document_id'] as const;
  let fields: unknown;
  let file: unknown;
  let hasFile = false;
  if (mediaType === 'multipart/form-data') {
    let form: FormData;
    try {
      form = await c.req.raw.formData();
    } catch {
      throw new AppError(400, 'malformed_body', 'The multipart body could not be parsed.');
    }
    fields = formFields(form, keys);
    file = form.get('document_file');
    // A browser form with no file chosen sends an empty, nameless part: that is "no file".
    hasFile = file !== null && file !== '' && !(file instanceof File && file.size === 0 && file.name === '');
  } else {
    const body = await readJsonObject(c);
    fields = body;
    if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'document_file' in body) {
      file = (body as { document_file: unknown }).document_file;
      hasFile = true;
    }
  }

  const parsed = (replace ? KycReplaceFields : KycPatchFields).safeParse(fields);
  const errors: FieldErrors = parsed.success ? {} : fieldErrorsFrom(parsed.error);
  let upload: KycChanges['file'];
  if (hasFile) {
    if (file === null && mediaType !== 'multipart/form-data') upload = null;
    else if (file instanceof File)
      upload = { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
    else addFieldError(errors, 'document_file', MESSAGES.notAFile);
  }
  if (!parsed.success || Object.keys(errors).length > 0) throw validationError(errors);
  return { documentType: parsed.data.document_type, documentId: parsed.data.document_id, file: upload };
}

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
      200: json(KycSchema, 'The KYC record'),
      ...problemResponses(400, 401, 404, 409, 413, 415, 429),
    },
  }) satisfies RouteConfig;
  // Documented from the schemas above; the body is parsed by readKycChanges (JSON or multipart).
  customersRoutes.openAPIRegistry.registerPath(route);
  customersRoutes.on(method.toUpperCase(), '/profile/upload-docs', async (c) => {
    const userId = callerId(c);
    const config = c.var.config;
    // Profile first (404), then the body (400); the extra profile query runs only for an invalid body.
    let changes: KycChanges;
    try {
      changes = await readKycChanges(c, method === 'put');
    } catch (err) {
      if (err instanceof AppError && err.status === 400) await requireCustomerId(c.var.db, userId);
      throw err;
    }
    const kyc = await updateKyc(
      {
        db: c.var.db,
        documents: c.env.KYC_DOCUMENTS,
        maxBytes: config.KYC_MAX_BYTES,
        onStorageError: (err) => c.var.logger.error('kyc document delete failed', describeError(err)),
      },
      userId,
      changes,
    );
    return c.json(await kycBody(kyc, OWN_DOCUMENT_PATH), 200);
  });
}

const documentResponse = {
  description: 'The document, streamed with its detected content type',
  content: {
    'application/pdf': { schema: z.string().openapi({ format: 'binary' }) },
    'image/jpeg': { schema: z.string().openapi({ format: 'binary' }) },
    'image/png': { schema: z.string().openapi({ format: 'binary' }) },
  },
};

function streamDocument(document: OpenedDocument): Response {
  return new Response(document.body, {
    status: 200,
    headers: {
      'Content-Type': document.contentType,
      'Content-Length': String(document.size),
      'Content-Disposition': inlineContentDisposition(document.fileName),
      'Cache-Control': 'private, no-store',
      'X-Content-Type-Options': 'nosniff',
      ETag: document.etag,
    },
  });
}

customersRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/profile/upload-docs/file',
    operationId: 'downloadKycDocument',
    tags: TAGS,
    security,
    summary: 'Download your KYC document',
    responses: { 200: documentResponse, ...problemResponses(401, 404, 429) },
  }),
  async (c) => {
    const document = await openDocument(c.var.db, c.env.KYC_DOCUMENTS, { userId: callerId(c) }, (key) =>
      c.var.logger.error('kyc document missing from storage', { key }),
    );
    return streamDocument(document);
  },
);

// ---------------------------------------------------------------------------------------------------------
// Staff — docs/api.md §3.4 review (also used by the admin UI through reviewKyc)

customersRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{customer_id}/kyc',
    operationId: 'getCustomerKyc',
    tags: TAGS,
    security,
    summary: "A customer's KYC record (staff)",
    middleware: [staffOnly] as const,
    request: { params: CustomerIdParam },
    responses: { 200: json(KycSchema, 'The KYC record'), ...problemResponses(401, 403, 404, 429) },
  }),
  async (c) => {
    const { customer_id: customerId } = c.req.valid('param');
    return c.json(
      await kycBody(await getCustomerKyc(c.var.db, customerId), customerDocumentPath(customerId)),
      200,
    );
  },
  customerParamFirst,
);

customersRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{customer_id}/kyc/file',
    operationId: 'downloadCustomerKycDocument',
    tags: TAGS,
    security,
    summary: "Download a customer's KYC document (staff)",
    middleware: [staffOnly] as const,
    request: { params: CustomerIdParam },
    responses: { 200: documentResponse, ...problemResponses(401, 403, 404, 429) },
  }),
  async (c) => {
    const { customer_id: customerId } = c.req.valid('param');
    const document = await openDocument(c.var.db, c.env.KYC_DOCUMENTS, { customerId }, (key) =>
      c.var.logger.error('kyc document missing from storage', { key }),
    );
    return streamDocument(document);
  },
  customerParamFirst,
);

customersRoutes.openapi(
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
    middleware: [staffOnly] as const,
    request: { params: CustomerIdParam, body: jsonBody(KycReviewBody) },
    responses: {
      200: json(KycSchema, 'The reviewed KYC record'),
      ...problemResponses(400, 401, 403, 404, 409, 415, 429),
    },
  }),
  async (c) => {
    const { customer_id: customerId } = c.req.valid('param');
    const body = c.req.valid('json');
    const kyc = await reviewKyc(
      {
        db: c.var.db,
        notifications: c.env.NOTIFICATIONS,
        onNotificationError: (err) => c.var.logger.error('kyc review e-mail not queued', describeError(err)),
      },
      {
        customerId,
        reviewerId: callerId(c),
        status: body.status,
        reason: body.reason ?? null,
        submissionVersion: body.submission_version,
        requestId: c.var.requestId,
      },
    );
    return c.json(await kycBody(kyc, customerDocumentPath(customerId)), 200);
  },
  customerParamFirst,
);
