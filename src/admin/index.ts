import { Hono } from 'hono';
import { allowedMethods } from '../lib/routes';
import { bodyGuard } from '../middleware/body-guard';
import { accountRoutes } from './account/routes';
import { apiKeysRoutes } from './api-keys/routes';
import { auditRoutes } from './audit/routes';
import { errorResponse, renderError } from './common/errors';
import { resolveSession } from './common/guards';
import { type AdminEnv, securityHeaders } from './common/http';
import { customersRoutes } from './customers/routes';
import { dashboardRoutes } from './dashboard/routes';
import { emailsRoutes } from './emails/routes';
import { paymentLinksRoutes } from './payment-links/routes';
import { codeRoutes } from './session/code-routes';
import { sessionRoutes } from './session/routes';
import { transactionsRoutes } from './transactions/routes';
import { usersRoutes } from './users/routes';
import { userSecurityRoutes } from './users/security-routes';
import { webhooksRoutes } from './webhooks/routes';

/**
 * The admin web interface (docs/api.md §8): server-rendered pages under /admin, one folder per section
 * (`<section>/routes.ts`, `queries.ts`, `views.tsx`) and what they share in `common/`. Every action calls the
 * same service as the API (users, customers, transactions); the sections only read forms, check who may act,
 * and render.
 */
export const adminRoutes = new Hono<AdminEnv>({ strict: false });

const FORM_MAX_BYTES = 16 * 1024; // the largest admin form (an address) is well under 1 KiB

adminRoutes.onError(renderError);
adminRoutes.use('*', securityHeaders);
// Forms only, and small: anything else is refused before it is parsed (413/415 as HTML pages).
adminRoutes.use(
  '*',
  bodyGuard([
    {
      pattern: /^\/admin(\/|$)/,
      mediaTypes: ['application/x-www-form-urlencoded'],
      maxBytes: () => FORM_MAX_BYTES,
    },
  ]),
);

for (const section of [
  dashboardRoutes,
  sessionRoutes,
  codeRoutes,
  accountRoutes,
  usersRoutes,
  userSecurityRoutes,
  customersRoutes,
  transactionsRoutes,
  paymentLinksRoutes,
  webhooksRoutes,
  emailsRoutes,
  auditRoutes,
  apiKeysRoutes,
]) {
  adminRoutes.route('/', section);
}

// --- Anything else under /admin: an HTML 404, or 405 with Allow for a known path -------------------------

adminRoutes.all('*', async (c) => {
  await resolveSession(c); // signed-in users keep their navigation on the error page
  const allow = allowedMethods(adminRoutes, c.req.path.replace(/^\/admin/, '') || '/');
  if (allow.length > 0) {
    return errorResponse(c, 405, 'Method not allowed', `${c.req.method} is not allowed here.`, {
      Allow: allow.join(', '),
    });
  }
  return errorResponse(c, 404, 'Page not found', 'There is no admin page at this address.');
});
