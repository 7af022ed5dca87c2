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

/**
 * The `pattern` to publish for a zod regex. zod-to-openapi writes a regex with flags as `source/flags`
 * (`^\p{Lu}/u`), which no validator can use; JSON Schema patterns are ECMA-262 and are compiled with the
 * `u` flag by every validator that supports `\p{…}` (ajv does), so the bare source is the right pattern.
 */
export function openApiPattern(regex: RegExp): string {
  return regex.source;
}

/** An OpenAPI response with a JSON body (route definitions). */
export const jsonResponse = <T>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** A required JSON request body (route definitions). */
export const jsonBody = <T>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
