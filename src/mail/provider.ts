/** One e-mail ready to hand to a provider: rendered, addressed, and tied to its `email_events` row. */
export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The `email_events.idempotency_key`; travels with the message so delivery events can find the row. */
  idempotencyKey: string;
}

export interface MailProvider {
  /** Stored in `email_events.provider`. */
  readonly name: 'mailgun' | 'send_email';
  /**
   * Resolves once the provider has accepted the message, with its Message-Id (null when the provider
   * accepted but did not say which id it gave). Rejects with a MailProviderError.
   */
  send(mail: OutgoingMail): Promise<{ messageId: string | null }>;
}

/**
 * A provider refused or could not take a message. `retryable` separates what may work later (network
 * errors, timeouts, 429, 5xx) from what never will (other 4xx: bad address, bad key, unknown domain).
 * `message` is safe to log and store: it never holds the API key or the e-mail's content.
 */
export class MailProviderError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = retryable ? 'RetryableMailError' : 'PermanentMailError';
  }
}

export const retryableMailError = (message: string, status?: number, cause?: unknown) =>
  new MailProviderError(message, true, status, { cause });

export const permanentMailError = (message: string, status?: number, cause?: unknown) =>
  new MailProviderError(message, false, status, { cause });

/** Whether an HTTP status from a provider is worth retrying: 408, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Mailgun answers `<id@domain>` when sending but reports `id@domain` in events: store the bare form. */
export function normalizeMessageId(id: string): string {
  return id.trim().replace(/^<(.*)>$/, '$1');
}

/** The bare address of `Name <addr@host>` or `addr@host`. */
export function addressOf(mailbox: string): string {
  const bracketed = /<([^<>]+)>\s*$/.exec(mailbox);
  return (bracketed?.[1] ?? mailbox).trim();
}
