import { EMAIL_STATUSES } from '../../db/schema';
import { humanize } from '../format';
import type { EmailFilters, EmailRow, ListResult } from '../queries';
import { Badge, Empty, Filters, Pager, PastTheEnd, Select, TableWrap, TextInput, Time } from './components';
import { Layout, type PageContext, PageHead } from './layout';

export interface EmailsPageProps {
  ctx: PageContext;
  url: URL;
  filters: EmailFilters;
  kinds: readonly string[];
  result: ListResult<EmailRow>;
  page: number;
  pageSize: number;
}

export function EmailsPage({ ctx, url, filters, kinds, result, page, pageSize }: EmailsPageProps) {
  return (
    <Layout ctx={ctx} title="E-mails" section="emails">
      <PageHead title="E-mails" lead="Every e-mail StackPay queued, with what the provider said about it." />
      <Filters action="/admin/emails">
        <Select
          name="status"
          label="Status"
          value={filters.status}
          options={[
            { value: '', label: 'Any status' },
            ...EMAIL_STATUSES.map((s) => ({ value: s, label: humanize(s) })),
          ]}
        />
        <Select
          name="kind"
          label="Kind"
          value={filters.kind}
          options={[
            { value: '', label: 'Any kind' },
            ...kinds.map((k) => ({ value: k, label: humanize(k) })),
          ]}
        />
        <TextInput name="recipient" label="Recipient contains" type="search" value={filters.recipient} />
      </Filters>
      {result.rows.length === 0 ? (
        page > 1 ? (
          <PastTheEnd url={url} />
        ) : (
          <Empty>No e-mails match these filters.</Empty>
        )
      ) : (
        <TableWrap label="E-mails">
          <table>
            <thead>
              <tr>
                <th class="num">Id</th>
                <th>Created</th>
                <th>Kind</th>
                <th>Recipient</th>
                <th>Subject</th>
                <th>Status</th>
                <th class="num">Attempts</th>
                <th>Provider</th>
                <th>Sent / delivered</th>
              </tr>
            </thead>
            <tbody>
              {result.rows.map((e) => (
                <tr>
                  <td class="num">{e.id}</td>
                  <td>
                    <Time value={e.createdAt} />
                  </td>
                  <td>{humanize(e.kind)}</td>
                  <td>{e.recipient}</td>
                  <td>{e.subject}</td>
                  <td>
                    <Badge value={e.status} />
                    {e.lastError ? <div class="small muted">{e.lastError}</div> : null}
                  </td>
                  <td class="num">{e.attempts}</td>
                  <td>
                    {e.provider}
                    {e.providerMessageId ? <div class="small muted mono">{e.providerMessageId}</div> : null}
                  </td>
                  <td class="small">
                    <Time value={e.sentAt} />
                    <br />
                    <Time value={e.deliveredAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager url={url} page={page} pageSize={pageSize} total={result.total} shown={result.rows.length} />
    </Layout>
  );
}
