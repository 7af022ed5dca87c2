import { Hono } from 'hono';
import { notFound } from '../../lib/errors';
import { createPaymentLink, deactivatePaymentLink } from '../../payment-links/service';
import { linkUrl } from '../../payment-links/token';
import { formRefusal, idParam, listWindow } from '../common/forms';
import { requireCsrf, requireRole, requireSession } from '../common/guards';
import {
  type AdminContext,
  type AdminEnv,
  describeFieldErrors,
  page,
  pageContext,
  setFlash,
} from '../common/http';
import { paymentLinkById, paymentLinkPage, paymentsOfLink } from './queries';
import { type LinkForm, PaymentLinkDetailPage, PaymentLinksPage } from './views';

/** Payment links (docs/api.md §11): staff list, create and deactivate them through the payment-links service. */
export const paymentLinksRoutes = new Hono<AdminEnv>();

const WHAT = 'manage payment links';
const STAFF = ['ADMIN', 'STAFF'] as const;
const LABELS = {
  amount: 'Amount',
  description: 'Description',
  customer_email: "Payer's e-mail",
  expires_in: 'Expires after',
};

const baseOf = (c: AdminContext) =>
  (c.var.config.PUBLIC_BASE_URL ?? new URL(c.req.url).origin).replace(/\/+$/, '');

async function listPage(c: AdminContext, form?: LinkForm, status: 200 | 400 = 200) {
  const window = listWindow(c);
  const { rows, total } = await paymentLinkPage(c.var.db, window);
  return page(
    c,
    PaymentLinksPage({ ctx: pageContext(c), links: rows, now: c.var.ctx.now, window, total, form }),
    status,
  );
}

paymentLinksRoutes.get('/payment-links', requireSession, requireRole(STAFF, WHAT), (c) => listPage(c));

paymentLinksRoutes.post(
  '/payment-links',
  requireSession,
  requireCsrf,
  requireRole(STAFF, WHAT),
  async (c) => {
    const raw = c.var.form ?? {};
    const form: LinkForm = {
      amount: (raw.amount ?? '').trim(),
      description: (raw.description ?? '').trim(),
      customer_email: (raw.customer_email ?? '').trim(),
      expires_in_days: (raw.expires_in_days ?? '').trim(),
      single_use: raw.single_use === 'on',
    };
    const days = /^\d{1,2}$/.test(form.expires_in_days ?? '') ? Number(form.expires_in_days) : 0;
    if (days < 1 || days > 90) {
      return listPage(c, { ...form, errors: ['Expires after: enter a number of days from 1 to 90.'] }, 400);
    }
    const outcome = await formRefusal(
      () =>
        createPaymentLink(c.var.ctx, {
          amount: form.amount ?? '',
          description: form.description ?? '',
          customer_email: form.customer_email ? form.customer_email : undefined,
          expires_in: days * 86400,
          single_use: form.single_use,
          base: baseOf(c),
        }),
      [400],
    );
    if ('refused' in outcome) {
      const errors = describeFieldErrors(outcome.refused.errors, LABELS);
      return listPage(c, { ...form, errors: errors.length > 0 ? errors : [outcome.refused.message] }, 400);
    }
    setFlash(c, { kind: 'success', message: `Payment link #${outcome.value.id} created.` });
    return c.redirect(`/admin/payment-links/${outcome.value.id}`, 303);
  },
);

paymentLinksRoutes.get('/payment-links/:id{[0-9]+}', requireSession, requireRole(STAFF, WHAT), async (c) => {
  const id = idParam(c, 'id');
  const [link, payments] = await Promise.all([paymentLinkById(c.var.db, id), paymentsOfLink(c.var.db, id)]);
  if (!link) throw notFound('No payment link with this id.');
  const url = await linkUrl(c.var.config, baseOf(c), link.publicId);
  return page(c, PaymentLinkDetailPage({ ctx: pageContext(c), link, url, payments, now: c.var.ctx.now }));
});

paymentLinksRoutes.post(
  '/payment-links/:id{[0-9]+}/deactivate',
  requireSession,
  requireCsrf,
  requireRole(STAFF, WHAT),
  async (c) => {
    const id = idParam(c, 'id');
    const outcome = await formRefusal(
      () => deactivatePaymentLink(c.var.ctx, { id, base: baseOf(c) }),
      [404, 409],
    );
    setFlash(
      c,
      'refused' in outcome
        ? { kind: 'error', message: outcome.refused.message }
        : { kind: 'success', message: `Payment link #${id} is deactivated.` },
    );
    return c.redirect(`/admin/payment-links/${id}`, 303);
  },
);
