import { z } from '@hono/zod-openapi';
import { type AppError, PROBLEM_TYPE_BASE, problemTitle } from './errors';

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    request_id: z.string(),
    errors: z.record(z.string(), z.array(z.string())).optional(),
  })
  .openapi('Problem');

/** Renders an AppError as application/problem+json (docs/api.md §1). */
export function problemResponse(err: AppError, requestId: string): Response {
  const body: Record<string, unknown> = {
    type: `${PROBLEM_TYPE_BASE}${err.code}`,
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
