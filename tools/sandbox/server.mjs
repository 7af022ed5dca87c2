// Provider sandbox: one loopback HTTP server imitating StackPay's external providers for local development
// and tests. Each provider lives in its own module exposing { name, handle, reset, close }; this file owns
// the server, the shared fault store and the sandbox-wide control routes.
//
// The card issuer's 3-D Secure page (tools/sandbox/paymob-acs.mjs) has a listener of its own, so it is a
// different origin from the checkout, as in production (docs/checkout.md §2): `acsPort` (default: any free
// port; the CLI uses --acs-port, SANDBOX_ACS_PORT, or the main port + 1).
//
// CLI: npx node tools/sandbox/server.mjs --port 8788 [--acs-port 8789]
// Environment: MAILGUN_API_KEY, MAILGUN_DOMAIN, MAILGUN_WEBHOOK_SIGNING_KEY, WORKER_BASE_URL (default
// http://127.0.0.1:8787; set it empty to send no webhooks), MAILGUN_WEBHOOK_DELAY_MS (default 200),
// PAYMOB_API_KEY, PAYMOB_SECRET_KEY, PAYMOB_PUBLIC_KEY, PAYMOB_HMAC_SECRET, PAYMOB_INTEGRATION_ID and
// PAYMOB_IFRAME_ID (comma lists; empty accepts any id), PAYMOB_COUNTRY (default EG: the currency of those
// integrations), PAYMOB_CALLBACK_DELAY_MS (default 0),
// PAYMOB_PENDING_DELAY_MS (default 3000).

import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createFaults, FaultError } from './faults.mjs';
import { HttpError, methodNotAllowed, readJson, sendError, sendJson } from './http.mjs';
import { createMailgun } from './mailgun.mjs';
import { createMerchant } from './merchant.mjs';
import { createPaymob } from './paymob.mjs';
import { createAcs } from './paymob-acs.mjs';

/** @typedef {import('./http.mjs').IncomingMessage} IncomingMessage */
/** @typedef {import('./http.mjs').ServerResponse} ServerResponse */
/** @typedef {ReturnType<typeof createFaults>} Faults */
/**
 * One imitated provider.
 * @typedef {object} Service
 * @property {string} name
 * @property {(req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>} handle whether it answered
 * @property {() => void} reset
 * @property {() => void} close
 */
/** @typedef {'EG' | 'SA' | 'AE' | 'OM' | 'PK'} PaymobCountry */

/**
 * The sandbox's settings; every one is optional.
 * @typedef {object} SandboxOptions
 * @property {number} [port]
 * @property {number} [acsPort] port of the card issuer's 3-D Secure page, a second origin (default: any free port)
 * @property {string} [host]
 * @property {string} [mailgunApiKey]
 * @property {string} [mailgunDomain]
 * @property {string} [mailgunWebhookSigningKey]
 * @property {number} [mailgunWebhookDelayMs]
 * @property {string} [paymobApiKey] PayMob credentials; an unset key accepts any value
 * @property {string} [paymobSecretKey]
 * @property {string} [paymobPublicKey]
 * @property {string} [paymobHmacSecret] signs processed callbacks and response redirects; without it callbacks
 *   are recorded, not sent
 * @property {number[]} [paymobIntegrationIds] known integration ids (empty accepts any); they take the
 *   account's currency
 * @property {PaymobCountry} [paymobCountry] the account's region (default EG): the currency of
 *   `paymobIntegrationIds` and of unlisted ids, and the zone of PayMob's business day for voids
 * @property {boolean} [paymobIntentionOrderId] false: intention answers without `intention_order_id`, as the
 *   Oman/Pakistan docs' samples show
 * @property {number[]} [paymobIframeIds] known iframe ids (empty accepts any)
 * @property {{ id: number; currency?: string; type?: 'card' | 'wallet' | 'kiosk' | 'valu'; live?: boolean }[]} [paymobIntegrations]
 *   integrations with their own currency (and test/live), e.g. `[{ id: 4097560, currency: 'SAR' }]`, in
 *   addition to `paymobIntegrationIds`, which take the account's currency
 * @property {number} [paymobCallbackDelayMs] delay before each processed callback is posted (default 0)
 * @property {number} [paymobPendingDelayMs] how long the pending test card stays pending before it succeeds
 *   (default 3000)
 * @property {number} [paymobAuthTokenTtlMs] lifetime of auth tokens (default one hour)
 * @property {() => number} [paymobNow] the clock of the void window (tests)
 * @property {string} [workerBaseUrl]
 * @property {(line: string) => void} [log]
 */
/**
 * A running sandbox.
 * @typedef {object} Sandbox
 * @property {string} url
 * @property {number} port
 * @property {string} acsUrl origin of the card issuer's 3-D Secure page (the ACS)
 * @property {() => Promise<void>} close
 */

