/**
 * The admin's one stylesheet is a static asset, public/admin/static/admin.css (docs/openapi.md §Static
 * assets): served by Cloudflare's asset server before the Worker runs, with the headers in public/_headers,
 * so it is no part of the Worker script. Pages link it with a fingerprint of its content in the query, so a
 * deploy that changes it changes the URL (the asset server ignores the query; _headers lets browsers keep it
 * for a year). test/unit/static-assets.test.ts fails when ADMIN_CSS_VERSION no longer matches the file.
 */
export const ADMIN_CSS_VERSION = '41bddf34';
export const ADMIN_CSS_PATH = '/admin/static/admin.css';
/** What pages link to: the version in the query makes each deploy's stylesheet a new URL. */
export const ADMIN_CSS_URL = `${ADMIN_CSS_PATH}?v=${ADMIN_CSS_VERSION}`;

/** FNV-1a over the stylesheet (trimmed): a stable fingerprint for cache busting, not security. */
export function fingerprint(text: string): string {
  const trimmed = text.trim();
  let hash = 0x811c9dc5;
  for (let i = 0; i < trimmed.length; i++) {
    hash ^= trimmed.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
