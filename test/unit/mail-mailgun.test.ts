import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailgunProvider, EMAIL_KEY_HEADER, EMAIL_KEY_VARIABLE } from '../../src/mail/mailgun';
import { MailProviderError } from '../../src/mail/provider';
import { type Sandbox, startSandbox } from '../../tools/sandbox/server.mjs';

const API_KEY = 'key-mail-unit-test';
const DOMAIN = 'mg.stackpay.test';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, mailgunApiKey: API_KEY, mailgunDomain: DOMAIN, workerBaseUrl: '' });
});
afterAll(async () => {
  await sandbox.close();
});

const uniqueAddress = () => `mg-${crypto.randomUUID()}@example.com`;

function provider(overrides: Partial<Parameters<typeof createMailgunProvider>[0]> = {}) {
  return createMailgunProvider({ apiKey: API_KEY, domain: DOMAIN, baseUrl: sandbox.url, ...overrides });
}

function mailTo(to: string) {
  return {
    from: 'StackPay <no-reply@mg.stackpay.test>',
    to,
    subject: 'Verify your email',
    text: 'Hi ada, your code is 482913.',
    html: '<p>Hi ada, your code is <b>482913</b>.</p>',
    idempotencyKey: `verification:7:${crypto.randomUUID()}`,
  };
}

async function addFault(fault: Record<string, unknown>) {
  const res = await fetch(`${sandbox.url}/sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ service: 'mailgun', ...fault }),
  });
  expect(res.status).toBe(201);
}

async function mailbox(to: string) {
  const res = await fetch(`${sandbox.url}/mailbox/messages?to=${encodeURIComponent(to)}`);
  return (await res.json()) as Array<Record<string, unknown>>;
}

async function sendError(promise: Promise<unknown>): Promise<MailProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MailProviderError);
  return err as MailProviderError;
}

describe('Mailgun provider', () => {
  it('posts the message with from, to, subject, text, html and our idempotency key', async () => {
    const to = uniqueAddress();
    const mail = mailTo(to);
    const { messageId } = await provider().send(mail);
    const [stored] = await mailbox(to);
    expect(stored).toMatchObject({
      from: mail.from,
      to: [to],
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      headers: { [EMAIL_KEY_HEADER]: mail.idempotencyKey },
      variables: { [EMAIL_KEY_VARIABLE]: mail.idempotencyKey },
    });
    // Stored without the angle brackets, the form Mailgun's delivery events use.
    expect(messageId).toBe(String(stored?.id).slice(1, -1));
  });

  it('tolerates a trailing slash on the base URL', async () => {
    const to = uniqueAddress();
    await provider({ baseUrl: `${sandbox.url}/` }).send(mailTo(to));
    expect(await mailbox(to)).toHaveLength(1);
  });

  it.each([500, 502, 503, 429, 408])('treats HTTP %i as retryable', async (status) => {
    const to = uniqueAddress();
    await addFault({ mode: 'status', status, match: `to=${to}` });
    const err = await sendError(provider().send(mailTo(to)));
    expect(err).toMatchObject({ retryable: true, status, name: 'RetryableMailError' });
    expect(err.message).toMatch(new RegExp(`^mailgun: HTTP ${status}`));
    expect(await mailbox(to)).toHaveLength(0);
  });

  it("treats an invalid recipient (400) as permanent and keeps Mailgun's reason", async () => {
    const err = await sendError(provider().send(mailTo('not-an-address')));
    expect(err).toMatchObject({ retryable: false, status: 400, name: 'PermanentMailError' });
    expect(err.message).toContain("'to' parameter is not a valid address");
  });

  it('treats a wrong API key (401) as permanent and never puts the key in the error', async () => {
    const err = await sendError(provider({ apiKey: 'key-wrong-secret' }).send(mailTo(uniqueAddress())));
    expect(err).toMatchObject({ retryable: false, status: 401 });
    expect(err.message).not.toContain('key-wrong-secret');
    expect(String(err.cause ?? '')).not.toContain('key-wrong-secret');
  });

  it('treats an unknown domain (404) as permanent', async () => {
    const err = await sendError(provider({ domain: 'other.example.com' }).send(mailTo(uniqueAddress())));
    expect(err).toMatchObject({ retryable: false, status: 404 });
  });

  it('gives up waiting after the timeout and calls that retryable', async () => {
    const to = uniqueAddress();
    await addFault({ mode: 'delay', ms: 1_000, match: `to=${to}` });
    const err = await sendError(provider({ timeoutMs: 100 }).send(mailTo(to)));
    expect(err).toMatchObject({ retryable: true, status: undefined });
    expect(err.message).toBe('mailgun: no answer within 100 ms');
  });

  it('treats an unreachable server as retryable', async () => {
    const err = await sendError(provider({ baseUrl: 'http://127.0.0.1:9' }).send(mailTo(uniqueAddress())));
    expect(err).toMatchObject({ retryable: true });
    expect(err.message).toBe('mailgun: network error');
  });

  it('keeps no reason from a non-JSON error page', async () => {
    const fakeFetch = async () => new Response('<html>Bad gateway from some proxy</html>', { status: 502 });
    const err = await sendError(provider({ fetch: fakeFetch as typeof fetch }).send(mailTo(uniqueAddress())));
    expect(err.message).toBe('mailgun: HTTP 502');
  });

  it('counts a 2xx with an unreadable body as accepted (a retry would send twice)', async () => {
    const fakeFetch = async () => new Response('OK', { status: 200 });
    const result = await provider({ fetch: fakeFetch as typeof fetch }).send(mailTo(uniqueAddress()));
    expect(result).toEqual({ messageId: null });
  });
});
