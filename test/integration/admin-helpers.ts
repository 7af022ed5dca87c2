/**
 * A tiny browser for the admin's HTML pages inside workerd: keeps cookies per path like a browser would
 * (everything the admin sets is Path=/admin), follows nothing automatically, and reads CSRF tokens out of
 * the rendered forms.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { ADMIN_CSS_VERSION } from '../../src/admin/styles';
import { customers, kycRecords } from '../../src/db/schema';
import type { Env } from '../../src/env';
import worker from '../../src/index';
import { BASE_URL, type TestUser, testDb, uniqueIp } from './helpers';

export const SESSION_COOKIE = 'stackpay_admin_session';
export const EXPECTED_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
export { ADMIN_CSS_VERSION };

export interface SendOptions {
  method?: string;
  /** URL-encoded form fields. */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  requestId?: string;
  /** Leave out the CSRF token even when the page had one. */
  withoutCsrf?: boolean;
  /** Bindings to replace for this request (e.g. a recording NOTIFICATIONS queue); waits for its waitUntil work. */
  env?: Partial<Env>;
}

export class AdminBrowser {
  readonly cookies = new Map<string, string>();
  /** Bindings layered over the test Worker's for every request of this browser (e.g. ADMIN_REQUIRE_2FA). */
  envOverrides: Partial<Env> | undefined;
  /** The CSRF token of the last page that had a form. */
  csrf: string | undefined;
  readonly ip = uniqueIp();

  async send(path: string, options: SendOptions = {}): Promise<Response> {
    const headers = new Headers(options.headers);
    headers.set('CF-Connecting-IP', this.ip);
    if (this.cookies.size > 0) {
      headers.set('Cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    if (options.requestId) headers.set('X-Request-Id', options.requestId);
    let body: string | undefined;
    if (options.form) {
      const fields = { ...options.form };
      if (!options.withoutCsrf && this.csrf && fields.csrf_token === undefined) fields.csrf_token = this.csrf;
      body = new URLSearchParams(fields).toString();
      headers.set('Content-Type', 'application/x-www-form-urlencoded');
    }
    const request = new Request(`${BASE_URL}${path}`, {
      method: options.method ?? (options.form ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    const overrides = this.envOverrides || options.env ? { ...this.envOverrides, ...options.env } : undefined;
    const response = overrides
      ? await this.fetchWithEnv(request, overrides)
      : await exports.default.fetch(request);
    for (const line of response.headers.getSetCookie()) this.store(line);
    return response;
  }

  private async fetchWithEnv(request: Request, overrides: Partial<Env>): Promise<Response> {
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      request as Parameters<typeof worker.fetch>[0],
      { ...env, ...overrides } as Env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  }

  private store(line: string): void {
    const [pair, ...attributes] = line.split(';');
    const eq = pair?.indexOf('=') ?? -1;
    if (!pair || eq < 1) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some(
      (a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a),
    );
    if (expired || value === '') this.cookies.delete(name);
    else this.cookies.set(name, value);
  }

  /** GET a page, remember its CSRF token, and return its HTML. */
  async page(path: string, expectedStatus = 200, requestId?: string): Promise<string> {
    const response = await this.send(path, { requestId });
    const html = await response.text();
    expect(response.status, html.slice(0, 2000)).toBe(expectedStatus);
    this.csrf = csrfTokenIn(html) ?? this.csrf;
    return html;
  }

  /** POST a form (with the current CSRF token unless told otherwise). */
  post(path: string, form: Record<string, string> = {}, options: Omit<SendOptions, 'form'> = {}) {
    return this.send(path, { ...options, form });
  }

  /** Signs in through the form; expects success. */
  async signIn(user: Pick<TestUser, 'username' | 'password'>): Promise<void> {
    await this.page('/admin/');
    const response = await this.post('/admin/', { username: user.username, password: user.password });
    const text = await response.text();
    expect(response.status, text.slice(0, 1500)).toBe(303);
    expect(response.headers.get('Location')).toBe('/admin/');
    expect(this.cookies.has(SESSION_COOKIE)).toBe(true);
    await this.page('/admin/');
  }
}

export function csrfTokenIn(html: string): string | undefined {
  return /name="csrf_token" value="([0-9a-f]{64})"/.exec(html)?.[1];
}

/** Signs a new browser in as the user. */
export async function signedIn(user: TestUser): Promise<AdminBrowser> {
  const browser = new AdminBrowser();
  await browser.signIn(user);
  return browser;
}

/** The visible text of a page, tags removed and whitespace collapsed, for readable assertions. */
export function textOf(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The admin's security headers, on pages and error pages alike. */
export function expectSecurityHeaders(response: Response, cache = 'no-store'): void {
  expect(response.headers.get('Content-Security-Policy')).toBe(EXPECTED_CSP);
  expect(response.headers.get('X-Frame-Options')).toBe('DENY');
  expect(response.headers.get('Referrer-Policy')).toMatch(/^(same-origin|no-referrer)$/);
  expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff');
  expect(response.headers.get('Cache-Control')).toBe(cache);
}

// A 1×1 PNG: small, and its magic bytes make it a real image to the KYC rules.
export const PNG_BYTES = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='),
  (ch) => ch.charCodeAt(0),
);
// A real Egyptian national id shape: century 2 (1900s), born 1990-01-01, governorate 12, then serial digits.
export const NATIONAL_ID = '29001011234567';

/** Gives a customer a complete KYC submission (document id and a stored PNG), as an upload would. */
export async function submitKyc(customerId: number): Promise<string> {
  const key = `kyc/test-${crypto.randomUUID()}`;
  await env.KYC_DOCUMENTS.put(key, PNG_BYTES, { httpMetadata: { contentType: 'image/png' } });
  await testDb()
    .update(kycRecords)
    .set({
      documentType: 'national_id',
      documentId: NATIONAL_ID,
      documentKey: key,
      documentName: 'id-card.png',
      documentContentType: 'image/png',
      documentSize: PNG_BYTES.byteLength,
      status: 'pending',
    })
    .where(eq(kycRecords.customerId, customerId));
  return key;
}

/** The customer profile id of a CUSTOMER test user. */
export async function customerIdOf(user: Pick<TestUser, 'id'>): Promise<number> {
  const [row] = await testDb()
    .select({ id: customers.id })
    .from(customers)
    .where(eq(customers.userId, user.id));
  if (!row) throw new Error(`user ${user.id} has no customer profile`);
  return row.id;
}
