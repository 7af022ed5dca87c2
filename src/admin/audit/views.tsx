import { choices, Select, TextInput, Time } from '../common/components';
import type { PageContext } from '../common/layout';
import { ListPage } from '../common/list';
import type { ListResult } from '../common/queries';
import { type AuditFilters, type AuditRow, auditActorLabel } from './queries';

export interface AuditPageProps {
  ctx: PageContext;
  url: URL;
  filters: AuditFilters;
  actions: readonly string[];
  result: ListResult<AuditRow>;
  page: number;
  pageSize: number;
}

/** Where an audit target lives in the admin, when it has a page. */
function targetHref(entry: AuditRow): string | undefined {
  if (entry.targetType === 'webhook_endpoint' && /^we_[0-9A-Z]{26}$/.test(entry.targetId)) {
    return `/admin/webhooks/${entry.targetId}`;
  }
  if (entry.targetType === 'event' && /^evt_[0-9A-Z]{26}$/.test(entry.targetId)) {
    return `/admin/webhooks/events/${entry.targetId}`;
  }
  if (!/^\d+$/.test(entry.targetId)) return undefined;
  if (entry.targetType === 'customer') return `/admin/customers/${entry.targetId}`;
  if (entry.targetType === 'transaction') return `/admin/transactions/${entry.targetId}`;
  return undefined;
}

export function AuditPage({ ctx, url, filters, actions, result, page, pageSize }: AuditPageProps) {
  const known = filters.action && !actions.includes(filters.action) ? [...actions, filters.action] : actions;
  return (
    <ListPage
      ctx={ctx}
      section="audit"
      title="Audit log"
      lead="Who did what, when: KYC reviews, role and activation changes, refunds, voids."
      url={url}
      filters={
        <>
          <Select
            name="action"
            label="Action"
            value={filters.action}
            options={choices('Any action', known, (a) => a)}
          />
          <TextInput name="actor" label="Actor (username or id)" value={filters.actor} />
        </>
      }
      columns={[
        { header: 'When', cell: (entry) => <Time value={entry.createdAt} /> },
        {
          header: 'Actor',
          cell: (entry) => auditActorLabel(entry) ?? <span class="muted">system</span>,
        },
        { header: 'Action', class: 'mono', cell: (entry) => entry.action },
        {
          header: 'Target',
          cell: (entry) => {
            const href = targetHref(entry);
            const target = `${entry.targetType} #${entry.targetId}`;
            return href ? <a href={href}>{target}</a> : target;
          },
        },
        {
          header: 'Details',
          class: 'mono small',
          cell: (entry) => (entry.details ? JSON.stringify(entry.details) : '—'),
        },
        { header: 'Request', class: 'mono small', cell: (entry) => entry.requestId ?? '—' },
      ]}
      result={result}
      page={page}
      pageSize={pageSize}
      empty="No audit entries match these filters."
    />
  );
}
