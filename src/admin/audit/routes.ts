import { Hono } from 'hono';
import { listWindow, text } from '../common/forms';
import { requireSession } from '../common/guards';
import { type AdminEnv, page, pageContext } from '../common/http';
import { AUDIT_ACTIONS, listAudit } from './queries';
import { AuditPage } from './views';

/** The audit log: who did what, when (docs/api.md §8). */
export const auditRoutes = new Hono<AdminEnv>();

auditRoutes.get('/audit', requireSession, async (c) => {
  const filters = { action: text(c.req.query('action')), actor: text(c.req.query('actor')) };
  const window = listWindow(c);
  const result = await listAudit(c.var.db, filters, window);
  return page(c, AuditPage({ ctx: pageContext(c), filters, actions: AUDIT_ACTIONS, result, ...window }));
});
