import type { ErrorHandler } from 'hono';
import { classifyError, type ErrorKind } from '../../lib/error-classifier';
import { ErrorPage } from './error-page';
import { type AdminContext, type AdminEnv, applySecurityHeaders } from './http';
import type { PageContext } from './layout';

function errorContext(c: AdminContext): PageContext | undefined {
  const session = c.var.adminSession;
  if (!session || !c.var.csrfToken) return undefined;
  return { username: session.user.username, role: session.user.role, csrfToken: c.var.csrfToken };
}

/** Renders an error as an HTML page (the API's problem+json would be unreadable in a browser). */
export async function errorResponse(
  c: AdminContext,
  status: number,
  title: string,
  detail: string,
  extraHeaders?: Record<string, string>,
) {
  const html = await ErrorPage({
    status,
    title,
    detail,
    requestId: c.var.requestId,
    ctx: errorContext(c),
  }).toString();
  const headers = new Headers({ 'Content-Type': 'text/html; charset=UTF-8' });
  for (const [name, value] of Object.entries(extraHeaders ?? {})) headers.set(name, value);
  applySecurityHeaders(headers);
  return new Response(html, { status, headers });
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad request',
  403: 'Not allowed',
  404: 'Page not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Form too large',
  415: 'Unsupported form',
  429: 'Too many attempts',
  502: 'Upstream error',
  503: 'Temporarily unavailable',
};

/** How a page words what the API words for a program; the headers (Retry-After) stay the classifier's. */
const PAGE_WORDING: Partial<Record<ErrorKind, { status?: number; title?: string; detail?: string }>> = {
  // Hono's refusal to parse a body: on the admin that is always a form.
  http: { status: 400, detail: 'The form could not be read.' },
  // docs/security.md §4: a lost lock race changed nothing; the form can simply be sent again.
  conflict: { detail: 'Someone changed the same data at once. Try again.' },
  unknown: { title: 'Something went wrong' },
};

/** The admin's error handler: the app's one classification (lib/error-classifier.ts), answered as HTML. */
export const renderError: ErrorHandler<AdminEnv> = (err, c) => {
  const { kind, error, log } = classifyError(err);
  if (log) c.var.logger[log.level](log.message, log.fields);
  const wording = PAGE_WORDING[kind];
  const status = wording?.status ?? error.status;
  const title = wording?.title ?? STATUS_TITLES[status] ?? error.title;
  return errorResponse(c, status, title, wording?.detail ?? error.message, error.headers);
};
