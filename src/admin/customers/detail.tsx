import { COUNTRIES, COUNTRY_CODES } from '../../customers/countries';
import type { FieldErrors } from '../../lib/errors';
import { Badge, CsrfField, type Flash, FlashMessage, TextInput, Time, YesNo } from '../common/components';
import { formatBytes, fullName, humanize } from '../common/format';
import { Layout, type PageContext, PageHead } from '../common/layout';
import type { ListResult } from '../common/queries';
import type { TransactionListRow } from '../transactions/queries';
import { TransactionsTable } from '../transactions/views';
import { SavedCardsPanel } from './cards';
import type { AdminAddress, CustomerDetail } from './queries';

/** A form on this page that failed: which one, what was typed, and every message per field. */
export interface CustomerFormState {
  /** `address-<id>`, `address-new` or `kyc`. */
  target: string;
  values: Record<string, string>;
  errors: FieldErrors;
  flash: Flash;
}

export interface CustomerPageProps {
  ctx: PageContext;
  customer: CustomerDetail;
  transactions: ListResult<TransactionListRow>;
  addressLimit: number;
  formState?: CustomerFormState;
}

const ADDRESS_FIELDS = [
  { name: 'state', label: 'State', max: 50 },
  { name: 'city', label: 'City', max: 50 },
  { name: 'line', label: 'Street / line', max: 50 },
  { name: 'building_number', label: 'Building', max: 10 },
  { name: 'apartment_number', label: 'Apartment', max: 10 },
  { name: 'postal_code', label: 'Postal code', max: 20 },
] as const;

export const ADDRESS_LABELS: Record<string, string> = {
  country: 'Country',
  main_address: 'Main address',
  non_field_errors: 'Address',
  ...Object.fromEntries(ADDRESS_FIELDS.map((f) => [f.name, f.label])),
};

function addressValue(address: AdminAddress | undefined, name: (typeof ADDRESS_FIELDS)[number]['name']) {
  if (!address) return null;
  const map = {
    state: address.state,
    city: address.city,
    line: address.line,
    building_number: address.buildingNumber,
    apartment_number: address.apartmentNumber,
    postal_code: address.postalCode,
  };
  return map[name];
}

function AddressForm({
  customerId,
  address,
  index,
  csrfToken,
  state,
}: {
  customerId: number;
  address?: AdminAddress;
  index: number;
  csrfToken: string;
  state?: CustomerFormState;
}) {
  const key = address ? `address-${address.id}` : 'address-new';
  const failed = state?.target === key ? state : undefined;
  const value = (name: string, stored: string | null) => (failed ? (failed.values[name] ?? '') : stored);
  const country = failed?.values.country ?? address?.country ?? 'EG';
  const action = address
    ? `/admin/customers/${customerId}/addresses/${address.id}`
    : `/admin/customers/${customerId}/addresses`;
  const title = address ? `Address ${index + 1}` : 'New address';
  return (
    <form
      method="post"
      action={action}
      class={address?.mainAddress ? 'address main' : 'address'}
      id={key}
      aria-label={title}
    >
      <CsrfField token={csrfToken} />
      <div class="address-head">
        <h3>{title}</h3>
        {address?.mainAddress ? <Badge value="approved" label="Main address" /> : null}
      </div>
      {failed ? <FlashMessage flash={failed.flash} /> : null}
      <div class="form-grid">
        <div class={failed?.errors.country ? 'field has-error' : 'field'}>
          <label for={`${key}-country`}>Country</label>
          <select id={`${key}-country`} name="country">
            {COUNTRY_CODES.map((code) => (
              <option value={code} selected={code === country}>
                {COUNTRIES[code].name} ({code})
              </option>
            ))}
          </select>
          {failed?.errors.country ? <p class="field-error">{failed.errors.country.join(' ')}</p> : null}
        </div>
        {ADDRESS_FIELDS.map((field) => (
          <TextInput
            id={`${key}-${field.name}`}
            name={field.name}
            label={field.label}
            value={value(field.name, addressValue(address, field.name))}
            maxlength={field.max}
            errors={failed?.errors[field.name]}
          />
        ))}
      </div>
      <div class="actions">
        {address?.mainAddress ? (
          <span class="muted small">The main address stays main until another one is made main.</span>
        ) : (
          <label class="check">
            <input
              type="checkbox"
              name="main_address"
              value="true"
              checked={failed ? failed.values.main_address === 'true' : !address}
            />
            Make this the main address
          </label>
        )}
        <button type="submit">{address ? 'Save address' : 'Add address'}</button>
      </div>
    </form>
  );
}

