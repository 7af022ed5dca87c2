/**
 * Every problem `code` the source can raise is in the catalogue (src/lib/problem-codes.json) that the errors
 * page (/docs/errors) and the OpenAPI description are generated from, so each problem `type` URI resolves to
 * an entry. A new code without an entry fails here.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROBLEM_CODES, PROBLEM_DOCS_PATH } from '../../src/lib/problem-codes';
import { errorsPage } from '../../tools/assets.mjs';

const ROOT = new URL('../..', import.meta.url).pathname;

/** Codes written as literals where problems are raised (AppError and its helpers). */
function raisedCodes(): Map<string, string> {
  const files = execFileSync('git', ['ls-files', 'src/**.ts', 'src/**.tsx'], { cwd: ROOT, encoding: 'utf8' })
    .trim()
    .split('\n');
  const patterns = [
    /new AppError\(\s*\d{3},\s*'([a-z_]+)'/g,
    /super\(\s*\d{3},\s*'([a-z_]+)'/g,
    // super(502, failure === 'rejected' ? 'paymob_rejected' : 'paymob_unavailable', …)
    /super\(\s*\d{3},[^,]*\?\s*'([a-z_]+)'\s*:\s*'([a-z_]+)'/g,
    /\bnotFound\([^()]*?,\s*'([a-z_]+)'\s*\)/g,
    /\bforbidden\([^()]*?,\s*'([a-z_]+)'\s*\)/g,
    /\bconflict\(\s*'([a-z_]+)'/g,
    /\bfieldError\([^;]*?,\s*'([a-z_]+)',?\s*\)/g,
  ];
  const found = new Map<string, string>();
  for (const file of files) {
    const source = readFileSync(`${ROOT}${file}`, 'utf8');
    for (const [index, pattern] of patterns.entries()) {
      for (const match of source.matchAll(pattern)) {
        const codes = index === 2 ? [match[1], match[2]] : [match[1]];
        for (const code of codes) if (code) found.set(code, file);
      }
    }
  }
  return found;
}

describe('problem codes', () => {
  it('every code raised in src/ has an entry on the errors page', () => {
    const raised = raisedCodes();
    expect(raised.size).toBeGreaterThan(40);
    const missing = [...raised].filter(([code]) => !(code in PROBLEM_CODES)).map(([c, f]) => `${c} (${f})`);
    expect(missing, 'add these to src/lib/problem-codes.json').toEqual([]);
  });

  it('the errors page has an anchor for every code, under #errors', () => {
    const html = errorsPage(PROBLEM_CODES);
    expect(html).toContain('id="errors"');
    for (const code of Object.keys(PROBLEM_CODES)) expect(html).toContain(`<tr id="${code}">`);
    expect(PROBLEM_DOCS_PATH).toBe('/docs/errors');
  });
});
