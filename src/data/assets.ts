/**
 * Generated data the Worker reads through its ASSETS binding instead of carrying it in the script
 * (wrangler.toml `[assets]`, files under public/data/; docs/benchmarks.md §7): the common-password list and
 * the phone-number metadata. Each is read on first use in an isolate and kept. Public requests for /data/*
 * get the Worker's 404 (`run_worker_first`): the binding is the files' only reader.
 */

/** The asset at `path` (under public/); the binding ignores the URL's host. */
export async function readDataAsset(assets: Fetcher, path: string): Promise<Response> {
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
 * The Worker's own ASSETS binding, from the runtime, for code that is not handed the env: the profile schema's
 * phone transform (src/customers/schemas.ts). Imported when first needed, so Node tools that import the app
 * (`npm run openapi:build`) never load `cloudflare:workers`. Services take it from `ctx.env` instead.
 */
export async function workerAssets(): Promise<Fetcher> {
  const { env } = await import('cloudflare:workers');
  return (env as { ASSETS: Fetcher }).ASSETS;
}
