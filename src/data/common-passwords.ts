// The common-password list of the password policy (docs/api.md §2.2). The data is the generated text file next
// to this module (tools/passwords.mjs, `npm run data:passwords`), imported as a Text module (wrangler's default
// rule for *.txt; vitest.config.ts gives the Node unit tests the same import). A Text module is a string the
// runtime hands over as is: nothing is parsed at startup, and the decoding below runs on first use only.
// The file is sorted and front-coded to halve its share of the upload (docs/benchmarks.md "Cold start"): every
// line is one character `0` + n, n = how many leading characters the entry shares with the one before it, then
// the rest of the entry.
import text from './common-passwords.txt';

export const COMMON_PASSWORD_COUNT = 20_000;

/** The passwords, sorted: every line after the header line, decoded. */
export function commonPasswordList(): string[] {
  const body = text.slice(text.indexOf('\n') + 1);
  const lines = (body.endsWith('\n') ? body.slice(0, -1) : body).split('\n');
  const list: string[] = [];
  let previous = '';
  for (const line of lines) {
    previous = previous.slice(0, line.charCodeAt(0) - 48) + line.slice(1);
    list.push(previous);
  }
  return list;
}
