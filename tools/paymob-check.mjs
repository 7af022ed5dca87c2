#!/usr/bin/env node
/**
 * `npm run paymob:check [-- --json] [-- --env-only]`: a configuration doctor for a merchant's real PayMob
 * account (docs/paymob-checklist.md). It reads the settings the Worker reads (the environment over
 * `.dev.vars` over wrangler.toml `[vars]`), asks PayMob whether the keys work, whether the configured
 * integration ids exist, take the account's currency and match the keys' test/live mode, which checkout mode
 * is usable, and prints the callback URLs to paste per integration. Every call it makes only reads, or is
 * refused by PayMob's validation before anything is created. Exits 1 on any problem; never prints a secret.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDevVars, REPO_ROOT } from './dev-vars.mjs';

export const WEBHOOK_PATH = '/api/v1/transactions/webhook/';

/**
 * @typedef {'PAYMOB_COUNTRY' | 'PAYMOB_BASE_URL' | 'PAYMOB_API_MODE' | 'PAYMOB_API_KEY' | 'PAYMOB_SECRET_KEY' | 'PAYMOB_PUBLIC_KEY' | 'PAYMOB_INTEGRATION_ID' | 'PAYMOB_INTEGRATIONS' | 'PAYMOB_IFRAME_ID' | 'PAYMOB_HMAC_SECRET' | 'PUBLIC_BASE_URL'} SettingName
 */
/** @typedef {Partial<Record<SettingName, string | undefined>>} Settings the settings the Worker reads */
/** @typedef {{ name: string; status: 'pass' | 'fail' | 'warn' | 'skip'; message: string }} Check */
/**
 * The doctor's findings.
 * @typedef {object} Report
 * @property {boolean} ok
 * @property {number} failures
 * @property {number} warnings
 * @property {string} mode
 * @property {string} country
 * @property {string} [currency]
 * @property {string} [baseUrl]
 * @property {'test' | 'live' | null} keyMode
 * @property {string} [callbackUrl]
 * @property {{ integration_id: number; transaction_processed_callback: string | undefined; transaction_response_callback: string | undefined }[]} callbacks
 * @property {Check[]} checks
 */
/**
 * What finish() reports beside the checks.
 * @typedef {object} ReportDetails
 * @property {string} country
 * @property {string} mode
 * @property {string} [currency]
 * @property {string} [baseUrl]
 * @property {'test' | 'live'} [keyMode]
 * @property {string} [callbackUrl]
 * @property {number[]} [integrationIds]
 * @property {unknown[]} [integrations]
 */
/**
 * One call's outcome (paymobCall never throws).
 * @typedef {{ ok: boolean; status: number; json: any; describe: () => string }} CallResult
 *   `json` is PayMob's parsed answer, or null; each check reads the fields it needs
 */
/**
 * @typedef {(method: string, path: string, init?: { json?: unknown; bearer?: string; headers?: Record<string, string> }) => Promise<CallResult>} Call
 */

/**
 * PAYMOB_COUNTRY → PayMob's regional host, the account's currency and the region prefixes of its keys.
 * Mirrors src/paymob/client.ts PAYMOB_BASE_URLS and src/customers/countries.ts COUNTRIES (a unit test keeps
 * them equal); key prefixes from PayMob's WooCommerce plugin (includes/helper/paymob.php getApiUrl).
 */
/** @type {Record<'EG' | 'SA' | 'AE' | 'OM' | 'PK', { baseUrl: string; currency: string; keyRegions: string[] }>} */
export const PAYMOB_REGIONS = {
  EG: { baseUrl: 'https://accept.paymob.com', currency: 'EGP', keyRegions: ['egy'] },
  SA: { baseUrl: 'https://ksa.paymob.com', currency: 'SAR', keyRegions: ['sau', 'ksa'] },
  AE: { baseUrl: 'https://uae.paymob.com', currency: 'AED', keyRegions: ['are', 'uae'] },
  OM: { baseUrl: 'https://oman.paymob.com', currency: 'OMR', keyRegions: ['omn'] },
  PK: { baseUrl: 'https://pakistan.paymob.com', currency: 'PKR', keyRegions: ['pak'] },
};

