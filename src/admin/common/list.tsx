import type { Child } from 'hono/jsx';
import { Empty, Filters, Pager, PastTheEnd, TableWrap } from './components';
import { Layout, type PageContext, PageHead, type Section } from './layout';
import type { ListResult } from './queries';

/** One column of an admin table: its heading and how a row fills its cell. */
export interface Column<T> {
  header: string;
  /** Numbers are right-aligned, heading and cells. */
  num?: boolean;
  /** The cell's class when it is not just `num` (e.g. `mono small`). */
  class?: string;
  cell: (row: T) => Child;
}

/** A table of rows, one column per entry; the caller decides what an empty list says. */
export function DataTable<T>({ label, columns, rows }: { label: string; columns: Column<T>[]; rows: T[] }) {
  return (
    <TableWrap label={label}>
      <table>
        <thead>
          <tr>
            {columns.map((column) => (
              <th class={column.num ? 'num' : undefined}>{column.header}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr>
              {columns.map((column) => (
                <td class={column.class ?? (column.num ? 'num' : undefined)}>{column.cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export interface ListPageProps<T> {
  ctx: PageContext;
  section: Section;
  title: string;
  lead: Child;
  /** The current URL (the pager's links keep its filters). */
  url: URL;
  /** The filter form's fields (a GET form to the list itself, with Apply and Reset). */
  filters: Child;
  /** The list's own path when it is not the section's (`/admin/webhooks/events`). */
  path?: string;
  columns: Column<T>[];
  result: ListResult<T>;
  page: number;
  pageSize: number;
  /** What an empty first page says (`No users match these filters.`). */
  empty: string;
  /** Shown between the filters and the table (a creation form). */
  extra?: Child;
  /** Offer `/admin/<section>.csv` with the current filters (docs/admin.md §2). */
  csv?: boolean;
}

/** The list's CSV with the same filters (the page number dropped: the CSV has every matching row). */
function CsvLink({ section, url }: { section: Section; url: URL }) {
  const query = new URLSearchParams(url.search);
  query.delete('page');
  const search = query.toString();
  return (
    <p class="export">
      <a class="button button-secondary" href={`/admin/${section}.csv${search ? `?${search}` : ''}`} download>
        Download CSV
      </a>{' '}
      <span class="muted small">
        Every row matching these filters; the download is recorded in the audit log.
      </span>
    </p>
  );
}

/** Every admin list page: heading, filter form, the table (or why it is empty) and pagination. */
export function ListPage<T>(props: ListPageProps<T>) {
  const { ctx, url, result, page } = props;
  return (
    <Layout ctx={ctx} title={props.title} section={props.section}>
      <PageHead title={props.title} lead={props.lead} />
      <Filters action={props.path ?? `/admin/${props.section}`}>{props.filters}</Filters>
      {props.csv ? <CsvLink section={props.section} url={url} /> : null}
      {props.extra ?? null}
      {result.rows.length === 0 ? (
        page > 1 ? (
          <PastTheEnd url={url} />
        ) : (
          <Empty>{props.empty}</Empty>
        )
      ) : (
        <DataTable label={props.title} columns={props.columns} rows={result.rows} />
      )}
      <Pager
        url={url}
        page={page}
        pageSize={props.pageSize}
        total={result.total}
        shown={result.rows.length}
      />
    </Layout>
  );
}
