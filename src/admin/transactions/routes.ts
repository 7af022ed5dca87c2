import { Hono } from 'hono';
import { isIsoDate } from '../../customers/schemas';
import { notFound } from '../../lib/errors';
import { refundTransaction } from '../../transactions/refund';
import { voidTransaction } from '../../transactions/void';
import { listAudit } from '../audit/queries';
import { claimConfirmation, newConfirmationNonce } from '../common/confirm';
import { csvDownload } from '../common/export';
import { formatAmount } from '../common/format';
import { formRefusal, idParam, listWindow, refuseWithFlash, text } from '../common/forms';
import { requireCsrf, requireRole, requireSession } from '../common/guards';
import { type AdminContext, type AdminEnv, page, pageContext, sessionOf, setFlash } from '../common/http';
import { acceptStepUp, needsStepUp } from '../common/two-factor';
import { TRANSACTION_CSV_HEADER, transactionCsvLine, transactionExportBatch } from './export';
import {
  listTransactions,
  parseTransactionStatus,
  type TransactionFilters,
  transactionDetail,
} from './queries';
import { ReversalConfirmPage } from './reversal';
import { type TransactionFilterValues, TransactionPage, TransactionsPage } from './views';

/** Transactions: the list, one payment with its PayMob events, and ADMIN's refund and void (docs/api.md §8). */
export const transactionsRoutes = new Hono<AdminEnv>();

/** Start of a `YYYY-MM-DD` UTC day, or undefined when it is not a real date. */
function dayStart(value: string | undefined): Date | undefined {
  if (!value || !isIsoDate(value)) return undefined;
  return new Date(`${value}T00:00:00.000Z`);
}

/** The list's filters from the query string (the page and its CSV share them), and what was ignored. */
function transactionFilters(c: AdminContext) {
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
  const filters: TransactionFilters = {
    statuses,
    createdFrom,
    createdBefore,
    customerId,
    reference: values.reference,
    needsAttention: values.attention === '1',
  };
  return { values, filters, ignored };
}

transactionsRoutes.get('/transactions', requireSession, async (c) => {
  const { values, filters, ignored } = transactionFilters(c);
  const window = listWindow(c);
  const result = await listTransactions(c.var.db, filters, window);
  const ctx = pageContext(c);
  if (ignored.length > 0 && !ctx.flash)
    ctx.flash = { kind: 'info', message: 'Some filters were ignored.', details: ignored };
  return page(c, TransactionsPage({ ctx, values, result, ...window }));
});

// docs/admin.md §2: the same filters as the list, as a streamed CSV (STAFF and ADMIN; audited).
transactionsRoutes.get('/transactions.csv', requireSession, async (c) => {
  const { filters } = transactionFilters(c);
  return csvDownload(c, {
    list: 'transactions',
    filters: {
      ...filters,
      createdFrom: filters.createdFrom?.toISOString(),
      createdBefore: filters.createdBefore?.toISOString(),
    },
    spec: {
      header: TRANSACTION_CSV_HEADER,
      batch: (after, limit) => transactionExportBatch(c.var.db, filters, after, limit),
      cursor: (row) => row.id,
      line: transactionCsvLine,
    },
  });
});

transactionsRoutes.get('/transactions/:id{[0-9]+}', requireSession, async (c) => {
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

  transactionsRoutes.get(
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
          askCode: needsStepUp(sessionOf(c), new Date()),
        }),
      );
    },
  );

  transactionsRoutes.post(
    `/transactions/:id{[0-9]+}/${kind}`,
    requireSession,
    requireCsrf,
    requireRole(['ADMIN'], what),
    async (c) => {
      const id = idParam(c, 'id');
      const form = c.var.form ?? {};
      const session = sessionOf(c);
      const back = `/admin/transactions/${id}`;
      // Step-up (docs/accounts.md §3): a wrong or missing code goes back to the confirmation, nothing claimed.
      if (needsStepUp(session, new Date())) {
        const stepUp = await formRefusal(
          () => acceptStepUp(c, session, (form.code ?? '').slice(0, 64)),
          [400, 409, 429, 503],
        );
        if ('refused' in stepUp) {
          const amountQuery = kind === 'refund' ? `?amount=${encodeURIComponent(form.amount ?? '')}` : '';
          return refuseWithFlash(c, stepUp.refused, {}, `${back}/${kind}${amountQuery}`);
        }
      }
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
      // A refused amount, a wrong state, a closed void window or PayMob's refusal: shown on the payment.
      const outcome = await formRefusal(
        () =>
          kind === 'refund'
            ? refundTransaction(c.var.ctx, { transactionId: id, amount: amount === '' ? undefined : amount })
            : voidTransaction(c.var.ctx, { transactionId: id }),
        [400, 409, 502],
      );
      if ('refused' in outcome) return refuseWithFlash(c, outcome.refused, { amount: 'Amount' }, back);
      const result = outcome.value;
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