export const DEFAULT_PORT = 8788;
export const DEFAULT_WORKER_BASE_URL = 'http://127.0.0.1:8787';

/**
 * @param {SandboxOptions} [options]
 * @returns {Promise<Sandbox>}
 */
export async function startSandbox({
  port = DEFAULT_PORT,
  acsPort = 0,
  host = '127.0.0.1',
  mailgunApiKey,
  mailgunDomain,
  mailgunWebhookSigningKey,
  mailgunWebhookDelayMs = 200,
  paymobApiKey,
  paymobSecretKey,
  paymobPublicKey,
  paymobHmacSecret,
  paymobIntegrationIds = [],
  paymobIntegrations = [],
  paymobCountry = 'EG',
  paymobIntentionOrderId = true,
  paymobIframeIds = [],
  paymobCallbackDelayMs = 0,
  paymobPendingDelayMs = 3000,
  paymobAuthTokenTtlMs,
  paymobNow,
  workerBaseUrl,
  log = () => {},
} = {}) {
  const faults = createFaults();
  const acs = createAcs({ log });
  /** @type {Service[]} */
  const services = [
    createMailgun({
      apiKey: mailgunApiKey,
      domain: mailgunDomain,
      signingKey: mailgunWebhookSigningKey,
      workerBaseUrl,
      webhookDelayMs: mailgunWebhookDelayMs,
      faults,
      log,
    }),
    createPaymob({
      apiKey: paymobApiKey,
      secretKey: paymobSecretKey,
      publicKey: paymobPublicKey,
      hmacSecret: paymobHmacSecret,
      integrationIds: paymobIntegrationIds,
      integrations: paymobIntegrations,
      country: paymobCountry,
      intentionOrderId: paymobIntentionOrderId,
      iframeIds: paymobIframeIds,
      workerBaseUrl,
      callbackDelayMs: paymobCallbackDelayMs,
      pendingDelayMs: paymobPendingDelayMs,
      authTokenTtlMs: paymobAuthTokenTtlMs,
      ...(paymobNow ? { now: paymobNow } : {}),
      faults,
      acs,
      log,
    }),
    createMerchant({ log }),
  ];

  const server = createServer((req, res) => {
    route(req, res, { services, faults }).catch((error) => answerError(res, error, log));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(undefined));
  });
  // Listening on a TCP port, the address is an AddressInfo (a string only for pipes and sockets).
  const actualPort = /** @type {import('node:net').AddressInfo} */ (server.address()).port;

  const acsServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://acs.invalid');
    acs
      .handle(req, res, url)
      .then((handled) => {
        if (!handled) sendJson(res, 404, { message: 'Not Found' });
      })
      .catch((error) => answerError(res, error, log));
  });
  try {
    await new Promise((resolve, reject) => {
      acsServer.once('error', reject);
      acsServer.listen(acsPort, host, () => resolve(undefined));
    });
  } catch (error) {
    server.close();
    throw error;
  }
  const acsUrl = `http://${host}:${/** @type {import('node:net').AddressInfo} */ (acsServer.address()).port}`;
  acs.setOrigin(acsUrl);

  async function close() {
    for (const service of services) service.close();
    for (const listener of [server, acsServer]) {
      listener.closeAllConnections();
      await new Promise((resolve) => listener.close(() => resolve(undefined)));
    }
  }

  return { url: `http://${host}:${actualPort}`, port: actualPort, acsUrl, close };
}

/**
 * The options that make the sandbox the PayMob and Mailgun account a Worker's settings describe, read from
 * those settings by their names (.dev.vars, the environment, test/test-env.ts): the same keys, the integration
 * and iframe ids (comma lists) and the account's region. Callers add the port, `workerBaseUrl` and the rest.
 * @param {Partial<Record<string, string>>} vars
 * @returns {SandboxOptions}
 */
export function accountOptions(vars) {
  return {
    mailgunApiKey: vars.MAILGUN_API_KEY,
    mailgunDomain: vars.MAILGUN_DOMAIN,
    mailgunWebhookSigningKey: vars.MAILGUN_WEBHOOK_SIGNING_KEY,
    paymobApiKey: vars.PAYMOB_API_KEY,
    paymobSecretKey: vars.PAYMOB_SECRET_KEY,
    paymobPublicKey: vars.PAYMOB_PUBLIC_KEY,
    paymobHmacSecret: vars.PAYMOB_HMAC_SECRET,
    paymobIntegrationIds: parseIdList(vars.PAYMOB_INTEGRATION_ID),
    // The integrations take the account's currency (docs/paymob.md §1); createPaymob refuses an unknown country.
    paymobCountry: /** @type {PaymobCountry} */ (vars.PAYMOB_COUNTRY || 'EG'),
    paymobIframeIds: parseIdList(vars.PAYMOB_IFRAME_ID),
    // docs/paymob.md §8: PAYMOB_INTEGRATIONS' wallet, kiosk and valU ids are those integrations here.
    paymobIntegrations: methodIntegrations(vars.PAYMOB_INTEGRATIONS),
  };
}

