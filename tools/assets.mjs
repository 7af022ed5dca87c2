#!/usr/bin/env node
/**
 * Writes the generated static assets under public/ (git-ignored; docs/openapi.md §Static assets):
 *   - public/docs/scalar.js: Scalar's standalone API-reference bundle, copied from node_modules (≈5 MB: not
 *     committed, never fetched from a CDN);
 *   - public/docs/errors.html: the error-code list every problem `type` points at, from
 *     src/lib/problem-codes.json.
 * Runs as wrangler's custom build (`[build]` in wrangler.toml: before `wrangler dev`, `wrangler deploy` and the
 * benchmark's builds) and from test/global-setup.ts. Idempotent, no network.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DOCS = join(ROOT, 'public/docs');

/** @type {Record<string, string>} */
const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** @param {string} text */
const escapeHtml = (text) => text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
/** @param {string} text */
const inlineCode = (text) => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

/** Scalar's browser bundle, resolved the way Node resolves the package (works from any workspace layout). */
export function scalarBundlePath() {
  const require = createRequire(join(ROOT, 'package.json'));
  // The package's exports hide package.json; its main entry lives in dist/, next to dist/browser/.
  let dir = dirname(require.resolve('@scalar/api-reference'));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return join(dir, 'dist/browser/standalone.js');
}

/** @param {Record<string, { status: number; meaning: string }>} codes the app's problem-code catalogue */
export function errorsPage(codes) {
  const rows = Object.entries(codes)
    .sort(([, a], [, b]) => a.status - b.status)
    .map(
      ([code, { status, meaning }]) =>
        `<tr id="${code}"><td><a href="#${code}"><code>${code}</code></a></td><td>${status}</td><td>${inlineCode(meaning)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>StackPay API errors</title><link rel="stylesheet" href="/docs/errors.css"></head>
<body><main>
<h1 id="errors">Errors</h1>
<p>Every error is an RFC 9457 <code>application/problem+json</code> body: <code>type</code> (this page, at the
code's anchor), <code>title</code>, <code>status</code>, <code>detail</code>, a stable <code>code</code>, the
<code>request_id</code> (also the <code>X-Request-Id</code> header) and, for validation errors,
<code>errors</code> mapping each field to its messages. The status below is the usual one.
Back to the <a href="/docs">API reference</a>.</p>
<table><thead><tr><th>code</th><th>status</th><th>meaning</th></tr></thead><tbody>
${rows}
</tbody></table>
</main></body></html>
`;
}

function main() {
  mkdirSync(DOCS, { recursive: true });
  const bundle = scalarBundlePath();
  copyFileSync(bundle, join(DOCS, 'scalar.js'));
  const codes = JSON.parse(readFileSync(join(ROOT, 'src/lib/problem-codes.json'), 'utf8'));
  writeFileSync(join(DOCS, 'errors.html'), errorsPage(codes));
  const size = (statSync(bundle).size / 2 ** 20).toFixed(1);
  console.log(
    `assets: public/docs/scalar.js (${size} MiB), public/docs/errors.html (${Object.keys(codes).length} codes)`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
