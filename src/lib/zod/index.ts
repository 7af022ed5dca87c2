/**
 * zod as `import { z } from "zod"` gives it, minus what the Worker never calls (docs/benchmarks.md "Cold start").
 * wrangler.toml's `[alias]` points every `"zod"` import of the bundle here — ours and @hono/zod-openapi's — and
 * so does vitest.config.ts for the integration tests. zod's entry re-exports 64 locale modules
 * (`export * as locales`, in classic/external.js and core/index.js) that esbuild cannot drop (zod #6050, #6597),
 * and a namespace re-export keeps every other export too: together 316 KiB of the minified script, 52 KiB of the
 * upload gzipped. Left out here: `locales` (the app speaks English, and English stays: classic/schemas.js
 * imports `locales/en.js` itself and installs it on the first schema construction, so every message is the
 * same), the JSON Schema converters (`toJSONSchema`, `fromJSONSchema`, `JSONSchemaGenerator`, `JSONSchema`; the
 * OpenAPI document is made by @asteasolutions/zod-to-openapi, and a schema's own `.toJSONSchema()` method stays)
 * and the schema compiler (`compile`, `withParser`, `INVALID`, `ZodCompile*Error`), plus `deepPartial`. Nothing in src/ or
 * in @hono/zod-openapi, @hono/zod-validator or zod-to-openapi uses them; using one would type-check (tsc sees
 * the real zod) and then fail in the Worker and in the integration tests.
 * external.ts and core.ts are copies of zod's own two barrels (zod 4.6.7) without those lines;
 * test/unit/zod-entry.test.ts checks they export every other name of zod's and that the values are zod's own
 * (the same module instances), so a zod upgrade that adds an export fails that test instead of going missing.
 *
 * `z` itself is not zod's namespace but an object of the members the Worker reads from it: @hono/zod-openapi
 * passes `z` as a value (`extendZodWithOpenApi(z)`), and a namespace used as a value keeps every export, so
 * esbuild could not drop the schema types nobody builds (`z.file`, `z.templateLiteral`, `z.jwt`, …). With the
 * object it drops them: 988.0 → 945.4 KiB, 315.9 → 304.3 KiB gzipped (docs/benchmarks.md §7). The named
 * exports are all still there. test/unit/zod-entry.test.ts reads every `z.<member>` in src/ and fails when one
 * is missing here (tsc cannot: it checks against the real zod).
 */
import * as zod from './external';

export * from './external';

// Static reads of the module namespace, so esbuild keeps only these exports (a namespace passed as a value
// would keep them all).
const z = {
  any: zod.any,
  array: zod.array,
  boolean: zod.boolean,
  coerce: zod.coerce,
  config: zod.config,
  discriminatedUnion: zod.discriminatedUnion,
  email: zod.email,
  enum: zod.enum,
  iso: zod.iso,
  literal: zod.literal,
  looseObject: zod.looseObject,
  NEVER: zod.NEVER,
  null: zod.null,
  number: zod.number,
  object: zod.object,
  record: zod.record,
  string: zod.string,
  union: zod.union,
  unknown: zod.unknown,
  url: zod.url,
  ZodError: zod.ZodError,
  ZodType: zod.ZodType,
};

export { z, z as default };
