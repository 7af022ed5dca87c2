import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../lib/errors';
import { createRouter } from '../lib/openapi';
import { problemResponses } from '../lib/problem';
import { recordDeliveryWebhook } from './service';
import { isFreshTimestamp, MailgunWebhookSchema, toDeliveryEvent, verifyMailgunSignature } from './webhook';

export const notificationsRoutes = createRouter();

const ReceivedSchema = z.object({ received: z.literal(true) }).openapi('WebhookReceived');

// RFC 9110 wants a challenge on every 401; this names the scheme the caller failed.
const SIGNATURE_CHALLENGE = { 'WWW-Authenticate': 'HMAC-SHA256 realm="mailgun-webhook"' };

notificationsRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/mailgun-webhook',
    operationId: 'receiveMailgunEvent',
    tags: ['Notifications'],
    summary: 'Mailgun delivery events',
    description:
      'Called by Mailgun, not by clients. The body is verified with HMAC-SHA256 of `timestamp + token` under ' +
      'the webhook signing key; the timestamp must be within 5 minutes and each token is accepted once. ' +
      '`delivered` and permanent `failed` events update the e-mail; other events are acknowledged and ignored. ' +
      'A bad signature and an expired timestamp both answer 401; a reused token answers 409. Not rate limited.',
    request: {
      body: { required: true, content: { 'application/json': { schema: MailgunWebhookSchema } } },
    },
    responses: {
      200: { description: 'Event accepted', content: { 'application/json': { schema: ReceivedSchema } } },
      ...problemResponses(400, 401, 409, 413, 415, 503),
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const signingKey = c.var.config.MAILGUN_WEBHOOK_SIGNING_KEY;
    if (!signingKey) {
      c.var.logger.error('mailgun webhook received but MAILGUN_WEBHOOK_SIGNING_KEY is not set');
      // 503 rather than 4xx: Mailgun retries, so events are not lost once the key is configured.
      throw new AppError(503, 'webhook_not_configured', 'Webhook verification is not configured.');
    }
    if (!(await verifyMailgunSignature(signingKey, body.signature))) {
      throw new AppError(401, 'invalid_signature', 'The webhook signature is invalid.', {
        headers: SIGNATURE_CHALLENGE,
      });
    }
    // An old but correctly signed request is a replay outside the token window: also an authentication failure.
    const now = new Date();
    if (!isFreshTimestamp(body.signature.timestamp, now)) {
      throw new AppError(401, 'signature_expired', 'The webhook timestamp is too old or in the future.', {
        headers: SIGNATURE_CHALLENGE,
      });
    }
    const event = toDeliveryEvent(body['event-data'], now);
    const outcome = await recordDeliveryWebhook(c.var.db, 'mailgun', body.signature.token, event);
    c.var.logger.info('mailgun webhook', {
      event: body['event-data'].event,
      outcome,
      provider_message_id: event?.messageId,
    });
    if (outcome === 'replayed') {
      throw new AppError(409, 'webhook_replayed', 'This webhook token was already used.');
    }
    return c.json({ received: true } as const, 200);
  },
);
