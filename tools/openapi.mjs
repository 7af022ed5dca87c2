#!/usr/bin/env node
/**
 * `npm run openapi:build [-- <file>]` — writes the OpenAPI document the Worker serves at /openapi.json
 * (docs/openapi.md) to a file, default dist/openapi.json (git-ignored), with the relative server `/`.
 * The app's routes are imported under tsx (the same TypeScript the Worker runs, no workerd needed: building
 * the document touches no binding). `redocly lint` and openapi-typescript read that file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const out = resolve(process.argv[2] ?? 'dist/openapi.json');
const { app } = await import('../src/app.ts');
const { buildOpenApiDocument } = await import('../src/lib/openapi-document.ts');
const document = { ...buildOpenApiDocument(app), servers: [{ url: '/', description: 'This deployment' }] };
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
// The app always registers routes, so the document always has `paths`.
const paths = /** @type {object} */ (document.paths);
console.log(`openapi: wrote ${out} (${Object.keys(paths).length} paths)`);
