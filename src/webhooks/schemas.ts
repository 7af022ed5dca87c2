import { z } from '@hono/zod-openapi';
import { pageSchema, paginationQuery } from '../lib/pagination';

/** docs/webhooks.md: the event types StackPay emits (issue 16's list). */
export const EVENT_TYPES = [
  'payment.succeeded',
  'payment.failed',
  'payment.expired',
  'payment.refunded',
  'payment.voided',
  'customer.kyc_approved',
  'customer.kyc_rejected',
  'payment_link.paid',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What an event is about, per type prefix: its `data.object` is that object's API read shape. */
export const OBJECT_TYPES = ['transaction', 'customer', 'payment_link'] as const;
export type EventObjectType = (typeof OBJECT_TYPES)[number];

export const ENDPOINT_ID = /^we_[0-9A-HJKMNP-TV-Z]{26}$/;
export const EVENT_ID = /^evt_[0-9A-HJKMNP-TV-Z]{26}$/;

const eventList = z
  .array(z.string())
  .min(1, 'Name at least one event type, or "*".')
  .max(EVENT_TYPES.length, `At most ${EVENT_TYPES.length} event types.`)
  .refine((list) => !(list.includes('*') && list.length > 1), '"*" must be the only entry.')
  .refine((list) => new Set(list).size === list.length, 'Each event type may appear once.')
  .superRefine((list, ctx) => {
    for (const type of list) {
      if (type !== '*' && !(EVENT_TYPES as readonly string[]).includes(type)) {
        ctx.addIssue({ code: 'custom', message: `"${type.slice(0, 64)}" is not a valid event type.` });
      }
    }
  })
  .openapi({
    description: 'Event types to receive, or `["*"]` for every type.',
    items: { type: 'string', enum: ['*', ...EVENT_TYPES] },
    example: ['payment.succeeded', 'payment.refunded'],
  });

const url = z.string().trim().min(1).max(2048).openapi({
  format: 'uri',
  description:
    'Where deliveries are POSTed. https:// on a public host in production; development and test also accept http:// on loopback.',
  example: 'https://shop.example.com/webhooks/stackpay',
});
const description = z.string().trim().max(255);

export const CreateEndpointBody = z
  .object({
    url,
    description: description.optional(),
    events: eventList.optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .openapi('CreateWebhookEndpoint');
export type CreateEndpointInput = z.infer<typeof CreateEndpointBody>;

export const UpdateEndpointBody = z
  .object({
    url: url.optional(),
    description: description.optional(),
    events: eventList.optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .openapi('UpdateWebhookEndpoint');
export type UpdateEndpointInput = z.infer<typeof UpdateEndpointBody>;

export const WebhookEndpointSchema = z
  .object({
    id: z.string().openapi({ example: 'we_01JDZ6T3Q4W2M8N5R7V9X0Y1Z2' }),
    url: z.string(),
    description: z.string(),
    events: z.array(z.string()),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable(),
    failing_since: z.string().nullable().openapi({ format: 'date-time' }),
    created_at: z.string().openapi({ format: 'date-time' }),
    updated_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('WebhookEndpoint');
export type WebhookEndpointView = z.infer<typeof WebhookEndpointSchema>;

export const WebhookEndpointWithSecret = WebhookEndpointSchema.extend({
  secret: z.string().openapi({
    description: 'The signing secret (`whsec_…`), shown on create and rotation only.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  }),
}).openapi('WebhookEndpointWithSecret');

export const WebhookEndpointPage = pageSchema(WebhookEndpointSchema, 'WebhookEndpointPage');

export const EndpointIdParams = z.object({
  // Validated by the service (a malformed id is a 404, like an unknown one); published with its pattern.
  id: z.string().openapi({
    param: { name: 'id', in: 'path' },
    pattern: ENDPOINT_ID.source,
    example: 'we_01JDZ6T3Q4W2M8N5R7V9X0Y1Z2',
  }),
});

export const EventSchema = z
  .object({
    id: z.string().openapi({ example: 'evt_01JDZ6T3Q4W2M8N5R7V9X0Y1Z2' }),
    type: z.enum(EVENT_TYPES),
    created_at: z.string().openapi({ format: 'date-time' }),
    data: z.object({
      object: z.record(z.string(), z.unknown()).openapi({
        description: 'The object as the API reads it (a Transaction or a customer’s KYC record).',
      }),
    }),
  })
  .openapi('Event');
export type EventView = z.infer<typeof EventSchema>;

export const EventPage = pageSchema(EventSchema, 'EventPage');

export const EventListQuery = z.object({
  ...paginationQuery,
  type: z
    .string()
    .optional()
    .openapi({ enum: [...EVENT_TYPES], description: 'Only this event type.' }),
  object_type: z
    .string()
    .optional()
    .openapi({ enum: [...OBJECT_TYPES], description: 'Only events about this kind of object.' }),
  object_id: z
    .string()
    .optional()
    .openapi({ description: 'Only events about this object (with `object_type`).' }),
});
export type EventListQuery = z.infer<typeof EventListQuery>;
