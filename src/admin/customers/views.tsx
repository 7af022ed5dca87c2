import type { Child } from 'hono/jsx';
import { KYC_STATUSES } from '../../db/schema';
import { choices, Select, TextInput, Time, YesNo, yesNoChoices } from '../common/components';
import type { PageContext } from '../common/layout';
import { ListPage } from '../common/list';
import type { ListResult } from '../common/queries';
import type { CustomerFilters, CustomerListRow } from './queries';

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
  const link = (customer: CustomerListRow, text: Child) => (
    <a href={`/admin/customers/${customer.id}`}>{text}</a>
  );
  return (
    <ListPage
      csv
      ctx={ctx}
      section="customers"
      title="Customers"
      lead="Customer profiles. Open one to review its KYC or edit its addresses."
      url={url}
      filters={
        <>
          <TextInput
            name="search"
            label="Search name, e-mail or phone"
            type="search"
            value={filters.search}
          />
          <Select
            name="verified"
            label="Verified"
            value={filters.verified === undefined ? '' : String(filters.verified)}
            options={yesNoChoices('Any', 'Verified', 'Not verified')}
          />
          <Select name="kyc" label="KYC status" value={filters.kyc} options={choices('Any', KYC_STATUSES)} />
        </>
      }
      columns={[
        { header: 'Id', num: true, cell: (customer) => link(customer, customer.id) },
        {
          header: 'First name',
          cell: (customer) => link(customer, customer.firstName ?? <span class="muted">—</span>),
        },
        { header: 'Last name', cell: (customer) => customer.lastName ?? <span class="muted">—</span> },
        { header: 'E-mail', cell: (customer) => customer.email },
        {
          header: 'Verified',
          cell: (customer) => <YesNo value={customer.isVerified} yes="Verified" no="Not verified" />,
        },
        { header: 'Created', cell: (customer) => <Time value={customer.createdAt} /> },
      ]}
      result={result}
      page={page}
      pageSize={pageSize}
      empty="No customers match these filters."
    />
  );
}
