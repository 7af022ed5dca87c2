import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { AppError } from '../lib/errors';
import { jsonDeeperThan, MAX_JSON_DEPTH } from '../lib/json-depth';

/** docs/api.md §1: JSON bodies up to 1 MiB; the KYC upload may be larger (document limit + 64 KiB of form overhead). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface BodyRule {
  /** Path pattern (after /api/v1), matched against the request path. */
  pattern: RegExp;
  /** Accepted media types; `'*'` accepts any (the body is then judged by its content). */
  mediaTypes: string[] | '*';
  maxBytes: (c: { var: AppEnv['Variables'] }) => number;
}

const JSON_TYPES = ['application/json'];

function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function tooLarge(limit: number) {
  return new AppError(413, 'payload_too_large', `The request body is larger than ${limit} bytes.`);
}

async function checkJsonDepth(c: { req: { text(): Promise<string> } }, mediaType: string): Promise<void> {
  if (mediaType !== 'application/json') return;
  // Hono caches the text: the validators and handlers read the same body again without a second stream.
  if (jsonDeeperThan(await c.req.text(), MAX_JSON_DEPTH)) {
    throw new AppError(
      400,
      'body_too_deep',
      `The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep.`,
    );
  }
}

/**
 * Refuses oversized bodies (413, before anything parses them), bodies of the wrong media type (415) and JSON
 * nested deeper than MAX_JSON_DEPTH (400), for every route at once. A declared Content-Length is checked up
 * front; a chunked body is counted as it streams.
 */
export function bodyGuard(rules: BodyRule[] = []) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!BODY_METHODS.has(c.req.method)) return next();
    const length = c.req.header('Content-Length');
    const chunked = c.req.header('Transfer-Encoding') !== undefined;
    if (!chunked && (length === undefined || length === '0')) return next();

    const rule = rules.find((r) => r.pattern.test(c.req.path));
    const allowed = rule?.mediaTypes ?? JSON_TYPES;
    const limit = rule ? rule.maxBytes(c) : MAX_JSON_BODY_BYTES;
    const mediaType = mediaTypeOf(c.req.header('Content-Type'));
    if (allowed !== '*' && !allowed.includes(mediaType)) {
      throw new AppError(415, 'unsupported_media_type', `Send the body as ${allowed.join(' or ')}.`);
    }
    if (length !== undefined) {
      const declared = Number(length);
      if (!Number.isSafeInteger(declared) || declared < 0) {
        throw new AppError(400, 'bad_content_length', 'The Content-Length header is invalid.');
      }
      if (declared > limit) throw tooLarge(limit);
      await checkJsonDepth(c, mediaType);
      return next();
    }
    // No declared length: read at most limit + 1 bytes, then hand the buffered body on.
    const body = c.req.raw.body;
    if (!body) return next();
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel();
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
    const buffered = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      buffered.set(chunk, offset);
      offset += chunk.byteLength;
    }
    c.req.raw = new Request(c.req.raw, { body: buffered });
    await checkJsonDepth(c, mediaType);
    return next();
  });
}
