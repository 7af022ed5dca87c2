import { Hono } from 'hono';
import { removeCustomerCard } from '../../cards/staff';
import { createAddress, updateAddress } from '../../customers/addresses';
import { streamDocument } from '../../customers/documents';
import { openCustomerDocument } from '../../customers/kyc';
import { reviewKyc } from '../../customers/review';
import { AddressPatchBody, KycReviewBody } from '../../customers/schemas';
import { type FieldErrors, notFound } from '../../lib/errors';
import { fieldErrorsFrom } from '../../lib/validation';
import { csvDownload } from '../common/export';
import { formRefusal, idParam, listWindow, text, yesNo } from '../common/forms';
import { requireCsrf, requireRole, requireSession } from '../common/guards';
import {
  type AdminContext,
  type AdminEnv,
  describeFieldErrors,
  documentCsp,
  page,
  pageContext,
  setFlash,
} from '../common/http';
import { recentCustomerTransactions } from '../transactions/queries';
import { ADDRESS_LABELS, type CustomerFormState, CustomerPage } from './detail';
import { CUSTOMER_CSV_HEADER, customerCsvLine, customerExportBatch } from './export';
import { customerDetail, customerOwner, listCustomers, parseKycStatus } from './queries';
import { CustomersPage } from './views';

/** Customers: the list, one customer's page, its addresses and its KYC review (docs/api.md §8). */
export const customersRoutes = new Hono<AdminEnv>();

const CUSTOMER_RECENT_TRANSACTIONS = 10;
const KYC_LABELS = { reason: 'Reason', status: 'Decision' };

/** The list's filters from the query string (the page and its CSV share them). */
function customerFilters(c: AdminContext) {
  return {
    search: text(c.req.query('search')),
    verified: yesNo(c.req.query('verified')),
    kyc: parseKycStatus(c.req.query('kyc')),
  };
}

customersRoutes.get('/customers', requireSession, async (c) => {
  const filters = customerFilters(c);
  const window = listWindow(c);
  const result = await listCustomers(c.var.db, filters, window);
  return page(c, CustomersPage({ ctx: pageContext(c), filters, result, ...window }));
});

// docs/admin.md §2: the same filters as the list, as a streamed CSV (STAFF and ADMIN; audited).
customersRoutes.get('/customers.csv', requireSession, async (c) => {
  const filters = customerFilters(c);
  return csvDownload(c, {
    list: 'customers',
    filters,
    spec: {
      header: CUSTOMER_CSV_HEADER,
      batch: (after, limit) => customerExportBatch(c.var.db, filters, after, limit),
      cursor: (row) => row.id,
      line: customerCsvLine,
    },
  });
});

/** The customer page, optionally re-rendered with a refused form (its input kept, its messages shown). */
async function customerPage(
  c: AdminContext,
  customerId: number,
  formState?: CustomerFormState,
  status?: 400 | 409,
) {
  const [customer, transactions] = await Promise.all([
    customerDetail(c.var.db, customerId),
    recentCustomerTransactions(c.var.db, customerId, CUSTOMER_RECENT_TRANSACTIONS),
  ]);
  if (!customer) throw notFound('No customer with this id.', 'customer_not_found');
  return page(
    c,
    CustomerPage({
      ctx: pageContext(c),
      customer,
      transactions,
      addressLimit: c.var.config.ADDRESSES_COUNT,
      formState,
    }),
    status ?? 200,
  );
}

interface Refusal {
  errors?: FieldErrors;
  message: string;
  status: number;
}

/** One of the page's forms refused: the page again, that form keeping its input and showing why. */
function refusedForm(
  c: AdminContext,
  customerId: number,
  target: string,
  refusal: Refusal,
  labels: Record<string, string>,
) {
  const errors = refusal.errors ?? {};
  return customerPage(
    c,
    customerId,
    {
      target,
      values: c.var.form ?? {},
      errors,
      flash: { kind: 'error', message: refusal.message, details: describeFieldErrors(errors, labels) },
    },
    refusal.status as 400 | 409,
  );
}

/** A form that did not pass its schema: 400, with the schema's messages per field. */
const invalid = (error: Parameters<typeof fieldErrorsFrom>[0], message: string): Refusal => ({
  errors: fieldErrorsFrom(error),
  message,
  status: 400,
});

customersRoutes.get('/customers/:id{[0-9]+}', requireSession, (c) => customerPage(c, idParam(c, 'id')));

/** The address form as the API's PATCH body: the main flag is only ever switched on from here. */
function addressInput(form: Record<string, string>, creating: boolean) {
  const input: Record<string, unknown> = {
    country: form.country ?? 'EG',
    state: form.state ?? '',
    city: form.city ?? '',
    line: form.line ?? '',
    building_number: form.building_number ?? '',
    apartment_number: form.apartment_number ?? '',
    postal_code: form.postal_code ?? '',
  };
  if (form.main_address === 'true') input.main_address = true;
  else if (creating) input.main_address = false;
  return AddressPatchBody.safeParse(input);
}