/** @type {SettingName[]} */
const SETTING_NAMES = [
  'PAYMOB_COUNTRY',
  'PAYMOB_BASE_URL',
  'PAYMOB_API_MODE',
  'PAYMOB_API_KEY',
  'PAYMOB_SECRET_KEY',
  'PAYMOB_PUBLIC_KEY',
  'PAYMOB_INTEGRATION_ID',
  'PAYMOB_INTEGRATIONS',
  'PAYMOB_IFRAME_ID',
  'PAYMOB_HMAC_SECRET',
  'PUBLIC_BASE_URL',
];
/**
 * The gateway types each method's integrations have (PayMob's WooCommerce plugin getIntegrationIDs: 'VPC'
 * and 'MIGS' cards, 'UIG' wallets, 'CAGG' Aman kiosk); methods not listed are not checked.
 * @type {Record<string, string[]>}
 */
const GATEWAY_TYPES_OF = { card: ['VPC', 'MIGS'], wallet: ['UIG'], kiosk: ['CAGG'] };
/** @type {SettingName[]} */
const SECRET_NAMES = ['PAYMOB_API_KEY', 'PAYMOB_SECRET_KEY', 'PAYMOB_HMAC_SECRET'];
// The unified checkout is the default for new merchants: PayMob no longer creates iframes for them.
const DEFAULT_MODE = 'intention';
const CALL_TIMEOUT_MS = 15_000;
// PayMob's plugin and Odoo ask for 500 integrations per page; following `next` covers larger accounts.
const PAGE_SIZE = 500;
const MAX_PAGES = 20;
// The Worker's own minimum (src/env.ts); PayMob's HMAC secrets are 32 characters.
const HMAC_SECRET_MIN_LENGTH = 16;

/** `abcd…(32 chars)`: enough to tell two keys apart, never enough to use one. */
/** @param {string | undefined} value */
export function maskSecret(value) {
  if (!value) return '(empty)';
  return `${value.slice(0, 4)}…(${value.length} chars)`;
}

/** wrangler.toml's `[vars]` table: `KEY = "value"` lines until the next table. */
/** @param {string} text */
export function parseWranglerVars(text) {
  /** @type {Record<string, string>} */
  const vars = {};
  let inVars = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      inVars = line === '[vars]';
      continue;
    }
    const match = inVars ? /^([A-Z0-9_]+)\s*=\s*"([^"]*)"/.exec(line) : null;
    // Both groups always capture when the line matches.
    if (match) vars[/** @type {string} */ (match[1])] = /** @type {string} */ (match[2]);
  }
  return vars;
}

/**
 * The settings as the Worker sees them: wrangler.toml `[vars]`, overridden by `.dev.vars` (as `wrangler dev`
 * does), overridden by the process environment. `files: false` reads the environment only.
 * @param {{ env?: Record<string, string | undefined>; root?: string; files?: boolean }} [options]
 * @returns {Settings}
 */
export function readSettings({ env = process.env, root = REPO_ROOT, files = true } = {}) {
  /** @type {Record<string, string>} */
  let merged = {};
  if (files) {
    const wrangler = join(root, 'wrangler.toml');
    const devVars = join(root, '.dev.vars');
    if (existsSync(wrangler)) merged = { ...merged, ...parseWranglerVars(readFileSync(wrangler, 'utf8')) };
    if (existsSync(devVars)) merged = { ...merged, ...parseDevVars(readFileSync(devVars, 'utf8')) };
  }
  /** @type {Settings} */
  const settings = {};
  for (const name of SETTING_NAMES) {
    const value = env[name] ?? merged[name];
    settings[name] = value === undefined || value.trim() === '' ? undefined : value.trim();
  }
  return settings;
}

/**
 * The key's region and mode from PayMob's format `egy_sk_test_…` (plugin getCountryCode / getMode).
 * @param {string | undefined} key
 * @returns {{ region: string; kind: 'sk' | 'pk'; mode: 'test' | 'live' } | null}
 */
export function describeKey(key) {
  const match = /^([a-z]{3})_(sk|pk)_(test|live)_/.exec(key ?? '');
  // The three groups always capture when the pattern matches, with these values.
  return match
    ? {
        region: /** @type {string} */ (match[1]),
        kind: /** @type {'sk' | 'pk'} */ (match[2]),
        mode: /** @type {'test' | 'live'} */ (match[3]),
      }
    : null;
}

/**
 * Runs every check. `fetch` is injectable (tests); the result has one entry per check with a status:
 * `pass`, `fail` (exit 1), `warn` (printed, not fatal) or `skip`.
 * @param {Settings} settings
 * @param {{ fetch?: typeof fetch }} [options]
 * @returns {Promise<Report>}
 */
