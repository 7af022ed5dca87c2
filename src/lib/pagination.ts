import { z } from '@hono/zod-openapi';
import { notFound } from './errors';

/**
 * Page-number pagination for every list that can grow (docs/api.md §1): `?page=N` (1-based) and `?page_size=N`;
 * body `{count, next, previous, results}` with absolute URLs built from the request URL, so filters carry over.
 * Like Django REST framework: a missing or malformed page size falls back to the default, a larger one is
 * clamped, and a malformed page or one past the end is a 404 "Invalid page.".
 */
export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;
// Far beyond any real list; keeps OFFSET arithmetic small and exact.
const MAX_PAGE = 10_000_000;

/** Query parameters to spread into a list route's query schema. */
export const paginationQuery = {
  // Validated as text (a malformed page is a 404, a malformed size the default: see pageRequest) but published
  // as the integers clients send.
  page: z
    .string()
    .trim()
    .optional()
    .openapi({ type: 'integer', minimum: 1, description: 'Page number, from 1.', example: 1 }),
  page_size: z
    .string()
    .trim()
    .optional()
    .openapi({
      type: 'integer',
      minimum: 1,
      description: `Items per page (default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}; larger values are clamped).`,
    }),
};

export interface PageRequest {
  page: number;
  pageSize: number;
  offset: number;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

const invalidPage = () => notFound('Invalid page.', 'invalid_page');

export function pageRequest(query: { page?: string; page_size?: string }): PageRequest {
  let page = 1;
  if (query.page !== undefined && query.page !== '') {
    if (!/^[0-9]{1,9}$/.test(query.page)) throw invalidPage();
    page = Number(query.page);
    if (page < 1 || page > MAX_PAGE) throw invalidPage();
  }
  let pageSize = DEFAULT_PAGE_SIZE;
  if (query.page_size !== undefined && /^[0-9]{1,9}$/.test(query.page_size)) {
    const requested = Number(query.page_size);
    if (requested >= 1) pageSize = Math.min(requested, MAX_PAGE_SIZE);
  }
  return { page, pageSize, offset: (page - 1) * pageSize };
}

function pageUrl(requestUrl: string, page: number): string {
  const url = new URL(requestUrl);
  if (page === 1) url.searchParams.delete('page');
  else url.searchParams.set('page', String(page));
  return url.toString();
}

/**
 * The response body for one page. `count` is the total across pages; a page after the last one (other than
 * page 1 of an empty list) is a 404 problem.
 */
export function pageResponse<T>(
  requestUrl: string,
  request: PageRequest,
  count: number,
  results: T[],
): Page<T> {
  const lastPage = Math.max(1, Math.ceil(count / request.pageSize));
  if (request.page > lastPage) throw invalidPage();
  return {
    count,
    next: request.page < lastPage ? pageUrl(requestUrl, request.page + 1) : null,
    previous: request.page > 1 ? pageUrl(requestUrl, request.page - 1) : null,
    results,
  };
}

/** The OpenAPI/zod schema of a page of `item`. */
export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      count: z.number().int(),
      next: z.string().nullable(),
      previous: z.string().nullable(),
      results: z.array(item),
    })
    .openapi(name);
}
