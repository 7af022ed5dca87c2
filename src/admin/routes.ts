import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createAddress, updateAddress } from '../customers/addresses';
import { inlineContentDisposition } from '../customers/documents';
import { openDocument } from '../customers/kyc';
import { reviewKyc } from '../customers/review';
import { AddressPatchBody, isIsoDate, KycReviewBody } from '../customers/schemas';
import { AppError, type FieldErrors, notFound } from '../lib/errors';
import { describeError } from '../lib/logger';
import { allowedMethods } from '../lib/routes';
import { fieldErrorsFrom } from '../lib/validation';
import { bodyGuard } from '../middleware/body-guard';
import { byIp, clientIp, limitSubject, rateLimit } from '../middleware/rate-limit';
import { NotificationMessage } from '../notifications/messages';
import { refundTransaction } from '../transactions/refund';
import { voidTransaction } from '../transactions/void';
import { updateProfile } from '../users/profiles';
import type { UsersContext } from '../users/service';
import { buildPaymentSeries, chartStart } from './chart';
import { claimConfirmation, newConfirmationNonce } from './confirm';
import { CSRF_FIELD, isCrossOrigin, isValidLoginCsrf, newLoginCsrfToken } from './csrf';
import { formatAmount } from './format';
import {
  type AdminContext,
  type AdminEnv,
  COOKIE_BASE,
  describeFieldErrors,
  documentCsp,
  errorResponse,
  page,
  pageContext,
  readForm,
  renderError,
  requireCsrf,
  requireRole,
  requireSession,
  resolveSession,
  safeNext,
  securityHeaders,
  sessionOf,
  setFlash,
  takeFlash,
} from './http';
import {
  customerDetail,
  customerOwner,
  dailyPayments,
  dashboardCounts,
  listAudit,
  listCustomers,
  listEmails,
  listTransactions,
  listUsers,
  parseEmailStatus,
  parseKycStatus,
  parseRole,
  parseTransactionStatus,
  recentCustomerTransactions,
  transactionDetail,
} from './queries';
import {
  authenticateStaff,
  createAdminSession,
  revokeAdminSession,
  revokeUserAdminSessions,
  SESSION_ABSOLUTE_SECONDS,
  SESSION_COOKIE,
} from './session';
import { AuditPage } from './views/audit';
import type { Flash } from './views/components';
import { ADDRESS_LABELS, type CustomerFormState, CustomerPage } from './views/customer';
import { CustomersPage } from './views/customers';
import { DashboardPage } from './views/dashboard';
import { EmailsPage } from './views/emails';
import { SignInPage } from './views/sign-in';
import {
  ReversalConfirmPage,
  type TransactionFilterValues,
  TransactionPage,
  TransactionsPage,
} from './views/transactions';
import { UsersPage } from './views/users';

/**
 * The admin web interface (docs/api.md §8): server-rendered pages under /admin. Every action calls the same service
 * as the API (users, customers); this file only reads forms, checks who may act, and renders.
 */
export const adminRoutes = new Hono<AdminEnv>({ strict: false });

const LIST_PAGE_SIZE = 25; // a screenful on a laptop; lists are paginated beyond it
const MAX_PAGE = 100_000; // far past any real list; keeps OFFSET small
const CUSTOMER_RECENT_TRANSACTIONS = 10;
const FORM_MAX_BYTES = 16 * 1024; // the largest admin form (an address) is well under 1 KiB
const LOGIN_CSRF_COOKIE = 'stackpay_admin_login';
const LOGIN_CSRF_MAX_AGE_SECONDS = 2 * 60 * 60; // a sign-in page left open this long must be reloaded
const FILTER_TEXT_MAX = 100;
const AUDIT_ACTIONS = [
  'kyc.review',
  'user.role_change',
  'user.activation',
  'transaction.refund',
  'transaction.void',
];
const EMAIL_KINDS = NotificationMessage.options.map((option) => option.shape.type.value);

adminRoutes.onError(renderError);
adminRoutes.use('*', securityHeaders);
// Forms only, and small: anything else is refused before it is parsed (413/415 as HTML pages).
adminRoutes.use(
  '*',
  bodyGuard([
    {
      pattern: /^\/admin(\/|$)/,
      mediaTypes: ['application/x-www-form-urlencoded'],
      maxBytes: () => FORM_MAX_BYTES,
    },
  ]),
);

