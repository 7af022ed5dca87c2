import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { NATIONAL_ID_MESSAGES } from '../../src/customers/egyptian-national-id';
import { updateKyc } from '../../src/customers/kyc';
import { fileTooLargeMessage, MESSAGES } from '../../src/customers/schemas';
import { kycRecords } from '../../src/db/schema';
import {
  as,
  contextAs,
  customerIdOf,
  customerRow,
  documentBytes,
  expectProblem,
  KYC,
  KYC_FILE,
  KYC_MAX_BYTES,
  kycRow,
  newCustomer,
  review,
  reviewBody,
  storedObject,
  uploadDocument,
  uploadForm,
  VALID_NATIONAL_ID,
} from './customers-fixtures';
import {
  createUser,
  describeAuthorization,
  readJson,
  roundTrips,
  type TestUser,
  testDb,
  uniqueRequestId,
} from './helpers';

const NATIONAL_ID = { document_type: 'national_id', document_id: VALID_NATIONAL_ID };

async function approve(customer: TestUser): Promise<void> {
  const staff = await createUser({ role: 'STAFF' });
  const customerId = await customerIdOf(customer);
  const res = await as(staff, review(customerId), {
    method: 'POST',
    json: await reviewBody(customerId, { status: 'approved' }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

describe('KYC record (docs/api.md §3.4)', () => {
  it('GET answers the bootstrap record with exactly the documented keys', async () => {
    const user = await newCustomer();
    const res = await as(user, KYC);
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({
      customer_id: await customerIdOf(user),
      document_type: 'national_id',
      document_id: null,
      document_file: null,
      status: 'pending',
      reviewed_at: null,
      rejection_reason: null,
      // docs/security.md §2: what a staff review sends back.
      submission_version: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });

  it('PUT as JSON sets the document fields; read-only fields are ignored', async () => {
    const user = await newCustomer();
    const res = await as(user, KYC, {
      method: 'PUT',
      json: {
        document_type: 'passport',
        document_id: ' a1234567 ',
        status: 'approved',
        reviewed_at: '2020-01-01T00:00:00Z',
        rejection_reason: 'x',
        customer_id: 1,
      },
    });
    expect(res.status).toBe(200);
    expect(await readJson(res)).toMatchObject({
      customer_id: await customerIdOf(user),
      document_type: 'passport',
      document_id: 'A1234567',
      status: 'pending',
      reviewed_at: null,
      rejection_reason: null,
    });
  });

  it('PUT needs document_type and document_id', async () => {
    const user = await newCustomer();
    await expectProblem(await as(user, KYC, { method: 'PUT', json: {} }), 400, 'validation_error', {
      document_type: ['This field is required.'],
      document_id: ['This field is required.'],
    });
  });

  it('PATCH with only document_id is checked against the stored type', async () => {
    const user = await newCustomer();
    await expectProblem(
      await as(user, KYC, { method: 'PATCH', json: { document_id: 'A1234567' } }),
      400,
      'validation_error',
      {
        document_id: [NATIONAL_ID_MESSAGES.format],
      },
    );
    const res = await as(user, KYC, { method: 'PATCH', json: { document_id: VALID_NATIONAL_ID } });
    expect(await readJson(res)).toMatchObject({
      document_type: 'national_id',
      document_id: VALID_NATIONAL_ID,
    });
  });

  it('PATCH changing only the type re-checks the stored id', async () => {
    const user = await newCustomer();
    await as(user, KYC, { method: 'PATCH', json: { document_id: VALID_NATIONAL_ID } });
    await expectProblem(
      await as(user, KYC, { method: 'PATCH', json: { document_type: 'passport' } }),
      400,
      'validation_error',
      {
        document_id: [MESSAGES.passport],
      },
    );
  });

  const invalid: Array<[string, Record<string, unknown>, Record<string, string[]>]> = [
    ['13 digits', { document_id: '2900101123456' }, { document_id: [NATIONAL_ID_MESSAGES.format] }],
    ['century 1', { document_id: '19001011234567' }, { document_id: [NATIONAL_ID_MESSAGES.century] }],
    ['31 February', { document_id: '29002311234567' }, { document_id: [NATIONAL_ID_MESSAGES.birthDate] }],
    [
      'born in the future',
      { document_id: '39912311234567' },
      { document_id: [NATIONAL_ID_MESSAGES.birthDate] },
    ],
    [
      'governorate 05',
      { document_id: '29001010512345' },
      { document_id: [NATIONAL_ID_MESSAGES.governorate] },
    ],
    [
      'governorate 99',
      { document_id: '29001019912345' },
      { document_id: [NATIONAL_ID_MESSAGES.governorate] },
    ],
    [
      'passport of 5',
      { document_type: 'passport', document_id: 'A1234' },
      { document_id: [MESSAGES.passport] },
    ],
    [
      'passport of 10',
      { document_type: 'passport', document_id: 'A123456789' },
      { document_id: [MESSAGES.passport] },
    ],
    [
      'passport with a dash',
      { document_type: 'passport', document_id: 'A-123456' },
      { document_id: [MESSAGES.passport] },
    ],
    [
      'unknown type',
      { document_type: 'driving_licence' },
      { document_type: ['"driving_licence" is not a valid choice.'] },
    ],
    ['blank id', { document_id: '  ' }, { document_id: ['This field may not be blank.'] }],
    [
      'id over 20',
      { document_id: '1'.repeat(21) },
      { document_id: ['Ensure this field has no more than 20 characters.'] },
    ],
    ['null id', { document_id: null }, { document_id: ['This field may not be null.'] }],
    ['numeric id', { document_id: 29001011234567 }, { document_id: ['Not a valid string.'] }],
    ['a file in JSON', { document_file: 'JVBERi0xLjc=' }, { document_file: [MESSAGES.notAFile] }],
  ];

  it.each(invalid)('JSON PATCH %s → 400', async (_case, json, errors) => {
    const user = await newCustomer();
    await expectProblem(await as(user, KYC, { method: 'PATCH', json }), 400, 'validation_error', errors);
  });

  it.each([['29001011234567'], ['30512318812345'], ['28006152112345']])(
    'national id %s is accepted',
    async (id) => {
      const user = await newCustomer();
      expect((await as(user, KYC, { method: 'PATCH', json: { document_id: id } })).status).toBe(200);
    },
  );
});

describe('KYC document upload (multipart)', () => {
  it.each([
    ['pdf', 'application/pdf', 'scan.pdf'],
    ['jpeg', 'image/jpeg', 'photo.jpg'],
    ['png', 'image/png', 'photo.png'],
  ] as const)(
    'stores a %s under a random key with its type and original name as metadata',
    async (type, contentType, name) => {
      const user = await newCustomer();
      const customerId = await customerIdOf(user);
      const bytes = documentBytes(type, 4096);
      const body = await uploadDocument(user, { bytes, name });
      expect(body).toMatchObject({ ...NATIONAL_ID, document_file: KYC_FILE, status: 'pending' });
      const row = await kycRow(customerId);
      expect(row?.documentKey).toMatch(/^kyc\/[0-9a-f-]{36}$/);
      expect(row?.documentKey).not.toContain(name);
      expect(row).toMatchObject({ documentName: name, documentContentType: contentType, documentSize: 4096 });
      const object = await storedObject(row?.documentKey as string);
      expect(object?.httpMetadata?.contentType).toBe(contentType);
      expect(object?.customMetadata).toEqual({ original_name: name, customer_id: String(customerId) });
      expect(new Uint8Array(await (object as R2ObjectBody).arrayBuffer())).toEqual(bytes);
    },
  );

  it('the document comes back byte for byte, with safe headers', async () => {
    const user = await newCustomer();
    const bytes = documentBytes('png', 70_000);
    await uploadDocument(user, { bytes, name: 'my card; v2.png' });
    const res = await as(user, KYC_FILE);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('image/png');
    expect(res.headers.get('Cache-Control')).toBe('private, no-store');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(res.headers.get('Content-Disposition')).toBe(
      `inline; filename="my card_ v2.png"; filename*=UTF-8''my%20card%3B%20v2.png`,
    );
    expect(res.headers.get('Content-Length')).toBe('70000');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
  });

  it('a file name with a path and non-ASCII characters is kept as its last part, encoded', async () => {
    const user = await newCustomer();
    await uploadDocument(user, { bytes: documentBytes('pdf'), name: '..\\..\\بطاقة.pdf' });
    const res = await as(user, KYC_FILE);
    expect(res.headers.get('Content-Disposition')).toBe(
      `inline; filename="_____.pdf"; filename*=UTF-8''%D8%A8%D8%B7%D8%A7%D9%82%D8%A9.pdf`,
    );
    await res.body?.cancel();
  });

  it('the type comes from the content: a JPEG named .pdf and sent as application/pdf is served as image/jpeg', async () => {
    const user = await newCustomer();
    const res = await as(user, KYC, {
      method: 'PATCH',
      body: uploadForm({}, { bytes: documentBytes('jpeg'), name: 'passport.pdf', type: 'application/pdf' }),
    });
    expect(res.status).toBe(200);
    const file = await as(user, KYC_FILE);
    expect(file.headers.get('Content-Type')).toBe('image/jpeg');
    await file.body?.cancel();
  });

  it.each([
    [
      'HTML named .pdf',
      new TextEncoder().encode('<html><script>alert(1)</script></html>'),
      'scan.pdf',
      'application/pdf',
    ],
    ['a GIF named .png', new TextEncoder().encode('GIF89a\u0001\u0000'), 'photo.png', 'image/png'],
    [
      'an SVG named .jpg',
      new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      'x.jpg',
      'image/jpeg',
    ],
    ['a truncated PNG signature', new Uint8Array([0x89, 0x50, 0x4e, 0x47]), 'x.png', 'image/png'],
    ['an executable named .pdf', new Uint8Array([0x4d, 0x5a, 0x90, 0x00]), 'x.pdf', 'application/pdf'],
  ])('%s is refused', async (_case, bytes, name, type) => {
    const user = await newCustomer();
    const res = await as(user, KYC, { method: 'PATCH', body: uploadForm({}, { bytes, name, type }) });
    await expectProblem(res, 400, 'validation_error', { document_file: [MESSAGES.fileType] });
    expect((await kycRow(await customerIdOf(user)))?.documentKey).toBeNull();
  });

  it('an empty file is refused', async () => {
    const user = await newCustomer();
    const res = await as(user, KYC, {
      method: 'PATCH',
      body: uploadForm({}, { bytes: new Uint8Array(0), name: 'empty.pdf' }),
    });
    await expectProblem(res, 400, 'validation_error', { document_file: [MESSAGES.emptyFile] });
  });

  it('a one-byte file is within the size limit (and refused only for its type)', async () => {
    const user = await newCustomer();
    const res = await as(user, KYC, {
      method: 'PATCH',
      body: uploadForm({}, { bytes: new Uint8Array([0x25]), name: 'a.pdf' }),
    });
    await expectProblem(res, 400, 'validation_error', { document_file: [MESSAGES.fileType] });
  });

  it('a file of exactly KYC_MAX_BYTES is accepted; one byte more is refused', async () => {
    const user = await newCustomer();
    const exact = documentBytes('pdf', KYC_MAX_BYTES);
    const ok = await as(user, KYC, {
      method: 'PATCH',
      body: uploadForm({}, { bytes: exact, name: 'max.pdf' }),
    });
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
    const keyBefore = (await kycRow(await customerIdOf(user)))?.documentKey;

    const over = documentBytes('pdf', KYC_MAX_BYTES + 1);
    const res = await as(user, KYC, {
      method: 'PATCH',
      body: uploadForm({}, { bytes: over, name: 'big.pdf' }),
    });
    await expectProblem(res, 400, 'validation_error', {
      document_file: [fileTooLargeMessage(KYC_MAX_BYTES)],
    });
    expect(fileTooLargeMessage(KYC_MAX_BYTES)).toBe(
      'The file is larger than the limit of 5242880 bytes (5 MiB).',
    );
    expect((await kycRow(await customerIdOf(user)))?.documentKey).toBe(keyBefore);
  });

  it('a body over KYC_MAX_BYTES + 64 KiB is 413 before it is parsed', async () => {
    const user = await newCustomer();
    const huge = documentBytes('pdf', KYC_MAX_BYTES + 64 * 1024 + 1);
    const res = await as(user, KYC, {
      method: 'PATCH',
      body: uploadForm({}, { bytes: huge, name: 'huge.pdf' }),
    });
    await expectProblem(res, 413, 'payload_too_large');
  });

  it('JSON bodies on other customer routes keep the 1 MiB limit', async () => {
    const user = await newCustomer();
    const res = await as(user, '/api/v1/customers/profile/', {
      method: 'PATCH',
      body: JSON.stringify({ last_name: 'x'.repeat(1024 * 1024) }),
      headers: { 'Content-Type': 'application/json' },
    });
    await expectProblem(res, 413, 'payload_too_large');
  });

  it('multipart is refused on routes other than the KYC upload (415)', async () => {
    const user = await newCustomer();
    const res = await as(user, '/api/v1/customers/profile/', {
      method: 'PATCH',
      body: uploadForm({ last_name: 'Said' }),
    });
    await expectProblem(res, 415, 'unsupported_media_type');
  });

  it('multipart fields are validated with the file, every message at once', async () => {
    const user = await newCustomer();
    const res = await as(user, KYC, {
      method: 'PUT',
      body: uploadForm(
        { document_type: 'passport', document_id: '12' },
        { bytes: new Uint8Array(0), name: 'x.pdf' },
      ),
    });
    await expectProblem(res, 400, 'validation_error', {
      document_id: [MESSAGES.passport],
      document_file: [MESSAGES.emptyFile],
    });
  });

  it('a text value for document_file in multipart is "not a file"', async () => {
    const user = await newCustomer();
    const res = await as(user, KYC, { method: 'PATCH', body: uploadForm({ document_file: 'hello' }) });
    await expectProblem(res, 400, 'validation_error', { document_file: [MESSAGES.notAFile] });
  });

  it('a browser form with no file chosen leaves the document alone', async () => {
    const user = await newCustomer();
    await uploadDocument(user);
    const form = uploadForm({ document_id: VALID_NATIONAL_ID });
    form.append('document_file', new File([], ''));
    const res = await as(user, KYC, { method: 'PATCH', body: form });
    expect(await readJson(res)).toMatchObject({ document_file: KYC_FILE });
  });

  it('malformed multipart is a 400, never a 5xx', async () => {
    const user = await newCustomer();
    const res = await as(user, KYC, {
      method: 'PATCH',
      body: '--x\r\nContent-Disposition: form-data; name="document_id"\r\n\r\nA12',
      headers: { 'Content-Type': 'multipart/form-data; boundary=zzz' },
    });
    expect(res.status).toBe(400);
    await res.body?.cancel();
  });

  it('replacing the document deletes the old object after the row points at the new one', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    await uploadDocument(user, { bytes: documentBytes('pdf'), name: 'first.pdf' });
    const firstKey = (await kycRow(customerId))?.documentKey as string;
    const second = documentBytes('png', 2048);
    await uploadDocument(user, { bytes: second, name: 'second.png' });
    const row = await kycRow(customerId);
    expect(row?.documentKey).not.toBe(firstKey);
    expect(await storedObject(firstKey)).toBeNull();
    const file = await as(user, KYC_FILE);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(second);
  });

  it('document_file: null in JSON removes the stored document', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    await uploadDocument(user);
    const key = (await kycRow(customerId))?.documentKey as string;
    const res = await as(user, KYC, { method: 'PATCH', json: { document_file: null } });
    expect(await readJson(res)).toMatchObject({ document_file: null, status: 'pending' });
    expect(await storedObject(key)).toBeNull();
    expect(await kycRow(customerId)).toMatchObject({ documentKey: null, documentName: null });
    await expectProblem(await as(user, KYC_FILE), 404, 'document_not_found');
  });

  it('GET file/ without a document is 404 document_not_found', async () => {
    const user = await newCustomer();
    await expectProblem(await as(user, KYC_FILE), 404, 'document_not_found');
  });

  it('the upload costs 3 round trips: auth, the KYC read, one multi-table UPDATE', async () => {
    const user = await newCustomer();
    const requestId = uniqueRequestId('kyc-upload');
    const res = await as(user, KYC, {
      method: 'PUT',
      body: uploadForm(NATIONAL_ID, { bytes: documentBytes('pdf'), name: 'id.pdf' }),
      requestId,
    });
    expect(res.status).toBe(200);
    expect(await roundTrips(requestId)).toBe(3);
  });
});

describe('a change by the customer resets the review', () => {
  it('approved → any document change → pending and is_verified false, review fields cleared', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    await uploadDocument(user);
    await approve(user);
    expect(await customerRow(customerId)).toMatchObject({ isVerified: true });
    expect(await kycRow(customerId)).toMatchObject({ status: 'approved' });

    const res = await as(user, KYC, {
      method: 'PATCH',
      json: { document_type: 'passport', document_id: 'A1234567' },
    });
    expect(await readJson(res)).toMatchObject({
      status: 'pending',
      reviewed_at: null,
      rejection_reason: null,
    });
    expect(await customerRow(customerId)).toMatchObject({ isVerified: false });
    expect(await kycRow(customerId)).toMatchObject({ status: 'pending', reviewedAt: null, reviewedBy: null });
  });

  it('a new file alone also resets the review', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    await uploadDocument(user);
    await approve(user);
    const res = await as(user, KYC, {
      method: 'PATCH',
      body: uploadForm({}, { bytes: documentBytes('jpeg'), name: 'again.jpg' }),
    });
    expect(await readJson(res)).toMatchObject({ status: 'pending', document_id: VALID_NATIONAL_ID });
    expect(await kycRow(customerId)).toMatchObject({ status: 'pending' });
    expect(await customerRow(customerId)).toMatchObject({ isVerified: false });
  });

  it('sending the same values again is not a change: the approval stands', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    await uploadDocument(user);
    await approve(user);
    const requestId = uniqueRequestId('kyc-same');
    const res = await as(user, KYC, { method: 'PUT', json: NATIONAL_ID, requestId });
    expect(await readJson(res)).toMatchObject({ status: 'approved' });
    expect(await customerRow(customerId)).toMatchObject({ isVerified: true });
    expect(await roundTrips(requestId)).toBe(2);
  });
});

describe('concurrent uploads', () => {
  it('an upload that lost a race to another one is refused (409) and leaves no orphaned object', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    await uploadDocument(user);
    const winnerKey = `kyc/test-winner-${crypto.randomUUID()}`;
    const written: string[] = [];
    // The real bucket, except that while this request stores its file another request finishes first.
    const documents = {
      put: async (key: string, value: Uint8Array, options?: R2PutOptions) => {
        written.push(key);
        await testDb()
          .update(kycRecords)
          .set({ documentKey: winnerKey })
          .where(eq(kycRecords.customerId, customerId));
        return env.KYC_DOCUMENTS.put(key, value, options);
      },
      delete: (key: string) => env.KYC_DOCUMENTS.delete(key),
      get: (key: string) => env.KYC_DOCUMENTS.get(key),
    } as unknown as R2Bucket;
    const ctx = { ...contextAs(user, { label: 'kyc-race' }), documents };
    const error = await updateKyc(ctx, { file: { name: 'late.pdf', bytes: documentBytes('pdf') } }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ status: 409, code: 'kyc_changed' });
    expect(written).toHaveLength(1);
    expect(await storedObject(written[0] as string)).toBeNull();
    expect((await kycRow(customerId))?.documentKey).toBe(winnerKey);
  });
});

