import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { throwOnInvalid } from '../lib/validation';
import { requireRole } from '../middleware/auth';
import { addressNotFound } from './addresses';
import { customerNotFound } from './kyc';
import { requireCustomerId } from './profile';

/** What every customers route file shares (mounted together by customersRoutes in ./routes.ts). */

export const TAGS = ['Customers'];
export const security = [{ bearerAuth: [] }];
export const staffOnly = requireRole('ADMIN', 'STAFF');

type ValidationResult = { target: string; success: boolean; error?: z.ZodError };
type ValidationHook = (result: ValidationResult, c: Context<AppEnv>) => undefined;

/** zod-openapi types hooks as synchronous but awaits them; these async hooks only ever throw or finish. */
const asHook = (hook: (result: ValidationResult, c: Context<AppEnv>) => Promise<void>) =>
  hook as unknown as ValidationHook;

/**
 * Validation hook for the caller's own resources: a user without a profile gets 404
 * customer_profile_not_found whatever they sent, so the profile is checked (one query) before a 400 —
 * only on that failure path, never on the happy one. A path id that is not a number names nothing: 404.
 */
export const profileFirst = asHook(async (result, c) => {
  if (result.success) return;
  await requireCustomerId(c.var.ctx);
  if (result.target === 'param') throw addressNotFound();
  throwOnInvalid(result);
});

/** Staff routes: a customer id that is not a number names no customer. */
export const customerParamFirst = asHook(async (result) => {
  if (!result.success && result.target === 'param') throw customerNotFound();
  throwOnInvalid(result);
});
