/**
 * The static assets (public/, docs/openapi.md §Static assets): the admin stylesheet's fingerprint in the
 * Worker matches the file; nothing refers to another origin; the API reference and the admin stylesheet get
 * their security headers from public/_headers. test/e2e/docs.test.ts checks the same files as served.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ADMIN_CSS_VERSION, fingerprint } from '../../src/admin/styles';
import { scalarBundlePath } from '../../tools/assets.mjs';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The header block of one _headers rule. */
function headersFor(rule: string): Record<string, string> {
  const lines = read('public/_headers').split('\n');
  const start = lines.indexOf(rule);
  expect(start, rule).toBeGreaterThanOrEqual(0);
  const out: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    if (!/^\s+\S/.test(line)) break;
    const [name, ...value] = line.trim().split(':');
    out[name as string] = value.join(':').trim();
  }
  return out;
}

describe('static assets', () => {
  it('the admin stylesheet matches the fingerprint pages link to', () => {
    const css = read('public/admin/static/admin.css');
    expect(fingerprint(css), 'update ADMIN_CSS_VERSION in src/admin/styles.ts').toBe(ADMIN_CSS_VERSION);
    expect(css).toContain('.table-wrap');
    expect(css).not.toMatch(/@import|url\(\s*['"]?https?:/);
  });

  it('the docs page loads only same-origin files', () => {
    const html = read('public/docs.html');
    const init = read('public/docs/init.js');
    expect(html).toContain('src="/docs/scalar.js"');
    expect(html).toContain('src="/docs/init.js"');
    expect(html).not.toMatch(/<script>|https?:\/\//);
    expect(init).toContain("url: '/openapi.json'");
    expect(init).toContain('withDefaultFonts: false');
    expect(existsSync(scalarBundlePath())).toBe(true);
  });

  it('the docs pages carry CSP, nosniff and frame protection; the stylesheet is immutable', () => {
    for (const rule of ['/docs', '/docs/*']) {
      const headers = headersFor(rule);
      expect(headers['Content-Security-Policy']).toMatch(/default-src 'none'/);
      expect(headers['Content-Security-Policy']).toMatch(/script-src 'self';/);
      expect(headers['Content-Security-Policy']).toMatch(/frame-ancestors 'none'/);
      expect(headers['X-Frame-Options']).toBe('DENY');
    }
    expect(headersFor('/*')['X-Content-Type-Options']).toBe('nosniff');
    expect(headersFor('/admin/static/*')['Cache-Control']).toBe('public, max-age=31536000, immutable');
  });
});
