import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, type Env, getConfig } from '../../src/env';
import { AppError } from '../../src/lib/errors';
import { checkReturnUrl, signedReturnUrl } from '../../src/transactions/return-url';
import { parseDevVars } from '../../tools/dev-vars.mjs';

/** docs/api.md §4.9: RETURN_URL_ALLOWED_ORIGINS, the return_url rules and the signature. */

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const SECRET = 'unit-return-url-signing-secret-0123456789';
const DEV = parseDevVars(readFileSync(join(REPO_ROOT, '.dev.vars.example'), 'utf8')) as unknown as Env;

const config = (overrides: Partial<Env>) => getConfig({ ...DEV, ...overrides } as Env);

function problems(overrides: Partial<Env>): string[] {
  try {
    config(overrides);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('RETURN_URL_ALLOWED_ORIGINS', () => {
  it('the development example allows the local Worker and sandbox, with a secret', () => {
    const dev = config({});
    expect(dev.RETURN_URL_ALLOWED_ORIGINS).toEqual(['http://127.0.0.1:8787', 'http://127.0.0.1:8788']);
    expect(dev.RETURN_URL_SIGNING_SECRET?.length).toBeGreaterThanOrEqual(32);
  });

  it('is normalised to origins; empty means none', () => {
    expect(
      config({ RETURN_URL_ALLOWED_ORIGINS: ' https://Shop.Example ,https://www.shop.example:443/,' })
        .RETURN_URL_ALLOWED_ORIGINS,
    ).toEqual(['https://shop.example', 'https://www.shop.example']);
    expect(config({ RETURN_URL_ALLOWED_ORIGINS: '' }).RETURN_URL_ALLOWED_ORIGINS).toEqual([]);
  });

  it.each([
    'https://shop.example/path',
    'https://shop.example?x=1',
    'https://user@shop.example',
    'ftp://shop.example',
    'shop.example',
    '*',
    'https://*.shop.example',
  ])('refuses %s', (value) => {
    expect(problems({ RETURN_URL_ALLOWED_ORIGINS: value })).toEqual([
      'RETURN_URL_ALLOWED_ORIGINS must be comma-separated origins (scheme://host[:port])',
    ]);
  });

  it('needs a signing secret of at least 32 characters', () => {
    expect(
      problems({ RETURN_URL_ALLOWED_ORIGINS: 'https://shop.example', RETURN_URL_SIGNING_SECRET: undefined }),
    ).toEqual(['RETURN_URL_SIGNING_SECRET is required when RETURN_URL_ALLOWED_ORIGINS is set']);
    expect(problems({ RETURN_URL_SIGNING_SECRET: 'short' })).toEqual([
      'RETURN_URL_SIGNING_SECRET must be at least 32 characters',
    ]);
  });
});

describe('checkReturnUrl and signedReturnUrl', () => {
  const allowed = config({
    RETURN_URL_ALLOWED_ORIGINS: 'https://shop.example,http://[::1]:9000',
    RETURN_URL_SIGNING_SECRET: SECRET,
  });

  const refusal = (url: string) => {
    try {
      checkReturnUrl(allowed, url);
    } catch (err) {
      if (err instanceof AppError) return err.errors?.return_url?.[0];
      throw err;
    }
    return undefined;
  };

  it('normalises what it accepts (host case, default port), keeps path, query and fragment', () => {
    expect(checkReturnUrl(allowed, 'HTTPS://SHOP.example:443/a/b?x=1#f')).toBe(
      'https://shop.example/a/b?x=1#f',
    );
    expect(checkReturnUrl(allowed, 'http://[::1]:9000/done')).toBe('http://[::1]:9000/done');
  });

  it('refuses other origins, schemes and credentials', () => {
    expect(refusal('https://shop.example.evil/x')).toMatch(/not one of/);
    expect(refusal('http://shop.example/x')).toMatch(/https:\/\//);
    expect(refusal('https://a:b@shop.example/x')).toMatch(/user name or password/);
    expect(refusal('not a url')).toMatch(/valid absolute URL/);
  });

  it('sets transaction, status and a hex HMAC-SHA256 the shop recomputes; keeps the shop’s parameters', async () => {
    const url = await signedReturnUrl(
      allowed,
      'https://shop.example/paid?order=7&transaction=forged&lang=ar#done',
      42,
      'succeeded',
    );
    const parsed = new URL(url ?? '');
    const expected = createHmac('sha256', SECRET).update('transaction=42&status=succeeded').digest('hex');
    expect(parsed.searchParams.get('order')).toBe('7');
    expect(parsed.searchParams.get('lang')).toBe('ar');
    expect(parsed.searchParams.getAll('transaction')).toEqual(['42']);
    expect(parsed.searchParams.get('status')).toBe('succeeded');
    expect(parsed.searchParams.get('signature')).toBe(expected);
    expect(parsed.hash).toBe('#done');
  });

  it('follows nothing once the origin is no longer allowed', async () => {
    expect(await signedReturnUrl(allowed, 'https://old-shop.example/paid', 42, 'succeeded')).toBeUndefined();
  });
});
