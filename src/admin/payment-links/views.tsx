import type { PaymentLinkRow } from '../../payment-links/view';
import { linkState } from '../../payment-links/view';
import { Badge, CsrfField, Empty, Pager, TableWrap, TextInput, Time } from '../common/components';
import { formatAmount } from '../common/format';
import { Layout, type PageContext, PageHead } from '../common/layout';
import type { LinkPayment } from './queries';

const crumbs = <a href="/admin/payment-links">Payment links</a>;

export interface LinkForm {
  amount?: string;
  description?: string;
  customer_email?: string;
  expires_in_days?: string;
  single_use?: boolean;
  errors?: string[];
}

function CreateForm({ ctx, form }: { ctx: PageContext; form?: LinkForm }) {
  return (
    <section class="panel" aria-labelledby="create-link">
      <h2 id="create-link">Create a link</h2>
      {form?.errors?.length ? (
        <div class="flash flash-error" role="alert">
          {form.errors.map((e) => (
            <p>{e}</p>
          ))}
        </div>
      ) : null}
      <form method="post" action="/admin/payment-links">
        <CsrfField token={ctx.csrfToken} />
        <TextInput name="amount" label="Amount" value={form?.amount} required maxlength={20} />
        <TextInput
          name="description"
          label="Description"
          value={form?.description}
          required
          maxlength={255}
        />
        <TextInput
          name="customer_email"
          label="Payer's e-mail (optional: the link is e-mailed)"
          type="email"
          value={form?.customer_email}
          maxlength={254}
        />
        <TextInput
          name="expires_in_days"
          label="Expires after (days, 1–90)"
          value={form?.expires_in_days ?? '7'}
          maxlength={2}
          required
        />
        <div class="field">
          <label>
            <input type="checkbox" name="single_use" value="on" checked={form?.single_use ?? true} /> Single
            use (the first successful payment closes the link)
          </label>
        </div>
        <button type="submit">Create link</button>
      </form>
    </section>
  );
}

/** Staff: every link, newest first, with the create form. */
export function PaymentLinksPage({
  ctx,
  links,
  now,
  window,
  total,
  form,
}: {
  ctx: PageContext;
  links: PaymentLinkRow[];
  now: Date;
  window: { url: URL; page: number; pageSize: number };
  total: number;
  form?: LinkForm;
}) {
  return (
    <Layout ctx={ctx} title="Payment links" section="payment-links">
      <PageHead
        title="Payment links"
        lead="Links anyone can pay through a StackPay page (docs/api.md §11). Each link's page shows its payments."
      />
      <CreateForm ctx={ctx} form={form} />
      {links.length === 0 ? (
        <Empty>No payment links yet.</Empty>
      ) : (
        <TableWrap label="Payment links">
          <table>
            <thead>
              <tr>
                <th>Link</th>
                <th>Description</th>
                <th>Amount</th>
                <th>Use</th>
                <th>Status</th>
                <th>Paid</th>
                <th>Expires</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {links.map((link) => (
                <tr>
                  <td>
                    <a href={`/admin/payment-links/${link.id}`}>#{link.id}</a>
                  </td>
                  <td>{link.description}</td>
                  <td class="num nowrap">{formatAmount(link.amountCents, link.currency)}</td>
                  <td>{link.singleUse ? 'single' : 'multi'}</td>
                  <td>
                    <Badge value={linkState(link, now)} />
                  </td>
                  <td class="num">{link.paidCount}</td>
                  <td>
                    <Time value={link.expiresAt} />
                  </td>
                  <td>
                    <Time value={link.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager
        url={window.url}
        page={window.page}
        pageSize={window.pageSize}
        total={total}
        shown={links.length}
      />
    </Layout>
  );
}

/** One link: its URL, its state, every checkout started through it, and the deactivate button. */
export function PaymentLinkDetailPage({
  ctx,
  link,
  url,
  payments,
  now,
}: {
  ctx: PageContext;
  link: PaymentLinkRow;
  url: string;
  payments: LinkPayment[];
  now: Date;
}) {
  const state = linkState(link, now);
  return (
    <Layout ctx={ctx} title={`Payment link #${link.id}`} section="payment-links">
      <PageHead title={`Payment link #${link.id}`} crumbs={crumbs} />
      <section class="panel" aria-labelledby="details">
        <h2 id="details">Details</h2>
        <dl class="fields">
          <dt>URL</dt>
          <dd class="mono" id="payment-link-url">
            {url}
          </dd>
          <dt>Description</dt>
          <dd>{link.description}</dd>
          <dt>Amount</dt>
          <dd>{formatAmount(link.amountCents, link.currency)}</dd>
          <dt>Status</dt>
          <dd>
            <Badge value={state} />
          </dd>
          <dt>Use</dt>
          <dd>{link.singleUse ? 'Single use' : 'Multi-use'}</dd>
          <dt>Payer's e-mail</dt>
          <dd>{link.customerEmail ?? '—'}</dd>
          <dt>Merchant reference</dt>
          <dd>{link.merchantReference ?? '—'}</dd>
          <dt>Counted payments</dt>
          <dd>{link.paidCount}</dd>
          <dt>Expires</dt>
          <dd>
            <Time value={link.expiresAt} />
          </dd>
          <dt>Created</dt>
          <dd>
            <Time value={link.createdAt} />
          </dd>
        </dl>
        {link.status === 'active' ? (
          <form method="post" action={`/admin/payment-links/${link.id}/deactivate`} class="actions">
            <CsrfField token={ctx.csrfToken} />
            <button type="submit" class="button-danger">
              Deactivate
            </button>
          </form>
        ) : null}
      </section>
      <section class="panel" aria-labelledby="payments">
        <h2 id="payments">Payments</h2>
        {payments.length === 0 ? (
          <Empty>No checkout was started through this link.</Empty>
        ) : (
          <TableWrap label="Payments through this link">
            <table>
              <thead>
                <tr>
                  <th>Order</th>
                  <th>Amount</th>
                  <th>Status</th>
                  <th>Counted</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {payments.map((t) => (
                  <tr>
                    <td class="mono nowrap">
                      <a href={`/admin/transactions/${t.id}`}>{t.merchantOrderId}</a>
                    </td>
                    <td class="num nowrap">{formatAmount(t.amountCents, t.currency)}</td>
                    <td>
                      <Badge value={t.status} />
                      {t.needsAttentionAt ? (
                        <>
                          {' '}
                          <Badge value="needs_attention" label="needs attention" />
                        </>
                      ) : null}
                    </td>
                    <td>{t.counted === null ? '—' : t.counted ? 'yes' : 'no'}</td>
                    <td>
                      <Time value={t.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>
    </Layout>
  );
}
