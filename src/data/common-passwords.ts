// The common-password list of the password policy (docs/api.md §2.2). The data is the generated static asset
// public/data/common-passwords.txt (tools/passwords.mjs, `npm run data:passwords`). It is not part of the
// Worker's script: the first password check in an isolate reads it through the ASSETS binding (wrangler.toml
// `[assets]`) and keeps the decoded set, so the upload is 40 KiB smaller (docs/benchmarks.md §7) and isolates
// that never check a password never read it. Public requests for the file get the Worker's 404
// (`run_worker_first`).
// The file is sorted and front-coded: every line after the header line is one character `0` + n, n = how many
// leading characters the entry shares with the one before it, then the rest of the entry.

export const COMMON_PASSWORD_COUNT = 20_000;

/** The asset's path under public/; the binding ignores the URL's host. */
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

// Only the finished set is shared between requests. A read still under way belongs to the request that started
// it (workerd ties its I/O to that request), so a second request arriving meanwhile reads the file itself.
let loaded: ReadonlySet<string> | undefined;

/**
 * The list as a set, read through `assets` on first use in the isolate. A missing or unreadable asset is a
 * broken deployment (the file ships with the script in one `wrangler deploy`): it throws, the request fails
 * as an internal error and the next request tries again; the policy never passes a password unchecked.
 */
export async function commonPasswords(assets: Fetcher): Promise<ReadonlySet<string>> {
  if (loaded) return loaded;
  const response = await assets.fetch(`https://assets.invalid${COMMON_PASSWORDS_ASSET}`);
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(
      `common-password list: the ASSETS binding answered ${response.status} for ${COMMON_PASSWORDS_ASSET}`,
    );
  }
  const list = decodeCommonPasswords(await response.text());
  if (list.length !== COMMON_PASSWORD_COUNT) {
    throw new Error(
      `common-password list: ${list.length} entries in ${COMMON_PASSWORDS_ASSET}, expected ${COMMON_PASSWORD_COUNT}`,
    );
  }
  loaded ??= new Set(list);
  return loaded;
}
