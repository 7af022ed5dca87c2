import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { KycSchema } from '../customers/schemas';
import { PaymentLinkEventObject } from '../payment-links/schemas';
import { TransactionSchema } from '../transactions/schemas';
import { EVENT_TYPES, type EventType } from './schemas';

/**
 * The OpenAPI 3.1 `webhooks:` entries (docs/webhooks.md): one per event type, the POST a subscribed endpoint
 * receives, with the Standard Webhooks headers and the body `{id, type, created_at, data: {object}}`.
 */
const SUMMARIES: Record<EventType, string> = {
  'payment.succeeded': 'A payment succeeded',
  'payment.failed': 'A payment failed',
  'payment.expired': 'A payment expired before it was completed',
  'payment.refunded': 'A payment was refunded, partly or fully (`refunded_cents` is the refunded total)',
  'payment.voided': 'A payment was voided',
  'customer.kyc_approved': 'Staff approved a customer’s KYC documents',
  'customer.kyc_rejected': 'Staff rejected a customer’s KYC documents',
  'payment_link.paid':
    'A payment through a payment link succeeded and counted for the link (`transaction` is that payment; docs/api.md §11)',
};

const header = (description: string, example: string) => ({
  required: true,
  schema: { type: 'string' as const },
  description,
  example,
});

const operationId = (type: string) =>
  `on${type
    .split(/[._]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')}`;

export function registerWebhookDocs(registry: OpenAPIHono['openAPIRegistry']): void {
  for (const type of EVENT_TYPES) {
    const object = type.startsWith('payment.')
      ? TransactionSchema
      : type.startsWith('payment_link.')
        ? PaymentLinkEventObject
        : KycSchema;
    const body = z.object({
      id: z.string().openapi({
        description: 'The event id; also the `webhook-id` header.',
        example: 'evt_01JDZ6T3Q4W2M8N5R7V9X0Y1Z2',
      }),
      type: z.literal(type),
      created_at: z.string().openapi({ format: 'date-time' }),
      data: z.object({ object }),
    });
    registry.registerWebhook({
      method: 'post',
      path: type,
      operationId: operationId(type),
      tags: ['Webhooks'],
      summary: SUMMARIES[type],
      description:
        'Signed per the Standard Webhooks specification: verify with the endpoint’s `whsec_` secret (e.g. the `standardwebhooks` package) before trusting the body. Answer 2xx within 10 seconds; anything else is retried with the same `webhook-id` for about three days.',
      security: [],
      request: {
        headers: z.object({}),
        body: { required: true, content: { 'application/json': { schema: body } } },
      },
      responses: { 200: { description: 'Any 2xx answer marks the delivery as delivered.' } },
      // Headers as plain OpenAPI parameters: zod-openapi's `request.headers` would need a zod object.
      parameters: [
        {
          name: 'webhook-id',
          in: 'header',
          ...header('The event id, the same on every retry.', 'evt_01JDZ6T3Q4W2M8N5R7V9X0Y1Z2'),
        },
        {
          name: 'webhook-timestamp',
          in: 'header',
          ...header('Seconds since the epoch when this attempt was signed.', '1764151200'),
        },
        {
          name: 'webhook-signature',
          in: 'header',
          ...header(
            '`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.',
            'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
          ),
        },
      ],
    });
  }
}
