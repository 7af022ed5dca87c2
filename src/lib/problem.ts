import { z } from '@hono/zod-openapi';
import { type AppError, problemTitle } from './errors';
import { PROBLEM_DOCS_PATH } from './problem-codes';

export const ProblemSchema = z
  .object({
    type: z.string().openapi({
      format: 'uri-reference',
      description: `The code's entry on the errors page: \`<base>${PROBLEM_DOCS_PATH}#<code>\`.`,
      example: `https://api.example.com${PROBLEM_DOCS_PATH}#validation_error`,
    }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ description: 'Stable machine-readable code; see the errors list.' }),
    request_id: z.string(),
    errors: z.record(z.string(), z.array(z.string())).optional(),
  })
  .openapi('Problem');

/**
 * Renders an AppError as application/problem+json (docs/api.md §1). `type` resolves to the code's entry on
 * the errors page (`baseUrl` is the public base URL; without it the reference is relative to the request).
 */
export function problemResponse(err: AppError, requestId: string, baseUrl = ''): Response {
  const body: Record<string, unknown> = {
    type: `${baseUrl.replace(/\/+$/, '')}${PROBLEM_DOCS_PATH}#${err.code}`,
    title: err.title,
    status: err.status,
    detail: err.message,
    code: err.code,
    request_id: requestId,
    ...err.extensions,
  };
  if (err.errors) body.errors = err.errors;
  const headers = new Headers({ 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store' });
  for (const [name, value] of Object.entries(err.headers ?? {})) headers.set(name, value);
  headers.set('X-Request-Id', requestId);
  return new Response(JSON.stringify(body), { status: err.status, headers });
}

/** Shared OpenAPI response entries for problem answers. */
export function problemResponses(...statuses: number[]) {
  const entries: Record<
    number,
    { description: string; content: Record<string, { schema: typeof ProblemSchema }> }
  > = {};
  for (const status of statuses) {
    entries[status] = {
      description: problemTitle(status),
      content: { 'application/problem+json': { schema: ProblemSchema } },
    };
  }
  return entries;
}
