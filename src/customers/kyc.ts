import { eq, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../context';
import type { Database } from '../db/client';
import { customers, type DocumentType, type KycStatus, kycRecords } from '../db/schema';
import { sha256Hex } from '../lib/crypto';
import { type AppError, conflict, type FieldErrors, notFound, validationError } from '../lib/errors';
import { kycColumns } from './columns';
import {
  cleanFileName,
  deleteDocument,
  detectDocumentType,
  getDocument,
  type OpenedDocument,
  putDocument,
} from './documents';
import { callerId, customerProfileNotFound } from './profile';
import { addFieldError, documentIdError, fileTooLargeMessage, MESSAGES } from './schemas';

export interface Kyc {
  kycId: number;
  customerId: number;
  documentType: DocumentType;
  documentId: string | null;
  documentKey: string | null;
  documentName: string | null;
  documentContentType: string | null;
  status: KycStatus;
  reviewedAt: Date | null;
  reviewedBy: number | null;
  rejectionReason: string | null;
}

/**
 * docs/security.md §2: what a reviewer saw, as a short opaque string — the document type, id and stored file
 * (each upload has a new random key, so a swapped file is a new version). A review carries it and applies
 * only while the submission still has it.
 */
export async function kycSubmissionVersion(k: {
  documentType: DocumentType;
  documentId: string | null;
  documentKey: string | null;
}): Promise<string> {
  const digest = await sha256Hex(
    `kyc-submission:v1\n${k.documentType}\n${k.documentId ?? ''}\n${k.documentKey ?? ''}`,
  );
  return digest.slice(0, 32);
}

export function kycRecordNotFound(): AppError {
  return notFound('This customer has no KYC record.', 'kyc_record_not_found');
}

export function customerNotFound(): AppError {
  return notFound('No customer with this id.', 'customer_not_found');
}

function documentNotFound(): AppError {
  return notFound('No document has been uploaded.', 'document_not_found');
}

/** The KYC record of the customer a user owns, or of a customer by id (staff): one joined query. */
async function loadKyc(db: Database, owner: { userId: number } | { customerId: number }): Promise<Kyc> {
  const where = 'userId' in owner ? eq(customers.userId, owner.userId) : eq(customers.id, owner.customerId);
  const [row] = await db
    .select({ ownerId: customers.id, kyc: kycColumns })
    .from(customers)
    .leftJoin(kycRecords, eq(kycRecords.customerId, customers.id))
    .where(where)
    .limit(1);
  if (!row) throw 'userId' in owner ? customerProfileNotFound() : customerNotFound();
  if (!row.kyc) throw kycRecordNotFound();
  return row.kyc;
}

/** The caller's own KYC record. */
export function getOwnKyc(ctx: ServiceContext): Promise<Kyc> {
  return loadKyc(ctx.db, { userId: callerId(ctx) });
}

/** A customer's KYC record, by customer id (staff). */
export function getCustomerKyc(ctx: ServiceContext, customerId: number): Promise<Kyc> {
  return loadKyc(ctx.db, { customerId });
}

/** A file as the customer sent it; the route reads it, the rules here decide what it is. */
export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

export interface KycChanges {
  documentType?: DocumentType;
  documentId?: string;
  /** A new document, or null to remove the stored one; undefined leaves it alone. */
  file?: UploadedFile | null;
}

/** Size and type of an upload, by its content: every failing rule's message. */
export function uploadErrors(file: UploadedFile, maxBytes: number): string[] {
  if (file.bytes.byteLength === 0) return [MESSAGES.emptyFile];
  const errors: string[] = [];
  if (file.bytes.byteLength > maxBytes) errors.push(fileTooLargeMessage(maxBytes));
  if (!detectDocumentType(file.bytes)) errors.push(MESSAGES.fileType);
  return errors;
}

/**
 * docs/api.md §3.4 customer changes. One read, then — only when a document field really changes — one multi-table
 * UPDATE that writes the fields, resets the status to pending and the customer's is_verified to false
 * together (a single statement is atomic without BEGIN/COMMIT). A new file goes to R2 first under a fresh
 * key; the old object is deleted only after the row points at the new one (documents: ctx.documents; the size
 * limit: KYC_MAX_BYTES; an object that cannot be removed is logged, never a failure).
 */
export async function updateKyc(ctx: ServiceContext, changes: KycChanges): Promise<Kyc> {
  const { db, now } = ctx;
  const maxBytes = ctx.config.KYC_MAX_BYTES;
  const current = await loadKyc(db, { userId: callerId(ctx) });
  const documentType = changes.documentType ?? current.documentType;
  const documentId = changes.documentId ?? current.documentId;

  const errors: FieldErrors = {};
  if (documentId !== null && (changes.documentId !== undefined || changes.documentType !== undefined)) {
    const message = documentIdError(documentType, documentId, now);
    if (message) addFieldError(errors, 'document_id', message);
  }
  if (changes.file) {
    for (const message of uploadErrors(changes.file, maxBytes))
      addFieldError(errors, 'document_file', message);
  }
  if (Object.keys(errors).length > 0) throw validationError(errors);

  const sets: SQL[] = [];
  if (documentType !== current.documentType) sets.push(sql`${kycRecords.documentType} = ${documentType}`);
  if (documentId !== current.documentId) sets.push(sql`${kycRecords.documentId} = ${documentId}`);
  const replacesFile = changes.file !== undefined && (changes.file !== null || current.documentKey !== null);
  if (sets.length === 0 && !replacesFile) return current;

  const stored =
    changes.file && replacesFile
      ? await putDocument(ctx.documents, {
          bytes: changes.file.bytes,
          // uploadErrors() proved the type above.
          contentType: detectDocumentType(changes.file.bytes) ?? 'application/pdf',
          fileName: cleanFileName(changes.file.name),
          customerId: current.customerId,
        })
      : undefined;
  if (replacesFile) {
    sets.push(sql`${kycRecords.documentKey} = ${stored?.key ?? null},
      ${kycRecords.documentName} = ${stored?.fileName ?? null},
      ${kycRecords.documentContentType} = ${stored?.contentType ?? null},
      ${kycRecords.documentSize} = ${stored?.size ?? null}`);
  }
  // A concurrent upload must not be overwritten silently (its object would be orphaned): the file columns
  // are written only if they still hold what was read.
  const fileGuard = replacesFile ? sql` and ${kycRecords.documentKey} <=> ${current.documentKey}` : sql``;
  let rowsAffected: number;
  try {
    const result = await db.execute(sql`
      update ${kycRecords} join ${customers} on ${customers.id} = ${kycRecords.customerId}
      set ${sql.join(sets, sql`, `)}, ${kycRecords.status} = 'pending', ${kycRecords.rejectionReason} = null,
        ${kycRecords.reviewedAt} = null, ${kycRecords.reviewedBy} = null, ${kycRecords.updatedAt} = ${now},
        ${customers.isVerified} = false, ${customers.updatedAt} = ${now}
      where ${kycRecords.id} = ${current.kycId}${fileGuard}`);
    rowsAffected = result.rowsAffected;
  } catch (err) {
    if (stored) await deleteDocument(ctx, stored.key);
    throw err;
  }
  if (rowsAffected === 0) {
    if (stored) await deleteDocument(ctx, stored.key);
    throw conflict('kyc_changed', 'Your document was changed by another request. Reload it and try again.');
  }
  if (replacesFile && current.documentKey) {
    await deleteDocument(ctx, current.documentKey);
  }
  return {
    ...current,
    documentType,
    documentId,
    ...(replacesFile
      ? {
          documentKey: stored?.key ?? null,
          documentName: stored?.fileName ?? null,
          documentContentType: stored?.contentType ?? null,
        }
      : {}),
    status: 'pending',
    reviewedAt: null,
    reviewedBy: null,
    rejectionReason: null,
  };
}

/** The caller's own stored document, opened for streaming (streamDocument). */
export function openOwnDocument(ctx: ServiceContext): Promise<OpenedDocument> {
  return openDocument(ctx, { userId: callerId(ctx) });
}

/** A customer's stored document, by customer id (staff: the API and the admin). */
export function openCustomerDocument(ctx: ServiceContext, customerId: number): Promise<OpenedDocument> {
  return openDocument(ctx, { customerId });
}

async function openDocument(
  ctx: ServiceContext,
  owner: { userId: number } | { customerId: number },
): Promise<OpenedDocument> {
  const kyc = await loadKyc(ctx.db, owner);
  if (!kyc.documentKey) throw documentNotFound();
  const object = await getDocument(ctx.documents, kyc.documentKey);
  if (!object) {
    ctx.logger.error('kyc document missing from storage', { key: kyc.documentKey });
    throw documentNotFound();
  }
  return {
    body: object.body,
    contentType: kyc.documentContentType ?? object.httpMetadata?.contentType ?? 'application/octet-stream',
    fileName: kyc.documentName ?? 'document',
    size: object.size,
    etag: object.httpEtag,
  };
}
