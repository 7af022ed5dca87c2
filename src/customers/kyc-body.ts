import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { AppError, type FieldErrors, validationError } from '../lib/errors';
import { fieldErrorsFrom } from '../lib/validation';
import type { KycChanges } from './kyc';
import { addFieldError, KycPatchFields, KycReplaceFields, MESSAGES } from './schemas';

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
export async function readKycChanges(c: Context<AppEnv>, replace: boolean): Promise<KycChanges> {
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
