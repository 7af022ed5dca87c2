import { Hono } from 'hono';
import { resolveSessionState, safeNext } from '../common/guards';
import { type AdminEnv, page, pageContext, takeFlash } from '../common/http';
import { ACCOUNT_PAGE, CODE_PAGE, mustEnrol } from '../common/two-factor';
import { signInPage } from '../session/routes';
import { buildPaymentSeries, chartStart } from './chart';
import { dailyPayments, dashboardCounts } from './queries';
import { DashboardPage } from './views';

/** The dashboard: counts and the payments chart; without a session the same address is the sign-in page. */
export const dashboardRoutes = new Hono<AdminEnv>();

dashboardRoutes.get('/', async (c) => {
  const { session, pending } = await resolveSessionState(c);
  const next = safeNext(c.req.query('next'));
  // docs/accounts.md §3: a session still owing its sign-in code goes to the code page, nowhere else.
  if (pending) return c.redirect(next ? `${CODE_PAGE}?next=${encodeURIComponent(next)}` : CODE_PAGE, 303);
  if (!session) return signInPage(c, { next });
  if (mustEnrol(c.var.ctx.config, session)) return c.redirect(ACCOUNT_PAGE, 303);
  c.set('flash', takeFlash(c));
  const now = new Date();
  const [counts, daily] = await Promise.all([
    dashboardCounts(c.var.db),
    dailyPayments(c.var.db, chartStart(now)),
  ]);
  return page(c, DashboardPage({ ctx: pageContext(c), counts, series: buildPaymentSeries(daily, now) }));
});
