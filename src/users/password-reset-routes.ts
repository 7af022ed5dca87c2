import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { createRouter, jsonBody, jsonResponse, openApiPattern } from '../lib/openapi';
import { problemResponses } from '../lib/problem';
import { byIp, type RateLimitKey, rateLimit } from '../middleware/rate-limit';
import {
  confirmPasswordReset,
  PASSWORD_RESET_MESSAGES,
  RESET_PAGE_PATH,
  RESET_TOKEN_PATTERN,
  RESET_TOKEN_TTL_MINUTES,
  requestPasswordReset,
} from './password-reset';
import { renderResetPage } from './password-reset-page';
import { Detail, emailField } from './schemas';

/**
 * Password reset (docs/accounts.md §1): the two API routes under /api/v1/users and the page the e-mailed link
 * opens. Mounted at the root by src/app.ts, so paths here are absolute.
 */
export const passwordResetRoutes = createRouter();

const TAGS = ['Users'];
const BASE = '/api/v1/users/password-reset';

const PasswordResetRequest = z.object({ email: emailField }).openapi('PasswordResetRequest');

const PasswordResetConfirm = z
  .object({
    token: z
      .string()
      .trim()
      .max(256)
      .regex(RESET_TOKEN_PATTERN, 'Enter the reset code from the e-mail.')
      .openapi({
        pattern: openApiPattern(RESET_TOKEN_PATTERN),
        description: 'The reset code from the e-mail (also the `token` of its link).',
      }),
    password: z
      .string()
      .min(1)
      .max(4096)
      .openapi({ format: 'password', description: 'The new password; must satisfy the password policy.' }),
  })
  .openapi('PasswordResetConfirmRequest');

/**
 * The per-address counter of reset requests: the body's e-mail, normalised as the schema does. Charged for
 * known and unknown addresses alike, so the limit reveals nothing; an unreadable body charges the IP only.
 */
const byEmail: RateLimitKey = {
  name: 'email',
  value: async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined);
    const email = body && typeof body === 'object' ? (body as { email?: unknown }).email : undefined;
    return typeof email === 'string' && email.length <= 254 ? email.trim().toLowerCase() : undefined;
  },
};

const origin = (c: Context<AppEnv>) => new URL(c.req.url).origin;

passwordResetRoutes.openapi(
  createRoute({
    method: 'post',
    path: BASE,
    operationId: 'requestPasswordReset',
    tags: TAGS,
    summary: 'E-mail a password-reset link and code',
    description:
      'Always 202 with the same body, whether or not an account uses the address (no enumeration). The code ' +
      `works once, for ${RESET_TOKEN_TTL_MINUTES} minutes, and a newer request replaces it. Rate limit: 5 per ` +
      '15 minutes per IP and per address (`password_reset`).',
    middleware: [rateLimit('password_reset', byIp, byEmail)] as const,
    request: { body: jsonBody(PasswordResetRequest) },
    responses: {
      202: jsonResponse(Detail, 'Accepted (sent if the address has an account)'),
      ...problemResponses(400, 413, 415, 429),
    },
  }),
  async (c) => {
    await requestPasswordReset(c.var.ctx, { email: c.req.valid('json').email, origin: origin(c) });
    return c.json({ detail: PASSWORD_RESET_MESSAGES.requested }, 202);
  },
);

passwordResetRoutes.openapi(
  createRoute({
    method: 'post',
    path: `${BASE}/confirm`,
    operationId: 'confirmPasswordReset',
    tags: TAGS,
    summary: 'Set a new password with a reset code',
    description:
      'Spends the code, sets the password, activates an account whose e-mail was never verified, signs out ' +
      'every session (refresh tokens, access tokens, admin sessions) and e-mails a notice. A password the policy ' +
      'refuses is a 400 `validation_error` and leaves the code usable. Rate limit: 10/min per IP.',
    middleware: [rateLimit('password_reset_confirm', byIp)] as const,
    request: { body: jsonBody(PasswordResetConfirm) },
    responses: {
      200: jsonResponse(Detail, 'The password is reset'),
      ...problemResponses(400, 413, 415, 429),
    },
  }),
  async (c) => {
    await confirmPasswordReset(c.var.ctx, c.req.valid('json'));
    return c.json({ detail: PASSWORD_RESET_MESSAGES.done }, 200);
  },
);

// The page the e-mail links to (HTML, not part of the API document).
passwordResetRoutes.get(RESET_PAGE_PATH, async (c) => {
  const page = await renderResetPage();
  return c.body(page.body, 200, page.headers);
});
