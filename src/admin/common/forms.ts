import { AppError, notFound } from '../../lib/errors';
import type { Flash } from './components';
import { type AdminContext, describeFieldErrors, setFlash } from './http';

/**
 * Readers for query strings, path ids and forms, and the one way a form shows a refusal: the service's
 * AppError becomes a message next to the form instead of an error page.
 */

export const LIST_PAGE_SIZE = 25; // a screenful on a laptop; lists are paginated beyond it
const MAX_PAGE = 100_000; // far past any real list; keeps OFFSET small
const FILTER_TEXT_MAX = 100;

export function pageNumber(value: string | undefined): number {
  if (!value || !/^\d{1,9}$/.test(value)) return 1;
  return Math.min(Math.max(Number(value), 1), MAX_PAGE);
}

export function text(value: string | undefined): string | undefined {
  const trimmed = value?.trim().slice(0, FILTER_TEXT_MAX);
  return trimmed ? trimmed : undefined;
}

export function yesNo(value: string | undefined): boolean | undefined {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** A path id: digits only (the route pattern) and small enough to be an exact JS number. */
export function idParam(c: AdminContext, name: string): number {
  const raw = c.req.param(name) ?? '';
  if (!/^[1-9]\d{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw notFound('No such page.');
  return Number(raw);
}

/** The list window of a list page: its `page` query parameter and the page size. */
export function listWindow(c: AdminContext) {
  return { url: new URL(c.req.url), page: pageNumber(c.req.query('page')), pageSize: LIST_PAGE_SIZE };
}

/** Business-rule refusals a form shows next to itself: a bad value (400) or a state that forbids it (409). */
const FORM_REFUSALS: readonly number[] = [400, 409];

/**
 * Runs a form's service call. A refusal the form should show (an AppError whose status is in `statuses`) is
 * returned instead of thrown, for the route to re-render the form or redirect with a message; anything else
 * still reaches the error page.
 */
export async function formRefusal<T>(
  work: () => Promise<T>,
  statuses: readonly number[] = FORM_REFUSALS,
): Promise<{ refused: AppError } | { value: T }> {
  try {
    return { value: await work() };
  } catch (err) {
    if (err instanceof AppError && statuses.includes(err.status)) return { refused: err };
    throw err;
  }
}

/** A flash for a refused form: the service's message and each field's messages. */
export function failureFlash(err: AppError, labels: Record<string, string>): Flash {
  return { kind: 'error', message: err.message, details: describeFieldErrors(err.errors, labels) };
}

/** A refused form that lives on another page: back there (303) with the refusal as a flash. */
export function refuseWithFlash(
  c: AdminContext,
  err: AppError,
  labels: Record<string, string>,
  back: string,
) {
  setFlash(c, failureFlash(err, labels));
  return c.redirect(back, 303);
}
