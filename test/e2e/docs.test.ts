/**
 * The static assets as `wrangler dev` serves them (docs/openapi.md §Static assets): Scalar's API reference at
 * /docs renders the OpenAPI document offline (every request stays on this origin, no CSP violation) and its
 * try-it sends a real request; problem `type` URIs resolve to an entry on /docs/errors; the admin stylesheet
 * is served with its headers; the data files the Worker reads through its ASSETS binding are not served at all.
 * Screenshots go to test-results/docs/.
 */
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADMIN_CSS_URL } from '../../src/admin/styles';
import { launchChromium } from './browser';
import { type Stack, startStack } from './stack';

const SCREENSHOTS = new URL('../../test-results/docs/', import.meta.url).pathname;

describe('static assets under wrangler dev', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startStack(inject('databaseUrl'));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('serves /docs as a static page with CSP, nosniff and frame protection', async () => {
    const res = await fetch(`${stack.workerUrl}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
    const csp = res.headers.get('Content-Security-Policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('X-Frame-Options')).toBe('DENY');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    // Answered by the asset server: the Worker (which stamps every answer with a request id) never ran.
    expect(res.headers.get('X-Request-Id')).toBeNull();
    expect(await res.text()).toContain('/docs/scalar.js');
    const bundle = await fetch(`${stack.workerUrl}/docs/scalar.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('Content-Type')).toMatch(/javascript/);
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
  });

  it('a problem type URI resolves to its entry on the errors page', async () => {
    const problem = await fetch(`${stack.workerUrl}/api/v1/no-such-thing`);
    expect(problem.status).toBe(404);
    const { type } = (await problem.json()) as { type: string };
    expect(type).toBe(`${stack.workerUrl}/docs/errors#not_found`);
    const page = await fetch(type.split('#')[0] as string);
    expect(page.status).toBe(200);
    expect(page.headers.get('Content-Security-Policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('id="errors"');
    expect(html).toContain('<tr id="not_found">');
    expect(html).toContain('<tr id="validation_error">');
  });

  it('serves the admin stylesheet as a static file, immutable under its fingerprint', async () => {
    const res = await fetch(`${stack.workerUrl}${ADMIN_CSS_URL}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/css/);
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(await res.text()).toContain('.table-wrap');
  });

  it('keeps the data files private: the Worker answers their paths with a 404 problem', async () => {
    // wrangler.toml `run_worker_first = ["/data/*"]`: they are read only through the ASSETS binding.
    for (const file of ['common-passwords.txt', 'phone-metadata.json']) {
      const res = await fetch(`${stack.workerUrl}/data/${file}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('Content-Type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('X-Request-Id')).not.toBeNull();
      expect(((await res.json()) as { code: string }).code).toBe('not_found');
    }
  });

  it('renders the API reference offline and its try-it calls the API', async () => {
    const context = await browser.newContext();
    const origin = new URL(stack.workerUrl).origin;
    const foreign: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:'))
        return route.continue();
      foreign.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content.Security.Policy|Refused to/i.test(message.text()))
        problems.push(message.text());
    });
    page.on('pageerror', (err) => problems.push(String(err)));

    const all: string[] = [];
    page.on('console', (m) => all.push(`${m.type()}: ${m.text()}`));
    await page.goto(`${stack.workerUrl}/docs`);
    await page
      .getByText('Create an inactive user and e-mail a verification code')
      .first()
      .waitFor({ timeout: 30_000 });
    // The errors list from the document's description; no hosted-service toolbar.
    await page.getByText('transaction_not_found', { exact: true }).first().waitFor();
    expect(await page.getByText('Developer Tools').count()).toBe(0);
    await page.screenshot({ path: `${SCREENSHOTS}reference.png` });

    // Try it: open the client on GET /health/live and send the request to this Worker.
    await page.goto(`${stack.workerUrl}/docs#tag/system/GET/health/live`);
    const sent = page.waitForRequest((request) => request.url() === `${origin}/health/live`, {
      timeout: 30_000,
    });
    await page
      .getByRole('button', { name: /Test Request/i })
      .first()
      .click();
    await page.getByRole('button', { name: /Send/ }).first().click();
    const request = await sent;
    const response = await request.response();
    expect(response?.status()).toBe(200);
    await page.screenshot({ path: `${SCREENSHOTS}try-it.png` });

    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
