import { z } from '@hono/zod-openapi';
import { API_KEY_SCOPES } from '../db/schema';

/** docs/api-keys.md §2: a key as the API shows it (never its secret or hash). */
export const ApiKeySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    prefix: z
      .string()
      .openapi({ description: 'The first 12 characters of the secret.', example: 'sk_test_AbCd' }),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    created_by: z.number().int().openapi({ description: 'The ADMIN who created it.' }),
    created_at: z.string().openapi({ format: 'date-time' }),
    last_used_at: z
      .string()
      .nullable()
      .openapi({ format: 'date-time', description: 'Updated at most once a minute.' }),
    revoked_at: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('ApiKey');
export type ApiKeyView = z.infer<typeof ApiKeySchema>;

export const CreatedApiKeySchema = ApiKeySchema.extend({
  secret: z.string().openapi({
    description: 'The key itself, shown this once: only its SHA-256 is stored.',
    example: 'sk_test_9b1dGq0yqJ4t8yQmXo5b2m3n4p5q6r7s8t9u0v1w2x3',
  }),
}).openapi('CreatedApiKey');

export const ApiKeyList = z.object({ results: z.array(ApiKeySchema) }).openapi('ApiKeyList');

export const CreateApiKeyBody = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'This field may not be blank.')
      .max(100, 'Ensure this field has no more than 100 characters.')
      .openapi({ example: 'Shop backend' }),
    scopes: z
      .array(z.enum(API_KEY_SCOPES))
      .min(1, 'Choose at least one scope.')
      .openapi({ description: 'What the key may do (docs/api-keys.md §2).' }),
  })
  .openapi('CreateApiKey');

export const ApiKeyIdParams = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, type: 'integer', example: 7 }),
});
