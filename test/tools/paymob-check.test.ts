import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { COUNTRIES } from '../../src/customers/countries';
import { PAYMOB_BASE_URLS } from '../../src/paymob/client';
import { parseDevVars } from '../../tools/dev-vars.mjs';
import {
  formatReport,
  maskSecret,
  PAYMOB_REGIONS,
  parseWranglerVars,
  readSettings,
  runPaymobCheck,
} from '../../tools/paymob-check.mjs';
import {
  accountOptions,
  type Sandbox,
  type SandboxOptions,
  startSandbox,
} from '../../tools/sandbox/server.mjs';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
// The default local account: the values `npm run dev` gives the Worker and the sandbox.
const DEFAULTS = parseDevVars(readFileSync(`${ROOT}.dev.vars.example`, 'utf8'));
const WRANGLER = parseWranglerVars(readFileSync(`${ROOT}wrangler.toml`, 'utf8'));
const PUBLIC_BASE_URL = WRANGLER.PUBLIC_BASE_URL ?? 'http://127.0.0.1:8787';
const INTEGRATION_ID = Number(DEFAULTS.PAYMOB_INTEGRATION_ID);

let sandbox: Sandbox | undefined;

afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

/** A sandbox holding the default account, with `overrides` applied to its options. */
async function account(overrides: SandboxOptions = {}): Promise<Sandbox> {
  sandbox = await startSandbox({
    port: 0,
    paymobApiKey: DEFAULTS.PAYMOB_API_KEY,
    paymobSecretKey: DEFAULTS.PAYMOB_SECRET_KEY,
    paymobPublicKey: DEFAULTS.PAYMOB_PUBLIC_KEY,
    paymobHmacSecret: DEFAULTS.PAYMOB_HMAC_SECRET,
    paymobIntegrationIds: [INTEGRATION_ID],
    paymobIframeIds: [Number(DEFAULTS.PAYMOB_IFRAME_ID)],
    workerBaseUrl: PUBLIC_BASE_URL,
    ...overrides,
  });
  return sandbox;
}

/** The merchant's settings: the defaults pointed at `target`, with `overrides` (undefined removes one). */
function settings(target: Sandbox, overrides: Record<string, string | undefined> = {}) {
  return {
    PAYMOB_COUNTRY: 'EG',
    PAYMOB_API_MODE: 'intention',
    PAYMOB_API_KEY: DEFAULTS.PAYMOB_API_KEY,
    PAYMOB_SECRET_KEY: DEFAULTS.PAYMOB_SECRET_KEY,
    PAYMOB_PUBLIC_KEY: DEFAULTS.PAYMOB_PUBLIC_KEY,
    PAYMOB_HMAC_SECRET: DEFAULTS.PAYMOB_HMAC_SECRET,
    PAYMOB_INTEGRATION_ID: DEFAULTS.PAYMOB_INTEGRATION_ID,
    PAYMOB_IFRAME_ID: DEFAULTS.PAYMOB_IFRAME_ID,
    PUBLIC_BASE_URL,
    ...overrides,
    PAYMOB_BASE_URL: target.url,
  };
}

type Report = Awaited<ReturnType<typeof runPaymobCheck>>;

function failures(report: Report): string[] {
  return report.checks.filter((check) => check.status === 'fail').map((check) => check.message);
}

/** Neither the human nor the JSON report contains any of the secrets. */
function expectNoSecret(report: Report, secrets: (string | undefined)[]) {
  const outputs = [formatReport(report), JSON.stringify(report)];
  for (const secret of secrets.filter((s): s is string => Boolean(s))) {
    for (const output of outputs) expect(output).not.toContain(secret);
  }
}

