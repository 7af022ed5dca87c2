import { EMAIL_STATUSES } from '../../db/schema';
import { Badge, choices, Select, TextInput, Time } from '../common/components';
import { humanize } from '../common/format';
import type { PageContext } from '../common/layout';
import { ListPage } from '../common/list';
import type { ListResult } from '../common/queries';
import type { EmailFilters, EmailRow } from './queries';

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
    <ListPage
      ctx={ctx}
      section="emails"
      title="E-mails"
      lead="Every e-mail StackPay queued, with what the provider said about it."
      url={url}
      filters={
        <>
          <Select
            name="status"
            label="Status"
            value={filters.status}
            options={choices('Any status', EMAIL_STATUSES)}
          />
          <Select name="kind" label="Kind" value={filters.kind} options={choices('Any kind', kinds)} />
          <TextInput name="recipient" label="Recipient contains" type="search" value={filters.recipient} />
        </>
      }
      columns={[
        { header: 'Id', num: true, cell: (e) => e.id },
        { header: 'Created', cell: (e) => <Time value={e.createdAt} /> },
        { header: 'Kind', cell: (e) => humanize(e.kind) },
        { header: 'Recipient', cell: (e) => e.recipient },
        { header: 'Subject', cell: (e) => e.subject },
        {
          header: 'Status',
          cell: (e) => (
            <>
              <Badge value={e.status} />
              {e.lastError ? <div class="small muted">{e.lastError}</div> : null}
            </>
          ),
        },
        { header: 'Attempts', num: true, cell: (e) => e.attempts },
        {
          header: 'Provider',
          cell: (e) => (
            <>
              {e.provider}
              {e.providerMessageId ? <div class="small muted mono">{e.providerMessageId}</div> : null}
            </>
          ),
        },
        {
          header: 'Sent / delivered',
          class: 'small',
          cell: (e) => (
            <>
              <Time value={e.sentAt} />
              <br />
              <Time value={e.deliveredAt} />
            </>
          ),
        },
      ]}
      result={result}
      page={page}
      pageSize={pageSize}
      empty="No e-mails match these filters."
    />
  );
}