/**
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 * @param {{ services: Service[]; faults: Faults }} sandbox
 */
async function route(req, res, { services, faults }) {
  const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
  if (url.pathname === '/health') {
    if (req.method !== 'GET') throw methodNotAllowed(['GET']);
    return sendJson(res, 200, { status: 'ok', services: services.map((service) => service.name) });
  }
  if (url.pathname === '/sandbox/faults') return handleFaults(req, res, url, faults);
  if (url.pathname === '/sandbox/reset') {
    if (req.method !== 'POST') throw methodNotAllowed(['POST']);
    for (const service of services) service.reset();
    faults.clear();
    return sendJson(res, 200, { status: 'ok' });
  }
  for (const service of services) {
    if (await service.handle(req, res, url)) return;
  }
  sendJson(res, 404, { message: 'Not Found' });
}

/**
 * @param {IncomingMessage} req
 * @param {ServerResponse} res
 * @param {URL} url
 * @param {Faults} faults
 */
async function handleFaults(req, res, url, faults) {
  if (req.method === 'GET') return sendJson(res, 200, faults.list());
  if (req.method === 'DELETE') {
    return sendJson(res, 200, { cleared: faults.clear(url.searchParams.get('service') ?? undefined) });
  }
  if (req.method !== 'POST') throw methodNotAllowed(['GET', 'POST', 'DELETE']);
  try {
    return sendJson(res, 201, faults.add(await readJson(req)));
  } catch (error) {
    if (error instanceof FaultError) throw new HttpError(400, { message: error.message });
    throw error;
  }
}

/**
 * @param {ServerResponse} res
 * @param {unknown} error
 * @param {(line: string) => void} log
 */
function answerError(res, error, log) {
  if (res.headersSent) return res.destroy();
  if (error instanceof HttpError) return sendError(res, error);
  log(`sandbox: internal error: ${/** @type {Error | undefined} */ (error)?.stack ?? error}`);
  sendJson(res, 500, { message: 'Internal Server Error' });
}

/**
 * @param {string[]} args
 * @param {string} [flag]
 * @param {string | number} [fallback]
 */
function parsePortArgument(args, flag = '--port', fallback = process.env.SANDBOX_PORT ?? DEFAULT_PORT) {
  const index = args.indexOf(flag);
  const value = index === -1 ? fallback : args[index + 1];
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`invalid port: ${value}`);
  return port;
}

/** @param {string | undefined} value */
function methodIntegrations(value) {
  /** @type {{ id: number; type: 'wallet' | 'kiosk' | 'valu' }[]} */
  const list = [];
  for (const entry of String(value ?? '').split(',')) {
    const match = /^\s*(wallet|kiosk|valu):(\d+)\s*$/.exec(entry);
    if (match)
      list.push({ id: Number(match[2]), type: /** @type {'wallet' | 'kiosk' | 'valu'} */ (match[1]) });
  }
  return list;
}

/**
 * @param {string | undefined} value
 */
function parseIdList(value) {
  return (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      if (!/^\d+$/.test(part)) throw new Error(`invalid id in list: ${part}`);
      return Number(part);
    });
}

async function main() {
  const env = process.env;
  const port = parsePortArgument(process.argv.slice(2));
  const sandbox = await startSandbox({
    port,
    acsPort: parsePortArgument(
      process.argv.slice(2),
      '--acs-port',
      process.env.SANDBOX_ACS_PORT ?? (port === 0 ? 0 : port + 1),
    ),
    ...accountOptions(env),
    mailgunWebhookDelayMs: env.MAILGUN_WEBHOOK_DELAY_MS ? Number(env.MAILGUN_WEBHOOK_DELAY_MS) : 200,
    paymobCallbackDelayMs: env.PAYMOB_CALLBACK_DELAY_MS ? Number(env.PAYMOB_CALLBACK_DELAY_MS) : 0,
    paymobPendingDelayMs: env.PAYMOB_PENDING_DELAY_MS ? Number(env.PAYMOB_PENDING_DELAY_MS) : 3000,
    // An explicitly empty WORKER_BASE_URL turns delivery webhooks off.
    workerBaseUrl: env.WORKER_BASE_URL ?? DEFAULT_WORKER_BASE_URL,
    log: (line) => console.log(line),
  });
  console.log(
    `provider sandbox listening on ${sandbox.url} (mailbox: ${sandbox.url}/mailbox; 3-D Secure issuer: ${sandbox.acsUrl})`,
  );
  const stop = () => sandbox.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