/** The user who owns the customer: the address services work on a user's own profile. */
async function ownerOf(c: AdminContext, customerId: number): Promise<number> {
  const userId = await customerOwner(c.var.db, customerId);
  if (userId === undefined) throw notFound('No customer with this id.', 'customer_not_found');
  return userId;
}

customersRoutes.post(
  '/customers/:id{[0-9]+}/addresses/:addressId{[0-9]+}',
  requireSession,
  requireCsrf,
  requireRole(['ADMIN', 'STAFF'], 'edit addresses'),
  async (c) => {
    const customerId = idParam(c, 'id');
    const addressId = idParam(c, 'addressId');
    const target = `address-${addressId}`;
    const parsed = addressInput(c.var.form ?? {}, false);
    if (!parsed.success) {
      const refusal = invalid(parsed.error, 'The address was not saved.');
      return refusedForm(c, customerId, target, refusal, ADDRESS_LABELS);
    }
    const outcome = await formRefusal(async () =>
      updateAddress(c.var.ctx, { userId: await ownerOf(c, customerId), addressId, changes: parsed.data }),
    );
    if ('refused' in outcome) return refusedForm(c, customerId, target, outcome.refused, ADDRESS_LABELS);
    setFlash(c, { kind: 'success', message: 'Address saved.' });
    return c.redirect(`/admin/customers/${customerId}#${target}`, 303);
  },
);

customersRoutes.post(
  '/customers/:id{[0-9]+}/addresses',
  requireSession,
  requireCsrf,
  requireRole(['ADMIN', 'STAFF'], 'add addresses'),
  async (c) => {
    const customerId = idParam(c, 'id');
    const target = 'address-new';
    const parsed = addressInput(c.var.form ?? {}, true);
    if (!parsed.success) {
      const refusal = invalid(parsed.error, 'The address was not added.');
      return refusedForm(c, customerId, target, refusal, ADDRESS_LABELS);
    }
    const outcome = await formRefusal(async () =>
      createAddress(c.var.ctx, { userId: await ownerOf(c, customerId), address: parsed.data }),
    );
    if ('refused' in outcome) return refusedForm(c, customerId, target, outcome.refused, ADDRESS_LABELS);
    setFlash(c, { kind: 'success', message: 'Address added.' });
    return c.redirect(`/admin/customers/${customerId}#address-${outcome.value.id}`, 303);
  },
);

customersRoutes.post(
  '/customers/:id{[0-9]+}/kyc',
  requireSession,
  requireCsrf,
  requireRole(['ADMIN', 'STAFF'], 'review KYC'),
  async (c) => {
    const customerId = idParam(c, 'id');
    const form = c.var.form ?? {};
    const parsed = KycReviewBody.safeParse({
      status: form.status,
      reason: form.reason ?? null,
      submission_version: form.submission_version,
    });
    if (!parsed.success) {
      const refusal = invalid(parsed.error, 'The decision was not saved.');
      return refusedForm(c, customerId, 'kyc', refusal, KYC_LABELS);
    }
    const outcome = await formRefusal(() =>
      reviewKyc(c.var.ctx, {
        customerId,
        status: parsed.data.status,
        reason: parsed.data.reason ?? null,
        submissionVersion: parsed.data.submission_version,
      }),
    );
    if ('refused' in outcome) return refusedForm(c, customerId, 'kyc', outcome.refused, KYC_LABELS);
    setFlash(c, {
      kind: 'success',
      message:
        parsed.data.status === 'approved'
          ? 'KYC approved: the customer is now verified and will be e-mailed.'
          : 'KYC rejected: the customer will be e-mailed the reason.',
    });
    return c.redirect(`/admin/customers/${customerId}`, 303);
  },
);

// docs/api.md §8: ADMIN removes a customer's saved card and its token (audited as `saved_card.delete`).
customersRoutes.post(
  '/customers/:id{[0-9]+}/cards/:cardId{[0-9]+}/delete',
  requireSession,
  requireCsrf,
  requireRole(['ADMIN'], 'remove saved cards'),
  async (c) => {
    const customerId = idParam(c, 'id');
    const outcome = await formRefusal(
      () => removeCustomerCard(c.var.ctx, { customerId, cardId: idParam(c, 'cardId') }),
      [404],
    );
    setFlash(
      c,
      'refused' in outcome
        ? { kind: 'error', message: outcome.refused.message }
        : { kind: 'success', message: `Card ${outcome.value.brand} •••• ${outcome.value.last4} removed.` },
    );
    return c.redirect(`/admin/customers/${customerId}#saved-cards`, 303);
  },
);

customersRoutes.get('/customers/:id{[0-9]+}/kyc/document', requireSession, async (c) => {
  const customerId = idParam(c, 'id');
  const document = await openCustomerDocument(c.var.ctx, customerId);
  // Streamed through the Worker with the session's checks: the private bucket has no public URL.
  return streamDocument(document, { 'Content-Security-Policy': documentCsp(document.contentType) });
});
