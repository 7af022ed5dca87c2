// Imitation of Mailgun's v3 messages API plus its signed delivery webhooks, with a captured mailbox.
// Wording, status codes and payload shapes follow Mailgun's documented behaviour so the Worker's client
// and webhook handler are exercised exactly as in production.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { FaultError } from './faults.mjs';
import {
  createScheduler,
  escapeHtml,
  HttpError,
  methodNotAllowed,
  postJson,
  readBody,
  sendHtml,
  sendJson,
  sleep,
} from './http.mjs';

export const WEBHOOK_PATH = '/api/v1/notifications/mailgun-webhook/';
const MESSAGES_PATH = /^\/v3\/([^/]+)\/messages\/?$/;

// Mailgun's own tolerance is hours of retries; one slow Worker must not stall a test run.
const WEBHOOK_TIMEOUT_MS = 10_000;

// Syntax check only, like Mailgun's "not a valid address" rejection; it needs a dot in the domain part.
const ADDRESS_PATTERN = /^[^\s@<>",;]+@[^\s@<>",;.]+(\.[^\s@<>",;.]+)+$/;

const MISSING_BODY = "Need at least one of 'text', 'html' or 'template' parameters specified";

export const MAILGUN_FAULT_MODES = {
  status: ['status'],
  delay: ['ms'],
  event: ['event'],
  'drop-event': [],
};

/** @typedef {import('./http.mjs').IncomingMessage} IncomingMessage */
/** @typedef {import('./http.mjs').ServerResponse} ServerResponse */
/** @typedef {import('./faults.mjs').Fault} Fault */
/** @typedef {Map<string, string[]>} Fields a form's text fields, each with every value given */
/** @typedef {{ field: string; filename: string; content_type: string; size: number }} Attachment */
/** @typedef {{ fields: Fields; attachments: Attachment[] }} Form */
/**
 * A message as the mailbox keeps it.
 * @typedef {object} StoredMessage
 * @property {string} id
 * @property {string} domain
 * @property {string | null} from
 * @property {string[]} to
 * @property {string[]} cc
 * @property {string[]} bcc
 * @property {string | null} subject
 * @property {string | null} text
 * @property {string | null} html
 * @property {string | null} template
 * @property {Record<string, string | undefined>} headers
 * @property {Record<string, unknown>} variables
 * @property {Record<string, string[]>} options
 * @property {Attachment[]} attachments
 * @property {string} received_at
 */
/**
 * A delivery webhook the sandbox sent (or could not send).
 * @typedef {{ url: string; event: string; recipient: string; message_id: string; status: number | null; error: string | null; body: object; sent_at: string }} WebhookRecord
 */
/** @typedef {'delivered' | 'failed:permanent' | 'failed:temporary'} EventOutcome */

/** @type {Record<EventOutcome, Record<string, unknown> & { 'delivery-status': Record<string, unknown> }>} */
const EVENT_OUTCOMES = {
  delivered: {
    'log-level': 'info',
    'delivery-status': { code: 250, message: 'OK', description: '' },
  },
  'failed:permanent': {
    'log-level': 'error',
    severity: 'permanent',
    reason: 'bounce',
    'delivery-status': {
      code: 550,
      message: '5.1.1 The email account that you tried to reach does not exist.',
      description: '',
      'bounce-type': 'hard',
    },
  },
  'failed:temporary': {
    'log-level': 'warn',
    severity: 'temporary',
    reason: 'generic',
    'delivery-status': {
      code: 452,
      message: '4.2.2 The email account that you tried to reach is over quota.',
      description: '',
      'retry-seconds': 600,
    },
  },
};

/**
 * @param {object} options
 * @param {string | undefined} options.apiKey without one any key is accepted
 * @param {string | undefined} options.domain without one any domain is accepted
 * @param {string | undefined} options.signingKey signs delivery webhooks; without it they are recorded, not sent
 * @param {string | undefined} options.workerBaseUrl where delivery webhooks go; without it none are sent
 * @param {number} [options.webhookDelayMs]
 * @param {ReturnType<typeof import('./faults.mjs').createFaults>} options.faults
 * @param {(line: string) => void} [options.log]
 */
export function createMailgun({
  apiKey,
  domain,
  signingKey,
  workerBaseUrl,
  webhookDelayMs = 200,
  faults,
  log = () => {},
}) {
  /** @type {StoredMessage[]} */
  const messages = [];
  /** @type {WebhookRecord[]} */
  const webhooks = [];
  const scheduler = createScheduler();

  faults.register('mailgun', MAILGUN_FAULT_MODES, validateMailgunFault);

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {URL} url
   * @returns {Promise<boolean>} whether this provider answered
   */
  async function handle(req, res, url) {
    const route = MESSAGES_PATH.exec(url.pathname);
    if (route) {
      if (req.method !== 'POST') throw methodNotAllowed(['POST']);
      await sendMessage(
        req,
        res,
        decodeURIComponent(/** @type {string} `([^/]+)` always captures */ (route[1])),
      );
      return true;
    }
    if (url.pathname === '/mailbox' || url.pathname === '/mailbox/') {
      if (req.method !== 'GET') throw methodNotAllowed(['GET']);
      const to = url.searchParams.get('to') ?? '';
      // The page shows provider-supplied HTML; scripts stay off even if an iframe sandbox were bypassed.
      sendHtml(res, 200, renderMailbox(filterByRecipient(to), to), {
        'content-security-policy': "script-src 'none'; object-src 'none'; base-uri 'none'",
      });
      return true;
    }
    if (url.pathname === '/mailbox/messages' || url.pathname === '/mailbox/messages/') {
      if (req.method === 'GET') sendJson(res, 200, filterByRecipient(url.searchParams.get('to') ?? ''));
      else if (req.method === 'DELETE') sendJson(res, 200, { cleared: messages.splice(0).length });
      else throw methodNotAllowed(['GET', 'DELETE']);
      return true;
    }
    if (url.pathname === '/sandbox/mailgun/webhooks') {
      if (req.method !== 'GET') throw methodNotAllowed(['GET']);
      sendJson(res, 200, webhooks);
      return true;
    }
    return false;
  }

  /**
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   * @param {string} requestedDomain
   */
  async function sendMessage(req, res, requestedDomain) {
    if (!isAuthorized(req.headers.authorization)) {
      // Mailgun answers a wrong key with a bare text body, not JSON.
      throw new HttpError(401, 'Forbidden');
    }
    if (domain && requestedDomain.toLowerCase() !== domain.toLowerCase()) {
      throw new HttpError(404, { message: `Domain not found: ${requestedDomain}` });
    }
    const form = await parseForm(req);
    const context = {
      to: recipientAddresses(form),
      from: first(form.fields, 'from'),
      subject: first(form.fields, 'subject'),
    };
    const delay = faults.take('mailgun', 'delay', context);
    if (delay) await sleep(delay.ms);
    const failure = faults.take('mailgun', 'status', context);
    if (failure) throw new HttpError(failure.status, failure.body ?? mailgunErrorBody(failure.status));

    const problem = validateMessage(form.fields);
    if (problem) throw new HttpError(400, { message: problem });

    const message = storeMessage(form, requestedDomain);
    log(`mailgun: queued ${message.id} for ${message.to.join(', ')}`);
    scheduleDeliveryEvents(message);
    sendJson(res, 200, { id: message.id, message: 'Queued. Thank you.' });
  }

  /** @param {string | undefined} header */
  function isAuthorized(header) {
    const [scheme, encoded] = String(header ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'basic' || !encoded) return false;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    const user = decoded.slice(0, separator);
    const key = decoded.slice(separator + 1);
    if (separator === -1 || user !== 'api' || key === '') return false;
    // Without a configured key any key passes, so `npm run dev` works before secrets are set.
    if (!apiKey) return true;
    return constantTimeEqual(key, apiKey);
  }

  /**
   * @param {Form} form
   * @param {string} requestedDomain
   */
  function storeMessage(form, requestedDomain) {
    const { fields, attachments } = form;
    const customHeaders = prefixed(fields, 'h:');
    /** @type {StoredMessage} */
    const message = {
      id: `<${compactTimestamp(new Date())}.${randomBytes(8).toString('hex')}@${requestedDomain}>`,
      domain: requestedDomain,
      from: first(fields, 'from'),
      to: recipients(fields, 'to'),
      cc: recipients(fields, 'cc'),
      bcc: recipients(fields, 'bcc'),
      subject: first(fields, 'subject'),
      text: first(fields, 'text'),
      html: first(fields, 'html'),
      template: first(fields, 'template'),
      headers: customHeaders,
      variables: { ...mailgunVariablesHeader(customHeaders), ...prefixed(fields, 'v:') },
      options: prefixedLists(fields, 'o:'),
      attachments,
      received_at: new Date().toISOString(),
    };
    messages.push(message);
    return message;
  }

  /** @param {string} to */
  function filterByRecipient(to) {
    const wanted = to.trim().toLowerCase();
    const matching = wanted
      ? messages.filter((message) =>
          [...message.to, ...message.cc, ...message.bcc].some(
            (entry) => entry.toLowerCase() === wanted || addressOf(entry).toLowerCase() === wanted,
          ),
        )
      : messages;
    return matching.toReversed();
  }

  // Mailgun sends one event per recipient; fault decisions are taken now so they follow send order.
  /** @param {StoredMessage} message */
  function scheduleDeliveryEvents(message) {
    if (!workerBaseUrl) return;
    for (const recipient of uniqueAddresses([...message.to, ...message.cc, ...message.bcc])) {
      const context = { to: [recipient], from: message.from, subject: message.subject };
      if (faults.take('mailgun', 'drop-event', context)) {
        log(`mailgun: dropped delivery event for ${recipient} (fault)`);
        continue;
      }
      const override = faults.take('mailgun', 'event', context);
      const outcome = /** @type {EventOutcome} validateMailgunFault allows only these severities */ (
        override?.event === 'failed' ? `failed:${override.severity ?? 'permanent'}` : 'delivered'
      );
      scheduler.later(() => postDeliveryEvent(message, recipient, outcome), webhookDelayMs);
    }
  }

  /**
   * @param {StoredMessage} message
   * @param {string} recipient
   * @param {EventOutcome} outcome
   */
  async function postDeliveryEvent(message, recipient, outcome) {
    const url = new URL(WEBHOOK_PATH, workerBaseUrl).href;
    const body = buildWebhookBody(message, recipient, outcome);
    /** @type {WebhookRecord} */
    const record = {
      url,
      event: body['event-data'].event,
      recipient,
      message_id: message.id,
      status: null,
      error: null,
      body,
      sent_at: new Date().toISOString(),
    };
    webhooks.unshift(record);
    if (!signingKey) {
      record.error = 'MAILGUN_WEBHOOK_SIGNING_KEY is not set; event not sent';
      return;
    }
    Object.assign(record, await postJson(url, body, WEBHOOK_TIMEOUT_MS));
    log(`mailgun: ${record.event} event for ${recipient} -> ${record.status ?? record.error}`);
  }

  /**
   * @param {StoredMessage} message
   * @param {string} recipient
   * @param {EventOutcome} outcome
   */
  function buildWebhookBody(message, recipient, outcome) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const token = randomBytes(25).toString('hex');
    const signature = createHmac('sha256', signingKey ?? '')
      .update(timestamp + token)
      .digest('hex');
    const { 'delivery-status': status, ...details } = EVENT_OUTCOMES[outcome];
    return {
      signature: { timestamp, token, signature },
      'event-data': {
        event: outcome.startsWith('failed') ? 'failed' : 'delivered',
        id: randomBytes(16).toString('base64url').slice(0, 22),
        timestamp: Date.now() / 1000,
        ...details,
        recipient,
        'recipient-domain': recipient.split('@')[1] ?? '',
        envelope: { transport: 'smtp', sender: addressOf(message.from), targets: recipient },
        flags: { 'is-authenticated': true, 'is-test-mode': message.options.testmode?.[0] === 'yes' },
        message: {
          headers: {
            to: message.to.join(', '),
            // Webhooks carry the Message-Id without the angle brackets the send answer had.
            'message-id': message.id.slice(1, -1),
            from: message.from,
            subject: message.subject,
          },
          attachments: message.attachments.map(({ filename, content_type, size }) => ({
            filename,
            'content-type': content_type,
            size,
          })),
          size: (message.text?.length ?? 0) + (message.html?.length ?? 0),
        },
        tags: message.options.tag ?? [],
        campaigns: [],
        'user-variables': message.variables,
        'delivery-status': {
          'attempt-no': 1,
          'mx-host': `mx.${recipient.split('@')[1] ?? 'invalid'}`,
          tls: true,
          utf8: true,
          'certificate-verified': true,
          'session-seconds': 0.1,
          ...status,
        },
      },
    };
  }

  function reset() {
    scheduler.cancel();
    messages.length = 0;
    webhooks.length = 0;
  }

  return { name: 'mailgun', handle, reset, close: scheduler.close };
}

/** @param {Fault} fault */
function validateMailgunFault(fault) {
  if (fault.mode !== 'event') return;
  if (!['delivered', 'failed'].includes(fault.event)) {
    throw new FaultError("'event' must be 'delivered' or 'failed'");
  }
  if (fault.severity !== undefined && !['permanent', 'temporary'].includes(fault.severity)) {
    throw new FaultError("'severity' must be 'permanent' or 'temporary'");
  }
}

// Parsed with the WHATWG Request body parser built into Node, which handles multipart and urlencoded.
// Any other content type is ignored rather than rejected: Mailgun then reports 'from' as missing too.
/**
 * @param {IncomingMessage} req
 * @returns {Promise<Form>}
 */
async function parseForm(req) {
  const contentType = req.headers['content-type'] ?? '';
  const body = await readBody(req);
  /** @type {Fields} */
  const fields = new Map();
  /** @type {Attachment[]} */
  const attachments = [];
  if (!/^(multipart\/form-data|application\/x-www-form-urlencoded)\b/i.test(contentType)) {
    return { fields, attachments };
  }
  let form;
  try {
    form = await new Request('http://sandbox.invalid/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    }).formData();
  } catch {
    throw new HttpError(400, { message: 'Failed to parse the request body' });
  }
  for (const [name, value] of form) {
    if (typeof value === 'string') {
      fields.set(name, [...(fields.get(name) ?? []), value]);
    } else {
      attachments.push({ field: name, filename: value.name, content_type: value.type, size: value.size });
    }
  }
  return { fields, attachments };
}

/** @param {Fields} fields */
function validateMessage(fields) {
  const from = first(fields, 'from');
  if (!from) return "'from' parameter is missing";
  if (!ADDRESS_PATTERN.test(addressOf(from))) return invalidAddress('from');
  if (recipients(fields, 'to').length === 0) return "'to' parameter is missing";
  for (const name of ['to', 'cc', 'bcc']) {
    if (recipients(fields, name).some((entry) => !ADDRESS_PATTERN.test(addressOf(entry)))) {
      return invalidAddress(name);
    }
  }
  // Mailgun lets a stored template supply the subject.
  if (!first(fields, 'subject') && !first(fields, 'template')) return "'subject' parameter is missing";
  if (!first(fields, 'text') && !first(fields, 'html') && !first(fields, 'template')) return MISSING_BODY;
  return null;
}

/** @param {string} name */
function invalidAddress(name) {
  return `'${name}' parameter is not a valid address. please check documentation`;
}

/** @param {number} status */
function mailgunErrorBody(status) {
  if (status === 401) return 'Forbidden';
  return { message: STATUS_CODES[status] ?? 'Error' };
}

/**
 * @param {Fields} fields
 * @param {string} name
 */
function first(fields, name) {
  return fields.get(name)?.find((value) => value.trim() !== '') ?? null;
}

// `to` may repeat and each value may hold a comma-separated list; commas inside quotes or <> stay.
/**
 * @param {Fields} fields
 * @param {string} name
 */
function recipients(fields, name) {
  return (fields.get(name) ?? []).flatMap(splitAddressList);
}

/** @param {Form} form */
function recipientAddresses(form) {
  return ['to', 'cc', 'bcc'].flatMap((name) => recipients(form.fields, name)).map(addressOf);
}

/** @param {string} value */
function splitAddressList(value) {
  /** @type {string[]} */
  const parts = [];
  let current = '';
  let quoted = false;
  let angleDepth = 0;
  for (const char of value) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && char === '<') angleDepth += 1;
    else if (!quoted && char === '>') angleDepth = Math.max(0, angleDepth - 1);
    if (char === ',' && !quoted && angleDepth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter(Boolean);
}

/** @param {string | null | undefined} entry */
function addressOf(entry) {
  const bracketed = /<([^<>]*)>\s*$/.exec(entry ?? '');
  return (bracketed ? /** @type {string} `([^<>]*)` always captures */ (bracketed[1]) : (entry ?? '')).trim();
}

// Mailgun ignores duplicate recipients.
/** @param {string[]} entries */
function uniqueAddresses(entries) {
  /** @type {Map<string, string>} */
  const seen = new Map();
  for (const entry of entries) {
    const address = addressOf(entry);
    if (!seen.has(address.toLowerCase())) seen.set(address.toLowerCase(), address);
  }
  return [...seen.values()];
}

/**
 * @param {Fields} fields
 * @param {string} prefix
 */
function prefixed(fields, prefix) {
  /** @type {Record<string, string | undefined>} */
  const result = {};
  for (const [name, values] of fields) {
    if (name.startsWith(prefix)) result[name.slice(prefix.length)] = values.at(-1);
  }
  return result;
}

// Options such as o:tag may repeat, so each keeps every value given.
/**
 * @param {Fields} fields
 * @param {string} prefix
 */
function prefixedLists(fields, prefix) {
  /** @type {Record<string, string[]>} */
  const result = {};
  for (const [name, values] of fields) {
    if (name.startsWith(prefix)) result[name.slice(prefix.length)] = values;
  }
  return result;
}

// Mailgun also reads user variables from a JSON X-Mailgun-Variables header.
/**
 * @param {Record<string, string | undefined>} headers
 * @returns {Record<string, unknown>}
 */
function mailgunVariablesHeader(headers) {
  const raw = Object.entries(headers).find(([name]) => name.toLowerCase() === 'x-mailgun-variables')?.[1];
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** @param {Date} date */
function compactTimestamp(date) {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * @param {string} a
 * @param {string} b
 */
function constantTimeEqual(a, b) {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * @param {StoredMessage[]} list
 * @param {string} filter
 */
function renderMailbox(list, filter) {
  const items = list.map(renderMessage).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sandbox mailbox</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2933; }
  article { border: 1px solid #cbd2d9; border-radius: 6px; padding: 1rem; margin-bottom: 1.5rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0 0 1rem; }
  dt { font-weight: 600; }
  iframe { width: 100%; height: 28rem; border: 1px solid #e4e7eb; }
  pre { white-space: pre-wrap; background: #f5f7fa; padding: 0.75rem; }
</style>
</head>
<body>
<h1>Sandbox mailbox</h1>
<form method="get" action="/mailbox">
  <label>Recipient <input name="to" type="email" value="${escapeHtml(filter)}"></label>
  <button type="submit">Filter</button> <a href="/mailbox">All</a>
</form>
<p>${list.length} message(s), newest first. JSON: <a href="/mailbox/messages">/mailbox/messages</a></p>
${items || '<p>No messages yet.</p>'}
</body>
</html>
`;
}

// The HTML body goes into a sandboxed srcdoc iframe: escaped once for the attribute, never run.
/** @param {StoredMessage} message */
function renderMessage(message) {
  const html = message.html
    ? `<h3>HTML</h3><iframe sandbox title="HTML body" srcdoc="${escapeHtml(message.html)}"></iframe>`
    : '';
  const text = message.text ? `<h3>Text</h3><pre>${escapeHtml(message.text)}</pre>` : '';
  return `<article>
<h2>${escapeHtml(message.subject ?? '(template)')}</h2>
<dl>
  <dt>From</dt><dd>${escapeHtml(message.from)}</dd>
  <dt>To</dt><dd>${escapeHtml(message.to.join(', '))}</dd>
  <dt>Received</dt><dd>${escapeHtml(message.received_at)}</dd>
  <dt>Message-Id</dt><dd>${escapeHtml(message.id)}</dd>
  <dt>Variables</dt><dd><code>${escapeHtml(JSON.stringify(message.variables))}</code></dd>
</dl>
${html}
${text}
</article>`;
}