describe('npm run paymob:check against the sandbox', () => {
  it('reports a clean intention-mode account with its callback URLs', async () => {
    const report = await runPaymobCheck(settings(await account()));
    expect(failures(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual([
      'country',
      'mode',
      'key format',
      'api key',
      'secret key',
      'hmac secret',
      `integration ${INTEGRATION_ID}`,
      `callbacks ${INTEGRATION_ID}`,
    ]);
    expect(report.callbacks).toEqual([
      {
        integration_id: INTEGRATION_ID,
        transaction_processed_callback: `${PUBLIC_BASE_URL}/api/v1/transactions/webhook/`,
        transaction_response_callback: `${PUBLIC_BASE_URL}/api/v1/transactions/webhook/`,
      },
    ]);
    expect(formatReport(report)).toMatch(/OK: intention mode is ready for EG \(EGP\)/);
    expectNoSecret(report, [
      DEFAULTS.PAYMOB_API_KEY,
      DEFAULTS.PAYMOB_SECRET_KEY,
      DEFAULTS.PAYMOB_HMAC_SECRET,
    ]);
  });

  it('reports a clean account for the settings `npm run dev` gives a fresh clone', async () => {
    // A fresh clone: wrangler.toml [vars] plus .dev.vars copied from .dev.vars.example, as tools/dev.mjs does.
    const root = mkdtempSync(join(tmpdir(), 'paymob-check-'));
    copyFileSync(`${ROOT}wrangler.toml`, join(root, 'wrangler.toml'));
    copyFileSync(`${ROOT}.dev.vars.example`, join(root, '.dev.vars'));
    // The sandbox `npm run dev` starts holds the example's other integrations too (tools/dev.mjs accountOptions).
    const target = await account({ paymobIntegrations: accountOptions(DEFAULTS).paymobIntegrations });
    const fresh = readSettings({ env: { PAYMOB_BASE_URL: target.url }, root });
    const report = await runPaymobCheck(fresh);
    expect(failures(report)).toEqual([]);
    expect(report.mode).toBe(WRANGLER.PAYMOB_API_MODE ?? 'intention');
  });

  it('reports a clean legacy-mode account when the iframe id is set', async () => {
    const report = await runPaymobCheck(settings(await account(), { PAYMOB_API_MODE: 'legacy' }));
    expect(failures(report)).toEqual([]);
    expect(report.checks.find((c) => c.name === 'mode')?.message).toMatch(/legacy mode .* iframe 812345/);
  });

  it('fails an integration that takes another currency than the account', async () => {
    const report = await runPaymobCheck(
      settings(
        await account({ paymobIntegrations: [{ id: INTEGRATION_ID, currency: 'SAR', type: 'card' }] }),
      ),
    );
    expect(report.ok).toBe(false);
    expect(failures(report)).toEqual([
      `integration ${INTEGRATION_ID} takes SAR, but the account's currency (EG) is EGP`,
    ]);
  });

  it('fails an integration id the account does not have', async () => {
    const report = await runPaymobCheck(
      settings(await account(), { PAYMOB_INTEGRATION_ID: `${INTEGRATION_ID},999` }),
    );
    expect(failures(report)).toEqual([
      `integration 999 does not exist in this account (it has: ${INTEGRATION_ID})`,
    ]);
  });

  it('fails a wrong API key without printing it', async () => {
    const wrong = 'wrong-paymob-api-key-123';
    const report = await runPaymobCheck(settings(await account(), { PAYMOB_API_KEY: wrong }));
    expect(failures(report)).toEqual([
      'PayMob refused PAYMOB_API_KEY wron…(24 chars): HTTP 403 "incorrect credentials" from POST /api/auth/tokens',
    ]);
    expect(report.checks.find((c) => c.name === 'integrations')?.status).toBe('skip');
    expectNoSecret(report, [wrong, DEFAULTS.PAYMOB_SECRET_KEY, DEFAULTS.PAYMOB_HMAC_SECRET]);
  });

  it('fails a wrong secret key without printing it', async () => {
    const wrong = 'egy_sk_test_wrong0123456789';
    const report = await runPaymobCheck(settings(await account(), { PAYMOB_SECRET_KEY: wrong }));
    expect(failures(report)).toEqual([
      'PayMob refused PAYMOB_SECRET_KEY egy_…(27 chars): HTTP 401 "Invalid token." from POST /v1/intention/',
    ]);
    expectNoSecret(report, [wrong]);
  });

  it('finds an integration on a later page by following `next`', async () => {
    const ids = Array.from({ length: 501 }, (_, i) => 6_000_000 + i);
    const report = await runPaymobCheck(
      settings(await account({ paymobIntegrationIds: ids }), { PAYMOB_INTEGRATION_ID: String(ids.at(-1)) }),
    );
    expect(failures(report)).toEqual([]);
    expect(report.checks.find((c) => c.name === `integration ${ids.at(-1)}`)?.status).toBe('pass');
  });

  it('checks PAYMOB_INTEGRATIONS ids and their gateway types (docs/paymob.md §8)', async () => {
    const methods = await account({
      paymobIntegrations: [
        { id: 4097570, type: 'wallet' },
        { id: 4097571, type: 'kiosk' },
      ],
    });
    const report = await runPaymobCheck(
      settings(methods, { PAYMOB_INTEGRATIONS: 'wallet:4097570,kiosk:4097571' }),
    );
    expect(failures(report)).toEqual([]);
    expect(report.checks.find((c) => c.name === 'integration 4097570')?.message).toMatch(/\(wallet\): UIG/);
    expect(report.checks.find((c) => c.name === 'integration 4097571')?.message).toMatch(/\(kiosk\): CAGG/);

    const swapped = await runPaymobCheck(
      settings(methods, { PAYMOB_INTEGRATIONS: 'wallet:4097571,card:4097570' }),
    );
    expect(failures(swapped)).toEqual([
      'integration 4097571 is configured as wallet but its gateway type is CAGG',
      'integration 4097570 is configured as card but its gateway type is UIG',
    ]);
    const malformed = await runPaymobCheck(settings(methods, { PAYMOB_INTEGRATIONS: 'wallet=4097570' }));
    expect(failures(malformed)).toEqual(['PAYMOB_INTEGRATIONS must be method:id pairs; not: wallet=4097570']);
  });

  it('passes intention mode with only the secret key, saying what it could not check', async () => {
    const report = await runPaymobCheck(settings(await account(), { PAYMOB_API_KEY: undefined }));
    expect(report.ok).toBe(true);
    expect(report.checks.filter((c) => c.status !== 'pass')).toEqual([
      {
        name: 'api key',
        status: 'warn',
        message: 'PAYMOB_API_KEY is not set: integrations, callbacks and the HMAC secret cannot be checked',
      },
      {
        name: 'hmac secret',
        status: 'skip',
        message: 'PAYMOB_HMAC_SECRET LOCA…(32 chars) is set; not compared (no auth token)',
      },
      {
        name: 'integrations',
        status: 'skip',
        message: 'integrations not checked: no auth token (PAYMOB_API_KEY)',
      },
    ]);
  });

  it('fails legacy mode without an iframe id', async () => {
    const report = await runPaymobCheck(
      settings(await account(), { PAYMOB_API_MODE: 'legacy', PAYMOB_IFRAME_ID: undefined }),
    );
    expect(failures(report)).toEqual([
      'legacy mode needs PAYMOB_IFRAME_ID (PayMob no longer creates iframes for new accounts: use PAYMOB_API_MODE=intention)',
    ]);
  });

  it('fails a live integration used with test keys', async () => {
    const report = await runPaymobCheck(
      settings(
        await account({
          paymobIntegrations: [{ id: INTEGRATION_ID, currency: 'EGP', type: 'card', live: true }],
        }),
      ),
    );
    expect(failures(report)).toEqual([
      `integration ${INTEGRATION_ID} is a live integration but the keys are test keys`,
    ]);
  });

  it('fails a secret and a public key of different modes or of another region', async () => {
    const target = await account();
    const mixed = await runPaymobCheck(settings(target, { PAYMOB_PUBLIC_KEY: 'egy_pk_live_abc' }));
    expect(failures(mixed)).toEqual(['the secret key is a test key but the public key a live key']);
    const region = await runPaymobCheck(settings(target, { PAYMOB_COUNTRY: 'SA' }));
    expect(failures(region)).toEqual(
      expect.arrayContaining([
        'the secret key belongs to region "egy", not SA; the public key belongs to region "egy", not SA',
      ]),
    );
  });

  it("fails an HMAC secret that is not the account's", async () => {
    const wrong = 'WRONGHMACSECRET0123456789ABCDEF0';
    const report = await runPaymobCheck(settings(await account(), { PAYMOB_HMAC_SECRET: wrong }));
    expect(failures(report)).toEqual([
      "PAYMOB_HMAC_SECRET WRON…(32 chars) is not the account's HMAC secret: every callback would be refused",
    ]);
    expectNoSecret(report, [wrong, DEFAULTS.PAYMOB_HMAC_SECRET]);
  });

  it('fails dashboard callbacks that point elsewhere in legacy mode and warns in intention mode', async () => {
    const target = await account({ workerBaseUrl: 'https://old.example.com' });
    const legacy = await runPaymobCheck(settings(target, { PAYMOB_API_MODE: 'legacy' }));
    const expected = `integration ${INTEGRATION_ID}: processed callback is https://old.example.com/api/v1/transactions/webhook/; response callback is https://old.example.com/api/v1/transactions/webhook/; set both to ${PUBLIC_BASE_URL}/api/v1/transactions/webhook/`;
    expect(failures(legacy)).toEqual([expected]);
    const intention = await runPaymobCheck(settings(target));
    expect(intention.ok).toBe(true);
    expect(intention.checks.find((c) => c.name === `callbacks ${INTEGRATION_ID}`)).toEqual({
      name: `callbacks ${INTEGRATION_ID}`,
      status: 'warn',
      message: expected,
    });
  });

  it('says which region base URL it would call and fails when PayMob cannot be reached', async () => {
    // Port 2: nothing listens there (a port freed by closing a server may be reused before the call).
    const url = 'http://127.0.0.1:2';
    const report = await runPaymobCheck({
      ...settings({ url, port: 2, acsUrl: url, close: async () => {} }),
    });
    expect(failures(report)[0]).toMatch(
      /^could not check PAYMOB_API_KEY .*: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/,
    );
  });
});

describe('the paymob:check command', () => {
  const script = `${ROOT}tools/paymob-check.mjs`;
  // A child environment with only these settings (ProcessEnv is widened by worker-configuration.d.ts).
  const env = (target: Sandbox, extra: Record<string, string> = {}) =>
    ({
      PATH: process.env.PATH ?? '',
      ...(settings(target) as Record<string, string>),
      ...extra,
    }) as unknown as NodeJS.ProcessEnv;

  it('exits 0 with a clean report and prints no secret', async () => {
    const target = await account();
    const { stdout } = await run(process.execPath, [script, '--env-only'], { env: env(target) });
    expect(stdout).toMatch(/^✓ PAYMOB_API_KEY loca…\(20 chars\) is accepted/m);
    expect(stdout).toMatch(/OK: intention mode is ready for EG \(EGP\)\.$/m);
    for (const secret of [DEFAULTS.PAYMOB_API_KEY, DEFAULTS.PAYMOB_SECRET_KEY, DEFAULTS.PAYMOB_HMAC_SECRET]) {
      expect(stdout).not.toContain(secret);
    }
  });

  it('exits 1 on a wrong-currency integration, with --json', async () => {
    const target = await account({
      paymobIntegrations: [{ id: INTEGRATION_ID, currency: 'SAR', type: 'card' }],
    });
    const failure = await run(process.execPath, [script, '--env-only', '--json'], { env: env(target) }).then(
      () => null,
      (error: { code: number; stdout: string }) => error,
    );
    expect(failure?.code).toBe(1);
    const report = JSON.parse(failure?.stdout ?? '{}');
    expect(report.ok).toBe(false);
    expect(report.checks).toContainEqual({
      name: `integration ${INTEGRATION_ID}`,
      status: 'fail',
      message: `integration ${INTEGRATION_ID} takes SAR, but the account's currency (EG) is EGP`,
    });
  });

  it('refuses unknown arguments with exit 2', async () => {
    const target = await account();
    const failure = await run(process.execPath, [script, '--bogus'], { env: env(target) }).then(
      () => null,
      (error: { code: number }) => error,
    );
    expect(failure?.code).toBe(2);
  });
});

describe('paymob:check settings and helpers', () => {
  it("mirrors the Worker's region table: base URL and currency per PAYMOB_COUNTRY", () => {
    expect(Object.keys(PAYMOB_REGIONS).sort()).toEqual(Object.keys(PAYMOB_BASE_URLS).sort());
    for (const [country, region] of Object.entries(PAYMOB_REGIONS)) {
      expect(region.baseUrl).toBe(PAYMOB_BASE_URLS[country as keyof typeof PAYMOB_BASE_URLS]);
      expect(region.currency).toBe(COUNTRIES[country as keyof typeof COUNTRIES].currency);
    }
  });

  it('reads the environment over .dev.vars over wrangler.toml [vars]', () => {
    const fromFiles = readSettings({ env: {}, root: ROOT });
    expect(fromFiles.PUBLIC_BASE_URL).toBe(WRANGLER.PUBLIC_BASE_URL);
    expect(fromFiles.PAYMOB_COUNTRY).toBe(WRANGLER.PAYMOB_COUNTRY);
    const fromEnv = readSettings({ env: { PAYMOB_COUNTRY: 'OM', PAYMOB_IFRAME_ID: '' }, root: ROOT });
    expect(fromEnv.PAYMOB_COUNTRY).toBe('OM');
    expect(fromEnv.PAYMOB_IFRAME_ID).toBeUndefined();
    expect(readSettings({ env: {}, files: false })).toEqual(
      Object.fromEntries(Object.keys(fromFiles).map((name) => [name, undefined])),
    );
  });

  it('masks a secret as its first four characters and its length', () => {
    expect(maskSecret('egy_sk_test_0123456789')).toBe('egy_…(22 chars)');
    expect(maskSecret('')).toBe('(empty)');
  });
});

describe('sandbox GET /api/ecommerce/integrations', () => {
  async function token(target: Sandbox) {
    const response = await fetch(`${target.url}/api/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: DEFAULTS.PAYMOB_API_KEY }),
    });
    return ((await response.json()) as { token: string }).token;
  }

  it("pages PayMob's way: DRF's count/next/previous/results, a small default page, is_live filter", async () => {
    const ids = Array.from({ length: 12 }, (_, i) => 5_000_000 + i);
    const target = await account({ paymobIntegrationIds: ids });
    const auth = { authorization: `Bearer ${await token(target)}` };
    const first = (await (
      await fetch(`${target.url}/api/ecommerce/integrations`, { headers: auth })
    ).json()) as {
      count: number;
      next: string;
      previous: null;
      results: Record<string, unknown>[];
    };
    expect(first.count).toBe(12);
    expect(first.results).toHaveLength(10);
    expect(first.previous).toBeNull();
    expect(Object.keys(first.results[0] ?? {}).sort()).toEqual(
      [
        'created_at',
        'currency',
        'gateway_type',
        'id',
        'installments',
        'integration_name',
        'integration_type',
        'is_auth',
        'is_deprecated',
        'is_live',
        'is_standalone',
      ].sort(),
    );
    const second = (await (await fetch(first.next, { headers: auth })).json()) as {
      results: { id: number }[];
    };
    expect(second.results.map((r) => r.id)).toEqual(ids.slice(10));
    const live = (await (
      await fetch(`${target.url}/api/ecommerce/integrations?is_live=true`, { headers: auth })
    ).json()) as {
      count: number;
    };
    expect(live.count).toBe(0);
    const anonymous = await fetch(`${target.url}/api/ecommerce/integrations`);
    expect(anonymous.status).toBe(401);
  });
});
