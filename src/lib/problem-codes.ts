import PROBLEM_CODE_TABLE from './problem-codes.json';

/**
 * Every `code` a problem+json answer can carry (docs/api.md §1), with its usual status and meaning, kept in
 * problem-codes.json so the asset build (tools/assets.mjs, plain Node) can read it too. The problem `type` of
 * each is `<base>/docs/errors#<code>`: the static page public/docs/errors.html is generated from this table,
 * and the OpenAPI description lists it. test/unit/problem-codes.test.ts fails when the source raises a code
 * that is missing here.
 */
export const PROBLEM_CODES: Record<ErrorCode, { status: number; meaning: string }> = PROBLEM_CODE_TABLE;

/**
 * A catalogued problem code: `AppError` and its helpers take only these, so raising a code that has no entry
 * on the errors page is a type error (add the entry to problem-codes.json first).
 */
export type ErrorCode = keyof typeof PROBLEM_CODE_TABLE;

/** Where problem types point (relative to the public base URL); each code is an anchor on that page. */
export const PROBLEM_DOCS_PATH = '/docs/errors';

/** The errors table as Markdown, for the OpenAPI description. */
export function problemCodesMarkdown(): string {
  const rows = Object.entries(PROBLEM_CODES)
    .sort(([, a], [, b]) => a.status - b.status)
    .map(([code, { status, meaning }]) => `| \`${code}\` | ${status} | ${meaning} |`);
  return ['| code | status | meaning |', '|---|---|---|', ...rows].join('\n');
}
