/**
 * KYC documents in the private R2 bucket (docs/api.md §3.4). Objects live under random keys; the customer's file
 * name is kept only as metadata and is never part of a key or a URL.
 */
import type { ServiceContext } from '../context';
import { describeError } from '../lib/logger';

export type DocumentContentType = 'application/pdf' | 'image/jpeg' | 'image/png';

// What the file starts with decides its type; the name and the client's Content-Type are never trusted.
const SIGNATURES: ReadonlyArray<{ contentType: DocumentContentType; magic: readonly number[] }> = [
  { contentType: 'application/pdf', magic: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { contentType: 'image/jpeg', magic: [0xff, 0xd8, 0xff] },
  { contentType: 'image/png', magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
];

/** The document's type by its magic bytes, or undefined when it is none of PDF, JPEG, PNG. */
export function detectDocumentType(bytes: Uint8Array): DocumentContentType | undefined {
  return SIGNATURES.find(({ magic }) => magic.length <= bytes.length && magic.every((b, i) => bytes[i] === b))
    ?.contentType;
}

const MAX_NAME_LENGTH = 255; // kyc_records.document_name

/** The customer's file name reduced to something safe to keep: no path, no control characters. */
export function cleanFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  const cleaned = base
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim()
    .replace(/^\.+/, '');
  const limited = Array.from(cleaned).slice(0, MAX_NAME_LENGTH).join('');
  return limited === '' ? 'document' : limited;
}

/**
 * `Content-Disposition: inline` with an ASCII fallback name and the exact name in RFC 8187 encoding, so no
 * file name can break out of the header or change its meaning.
 */
export function inlineContentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `inline; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** A fresh random object key (kyc_records.document_key holds at most 100 characters). */
export function newDocumentKey(): string {
  return `kyc/${crypto.randomUUID()}`;
}

export interface StoredDocument {
  key: string;
  contentType: DocumentContentType;
  fileName: string;
  size: number;
}

/** Writes a document under a new random key; the original name and owner travel as custom metadata. */
export async function putDocument(
  bucket: R2Bucket,
  input: { bytes: Uint8Array; contentType: DocumentContentType; fileName: string; customerId: number },
): Promise<StoredDocument> {
  const key = newDocumentKey();
  await bucket.put(key, input.bytes, {
    httpMetadata: { contentType: input.contentType },
    customMetadata: { original_name: input.fileName, customer_id: String(input.customerId) },
  });
  return { key, contentType: input.contentType, fileName: input.fileName, size: input.bytes.byteLength };
}

/**
 * Deletes an object; a failure is logged, never thrown: the row is already right, the object is only orphaned
 * (its key is in the log line).
 */
export async function deleteDocument(
  ctx: Pick<ServiceContext, 'documents' | 'logger'>,
  key: string,
): Promise<void> {
  try {
    await ctx.documents.delete(key);
  } catch (err) {
    ctx.logger.error('kyc document delete failed', { key, ...describeError(err) });
  }
}

export async function getDocument(bucket: R2Bucket, key: string): Promise<R2ObjectBody | null> {
  return bucket.get(key);
}

/** A stored document opened for streaming, with what its response headers need. */
export interface OpenedDocument {
  body: ReadableStream;
  contentType: string;
  fileName: string;
  size: number;
  etag: string;
}

/**
 * The response that streams a KYC document, for the API's downloads and the admin's: its detected type and
 * size, shown inline under a name that cannot break the header, never cached, never sniffed. `headers` adds
 * to (or overrides) these: the admin passes its document CSP.
 */
export function streamDocument(document: OpenedDocument, headers: Record<string, string> = {}): Response {
  return new Response(document.body, {
    status: 200,
    headers: {
      'Content-Type': document.contentType,
      'Content-Length': String(document.size),
      'Content-Disposition': inlineContentDisposition(document.fileName),
      'Cache-Control': 'private, no-store',
      'X-Content-Type-Options': 'nosniff',
      ETag: document.etag,
      ...headers,
    },
  });
}