function KycPanel({
  ctx,
  customer,
  state,
}: {
  ctx: PageContext;
  customer: CustomerDetail;
  state?: CustomerFormState;
}) {
  const kyc = customer.kyc;
  if (!kyc) {
    return (
      <section class="panel" aria-labelledby="kyc">
        <h2 id="kyc">KYC</h2>
        <p class="muted">This customer has no KYC record.</p>
      </section>
    );
  }
  const documentUrl = `/admin/customers/${customer.id}/kyc/document`;
  const failed = state?.target === 'kyc' ? state : undefined;
  const complete = kyc.hasDocument && kyc.documentId !== null;
  return (
    <section class="panel" aria-labelledby="kyc">
      <h2 id="kyc">
        KYC <Badge value={kyc.status} />
      </h2>
      <dl class="fields">
        <dt>Document type</dt>
        <dd>{humanize(kyc.documentType)}</dd>
        <dt>Document id</dt>
        <dd class="mono">{kyc.documentId ?? <span class="muted">not given</span>}</dd>
        <dt>Document file</dt>
        <dd>
          {kyc.hasDocument ? (
            <>
              <a href={documentUrl} target="_blank" rel="noopener">
                View document
              </a>{' '}
              <span class="muted small">
                {kyc.documentName ?? 'document'} · {kyc.documentContentType ?? 'unknown type'} ·{' '}
                {formatBytes(kyc.documentSize)}
              </span>
            </>
          ) : (
            <span class="muted">not uploaded</span>
          )}
        </dd>
        <dt>Submitted / changed</dt>
        <dd>
          <Time value={kyc.updatedAt} />
        </dd>
        <dt>Reviewed</dt>
        <dd>
          {kyc.reviewedAt ? (
            <>
              <Time value={kyc.reviewedAt} /> by {kyc.reviewerUsername ?? 'a former staff member'}
            </>
          ) : (
            <span class="muted">not yet</span>
          )}
        </dd>
        {kyc.rejectionReason ? (
          <>
            <dt>Rejection reason</dt>
            <dd>{kyc.rejectionReason}</dd>
          </>
        ) : null}
      </dl>
      {kyc.hasDocument && kyc.documentContentType?.startsWith('image/') ? (
        <img class="doc-preview" src={documentUrl} alt={`KYC document of customer ${customer.id}`} />
      ) : null}
      {failed ? <FlashMessage flash={failed.flash} /> : null}
      <div class="decision">
        <form method="post" action={`/admin/customers/${customer.id}/kyc`} aria-label="Approve KYC">
          <CsrfField token={ctx.csrfToken} />
          <input type="hidden" name="status" value="approved" />
          <input type="hidden" name="submission_version" value={kyc.submissionVersion} />
          <h3>Approve</h3>
          <p class="muted small">
            {complete
              ? 'Marks the customer verified and e-mails them.'
              : 'Needs both a document id and a document file from the customer.'}
          </p>
          <button type="submit" class="button-ok" disabled={!complete}>
            Approve KYC
          </button>
        </form>
        <form method="post" action={`/admin/customers/${customer.id}/kyc`} aria-label="Reject KYC">
          <CsrfField token={ctx.csrfToken} />
          <input type="hidden" name="status" value="rejected" />
          <input type="hidden" name="submission_version" value={kyc.submissionVersion} />
          <h3>Reject</h3>
          <div class={failed?.errors.reason ? 'field has-error' : 'field'}>
            <label for="kyc-reason">Reason (sent to the customer)</label>
            <textarea id="kyc-reason" name="reason" maxlength={500} required>
              {failed?.values.reason ?? ''}
            </textarea>
            {failed?.errors.reason ? <p class="field-error">{failed.errors.reason.join(' ')}</p> : null}
          </div>
          <button type="submit" class="button-danger">
            Reject KYC
          </button>
        </form>
      </div>
    </section>
  );
}

