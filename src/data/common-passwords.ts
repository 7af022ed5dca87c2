import { dataAsset } from './assets';

// The common-password list of the password policy (docs/api.md §2.2). The data is the generated static asset
// public/data/common-passwords.txt (tools/passwords.mjs, `npm run data:passwords`). It is not part of the
// Worker's script: the first password check in an isolate reads it through the ASSETS binding (./assets.ts)
// and keeps the decoded set, so the upload is 40 KiB smaller (docs/benchmarks.md §7) and isolates that never
// check a password never read it.
// The file is sorted and front-coded: every line after the header line is one character `0` + n, n = how many
// leading characters the entry shares with the one before it, then the rest of the entry.

export const COMMON_PASSWORD_COUNT = 20_000;

/** The asset's path under public/. */
export const COMMON_PASSWORDS_ASSET = '/data/common-passwords.txt';

/** The passwords in the file's text, sorted: every line after the header line, decoded. */
export function decodeCommonPasswords(text: string): string[] {
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

/**
 * The list as a set, read through `assets` on first use in the isolate (./assets.ts `dataAsset`). A failed read
 * or a short file throws and keeps nothing, so the policy never passes a password unchecked.
 */
export const commonPasswords = dataAsset(
  COMMON_PASSWORDS_ASSET,
  async (response): Promise<ReadonlySet<string>> => {
    const list = decodeCommonPasswords(await response.text());
    if (list.length !== COMMON_PASSWORD_COUNT) {
      throw new Error(
        `common-password list: ${list.length} entries in ${COMMON_PASSWORDS_ASSET}, expected ${COMMON_PASSWORD_COUNT}`,
      );
    }
    return new Set(list);
  },
);
