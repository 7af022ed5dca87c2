import { z } from 'zod';
import {
  isRetryableStatus,
  type MailProvider,
  normalizeMessageId,
  type OutgoingMail,
  permanentMailError,
  retryableMailError,
} from './provider';

// Mailgun normally answers in well under a second; past this the queue's retry is the better bet.
export const MAILGUN_TIMEOUT_MS = 10_000;

// Mailgun's error bodies are short sentences; cap what we keep so a proxy's HTML page never lands in a row.
const MAX_ERROR_MESSAGE = 200;

/** Custom header and user variable carrying our `email_events.idempotency_key` (echoed in webhooks). */
export const EMAIL_KEY_HEADER = 'X-StackPay-Email-Key';
export const EMAIL_KEY_VARIABLE = 'stackpay_email_key';

const SendAnswer = z.object({ id: z.string().min(1).max(255), message: z.string() });
const ErrorAnswer = z.object({ message: z.string() });

export interface MailgunOptions {
  apiKey: string;
  domain: string;
  /** `https://api.mailgun.net`, `https://api.eu.mailgun.net`, or the local sandbox. */
  baseUrl: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * Mailgun's HTTP API (`POST /v3/<domain>/messages`, Basic auth `api:<key>`). Errors are classified for
 * the queue consumer; their messages carry the status and Mailgun's short reason, never the key or body.
 */
export function createMailgunProvider(options: MailgunOptions): MailProvider {
  const endpoint = `${options.baseUrl.replace(/\/+$/, '')}/v3/${encodeURIComponent(options.domain)}/messages`;
  const authorization = `Basic ${btoa(`api:${options.apiKey}`)}`;
  const timeoutMs = options.timeoutMs ?? MAILGUN_TIMEOUT_MS;
  const doFetch = options.fetch ?? fetch;

  return {
    name: 'mailgun',
    async send(mail: OutgoingMail) {
      const form = new URLSearchParams({
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        [`h:${EMAIL_KEY_HEADER}`]: mail.idempotencyKey,
        [`v:${EMAIL_KEY_VARIABLE}`]: mail.idempotencyKey,
      });
      let response: Response;
      try {
        response = await doFetch(endpoint, {
          method: 'POST',
          headers: { Authorization: authorization, Accept: 'application/json' },
          body: form,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
        throw retryableMailError(
          timedOut ? `mailgun: no answer within ${timeoutMs} ms` : 'mailgun: network error',
          undefined,
          err,
        );
      }
      const raw = await response.text().catch(() => '');
      if (!response.ok) {
        const reason = reasonFrom(raw);
        const message = `mailgun: HTTP ${response.status}${reason ? ` (${reason})` : ''}`;
        throw isRetryableStatus(response.status)
          ? retryableMailError(message, response.status)
          : permanentMailError(message, response.status);
      }
      const answer = SendAnswer.safeParse(parseJson(raw));
      // A 2xx means Mailgun took the message even if the answer is unreadable: retrying would send it twice.
      // Delivery events still find the row through the idempotency-key variable.
      return { messageId: answer.success ? normalizeMessageId(answer.data.id) : null };
    },
  };
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Mailgun's `{ "message": ... }` reason, single-line and short; a non-JSON body gives no reason. */
function reasonFrom(raw: string): string | undefined {
  const parsed = ErrorAnswer.safeParse(parseJson(raw));
  if (!parsed.success) return undefined;
  return parsed.data.message.replace(/\s+/g, ' ').trim().slice(0, MAX_ERROR_MESSAGE) || undefined;
}
