import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimental_readRawConfig } from 'wrangler';
import { ConfigError, type Env, getConfig, isPrivateHost, productionUrlProblem } from '../../src/env';
import { parseDevVars } from '../../tools/dev-vars.mjs';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** The top level of wrangler.toml (what `wrangler deploy` uploads), without named environments. */
function productionConfig(): Record<string, unknown> {
  const { rawConfig } = experimental_readRawConfig({ config: join(REPO_ROOT, 'wrangler.toml') });
  const { env: _environments, ...topLevel } = rawConfig as Record<string, unknown>;
  return topLevel;
}

/** Every string anywhere in a parsed configuration. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe('the committed production configuration (wrangler.toml top level)', () => {
  const config = productionConfig();

  it('runs as APP_ENV=production', () => {
    expect((config.vars as Record<string, string>).APP_ENV).toBe('production');
  });

  it('contains no loopback or private URL and no development host', () => {
    const all = strings(config);
    expect(all.length).toBeGreaterThan(10);
    for (const value of all) {
      expect(value).not.toMatch(/127\.\d+\.\d+\.\d+|localhost|\[::1\]|0\.0\.0\.0|\.local\b/i);
      for (const url of value.match(/\bhttps?:\/\/[^\s"'<>]+/g) ?? []) {
        expect(productionUrlProblem(url), url).toBeUndefined();
      }
    }
  });

  it('leaves per-deployment settings to the deployer (no placeholder base URL or sender)', () => {
    const vars = config.vars as Record<string, string>;
    expect(vars.PUBLIC_BASE_URL).toBeUndefined();
    expect(vars.MAIL_FROM).toBeUndefined();
  });

  it('commits no resource ids (wrangler provisions KV on deploy; cf:setup writes real ones)', () => {
    const namespaces = config.kv_namespaces as { binding: string; id?: string }[];
    expect(namespaces.map((ns) => ns.binding)).toEqual(['PAYMOB_CACHE']);
    for (const ns of namespaces) expect(ns.id).toBeUndefined();
  });

  it('minifies the upload', () => {
    expect(config.minify).toBe(true);
  });

  it('keeps the development values in .dev.vars.example', () => {
    const example = parseDevVars(readFileSync(join(REPO_ROOT, '.dev.vars.example'), 'utf8'));
    expect(example.APP_ENV).toBe('development');
    expect(example.PUBLIC_BASE_URL).toBe('http://127.0.0.1:8787');
  });
});

describe('hosts production refuses (src/env.ts)', () => {
  it.each([
    'localhost',
    'api.localhost',
    '127.0.0.1',
    '127.8.9.10',
    '0.0.0.0',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.10',
    '169.254.169.254',
    '100.64.0.1',
    '198.18.0.5',
    '[::1]',
    '[::]',
    '[fd00::1]',
    '[fe80::1]',
    '[::ffff:7f00:1]',
    'printer.local',
    'db.internal',
    'mysql',
  ])('%s is private', (host) => {
    expect(isPrivateHost(host)).toBe(true);
  });

  it.each([
    'pay.example.com',
    'stackpay.acme.workers.dev',
    'aws.connect.psdb.cloud',
    '8.8.8.8',
    '172.32.0.1',
    '[2606:4700::1111]',
  ])('%s is public', (host) => {
    expect(isPrivateHost(host)).toBe(false);
  });
});

describe('APP_ENV=production guards every URL setting (src/env.ts)', () => {
  const production: Env = {
    APP_ENV: 'production',
    PUBLIC_BASE_URL: 'https://pay.example.com',
    MAIL_FROM: 'StackPay <no-reply@mg.example.com>',
    JWT_SECRET: 'unit-test-jwt-secret-0123456789abcdef0123456789',
    DATABASE_URL: 'https://user:pw@aws.connect.psdb.cloud',
    // The default mode is intention (unified checkout): the secret and public keys are enough.
    PAYMOB_SECRET_KEY: 'egy_sk_live_key',
    PAYMOB_PUBLIC_KEY: 'egy_pk_live_key',
    PAYMOB_HMAC_SECRET: '0123456789ABCDEF0123',
    PAYMOB_INTEGRATION_ID: '4097558',
    MAILGUN_API_KEY: 'key',
    MAILGUN_DOMAIN: 'mg.example.com',
  } as Env;

  function problems(env: Partial<Env>): string[] {
    try {
      getConfig({ ...production, ...env } as Env);
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  }

  it('accepts a complete production configuration', () => {
    expect(problems({})).toEqual([]);
  });

  it.each([
    ['PUBLIC_BASE_URL', 'http://127.0.0.1:8787', 'must be an https:// URL in production'],
    [
      'PUBLIC_BASE_URL',
      'https://localhost:8787',
      'must not point at a loopback or private host in production',
    ],
    ['PUBLIC_BASE_URL', 'http://pay.example.com', 'must be an https:// URL in production'],
    ['DATABASE_URL', 'http://stackpay:pw@127.0.0.1:8790', 'must be an https:// URL in production'],
    ['DATABASE_URL', 'https://u:p@10.0.0.5', 'must not point at a loopback or private host in production'],
    ['PAYMOB_BASE_URL', 'http://127.0.0.1:8788', 'must be an https:// URL in production'],
    ['MAILGUN_BASE_URL', 'https://192.168.0.2', 'must not point at a loopback or private host in production'],
  ])('%s=%s is refused, named, and its value not echoed', (key, value, message) => {
    const found = problems({ [key]: value });
    expect(found).toEqual([`${key} ${message}`]);
    expect(found.join(' ')).not.toContain(value);
  });

  it('requires PUBLIC_BASE_URL and MAIL_FROM in production', () => {
    expect(problems({ PUBLIC_BASE_URL: undefined, MAIL_FROM: undefined })).toEqual([
      'PUBLIC_BASE_URL is required in production',
      'MAIL_FROM is required in production',
    ]);
  });

  it('lets development and test use loopback URLs and the request origin', () => {
    for (const APP_ENV of ['development', 'test']) {
      expect(
        problems({
          APP_ENV,
          PUBLIC_BASE_URL: 'http://127.0.0.1:8787',
          DATABASE_URL: 'http://stackpay:pw@127.0.0.1:8790',
          PAYMOB_BASE_URL: 'http://127.0.0.1:8788',
        }),
      ).toEqual([]);
      expect(problems({ APP_ENV, PUBLIC_BASE_URL: undefined, MAIL_FROM: undefined })).toEqual([]);
    }
  });
});
