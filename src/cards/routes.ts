import { createRoute, z } from '@hono/zod-openapi';
import { security } from '../customers/routes-common';
import { createRouter, jsonResponse } from '../lib/openapi';
import { problemResponses } from '../lib/problem';
import { CardIdParam, SavedCardSchema } from './schemas';
import { cardNotFound, deleteCard, listCards } from './service';
import { toSavedCardView } from './view';

/**
 * docs/api.md "Saved cards": the caller's saved cards, mounted under /api/v1/customers (its requireAuth refuses
 * API keys: no key scope reaches saved cards, docs/api-keys.md).
 */
export const cardRoutes = createRouter();

const TAGS = ['Customers'];

cardRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/cards',
    operationId: 'listSavedCards',
    tags: TAGS,
    security,
    summary: 'Your saved cards, most recently saved first (never their tokens)',
    description:
      'Cards are saved by paying with `save_card: true` (unified checkout); pay with one by sending its id as `card_id` to `POST /transactions/txn/`.',
    responses: {
      200: jsonResponse(z.array(SavedCardSchema), 'The saved cards'),
      ...problemResponses(401, 404, 429),
    },
  }),
  async (c) => c.json((await listCards(c.var.ctx)).map(toSavedCardView), 200),
);

cardRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/cards/{id}',
    operationId: 'deleteSavedCard',
    tags: TAGS,
    security,
    summary: 'Delete one of your saved cards and its token',
    description: 'Another customer’s card id is answered 404 `card_not_found`, like a missing one.',
    request: { params: CardIdParam },
    responses: { 204: { description: 'Deleted' }, ...problemResponses(401, 404, 429) },
  }),
  async (c) => {
    await deleteCard(c.var.ctx, c.req.valid('param').id);
    return c.body(null, 204);
  },
  (result) => {
    // The only input is the path: an id that is not a number names no card.
    if (!result.success) throw cardNotFound();
  },
);
