import { Hono } from 'hono';
import { signInPage } from '../session/routes';
import { resolveSession, safeNext } from '../shared/guards';
import { type AdminEnv, page, pageContext, takeFlash } from '../shared/http';
import { buildPaymentSeries, chartStart } from './chart';
import { dailyPayments, dashboardCounts } from './queries';
import { DashboardPage } from './views';

/** The dashboard: counts and the payments chart; without a session the same address is the sign-in page. */
export const dashboardRoutes = new Hono<AdminEnv>();

dashboardRoutes.get('/', async (c) => {
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