// --- Small readers for query strings and forms -------------------------------------------------------------

function pageNumber(value: string | undefined): number {
  if (!value || !/^\d{1,9}$/.test(value)) return 1;
  return Math.min(Math.max(Number(value), 1), MAX_PAGE);
}

function text(value: string | undefined): string | undefined {
  const trimmed = value?.trim().slice(0, FILTER_TEXT_MAX);
  return trimmed ? trimmed : undefined;
}

function yesNo(value: string | undefined): boolean | undefined {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** A path id: digits only (the route pattern) and small enough to be an exact JS number. */
function idParam(c: AdminContext, name: string): number {
  const raw = c.req.param(name) ?? '';
  if (!/^[1-9]\d{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw notFound('No such page.');
  return Number(raw);
}

function currentUrl(c: AdminContext): URL {
  return new URL(c.req.url);
}

/** A flash for a refused form: the service's message and each field's messages. */
function failureFlash(err: AppError, labels: Record<string, string>): Flash {
  return { kind: 'error', message: err.message, details: describeFieldErrors(err.errors, labels) };
}

/** Business-rule refusals a form should show next to itself (not as an error page). */
function isFormRefusal(err: unknown): err is AppError {
  return err instanceof AppError && (err.status === 400 || err.status === 409);
}

function usersContext(c: AdminContext): UsersContext {
  return {
    db: c.var.db,
    config: c.var.config,
    logger: c.var.logger,
    now: new Date(),
    requestId: c.var.requestId,
  };
}

// --- Sign-in, dashboard, sign-out --------------------------------------------------------------------------

/** The sign-in form with a double-submit token: the cookie is reused while it is valid. */
function signInPage(
  c: AdminContext,
  options: { status?: 200 | 400 | 401 | 403; flash?: Flash; username?: string; next?: string } = {},
) {
  let token = getCookie(c, LOGIN_CSRF_COOKIE);
  if (!token || !/^[0-9a-f]{64}$/.test(token)) {
    token = newLoginCsrfToken();
    setCookie(c, LOGIN_CSRF_COOKIE, token, { ...COOKIE_BASE, maxAge: LOGIN_CSRF_MAX_AGE_SECONDS });
  }
  return page(
    c,
    SignInPage({
      csrfToken: token,
      next: options.next,
      username: options.username,
      flash: options.flash ?? takeFlash(c),
    }),
    options.status ?? 200,
  );
}

adminRoutes.get('/', async (c) => {
  const session = await resolveSession(c);
  if (!session) return signInPage(c, { next: safeNext(c.req.query('next')) });
  c.set('flash', takeFlash(c));
  const now = new Date();
  const [counts, daily] = await Promise.all([
    dashboardCounts(c.var.db),
    dailyPayments(c.var.db, chartStart(now)),
  ]);
  return page(c, DashboardPage({ ctx: pageContext(c), counts, series: buildPaymentSeries(daily, now) }));
});

const SIGN_IN_FAILED = 'Wrong username or password, or this account may not use the admin.';

adminRoutes.post('/', rateLimit('admin_login', byIp), async (c) => {
  const form = await readForm(c);
  const next = safeNext(form.next);
  const username = (form.username ?? '').trim().slice(0, 150);
  if (
    isCrossOrigin(c.req.header('Origin'), c.req.url) ||
    !isValidLoginCsrf(getCookie(c, LOGIN_CSRF_COOKIE), form[CSRF_FIELD])
  ) {
    return signInPage(c, {
      status: 403,
      username,
      next,
      flash: {
        kind: 'error',
        message: 'The sign-in form expired or was not sent from this site. Try again.',
      },
    });
  }
  const password = form.password ?? '';
  if (username === '' || password === '') {
    return signInPage(c, {
      status: 400,
      username,
      next,
      flash: { kind: 'error', message: 'Enter your username and password.' },
    });
  }
  // docs/security.md §1: per address (the middleware) and per account, as the API login.
  const user = await authenticateStaff(c.var.db, username, password, (subject) =>
    limitSubject(c, 'admin_login', 'account', subject),
  );
  if (!user) {
    c.var.logger.info('admin sign-in refused');
    return signInPage(c, { status: 401, username, next, flash: { kind: 'error', message: SIGN_IN_FAILED } });
  }
  const session = await createAdminSession(
    c.var.db,
    user.id,
    { ip: clientIp(c), userAgent: c.req.header('User-Agent') },
    new Date(),
  );
  setCookie(c, SESSION_COOKIE, session.token, { ...COOKIE_BASE, maxAge: SESSION_ABSOLUTE_SECONDS });
  deleteCookie(c, LOGIN_CSRF_COOKIE, COOKIE_BASE);
  c.var.logger.info('admin signed in', { user_id: user.id, role: user.role });
  return c.redirect(next ?? '/admin/', 303);
});

adminRoutes.post('/logout', requireSession, requireCsrf, async (c) => {
  await revokeAdminSession(c.var.db, sessionOf(c).sessionId, new Date());
  deleteCookie(c, SESSION_COOKIE, COOKIE_BASE);
  setFlash(c, { kind: 'info', message: 'You have signed out.' });
  return c.redirect('/admin/', 303);
});

// --- Users -------------------------------------------------------------------------------------------------

adminRoutes.get('/users', requireSession, async (c) => {
  const filters = {
    search: text(c.req.query('search')),
    role: parseRole(c.req.query('role')),
    active: yesNo(c.req.query('active')),
  };
  const pageNo = pageNumber(c.req.query('page'));
  const result = await listUsers(c.var.db, filters, { page: pageNo, pageSize: LIST_PAGE_SIZE });
  return page(
    c,
    UsersPage({
      ctx: pageContext(c),
      url: currentUrl(c),
      filters,
      result,
      page: pageNo,
      pageSize: LIST_PAGE_SIZE,
    }),
  );
});

adminRoutes.post(
  '/users/:id{[0-9]+}',
  requireSession,
  requireCsrf,
  requireRole(['ADMIN'], 'change roles or activation'),
  async (c) => {
    const id = idParam(c, 'id');
    const form = c.var.form ?? {};
    const back = safeNext(form.back) ?? '/admin/users';
    const role = parseRole(form.role_management);
    const isActive = yesNo(form.is_active);
    if (!role || isActive === undefined) {
      setFlash(c, { kind: 'error', message: 'Choose a role and a status.' });
      return c.redirect(back, 303);
    }
    const actor = sessionOf(c).user;
    let profile: Awaited<ReturnType<typeof updateProfile>>;
    try {
      profile = await updateProfile(usersContext(c), actor, id, {
        role_management: role,
        is_active: isActive,
      });
    } catch (err) {
      if (!isFormRefusal(err)) throw err;
      setFlash(c, failureFlash(err, { role_management: 'Role', is_active: 'Status' }));
      return c.redirect(back, 303);
    }
    // The service says what the user is now; the form says what the admin saw before. When access changed,
    // the user's admin sessions end (each request also re-checks role and activation).
    const changed =
      form.was_role !== profile.role_management || form.was_active !== String(profile.is_active);
    const ended = changed ? await revokeUserAdminSessions(c.var.db, id, new Date()) : 0;
    setFlash(c, {
      kind: 'success',
      message:
        `${profile.username} is now ${profile.role_management}, ${profile.is_active ? 'active' : 'inactive'}.` +
        (ended > 0 ? ` ${ended} admin session${ended === 1 ? '' : 's'} ended.` : ''),
    });
    return c.redirect(id === actor.id && changed ? '/admin/' : back, 303);
  },
);

// --- Customers ---------------------------------------------------------------------------------------------

adminRoutes.get('/customers', requireSession, async (c) => {
  const filters = {
    search: text(c.req.query('search')),
    verified: yesNo(c.req.query('verified')),
    kyc: parseKycStatus(c.req.query('kyc')),
  };
  const pageNo = pageNumber(c.req.query('page'));
  const result = await listCustomers(c.var.db, filters, { page: pageNo, pageSize: LIST_PAGE_SIZE });
  return page(
    c,
    CustomersPage({
      ctx: pageContext(c),
      url: currentUrl(c),
      filters,
      result,
      page: pageNo,
      pageSize: LIST_PAGE_SIZE,
    }),
  );
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

adminRoutes.get('/customers/:id{[0-9]+}', requireSession, (c) => customerPage(c, idParam(c, 'id')));

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

async function refusedAddress(
  c: AdminContext,
  customerId: number,
  target: string,
  errors: FieldErrors,
  message: string,
  status: 400 | 409,
) {
  const form = c.var.form ?? {};
  return customerPage(
    c,
    customerId,
    {
      target,
      values: form,
      errors,
      flash: { kind: 'error', message, details: describeFieldErrors(errors, ADDRESS_LABELS) },
    },
    status,
  );
}

/** The user who owns the customer: the address services work on a user's own profile. */
async function ownerOf(c: AdminContext, customerId: number): Promise<number> {
  const userId = await customerOwner(c.var.db, customerId);
  if (userId === undefined) throw notFound('No customer with this id.', 'customer_not_found');
  return userId;
}

adminRoutes.post(
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
      return refusedAddress(
        c,
        customerId,
        target,
        fieldErrorsFrom(parsed.error),
        'The address was not saved.',
        400,
      );
    }
    try {
      await updateAddress(c.var.db, await ownerOf(c, customerId), addressId, parsed.data);
    } catch (err) {
      if (!isFormRefusal(err)) throw err;
      return refusedAddress(c, customerId, target, err.errors ?? {}, err.message, err.status as 400 | 409);
    }
    setFlash(c, { kind: 'success', message: 'Address saved.' });
    return c.redirect(`/admin/customers/${customerId}#${target}`, 303);
  },
);

adminRoutes.post(
  '/customers/:id{[0-9]+}/addresses',
  requireSession,
  requireCsrf,
  requireRole(['ADMIN', 'STAFF'], 'add addresses'),
  async (c) => {
    const customerId = idParam(c, 'id');
    const parsed = addressInput(c.var.form ?? {}, true);
    if (!parsed.success) {
      return refusedAddress(
        c,
        customerId,
        'address-new',
        fieldErrorsFrom(parsed.error),
        'The address was not added.',
        400,
      );
    }
    let created: Awaited<ReturnType<typeof createAddress>>;
    try {
      created = await createAddress(
        c.var.db,
        await ownerOf(c, customerId),
        parsed.data,
        c.var.config.ADDRESSES_COUNT,
      );
    } catch (err) {
      if (!isFormRefusal(err)) throw err;
      return refusedAddress(
        c,
        customerId,
        'address-new',
        err.errors ?? {},
        err.message,
        err.status as 400 | 409,
      );
    }
    setFlash(c, { kind: 'success', message: 'Address added.' });
    return c.redirect(`/admin/customers/${customerId}#address-${created.id}`, 303);
  },
);

adminRoutes.post(
  '/customers/:id{[0-9]+}/kyc',
  requireSession,
  requireCsrf,
  requireRole(['ADMIN', 'STAFF'], 'review KYC'),
  async (c) => {
    const customerId = idParam(c, 'id');
    const form = c.var.form ?? {};
    const refused = (errors: FieldErrors, message: string, status: 400 | 409) =>
      customerPage(
        c,
        customerId,
        {
          target: 'kyc',
          values: form,
          errors,
          flash: {
            kind: 'error',
            message,
            details: describeFieldErrors(errors, { reason: 'Reason', status: 'Decision' }),
          },
        },
        status,
      );
    const parsed = KycReviewBody.safeParse({
      status: form.status,
      reason: form.reason ?? null,
      submission_version: form.submission_version,
    });
    if (!parsed.success) return refused(fieldErrorsFrom(parsed.error), 'The decision was not saved.', 400);
    try {
      await reviewKyc(
        {
          db: c.var.db,
          notifications: c.env.NOTIFICATIONS,
          onNotificationError: (err) =>
            c.var.logger.error('kyc review e-mail not queued', describeError(err)),
        },
        {
          customerId,
          reviewerId: sessionOf(c).user.id,
          status: parsed.data.status,
          reason: parsed.data.reason ?? null,
          submissionVersion: parsed.data.submission_version,
          requestId: c.var.requestId,
        },
      );
    } catch (err) {
      if (!isFormRefusal(err)) throw err;
      return refused(err.errors ?? {}, err.message, err.status as 400 | 409);
    }
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

adminRoutes.get('/customers/:id{[0-9]+}/kyc/document', requireSession, async (c) => {
  const customerId = idParam(c, 'id');
  const document = await openDocument(c.var.db, c.env.KYC_DOCUMENTS, { customerId }, (key) =>
    c.var.logger.error('kyc document missing from storage', { key }),
  );
  // Streamed through the Worker with the session's checks: the private bucket has no public URL.
  return new Response(document.body, {
    status: 200,
    headers: {
      'Content-Type': document.contentType,
      'Content-Length': String(document.size),
      'Content-Disposition': inlineContentDisposition(document.fileName),
      'Cache-Control': 'private, no-store',
      'Content-Security-Policy': documentCsp(document.contentType),
      ETag: document.etag,
    },
  });
});

// --- Transactions ------------------------------------------------------------------------------------------

/** Start of a `YYYY-MM-DD` UTC day, or undefined when it is not a real date. */
function dayStart(value: string | undefined): Date | undefined {
  if (!value || !isIsoDate(value)) return undefined;
  return new Date(`${value}T00:00:00.000Z`);
}

adminRoutes.get('/transactions', requireSession, async (c) => {
  const values: TransactionFilterValues = {
    status: text(c.req.query('status')),
    from: text(c.req.query('from')),
    to: text(c.req.query('to')),
    customer: text(c.req.query('customer')),
    reference: text(c.req.query('reference')),
    attention: c.req.query('attention') === '1' ? '1' : undefined,
  };
  // `status` may repeat (links from elsewhere); the form offers one.
  const statuses = (c.req.queries('status') ?? []).map(parseTransactionStatus).filter((s) => s !== undefined);
  const ignored: string[] = [];
  const createdFrom = dayStart(values.from);
  if (values.from && !createdFrom)
    ignored.push(`"${values.from}" is not a date (YYYY-MM-DD): “from” was ignored.`);
  const toDay = dayStart(values.to);
  if (values.to && !toDay) ignored.push(`"${values.to}" is not a date (YYYY-MM-DD): “to” was ignored.`);
  const createdBefore = toDay ? new Date(toDay.getTime() + 24 * 60 * 60 * 1000) : undefined;
  const customerId =
    values.customer && /^[1-9]\d{0,15}$/.test(values.customer) ? Number(values.customer) : undefined;
  if (values.customer && customerId === undefined)
    ignored.push('The customer id must be a number: it was ignored.');
  const pageNo = pageNumber(c.req.query('page'));
  const result = await listTransactions(
    c.var.db,
    {
      statuses,
      createdFrom,
      createdBefore,
      customerId,
      reference: values.reference,
      needsAttention: values.attention === '1',
    },
    { page: pageNo, pageSize: LIST_PAGE_SIZE },
  );
  const ctx = pageContext(c);
  if (ignored.length > 0 && !ctx.flash)
    ctx.flash = { kind: 'info', message: 'Some filters were ignored.', details: ignored };
  return page(
    c,
    TransactionsPage({ ctx, url: currentUrl(c), values, result, page: pageNo, pageSize: LIST_PAGE_SIZE }),
  );
});

adminRoutes.get('/transactions/:id{[0-9]+}', requireSession, async (c) => {
  const id = idParam(c, 'id');
  const [transaction, audit] = await Promise.all([
    transactionDetail(c.var.db, id),
    listAudit(c.var.db, { targetType: 'transaction', targetId: String(id) }, { page: 1, pageSize: 100 }),
  ]);
  if (!transaction) throw notFound('No transaction with this id.', 'transaction_not_found');
  return page(c, TransactionPage({ ctx: pageContext(c), transaction, audit: audit.rows }));
});

// --- Refund and void (ADMIN): a confirmation page, then one POST through the payments service -------------

const REVERSAL_AMOUNT_MAX = 20; // "9999999999.999" and some spaces; the service parses and checks it

for (const kind of ['refund', 'void'] as const) {
  const what = kind === 'refund' ? 'refund payments' : 'void payments';

  adminRoutes.get(
    `/transactions/:id{[0-9]+}/${kind}`,
    requireSession,
    requireRole(['ADMIN'], what),
    async (c) => {
      const id = idParam(c, 'id');
      const transaction = await transactionDetail(c.var.db, id);
      if (!transaction) throw notFound('No transaction with this id.', 'transaction_not_found');
      const amount =
        kind === 'refund' ? (c.req.query('amount') ?? '').trim().slice(0, REVERSAL_AMOUNT_MAX) : '';
      return page(
        c,
        ReversalConfirmPage({
          ctx: pageContext(c),
          transaction,
          kind,
          amount,
          nonce: newConfirmationNonce(),
        }),
      );
    },
  );

  adminRoutes.post(
    `/transactions/:id{[0-9]+}/${kind}`,
    requireSession,
    requireCsrf,
    requireRole(['ADMIN'], what),
    async (c) => {
      const id = idParam(c, 'id');
      const form = c.var.form ?? {};
      const session = sessionOf(c);
      const back = `/admin/transactions/${id}`;
      if (
        !(await claimConfirmation(c.env.RATE_LIMITER, session.sessionId, `${kind}:${id}`, form.confirmation))
      ) {
        setFlash(c, {
          kind: 'error',
          message: `This ${kind} was already submitted (or its confirmation expired): nothing more was done.`,
        });
        return c.redirect(back, 303);
      }
      const amount = (form.amount ?? '').trim();
      let result: Awaited<ReturnType<typeof refundTransaction>>;
      // The admin session's user acts (the API's bearer actor is not set on admin pages).
      const ctx = { ...c.var.ctx, actor: session.user };
      try {
        result =
          kind === 'refund'
            ? await refundTransaction(ctx, { transactionId: id, amount: amount === '' ? undefined : amount })
            : await voidTransaction(ctx, { transactionId: id });
      } catch (err) {
        // A refused amount, a wrong state, a closed void window or PayMob's refusal: shown on the payment.
        if (!(err instanceof AppError) || ![400, 409, 502].includes(err.status)) throw err;
        setFlash(c, failureFlash(err, { amount: 'Amount' }));
        return c.redirect(back, 303);
      }
      setFlash(c, {
        kind: 'success',
        message:
          kind === 'refund'
            ? `Refund accepted by PayMob. Refunded so far: ${formatAmount(result.refunded_cents, result.currency)}; the payment is ${result.status}.`
            : `Void accepted by PayMob; the payment is ${result.status}.`,
      });
      return c.redirect(back, 303);
    },
  );
}

// --- E-mails and audit log ---------------------------------------------------------------------------------

adminRoutes.get('/emails', requireSession, async (c) => {
  const filters = {
    status: parseEmailStatus(c.req.query('status')),
    kind: text(c.req.query('kind')),
    recipient: text(c.req.query('recipient')),
  };
  const pageNo = pageNumber(c.req.query('page'));
  const result = await listEmails(c.var.db, filters, { page: pageNo, pageSize: LIST_PAGE_SIZE });
  return page(
    c,
    EmailsPage({
      ctx: pageContext(c),
      url: currentUrl(c),
      filters,
      kinds: EMAIL_KINDS,
      result,
      page: pageNo,
      pageSize: LIST_PAGE_SIZE,
    }),
  );
});

adminRoutes.get('/audit', requireSession, async (c) => {
  const filters = { action: text(c.req.query('action')), actor: text(c.req.query('actor')) };
  const pageNo = pageNumber(c.req.query('page'));
  const result = await listAudit(c.var.db, filters, { page: pageNo, pageSize: LIST_PAGE_SIZE });
  return page(
    c,
    AuditPage({
      ctx: pageContext(c),
      url: currentUrl(c),
      filters,
      actions: AUDIT_ACTIONS,
      result,
      page: pageNo,
      pageSize: LIST_PAGE_SIZE,
    }),
  );
});

// --- Anything else under /admin: an HTML 404, or 405 with Allow for a known path -------------------------

adminRoutes.all('*', async (c) => {
  await resolveSession(c); // signed-in users keep their navigation on the error page
  const allow = allowedMethods(adminRoutes, c.req.path.replace(/^\/admin/, '') || '/');
  if (allow.length > 0) {
    return errorResponse(c, 405, 'Method not allowed', `${c.req.method} is not allowed here.`, {
      Allow: allow.join(', '),
    });
  }
  return errorResponse(c, 404, 'Page not found', 'There is no admin page at this address.');
});
