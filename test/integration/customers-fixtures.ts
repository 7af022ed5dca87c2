/**
 * Small arrangements shared by the customers-*.test.ts files: documents of each type, a customer's rows,
 * and requests to the customers API. Users and tokens come from ./helpers.
 */
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { kycSubmissionVersion } from '../../src/customers/kyc';
import { addresses, customers, kycRecords, transactions } from '../../src/db/schema';
import { type ApiInit, api, createUser, type Problem, readJson, type TestUser, testDb } from './helpers';

export const CUSTOMERS = '/api/v1/customers';
export const PROFILE = `${CUSTOMERS}/profile/`;
export const ADDRESSES = `${CUSTOMERS}/address/`;
export const KYC = `${CUSTOMERS}/profile/upload-docs/`;
export const KYC_FILE = `${CUSTOMERS}/profile/upload-docs/file/`;
export const address = (id: number | string) => `${CUSTOMERS}/address/${id}/`;
export const review = (customerId: number | string) => `${CUSTOMERS}/${customerId}/kyc/review/`;
export const staffKyc = (customerId: number | string) => `${CUSTOMERS}/${customerId}/kyc/`;
export const staffKycFile = (customerId: number | string) => `${CUSTOMERS}/${customerId}/kyc/file/`;

export const VALID_NATIONAL_ID = '29001011234567';
export const KYC_MAX_BYTES = 5 * 1024 * 1024;

/** An active CUSTOMER with the bootstrap profile (one main EG address, a pending KYC record). */
export function newCustomer(): Promise<TestUser> {
  return createUser();
}

/** `api` as `user`. */
export function as(user: TestUser, path: string, init: ApiInit = {}): Promise<Response> {
  return api(path, { ...init, token: user.access });
}

export { contextAs } from './context-support';

export async function customerIdOf(user: TestUser): Promise<number> {
  const [row] = await testDb()
    .select({ id: customers.id })
    .from(customers)
    .where(eq(customers.userId, user.id));
  if (!row) throw new Error(`user ${user.id} has no customer`);
  return row.id;
}

export async function customerRow(customerId: number) {
  const [row] = await testDb().select().from(customers).where(eq(customers.id, customerId));
  return row;
}

export async function kycRow(customerId: number) {
  const [row] = await testDb().select().from(kycRecords).where(eq(kycRecords.customerId, customerId));
  return row;
}

export async function addressRows(customerId: number) {
  return testDb().select().from(addresses).where(eq(addresses.customerId, customerId)).orderBy(addresses.id);
}

/** A payment transaction row for the customer (docs/api.md §3.2: its existence blocks DELETE profile). */
export async function insertTransaction(customerId: number): Promise<void> {
  await testDb()
    .insert(transactions)
    .values({
      customerId,
      merchantOrderId: `SP-TEST${crypto.randomUUID().replaceAll('-', '').slice(0, 22).toUpperCase()}`,
      amountCents: 10_000,
      currency: 'EGP',
    });
}

// --- Documents -----------------------------------------------------------------------------------------------

const MAGIC = {
  pdf: [0x25, 0x50, 0x44, 0x46, 0x2d],
  jpeg: [0xff, 0xd8, 0xff, 0xe0],
  png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
} as const;

/** `size` bytes starting with the type's magic bytes, the rest varied so a byte-for-byte check means something. */
export function documentBytes(type: keyof typeof MAGIC, size = 1024): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) % 251;
  bytes.set(MAGIC[type].slice(0, size));
  return bytes;
}

export function uploadForm(
  fields: Record<string, string>,
  file?: { bytes: Uint8Array; name: string; type?: string },
) {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  if (file) {
    form.append(
      'document_file',
      new File([file.bytes], file.name, { type: file.type ?? 'application/octet-stream' }),
    );
  }
  return form;
}

/** Uploads a national-id document as the user; expects 200. */
export async function uploadDocument(
  user: TestUser,
  file: { bytes: Uint8Array; name: string } = { bytes: documentBytes('pdf'), name: 'id-card.pdf' },
  fields: Record<string, string> = { document_type: 'national_id', document_id: VALID_NATIONAL_ID },
): Promise<Record<string, unknown>> {
  const res = await as(user, KYC, { method: 'PUT', body: uploadForm(fields, file) });
  expect(res.status, await res.clone().text()).toBe(200);
  return readJson(res);
}

export async function expectProblem(
  response: Response,
  status: number,
  code: string,
  errors?: Record<string, string[]>,
): Promise<Problem> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get('Content-Type')).toBe('application/problem+json');
  const problem = JSON.parse(text) as Problem;
  expect(problem.code).toBe(code);
  if (errors) expect(problem.errors).toEqual(errors);
  return problem;
}

/** The R2 object at a key (or null). */
export function storedObject(key: string) {
  return env.KYC_DOCUMENTS.get(key);
}

/**
 * A review body carrying the submission_version a reviewer would have read (docs/security.md §2): the current
 * submission's, or a well-formed one for a customer that does not exist.
 */
export async function reviewBody(
  customerId: number | string,
  json: unknown,
): Promise<Record<string, unknown>> {
  const id = Number(customerId);
  const row = Number.isSafeInteger(id) && id > 0 ? await kycRow(id) : undefined;
  const version = row ? await kycSubmissionVersion(row) : '0'.repeat(32);
  return { submission_version: version, ...(json as Record<string, unknown>) };
}
