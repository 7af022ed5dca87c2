import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env';
import { throwOnInvalid } from './validation';

/**
 * Every router is made here so they all share the validation hook (failures become 400 problems through
 * onError) and ignore trailing slashes (docs/api.md §1: `/x` and `/x/` are the same route, no redirect).
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result) => throwOnInvalid(result),
  });
}