export function CustomerPage({ ctx, customer, transactions, addressLimit, formState }: CustomerPageProps) {
  const name = fullName(customer.firstName, customer.lastName);
  const title = `Customer #${customer.id}`;
  return (
    <Layout ctx={ctx} title={title} section="customers">
      <PageHead
        title={name ? `${title} · ${name}` : title}
        crumbs={
          <>
            <a href="/admin/customers">Customers</a> / #{customer.id}
          </>
        }
        lead={
          <>
            <YesNo value={customer.isVerified} yes="Verified" no="Not verified" />{' '}
            {customer.kyc ? <Badge value={customer.kyc.status} label={`KYC ${customer.kyc.status}`} /> : null}
          </>
        }
      />
      <div class="grid">
        <section class="panel" aria-labelledby="profile">
          <h2 id="profile">Profile</h2>
          <dl class="fields">
            <dt>First name</dt>
            <dd>{customer.firstName ?? <span class="muted">—</span>}</dd>
            <dt>Last name</dt>
            <dd>{customer.lastName ?? <span class="muted">—</span>}</dd>
            <dt>Phone</dt>
            <dd>{customer.phoneNumber ?? <span class="muted">—</span>}</dd>
            <dt>Date of birth</dt>
            <dd>{customer.dob ?? <span class="muted">—</span>}</dd>
            <dt>E-mail</dt>
            <dd>{customer.email}</dd>
            <dt>Username</dt>
            <dd>
              <a href={`/admin/users?search=${encodeURIComponent(customer.username)}`}>{customer.username}</a>{' '}
              <Badge value={customer.isActive ? 'active' : 'inactive'} />
            </dd>
            <dt>Verified</dt>
            <dd>{customer.isVerified ? 'Yes' : 'No'}</dd>
            <dt>Created</dt>
            <dd>
              <Time value={customer.createdAt} />
            </dd>
            <dt>Updated</dt>
            <dd>
              <Time value={customer.updatedAt} />
            </dd>
          </dl>
        </section>
        <KycPanel ctx={ctx} customer={customer} state={formState} />
      </div>

      <section class="panel" aria-labelledby="addresses">
        <h2 id="addresses">
          Addresses{' '}
          <span class="muted small">
            ({customer.addresses.length} of at most {addressLimit}, exactly one main)
          </span>
        </h2>
        {customer.addresses.length === 0 ? <p class="muted">No addresses.</p> : null}
        {formState?.target === 'address-new' && customer.addresses.length >= addressLimit ? (
          <FlashMessage flash={formState.flash} />
        ) : null}
        {customer.addresses.map((address, index) => (
          <AddressForm
            customerId={customer.id}
            address={address}
            index={index}
            csrfToken={ctx.csrfToken}
            state={formState}
          />
        ))}
        {customer.addresses.length < addressLimit ? (
          <details open={formState?.target === 'address-new'}>
            <summary>Add an address</summary>
            <AddressForm
              customerId={customer.id}
              index={customer.addresses.length}
              csrfToken={ctx.csrfToken}
              state={formState}
            />
          </details>
        ) : null}
      </section>

      <SavedCardsPanel ctx={ctx} customerId={customer.id} cards={customer.cards} />

      <section class="panel" aria-labelledby="payments">
        <h2 id="payments">Latest transactions</h2>
        <TransactionsTable rows={transactions.rows} />
        {transactions.total > transactions.rows.length ? (
          <p>
            <a href={`/admin/transactions?customer=${customer.id}`}>All {transactions.total} transactions</a>
          </p>
        ) : null}
      </section>
    </Layout>
  );
}
