import { Hono } from 'hono';
import { NotificationMessage } from '../../notifications/messages';
import { listWindow, text } from '../common/forms';
import { requireSession } from '../common/guards';
import { type AdminEnv, page, pageContext } from '../common/http';
import { listEmails, parseEmailStatus } from './queries';
import { EmailsPage } from './views';

/** E-mails: every message StackPay queued and what the provider said (docs/api.md §8). */
export const emailsRoutes = new Hono<AdminEnv>();

const EMAIL_KINDS = NotificationMessage.options.map((option) => option.shape.type.value);

emailsRoutes.get('/emails', requireSession, async (c) => {
  const filters = {
    status: parseEmailStatus(c.req.query('status')),
    kind: text(c.req.query('kind')),
    recipient: text(c.req.query('recipient')),
  };
  const window = listWindow(c);
  const result = await listEmails(c.var.db, filters, window);
  return page(c, EmailsPage({ ctx: pageContext(c), filters, kinds: EMAIL_KINDS, result, ...window }));
});