describe('storage failures', () => {
  it('an old document that cannot be deleted leaves the new one in place and is logged, not a failure', async () => {
    const user = await newCustomer();
    const customerId = await customerIdOf(user);
    await uploadDocument(user);
    const oldKey = (await kycRow(customerId))?.documentKey as string;
    const logged: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
    const record = (msg: string, fields?: Record<string, unknown>) => void logged.push({ msg, fields });
    const ctx = {
      ...contextAs(user, { label: 'kyc-storage' }),
      // The real bucket, except that deleting fails (an R2 outage after the row was updated).
      documents: {
        put: (key: string, value: Uint8Array, options?: R2PutOptions) =>
          env.KYC_DOCUMENTS.put(key, value, options),
        delete: async () => {
          throw new Error('R2 is unavailable');
        },
        get: (key: string) => env.KYC_DOCUMENTS.get(key),
      } as unknown as R2Bucket,
      logger: { debug: record, info: record, warn: record, error: record, child: () => ctx.logger },
    };
    const kyc = await updateKyc(ctx, { file: { name: 'new.pdf', bytes: documentBytes('pdf') } });
    const row = await kycRow(customerId);
    expect(row?.documentKey).toBe(kyc.documentKey);
    expect(row?.documentKey).not.toBe(oldKey);
    expect(await storedObject(row?.documentKey as string)).not.toBeNull();
    expect(logged).toEqual([
      { msg: 'kyc document delete failed', fields: expect.objectContaining({ key: oldKey, error: 'Error' }) },
    ]);
  });
});

