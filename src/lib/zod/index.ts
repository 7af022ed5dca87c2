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
 */
import * as z from './external';

export * from './external';
export { z, z as default };
