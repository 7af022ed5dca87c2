#!/usr/bin/env node
/**
 * `npm run client:check` (part of `npm test`): regenerates the typed client's schema from the current routes
 * into a temporary file, exactly as `npm run client:generate` does, and fails when client/schema.d.ts differs
 * (docs/openapi.md). Run under tsx: it builds the OpenAPI document from src/.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'stackpay-client-'));
try {
  const documentPath = join(work, 'openapi.json');
  const generatedPath = join(work, 'schema.d.ts');
  /** @param {string} command @param {string[]} args @param {string} cwd */
  const run = (command, args, cwd) => {
    const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
    if (result.status !== 0) {
      process.stderr.write(`${result.stdout}${result.stderr}`);
      process.exit(result.status ?? 1);
    }
  };
  run(process.execPath, [...process.execArgv, join(ROOT, 'tools/openapi.mjs'), documentPath], ROOT);
  run(
    join(ROOT, 'client/node_modules/.bin/openapi-typescript'),
    [documentPath, '--output', generatedPath],
    join(ROOT, 'client'),
  );
  const committed = readFileSync(join(ROOT, 'client/schema.d.ts'), 'utf8');
  if (readFileSync(generatedPath, 'utf8') !== committed) {
    console.error(
      'client/schema.d.ts is out of date with the API (the routes or schemas changed): run npm run client:generate',
    );
    process.exit(1);
  }
  console.log('client: client/schema.d.ts matches the OpenAPI document');
} finally {
  rmSync(work, { recursive: true, force: true });
}
