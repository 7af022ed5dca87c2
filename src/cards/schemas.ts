import { z } from '@hono/zod-openapi';

/** docs/api.md "Saved cards": a saved card as the API shows it — never its token. */
export const SavedCardSchema = z
  .object({
    id: z.number().int().openapi({ example: 7 }),
    brand: z.string().openapi({ description: 'PayMob’s card_subtype.', example: 'MasterCard' }),
    last4: z.string().openapi({ description: 'The last four digits of the card number.', example: '2346' }),
    created_at: z.string().openapi({ format: 'date-time', example: '2026-11-26T10:00:05.000Z' }),
    updated_at: z.string().openapi({
      format: 'date-time',
      description: 'When PayMob last sent this card’s token (the same card saved again updates it).',
      example: '2026-11-26T10:00:05.000Z',
    }),
  })
  .openapi('SavedCard');
export type SavedCardView = z.infer<typeof SavedCardSchema>;

export const CardIdParam = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,15}$/)
    .transform(Number)
    .refine(Number.isSafeInteger)
    .openapi({ param: { name: 'id', in: 'path' }, type: 'integer', example: 7 }),
});
