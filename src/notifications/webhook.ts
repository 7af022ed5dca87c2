import { z } from '@hono/zod-openapi';
import { fromHex, hmacKey } from '../lib/crypto';
import { EMAIL_KEY_VARIABLE } from '../mail/mailgun';
import { normalizeMessageId } from '../mail/provider';
import type { DeliveryEvent } from './service';

/** How far a webhook's signed timestamp may be from our clock (Mailgun's and Stripe's recommendation). */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/**
 * Mailgun's JSON webhook body. Only the signature block and the event name are validated here; the rest of
 * `event-data` is read leniently by toDeliveryEvent, because a signed event with a shape we did not expect
 * must still be acknowledged, or Mailgun retries it for hours.
 */
export const MailgunWebhookSchema = z
  .object({
    signature: z.object({
      timestamp: z.string().regex(/^\d{1,12}$/, 'Must be a Unix time in seconds.'),
      // webhook_tokens.token is VARCHAR(128); Mailgun's tokens are 50 characters.
      token: z.string().min(1).max(128),
      signature: z.string().min(1).max(256).openapi({ description: 'Hex HMAC-SHA256 of timestamp + token.' }),
    }),
    'event-data': z
      .looseObject({
        event: z.string().min(1).max(64).openapi({ example: 'delivered' }),
        severity: z
          .unknown()
          .optional()
          .openapi({ type: 'string', description: '`permanent` or `temporary`.' }),
        message: z.unknown().optional().openapi({
          type: 'object',
          description: '`headers["message-id"]` names the e-mail (the id Mailgun answered on sending).',
        }),
        'user-variables': z
          .unknown()
          .optional()
          .openapi({
            type: 'object',
            description: `\`${EMAIL_KEY_VARIABLE}\` carries our e-mail's idempotency key.`,
          }),
      })
      .openapi({ description: 'The event; fields other than these are ignored.' }),
  })
  .openapi('MailgunWebhook');
export type MailgunWebhook = z.infer<typeof MailgunWebhookSchema>;

// Mailgun retries a webhook for about 8 hours; an event time further off than this is not believed.
const PLAUSIBLE_EVENT_AGE_MS = 24 * 60 * 60 * 1000;

// A field of the wrong type reads as absent instead of failing the event.
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const EventDetails = z.object({
  timestamp: lenient(z.number()),
  severity: lenient(z.string()),
  reason: lenient(z.string()),
  message: lenient(
    z.object({ headers: lenient(z.object({ 'message-id': lenient(z.string().min(1).max(255)) })) }),
  ),
  'user-variables': lenient(z.record(z.string(), z.unknown())),
  'delivery-status': lenient(
    z.object({ code: lenient(z.number()), message: lenient(z.string()), description: lenient(z.string()) }),
  ),
});

const encoder = new TextEncoder();

/**
 * Mailgun signs `timestamp + token` with HMAC-SHA256 under the webhook signing key (hex digest).
 * `crypto.subtle.verify` compares in constant time; a signature that is not hex simply fails.
 */
export async function verifyMailgunSignature(
  signingKey: string,
  signature: MailgunWebhook['signature'],
): Promise<boolean> {
  const expected = fromHex(signature.signature);
  if (!expected) return false;
  return crypto.subtle.verify(
    'HMAC',
    await hmacKey(signingKey),
    expected,
    encoder.encode(signature.timestamp + signature.token),
  );
}

/** The signed timestamp is within the tolerance of now, in either direction (clock skew). */
export function isFreshTimestamp(timestamp: string, now: Date): boolean {
  return Math.abs(now.getTime() / 1000 - Number(timestamp)) <= WEBHOOK_TOLERANCE_SECONDS;
}

/**
 * Mailgun's event as a DeliveryEvent, or null for events that do not change an e-mail's status (opened,
 * clicked, accepted, complained, unsubscribed, ...): those are acknowledged and ignored.
 */
export function toDeliveryEvent(eventData: MailgunWebhook['event-data'], now: Date): DeliveryEvent | null {
  const details = EventDetails.parse(eventData);
  const outcome = outcomeOf(eventData.event, details.severity);
  if (!outcome) return null;
  const messageId = details.message?.headers?.['message-id'];
  const key = details['user-variables']?.[EMAIL_KEY_VARIABLE];
  const status = details['delivery-status'];
  const reason = [details.reason, status?.code, status?.message || status?.description]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');
  const eventMs = (details.timestamp ?? 0) * 1000;
  const occurredAt = Math.abs(eventMs - now.getTime()) <= PLAUSIBLE_EVENT_AGE_MS ? new Date(eventMs) : now;
  return {
    outcome,
    messageId: messageId ? normalizeMessageId(messageId) : undefined,
    idempotencyKey: typeof key === 'string' && key.length > 0 && key.length <= 191 ? key : undefined,
    reason:
      outcome === 'delivered' ? undefined : `mailgun ${eventData.event}: ${reason || 'no reason given'}`,
    occurredAt,
  };
}

function outcomeOf(event: string, severity: string | undefined): DeliveryEvent['outcome'] | null {
  switch (event) {
    case 'delivered':
      return 'delivered';
    case 'failed':
      // Mailgun keeps retrying a temporary failure itself; only a permanent one ends the e-mail.
      return severity === 'temporary' ? 'deferred' : 'failed';
    case 'rejected':
      return 'failed';
    default:
      return null;
  }
}
