import type { SavedCard } from '../../cards/service';
import { CsrfField, Empty, TableWrap, Time } from '../common/components';
import type { PageContext } from '../common/layout';

/**
 * A customer's saved cards (docs/api.md §8): brand, last four digits and dates, never the token. An ADMIN may
 * remove one (the token goes with it); STAFF only see them.
 */
export function SavedCardsPanel({
  ctx,
  customerId,
  cards,
}: {
  ctx: PageContext;
  customerId: number;
  cards: SavedCard[];
}) {
  const canRemove = ctx.role === 'ADMIN';
  return (
    <section class="panel" aria-labelledby="saved-cards">
      <h2 id="saved-cards">Saved cards</h2>
      {cards.length === 0 ? (
        <Empty>No saved cards.</Empty>
      ) : (
        <TableWrap label="Saved cards">
          <table>
            <thead>
              <tr>
                <th>Card</th>
                <th>Saved</th>
                <th>Last saved again</th>
                {canRemove ? <th>Remove</th> : null}
              </tr>
            </thead>
            <tbody>
              {cards.map((card) => (
                <tr id={`card-${card.id}`} data-testid="saved-card">
                  <td class="mono nowrap">
                    {card.brand} •••• {card.last4}
                  </td>
                  <td>
                    <Time value={card.createdAt} />
                  </td>
                  <td>
                    <Time value={card.updatedAt} />
                  </td>
                  {canRemove ? (
                    <td>
                      <form method="post" action={`/admin/customers/${customerId}/cards/${card.id}/delete`}>
                        <CsrfField token={ctx.csrfToken} />
                        <button type="submit" class="button-danger">
                          Remove card
                        </button>
                      </form>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {canRemove ? null : <p class="muted small">Only ADMIN users can remove a saved card.</p>}
    </section>
  );
}
