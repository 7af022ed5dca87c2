/**
 * Generated data the Worker reads through its ASSETS binding instead of carrying it in the script
 * (wrangler.toml `[assets]`, files under public/data/; docs/benchmarks.md §7): the common-password list and
 * the phone-number metadata. Each is read on first use in an isolate and kept. Public requests for /data/*
 * get the Worker's 404 (`run_worker_first`): the binding is the files' only reader.
 */

/** The asset at `path` (under public/); the binding ignores the URL's host. */
async function readDataAsset(assets: Fetcher, path: string): Promise<Response> {
  const response = await assets.fetch(`https://assets.invalid${path}`);
  if (!response.ok) {
    await response.body?.cancel();
    // A broken deployment (the files ship with the script in one `wrangler deploy`): the request fails as an
    // internal error and the next one reads again; no check is ever skipped.
    throw new Error(`data asset: the ASSETS binding answered ${response.status} for ${path}`);
  }
  return response;
}

/**
 * A data asset as `decode` turns it into a value, read through the binding it is given on first use in the
 * isolate and kept. Only the finished value is shared between requests: a read still under way belongs to the
 * request that started it (workerd ties its I/O to that request), so a request arriving meanwhile reads the
 * file itself. A failed read, or a file `decode` refuses (it throws), keeps nothing: that request fails as an
 * internal error and the next one reads again, so no check is ever run without its data.
 */
export function dataAsset<T>(
  path: string,
  decode: (response: Response) => Promise<T>,
): (assets: Fetcher) => Promise<T> {
  let loaded: T | undefined;
  return async (assets) => {
    if (loaded !== undefined) return loaded;
    const value = await decode(await readDataAsset(assets, path));
    loaded ??= value;
    return loaded;
  };
}

/**
 * The Worker's own ASSETS binding, from the runtime, for code that is not handed the env: the profile schema's
 * phone transform (src/customers/schemas.ts). Imported when first needed, so Node tools that import the app
 * (`npm run openapi:build`) never load `cloudflare:workers`. Services take it from `ctx.env` instead.
 */
export async function workerAssets(): Promise<Fetcher> {
  const { env } = await import('cloudflare:workers');
  return (env as { ASSETS: Fetcher }).ASSETS;
}
