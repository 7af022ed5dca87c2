// A merchant's webhook receiver, for StackPay's own outgoing webhooks (docs/webhooks.md): it receives
// deliveries at /sandbox/merchant/<name>/webhook, verifies them as a real receiver does, with the
// `standardwebhooks` npm package (the reference library of the Standard Webhooks specification,
// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md), records
// each, and can be told to fail the next N deliveries (a 500, or no answer until after StackPay's timeout).
//
//   PUT  /sandbox/merchant/<name>             {"secret": "whsec_…", "fail_next": 2, "fail_mode": "status"|"timeout"}
//   POST /sandbox/merchant/<name>/webhook     the endpoint URL to register with StackPay
//   GET  /sandbox/merchant/<name>/deliveries  what it received, oldest first
//
// Spec points imitated: the signed content is `${webhook-id}.${webhook-timestamp}.${body}` (HMAC-SHA256, the
// secret being the base64 after `whsec_`); `webhook-signature` is a space-separated list of `v1,<base64>`;
// a receiver rejects timestamps more than five minutes off (the library's tolerance) and answers a bad
// signature with a 4xx, and any 2xx means "delivered" (spec, "Verifying webhook authenticity" and
// "Delivery behavior").

import { Webhook } from 'standardwebhooks';
import { HttpError, methodNotAllowed, readBody, readJson, sendJson, sleep } from './http.mjs';

const PATH = /^\/sandbox\/merchant\/([A-Za-z0-9_-]{1,64})(\/webhook|\/deliveries)?\/?$/;
// Longer than StackPay's 10-second delivery timeout, so a "timeout" failure is seen as one.
const DEFAULT_TIMEOUT_MS = 12_000;

/** @typedef {import('./http.mjs').IncomingMessage} IncomingMessage */
/** @typedef {import('./http.mjs').ServerResponse} ServerResponse */
/**
 * @typedef {object} Receiver
 * @property {string | null} secret
 * @property {number} failNext
 * @property {'status' | 'timeout'} failMode
 * @property {number} timeoutMs
 * @property {Delivery[]} deliveries
 */
/**
 * @typedef {object} Delivery
 * @property {string | null} webhook_id
 * @property {string | null} webhook_timestamp
 * @property {string | null} webhook_signature
 * @property {boolean} verified
 * @property {string | null} error
 * @property {number} answered the status the receiver gave (0 for a timeout)
 * @property {unknown} body
 * @property {string} received_at
 */

/** @param {{ log?: (line: string) => void }} [options] */
export function createMerchant({ log = () => {} } = {}) {
  /** @type {Map<string, Receiver>} */
  const receivers = new Map();
  let closed = false;

  /** @param {string} name */
  function receiver(name) {
    let found = receivers.get(name);
    if (!found) {
      found = {
        secret: null,
        failNext: 0,
        failMode: 'status',
        timeoutMs: DEFAULT_TIMEOUT_MS,
        deliveries: [],
      };
      receivers.set(name, found);
    }
    return found;
  }

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   */
  async function handle(req, res, url) {
    const match = PATH.exec(url.pathname);
    if (!match) return false;
    const name = /** @type {string} */ (match[1]);
    const sub = match[2];
    if (sub === '/webhook') {
      if (req.method !== 'POST') throw methodNotAllowed(['POST']);
      await receive(req, res, receiver(name));
    } else if (sub === '/deliveries') {
      if (req.method !== 'GET') throw methodNotAllowed(['GET']);
      sendJson(res, 200, receiver(name).deliveries);
    } else {
      if (req.method !== 'PUT') throw methodNotAllowed(['PUT']);
      configure(receiver(name), await readJson(req));
      const { secret, failNext, failMode, timeoutMs } = receiver(name);
      sendJson(res, 200, { secret, fail_next: failNext, fail_mode: failMode, timeout_ms: timeoutMs });
    }
    return true;
  }

  /**
   * @param {Receiver} target
   * @param {any} body
   */
  function configure(target, body) {
    if (body.secret !== undefined) {
      if (body.secret !== null && (typeof body.secret !== 'string' || !body.secret.startsWith('whsec_'))) {
        throw new HttpError(400, { message: 'secret must be a whsec_ secret or null' });
      }
      target.secret = body.secret;
    }
    if (body.fail_next !== undefined) {
      if (!Number.isInteger(body.fail_next) || body.fail_next < 0) {
        throw new HttpError(400, { message: 'fail_next must be a non-negative integer' });
      }
      target.failNext = body.fail_next;
    }
    if (body.fail_mode !== undefined) {
      if (body.fail_mode !== 'status' && body.fail_mode !== 'timeout') {
        throw new HttpError(400, { message: 'fail_mode must be "status" or "timeout"' });
      }
      target.failMode = body.fail_mode;
    }
    if (body.timeout_ms !== undefined) {
      if (!Number.isInteger(body.timeout_ms) || body.timeout_ms < 0) {
        throw new HttpError(400, { message: 'timeout_ms must be a non-negative integer' });
      }
      target.timeoutMs = body.timeout_ms;
    }
  }

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {Receiver} target
   */
  async function receive(req, res, target) {
    const raw = (await readBody(req)).toString('utf8');
    const header = (/** @type {string} */ key) => {
      const value = req.headers[key];
      return typeof value === 'string' ? value : null;
    };
    /** @type {Delivery} */
    const delivery = {
      webhook_id: header('webhook-id'),
      webhook_timestamp: header('webhook-timestamp'),
      webhook_signature: header('webhook-signature'),
      verified: false,
      error: null,
      answered: 200,
      body: null,
      received_at: new Date().toISOString(),
    };
    try {
      delivery.body = JSON.parse(raw);
    } catch {
      delivery.body = raw;
    }
    if (target.secret) {
      try {
        new Webhook(target.secret).verify(raw, {
          'webhook-id': delivery.webhook_id ?? '',
          'webhook-timestamp': delivery.webhook_timestamp ?? '',
          'webhook-signature': delivery.webhook_signature ?? '',
        });
        delivery.verified = true;
      } catch (error) {
        delivery.error = error instanceof Error ? error.message : String(error);
      }
    } else delivery.error = 'no secret configured';
    target.deliveries.push(delivery);
    log(`merchant receiver: ${delivery.webhook_id} verified=${delivery.verified}`);

    if (target.failNext > 0) {
      target.failNext -= 1;
      if (target.failMode === 'timeout') {
        delivery.answered = 0;
        await sleep(target.timeoutMs);
        if (!closed && !res.destroyed) sendJson(res, 200, { received: true, late: true });
        return;
      }
      delivery.answered = 500;
      return sendJson(res, 500, { error: 'receiver told to fail' });
    }
    if (!delivery.verified) {
      delivery.answered = 400;
      return sendJson(res, 400, { error: delivery.error });
    }
    sendJson(res, 200, { received: true });
  }

  function reset() {
    receivers.clear();
  }

  function close() {
    closed = true;
  }

  return { name: 'merchant', handle, reset, close };
}
