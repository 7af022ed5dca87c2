import { KYC_STATUSES } from '../../db/schema';
import { humanize } from '../format';
import type { CustomerFilters, CustomerListRow, ListResult } from '../queries';
import { Empty, Filters, Pager, PastTheEnd, Select, TableWrap, TextInput, Time, YesNo } from './components';
import { Layout, type PageContext, PageHead } from './layout';

export interface CustomersPageProps {
  ctx: PageContext;
  url: URL;
  filters: CustomerFilters;
  result: ListResult<CustomerListRow>;
  page: number;
  pageSize: number;
}

/**
 * docs/api.md §8: id, first name, last name, e-mail, verified, created; search. Customers are created by sign-up
 * and removed only by themselves, so this page has no add and no delete.
 */
export function CustomersPage({ ctx, url, filters, result, page, pageSize }: CustomersPageProps) {
  return (
    <Layout ctx={ctx} title="Customers" section="customers">
      <PageHead
        title="Customers"
        lead="Customer profiles. Open one to review its KYC or edit its addresses."
      />
      <Filters action="/admin/customers">
        <TextInput name="search" label="Search name, e-mail or phone" type="search" value={filters.search} />
        <Select
          name="verified"
          label="Verified"
          value={filters.verified === undefined ? '' : String(filters.verified)}
          options={[
            { value: '', label: 'Any' },
            { value: 'true', label: 'Verified' },
            { value: 'false', label: 'Not verified' },
          ]}
        />
        <Select
          name="kyc"
          label="KYC status"
          value={filters.kyc}
          options={[
            { value: '', label: 'Any' },
            ...KYC_STATUSES.map((s) => ({ value: s, label: humanize(s) })),
          ]}
        />
      </Filters>
      {result.rows.length === 0 ? (
        page > 1 ? (
          <PastTheEnd url={url} />
        ) : (
          <Empty>No customers match these filters.</Empty>
        )
      ) : (
        <TableWrap label="Customers">
          <table>
            <thead>
              <tr>
                <th class="num">Id</th>
                <th>First name</th>
                <th>Last name</th>
                <th>E-mail</th>
                <th>Verified</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {result.rows.map((customer) => (
                <tr>
                  <td class="num">
                    <a href={`/admin/customers/${customer.id}`}>{customer.id}</a>
                  </td>
                  <td>
                    <a href={`/admin/customers/${customer.id}`}>
                      {customer.firstName ?? <span class="muted">—</span>}
                    </a>
                  </td>
                  <td>{customer.lastName ?? <span class="muted">—</span>}</td>
                  <td>{customer.email}</td>
                  <td>
                    <YesNo value={customer.isVerified} yes="Verified" no="Not verified" />
                  </td>
                  <td>
                    <Time value={customer.createdAt} />
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