describe('no input produces a 5xx', () => {
  it.each([
    ['malformed JSON', '{"document_id": ', 'application/json'],
    ['a JSON list', '[1, 2]', 'application/json'],
    ['JSON null', 'null', 'application/json'],
    ['a huge string', JSON.stringify({ document_id: '9'.repeat(200_000) }), 'application/json'],
    ['nested objects', '{"document_type": {"a": 1}, "document_id": [1]}', 'application/json'],
    ['an empty multipart body', '', 'multipart/form-data; boundary=abc'],
    ['multipart without a boundary', 'abc', 'multipart/form-data'],
  ])('%s', async (_case, body, contentType) => {
    const user = await newCustomer();
    for (const method of ['PUT', 'PATCH']) {
      const res = await as(user, KYC, { method, body, headers: { 'Content-Type': contentType } });
      expect(res.status, `${method}: ${await res.clone().text()}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      await res.body?.cancel();
    }
  });

  it('a text/plain body is 415', async () => {
    const user = await newCustomer();
    await expectProblem(
      await as(user, KYC, { method: 'PATCH', body: 'hi', headers: { 'Content-Type': 'text/plain' } }),
      415,
      'unsupported_media_type',
    );
  });
});

async function withDocument(owner: TestUser): Promise<string> {
  const customerId = await customerIdOf(owner);
  // Arranged in the database directly: the suite may call this for a user it has just deactivated.
  const key = `kyc/test-${crypto.randomUUID()}`;
  await env.KYC_DOCUMENTS.put(key, documentBytes('pdf'), {
    httpMetadata: { contentType: 'application/pdf' },
  });
  await testDb()
    .update(kycRecords)
    .set({
      documentKey: key,
      documentName: 'a.pdf',
      documentContentType: 'application/pdf',
      documentSize: 1024,
    })
    .where(eq(kycRecords.customerId, customerId));
  return KYC_FILE;
}

describeAuthorization(
  'GET profile/upload-docs/',
  { method: 'GET', path: () => KYC },
  {
    customer: 200,
    otherCustomer: 200,
    staff: 404,
    admin: 404,
  },
);
describeAuthorization(
  'PATCH profile/upload-docs/',
  { method: 'PATCH', path: () => KYC, body: () => ({ document_id: VALID_NATIONAL_ID }) },
  { customer: 200, otherCustomer: 200, staff: 404, admin: 404 },
);
describeAuthorization(
  'PUT profile/upload-docs/',
  { method: 'PUT', path: () => KYC, body: () => NATIONAL_ID },
  { customer: 200, otherCustomer: 200, staff: 404, admin: 404 },
);
// The path names no customer: another customer reaches only their own (absent) document.
describeAuthorization(
  'GET profile/upload-docs/file/',
  { method: 'GET', path: withDocument },
  {
    customer: 200,
    otherCustomer: 404,
    staff: 404,
    admin: 404,
  },
);
