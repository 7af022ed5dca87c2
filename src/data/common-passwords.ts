// The common-password list of the password policy (docs/api.md §2.2). The data is the generated text file next
// to this module (tools/passwords.mjs, `npm run data:passwords`), imported as a Text module (wrangler's default
// rule for *.txt; vitest.config.ts gives the Node unit tests the same import). A Text module is a string the
// runtime hands over as is: nothing is parsed at startup, and the split below runs on first use only.
import text from './common-passwords.txt';

export const COMMON_PASSWORD_COUNT = 20_000;

/** The passwords, most common first: every line after the header line, without the final newline. */
export function commonPasswordList(): string[] {
  const body = text.slice(text.indexOf('\n') + 1);
  return (body.endsWith('\n') ? body.slice(0, -1) : body).split('\n');
}
