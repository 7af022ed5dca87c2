/**
 * zod as `import { z } from "zod"` gives it, minus `z.locales` (docs/benchmarks.md "Cold start"). wrangler.toml's
 * `[alias]` points every `"zod"` import of the bundle here — ours and @hono/zod-openapi's — because zod's entry
 * re-exports 64 locale modules (`export * as locales`, in classic/external.js and core/index.js) that esbuild
 * cannot drop (zod #6050, #6597): 260 KiB of the minified script, about 38 KiB gzipped, never used — the app
 * speaks English, and English stays: classic/schemas.js imports `locales/en.js` itself and installs it on the
 * first schema construction, so every message is the same. external.ts and core.ts are copies of zod's own two
 * barrels (zod 4.6.7) without the `locales` line; test/unit/zod-entry.test.ts checks they export every other
 * name of zod's and that the values are zod's own (same module instances), so a zod upgrade that adds an
 * export fails that test instead of silently missing here.
 */
import * as z from './external';

export * from './external';
export { z, z as default };
