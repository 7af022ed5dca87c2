import type { AuditFilters, AuditRow, ListResult } from '../queries';
import { Empty, Filters, Pager, PastTheEnd, Select, TableWrap, TextInput, Time } from './components';
import { Layout, type PageContext, PageHead } from './layout';

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
  if (!/^\d+$/.test(entry.targetId)) return undefined;
  if (entry.targetType === 'customer') return `/admin/customers/${entry.targetId}`;
  if (entry.targetType === 'transaction') return `/admin/transactions/${entry.targetId}`;
  return undefined;
}

export function AuditPage({ ctx, url, filters, actions, result, page, pageSize }: AuditPageProps) {
  const known = filters.action && !actions.includes(filters.action) ? [...actions, filters.action] : actions;
  return (
    <Layout ctx={ctx} title="Audit log" section="audit">
      <PageHead
        title="Audit log"
        lead="Who did what, when: KYC reviews, role and activation changes, refunds, voids."
      />
      <Filters action="/admin/audit">
        <Select
          name="action"
          label="Action"
          value={filters.action}
          options={[{ value: '', label: 'Any action' }, ...known.map((a) => ({ value: a, label: a }))]}
        />
        <TextInput name="actor" label="Actor (username or id)" value={filters.actor} />
      </Filters>
      {result.rows.length === 0 ? (
        page > 1 ? (
          <PastTheEnd url={url} />
        ) : (
          <Empty>No audit entries match these filters.</Empty>
        )
      ) : (
        <TableWrap label="Audit log">
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Actor</th>
                <th>Action</th>
                <th>Target</th>
                <th>Details</th>
                <th>Request</th>
              </tr>
            </thead>
            <tbody>
              {result.rows.map((entry) => {
                const href = targetHref(entry);
                const target = `${entry.targetType} #${entry.targetId}`;
                return (
                  <tr>
                    <td>
                      <Time value={entry.createdAt} />
                    </td>
                    <td>
                      {entry.actorUsername ??
                        (entry.actorUserId ? (
                          `user #${entry.actorUserId}`
                        ) : (
                          <span class="muted">system</span>
                        ))}
                    </td>
                    <td class="mono">{entry.action}</td>
                    <td>{href ? <a href={href}>{target}</a> : target}</td>
                    <td class="mono small">{entry.details ? JSON.stringify(entry.details) : '—'}</td>
                    <td class="mono small">{entry.requestId ?? '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager url={url} page={page} pageSize={pageSize} total={result.total} shown={result.rows.length} />
    </Layout>
  );
}