export async function runPaymobCheck(settings, { fetch: fetchImpl = fetch } = {}) {
  /** @type {Check[]} */
  const checks = [];
  /** @type {(name: string, status: Check['status'], message: string) => void} */
  const add = (name, status, message) => checks.push({ name, status, message });

  const country = settings.PAYMOB_COUNTRY ?? 'EG';
  const region = /** @type {Partial<Record<string, (typeof PAYMOB_REGIONS)['EG']>>} */ (PAYMOB_REGIONS)[
    country
  ];
  if (!region) {
    add(
      'country',
      'fail',
      `PAYMOB_COUNTRY "${country}" is not one of ${Object.keys(PAYMOB_REGIONS).join(', ')}`,
    );
    return finish(settings, checks, { country, mode: settings.PAYMOB_API_MODE ?? DEFAULT_MODE });
  }
  const baseUrl = (settings.PAYMOB_BASE_URL ?? region.baseUrl).replace(/\/+$/, '');
  add(
    'country',
    'pass',
    `account region ${country}: currency ${region.currency}, PayMob at ${baseUrl}` +
      (settings.PAYMOB_BASE_URL ? ' (PAYMOB_BASE_URL override)' : ''),
  );

  const mode = settings.PAYMOB_API_MODE ?? DEFAULT_MODE;
  if (mode !== 'intention' && mode !== 'legacy') {
    add('mode', 'fail', `PAYMOB_API_MODE "${mode}" must be intention or legacy`);
    return finish(settings, checks, { country, mode, baseUrl });
  }

  // ---- settings present and well-formed ----------------------------------------------------------
  const ids = (settings.PAYMOB_INTEGRATION_ID ?? '').split(',').map((part) => part.trim());
  const idsValid = settings.PAYMOB_INTEGRATION_ID !== undefined && ids.every((id) => /^\d+$/.test(id));
  if (!idsValid) {
    add('integration ids', 'fail', 'PAYMOB_INTEGRATION_ID must be one or more numeric ids, comma separated');
  }
  // docs/paymob.md §8: the other methods' ids (`wallet:456,kiosk:789`) are checked like the card ids, and
  // their gateway type must be the method's.
  /** @type {Map<number, string>} */
  const methodOf = new Map();
  const methodEntries = (settings.PAYMOB_INTEGRATIONS ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const badEntries = methodEntries.filter((entry) => !/^[a-z_]+:\d+$/.test(entry));
  if (badEntries.length) {
    add(
      'method integrations',
      'fail',
      `PAYMOB_INTEGRATIONS must be method:id pairs; not: ${badEntries.join(', ')}`,
    );
  } else {
    for (const entry of methodEntries) {
      const [method, id] = entry.split(':');
      methodOf.set(Number(id), String(method));
    }
  }
  const integrationIds = [...new Set([...(idsValid ? ids.map(Number) : []), ...methodOf.keys()])];

  if (mode === 'legacy') {
    if (settings.PAYMOB_IFRAME_ID && /^\d+$/.test(settings.PAYMOB_IFRAME_ID)) {
      add('mode', 'pass', `legacy mode (iframe checkout) is usable: iframe ${settings.PAYMOB_IFRAME_ID}`);
    } else {
      add(
        'mode',
        'fail',
        settings.PAYMOB_IFRAME_ID
          ? `PAYMOB_IFRAME_ID "${settings.PAYMOB_IFRAME_ID}" is not numeric`
          : 'legacy mode needs PAYMOB_IFRAME_ID (PayMob no longer creates iframes for new accounts: ' +
              'use PAYMOB_API_MODE=intention)',
      );
    }
  } else {
    const missing = /** @type {SettingName[]} */ (['PAYMOB_SECRET_KEY', 'PAYMOB_PUBLIC_KEY']).filter(
      (name) => !settings[name],
    );
    if (missing.length === 0)
      add('mode', 'pass', 'intention mode (unified checkout) has its secret and public keys');
    else add('mode', 'fail', `intention mode needs ${missing.join(' and ')}`);
  }

  const secretKey = describeKey(settings.PAYMOB_SECRET_KEY);
  const publicKey = describeKey(settings.PAYMOB_PUBLIC_KEY);
  /** @type {'test' | 'live' | undefined} */
  let keyMode;
  if (settings.PAYMOB_SECRET_KEY || settings.PAYMOB_PUBLIC_KEY) {
    const problems = [];
    if (settings.PAYMOB_SECRET_KEY && secretKey?.kind !== 'sk')
      problems.push('PAYMOB_SECRET_KEY does not look like a secret key (<region>_sk_test_… or _sk_live_…)');
    if (settings.PAYMOB_PUBLIC_KEY && publicKey?.kind !== 'pk')
      problems.push('PAYMOB_PUBLIC_KEY does not look like a public key (<region>_pk_test_… or _pk_live_…)');
    for (const key of [secretKey, publicKey]) {
      if (key && !region.keyRegions.includes(key.region)) {
        problems.push(
          `the ${key.kind === 'sk' ? 'secret' : 'public'} key belongs to region "${key.region}", not ${country}`,
        );
      }
    }
    if (secretKey && publicKey && secretKey.mode !== publicKey.mode)
      problems.push(`the secret key is a ${secretKey.mode} key but the public key a ${publicKey.mode} key`);
    keyMode = secretKey?.mode ?? publicKey?.mode;
    if (problems.length) add('key format', 'fail', problems.join('; '));
    else add('key format', 'pass', `${keyMode} keys of region ${(secretKey ?? publicKey)?.region}`);
  }

  const hmac = settings.PAYMOB_HMAC_SECRET;
  if (!hmac) add('hmac secret', 'fail', 'PAYMOB_HMAC_SECRET is missing: every callback would be refused');
  else if (hmac.length < HMAC_SECRET_MIN_LENGTH)
    add('hmac secret', 'fail', `PAYMOB_HMAC_SECRET is shorter than ${HMAC_SECRET_MIN_LENGTH} characters`);

  const publicBase = settings.PUBLIC_BASE_URL?.replace(/\/+$/, '');
  const callbackUrl = `${publicBase ?? '<PUBLIC_BASE_URL>'}${WEBHOOK_PATH}`;
  if (!publicBase) {
    add('public url', 'fail', 'PUBLIC_BASE_URL is missing: PayMob needs an absolute callback URL');
  } else if (!/^https?:\/\//.test(publicBase)) {
    add('public url', 'fail', `PUBLIC_BASE_URL "${publicBase}" is not an http(s) URL`);
  } else if (isLoopback(publicBase) && !isLoopback(baseUrl)) {
    add(
      'public url',
      'warn',
      `PUBLIC_BASE_URL ${publicBase} is a local address PayMob cannot reach (use a tunnel)`,
    );
  }

  // ---- PayMob: credentials ------------------------------------------------------------------------
  /** @type {Call} */
  const call = (method, path, init = {}) => paymobCall(fetchImpl, baseUrl, method, path, init);

  /** @type {string | undefined} */
  let authToken;
  if (!settings.PAYMOB_API_KEY) {
    add(
      'api key',
      mode === 'legacy' ? 'fail' : 'warn',
      mode === 'legacy'
        ? 'PAYMOB_API_KEY is missing: legacy mode needs it for every call'
        : 'PAYMOB_API_KEY is not set: integrations, callbacks and the HMAC secret cannot be checked',
    );
  } else {
    // Legacy authentication (docs/design.md §5), as PayMob's plugin and Odoo send it.
    const answer = await call('POST', '/api/auth/tokens', { json: { api_key: settings.PAYMOB_API_KEY } });
    if (answer.ok && typeof answer.json?.token === 'string' && answer.json.token) {
      authToken = answer.json.token;
      add(
        'api key',
        'pass',
        `PAYMOB_API_KEY ${maskSecret(settings.PAYMOB_API_KEY)} is accepted (auth token issued)`,
      );
    } else {
      add(
        'api key',
        'fail',
        `${answer.status === 0 ? 'could not check' : 'PayMob refused'} PAYMOB_API_KEY ${maskSecret(settings.PAYMOB_API_KEY)}: ${answer.describe()}`,
      );
    }
  }

  if (settings.PAYMOB_SECRET_KEY) {
    // No read-only endpoint is documented for the secret key. An empty intention is refused by PayMob's
    // field validation (400) after authentication (401 for a wrong key), so nothing is ever created.
    const answer = await call('POST', '/v1/intention/', {
      json: {},
      headers: { Authorization: `Token ${settings.PAYMOB_SECRET_KEY}` },
    });
    const masked = maskSecret(settings.PAYMOB_SECRET_KEY);
    if (answer.status === 401 || answer.status === 403) {
      add('secret key', 'fail', `PayMob refused PAYMOB_SECRET_KEY ${masked}: ${answer.describe()}`);
    } else if (answer.status === 400) {
      add(
        'secret key',
        'pass',
        `PAYMOB_SECRET_KEY ${masked} is accepted (an empty test intention was refused for its fields)`,
      );
    } else {
      add(
        'secret key',
        mode === 'intention' ? 'fail' : 'warn',
        `could not confirm PAYMOB_SECRET_KEY ${masked}: ${answer.describe()}`,
      );
    }
  }

  if (authToken && hmac && hmac.length >= HMAC_SECRET_MIN_LENGTH) {
    // PayMob's plugin reads the account's HMAC secret this way (paymob.php getHmac).
    const answer = await call('GET', '/api/auth/hmac_secret/get_hmac', { bearer: authToken });
    const remote = answer.ok ? answer.json?.hmac_secret : undefined;
    if (typeof remote !== 'string' || remote === '') {
      add('hmac secret', 'warn', `could not read the account's HMAC secret to compare: ${answer.describe()}`);
    } else if (sameSecret(remote, hmac)) {
      add('hmac secret', 'pass', `PAYMOB_HMAC_SECRET ${maskSecret(hmac)} is the account's HMAC secret`);
    } else {
      add(
        'hmac secret',
        'fail',
        `PAYMOB_HMAC_SECRET ${maskSecret(hmac)} is not the account's HMAC secret: every callback would be refused`,
      );
    }
  } else if (hmac && hmac.length >= HMAC_SECRET_MIN_LENGTH) {
    add('hmac secret', 'skip', `PAYMOB_HMAC_SECRET ${maskSecret(hmac)} is set; not compared (no auth token)`);
  }

  // ---- PayMob: integrations -----------------------------------------------------------------------
  /** @type {{ id: number; currency?: string; live?: boolean; processed?: string; response?: string }[]} */
  const integrations = [];
  if (authToken && integrationIds.length) {
    const listed = await listIntegrations(call, authToken);
    if (!listed.ok) {
      add('integrations', 'fail', `could not list the account's integrations: ${listed.problem}`);
    } else {
      for (const id of integrationIds) {
        const found = listed.results.find((item) => Number(item?.id) === id);
        if (!found) {
          add(
            `integration ${id}`,
            'fail',
            `integration ${id} does not exist in this account (it has: ${listed.results.map((i) => i.id).join(', ') || 'none'})`,
          );
          continue;
        }
        const entry = { id, currency: found.currency, live: found.is_live };
        integrations.push(entry);
        const problems = [];
        if (found.currency !== region.currency)
          problems.push(
            `takes ${found.currency}, but the account's currency (${country}) is ${region.currency}`,
          );
        const integrationMode =
          found.is_live === true ? 'live' : found.is_live === false ? 'test' : undefined;
        if (keyMode && integrationMode && integrationMode !== keyMode)
          problems.push(`is a ${integrationMode} integration but the keys are ${keyMode} keys`);
        if (found.is_standalone === true)
          problems.push('is a standalone integration (not for online checkout)');
        if (found.integration_type === 'moto')
          problems.push('is a MOTO integration (not for online checkout)');
        if (found.is_auth === true)
          problems.push('is an auth/capture integration (StackPay captures at once)');
        const method = methodOf.get(id);
        const expected = method ? GATEWAY_TYPES_OF[method] : undefined;
        if (expected && found.gateway_type && !expected.includes(found.gateway_type))
          problems.push(`is configured as ${method} but its gateway type is ${found.gateway_type}`);
        if (problems.length) add(`integration ${id}`, 'fail', `integration ${id} ${problems.join('; ')}`);
        else
          add(
            `integration ${id}`,
            'pass',
            `integration ${id}${method ? ` (${method})` : ''}: ${found.gateway_type ?? '?'} ${found.integration_type ?? ''}, ${found.currency}, ${integrationMode ?? 'mode unknown'}`.replace(
              / ,/,
              ',',
            ),
          );
      }
      const modes = new Set(integrations.map((i) => i.live));
      if (!keyMode && modes.size > 1)
        add('integrations', 'fail', 'the configured integrations mix test and live ones');
    }
  } else if (integrationIds.length) {
    add('integrations', 'skip', 'integrations not checked: no auth token (PAYMOB_API_KEY)');
  }

  // ---- callbacks per integration ----------------------------------------------------------------
  for (const integration of integrations) {
    // PayMob's plugin reads (and fixes) these two fields per integration (class-paymob-manual-setup.php).
    const answer = await call('GET', `/api/ecommerce/integrations/${integration.id}`, { bearer: authToken });
    const processed = answer.ok ? answer.json?.transaction_processed_callback : undefined;
    const response = answer.ok ? answer.json?.transaction_response_callback : undefined;
    integration.processed = typeof processed === 'string' ? processed : undefined;
    integration.response = typeof response === 'string' ? response : undefined;
    if (!answer.ok || (processed === undefined && response === undefined)) {
      add(
        `callbacks ${integration.id}`,
        'warn',
        `could not read integration ${integration.id}'s callback URLs: ${answer.describe()}`,
      );
      continue;
    }
    const wrong = [];
    if (processed !== callbackUrl) wrong.push(`processed callback is ${show(processed)}`);
    if (response !== callbackUrl) wrong.push(`response callback is ${show(response)}`);
    if (!wrong.length) {
      add(
        `callbacks ${integration.id}`,
        'pass',
        `integration ${integration.id} sends both callbacks to ${callbackUrl}`,
      );
    } else {
      // In intention mode StackPay names both URLs on every intention, which overrides the dashboard.
      add(
        `callbacks ${integration.id}`,
        mode === 'legacy' ? 'fail' : 'warn',
        `integration ${integration.id}: ${wrong.join('; ')}; set both to ${callbackUrl}`,
      );
    }
  }

  return finish(settings, checks, {
    country,
    mode,
    baseUrl,
    currency: region.currency,
    keyMode,
    callbackUrl,
    integrationIds,
    integrations,
  });
}

/**
 * @param {Settings} settings
 * @param {Check[]} checks
 * @param {ReportDetails} details
 * @returns {Report}
 */
function finish(settings, checks, details) {
  const secrets = /** @type {string[]} only set values pass the filter */ (
    SECRET_NAMES.map((name) => settings[name]).filter((value) => value && value.length >= 4)
  );
  // Belt and braces: whatever PayMob answered, no configured secret leaves this tool in clear.
  const scrub = (/** @type {string} */ text) =>
    secrets.reduce((out, secret) => out.split(secret).join(maskSecret(secret)), text);
  const clean = checks.map((check) => ({ ...check, message: scrub(check.message) }));
  const failures = clean.filter((check) => check.status === 'fail').length;
  const warnings = clean.filter((check) => check.status === 'warn').length;
  return {
    ok: failures === 0,
    failures,
    warnings,
    mode: details.mode,
    country: details.country,
    currency: details.currency,
    baseUrl: details.baseUrl,
    keyMode: details.keyMode ?? null,
    callbackUrl: details.callbackUrl,
    callbacks: (details.integrationIds ?? []).map((id) => ({
      integration_id: id,
      transaction_processed_callback: details.callbackUrl,
      transaction_response_callback: details.callbackUrl,
    })),
    checks: clean,
  };
}

/**
 * @param {Call} call
 * @param {string} authToken
 * @returns {Promise<{ ok: true; results: any[] } | { ok: false; problem: string }>} PayMob's integration
 *   objects as listed (each check reads the fields it needs)
 */
async function listIntegrations(call, authToken) {
  /** @type {any[]} */
  const results = [];
  /** @type {string | null} */
  let path = `/api/ecommerce/integrations?is_plugin=true&is_next=yes&page_size=${PAGE_SIZE}&is_deprecated=false`;
  for (let page = 0; page < MAX_PAGES && path; page += 1) {
    const answer = await call('GET', path, { bearer: authToken });
    if (!answer.ok || !Array.isArray(answer.json?.results)) return { ok: false, problem: answer.describe() };
    results.push(...answer.json.results);
    const next = answer.json.next;
    // Only the path and query of `next` are used: the auth token never goes to another host.
    path = typeof next === 'string' && next ? pathOf(next) : null;
  }
  return { ok: true, results };
}

/** @param {string} link */
function pathOf(link) {
  try {
    const url = new URL(link, 'http://paymob.invalid');
    return `${url.pathname}${url.search}`;
  } catch {
    return null;
  }
}

/**
 * One call to PayMob; never throws.
 * @param {typeof fetch} fetchImpl
 * @param {string} baseUrl
 * @param {string} method
 * @param {string} path
 * @param {{ json?: unknown; bearer?: string; headers?: Record<string, string> }} [init]
 * @returns {Promise<CallResult>}
 */
async function paymobCall(fetchImpl, baseUrl, method, path, { json, bearer, headers = {} } = {}) {
  const url = `${baseUrl}${path}`;
  /** @type {Record<string, string>} */
  const sent = { Accept: 'application/json', ...headers };
  if (bearer) sent.Authorization = `Bearer ${bearer}`;
  if (json !== undefined) sent['Content-Type'] = 'application/json';
  try {
    const response = await fetchImpl(url, {
      method,
      headers: sent,
      body: json === undefined ? undefined : JSON.stringify(json),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    const text = await response.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    const status = response.status;
    return {
      ok: status >= 200 && status < 300,
      status,
      json: body,
      describe: () =>
        `HTTP ${status}${providerWords(body) ? ` "${providerWords(body)}"` : ''} from ${method} ${new URL(url).pathname}`,
    };
  } catch (caught) {
    // fetch rejects with a TimeoutError (the signal) or a TypeError whose cause is the socket error.
    const error = /** @type {{ name?: string; message?: string; cause?: { code?: string } } | undefined} */ (
      caught
    );
    const reason =
      error?.name === 'TimeoutError'
        ? 'timed out'
        : (error?.cause?.code ?? error?.message ?? 'network error');
    return {
      ok: false,
      status: 0,
      json: null,
      describe: () => `cannot reach ${new URL(url).origin} (${reason})`,
    };
  }
}

/** PayMob's own short message (`detail`, `message`, or the first field error), at most 160 characters. */
/** @param {unknown} json */
function providerWords(json) {
  if (!json || typeof json !== 'object') return '';
  const body = /** @type {Record<string, unknown>} */ (json);
  for (const key of ['detail', 'message']) {
    const words = body[key];
    if (typeof words === 'string') return words.slice(0, 160);
  }
  const [field, value] = Object.entries(body)[0] ?? [];
  const first = Array.isArray(value) ? value[0] : undefined;
  return typeof first === 'string' ? `${field}: ${first}`.slice(0, 160) : '';
}

/**
 * @param {string} a
 * @param {string} b
 */
function sameSecret(a, b) {
  // Length first, then every character: no early exit on the first difference.
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i += 1)
    diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

/** @param {string} url */
function isLoopback(url) {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
  } catch {
    return false;
  }
}

/** @param {unknown} value */
function show(value) {
  return typeof value === 'string' && value ? value : '(not set)';
}

const SYMBOLS = { pass: '✓', fail: '✗', warn: '!', skip: '-' };

/** The human report: one line per check, then the callback URLs and a summary. */
/** @param {Report} report */
export function formatReport(report) {
  const lines = ['PayMob configuration check', ''];
  for (const check of report.checks) lines.push(`${SYMBOLS[check.status]} ${check.message}`);
  if (report.callbacks.length) {
    lines.push('', 'Callback URLs to set in PayMob (Developers → Payment Integrations → each integration):');
    for (const callback of report.callbacks) {
      lines.push(`  integration ${callback.integration_id}`);
      lines.push(`    Transaction processed callback: ${callback.transaction_processed_callback}`);
      lines.push(`    Transaction response callback:  ${callback.transaction_response_callback}`);
    }
  }
  lines.push('');
  const warnings = report.warnings ? `, ${report.warnings} warning${report.warnings === 1 ? '' : 's'}` : '';
  lines.push(
    report.ok
      ? `OK: ${report.mode} mode is ready for ${report.country} (${report.currency})${warnings}.`
      : `${report.failures} problem${report.failures === 1 ? '' : 's'} found${warnings}: fix the ✗ lines above.`,
  );
  return lines.join('\n');
}

/** @param {string[]} argv */
async function main(argv) {
  const unknown = argv.filter((arg) => !['--json', '--env-only', '--help'].includes(arg));
  if (argv.includes('--help') || unknown.length) {
    console.error('usage: npm run paymob:check [-- --json] [-- --env-only]');
    return unknown.length ? 2 : 0;
  }
  const settings = readSettings({ files: !argv.includes('--env-only') });
  const report = await runPaymobCheck(settings);
  console.log(argv.includes('--json') ? JSON.stringify(report, null, 2) : formatReport(report));
  return report.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
