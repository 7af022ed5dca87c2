import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { Role } from '../../db/schema';
import { ADMIN_CSS_URL } from '../styles';
import { CsrfField, type Flash, FlashMessage } from './components';

export type Section =
  | 'dashboard'
  | 'users'
  | 'customers'
  | 'transactions'
  | 'webhooks'
  | 'emails'
  | 'audit'
  | 'api-keys'
  | 'payment-links';

const NAV: ReadonlyArray<{ section: Section; href: string; label: string; adminOnly?: boolean }> = [
  { section: 'dashboard', href: '/admin/', label: 'Dashboard' },
  { section: 'users', href: '/admin/users', label: 'Users' },
  { section: 'customers', href: '/admin/customers', label: 'Customers' },
  { section: 'transactions', href: '/admin/transactions', label: 'Transactions' },
  { section: 'payment-links', href: '/admin/payment-links', label: 'Payment links' },
  { section: 'webhooks', href: '/admin/webhooks', label: 'Webhooks' },
  { section: 'emails', href: '/admin/emails', label: 'E-mails' },
  { section: 'audit', href: '/admin/audit', label: 'Audit log' },
  { section: 'api-keys', href: '/admin/api-keys', label: 'API keys', adminOnly: true },
];

/** What every signed-in page knows about the request. */
export interface PageContext {
  username: string;
  role: Role;
  csrfToken: string;
  flash?: Flash;
}

function Document({ title, children }: { title: string; children: Child }) {
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="robots" content="noindex, nofollow" />
          <meta name="color-scheme" content="light" />
          <title>{`${title} · StackPay admin`}</title>
          <link rel="stylesheet" href={ADMIN_CSS_URL} />
        </head>
        <body>{children}</body>
      </html>
    </>
  );
}

/** The frame of every signed-in page: top bar with navigation, the signed-in user and sign-out. */
export function Layout({
  ctx,
  title,
  section,
  children,
}: {
  ctx: PageContext;
  title: string;
  section?: Section;
  children: Child;
}) {
  return (
    <Document title={title}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <div class="topbar-inner">
          <a class="brand" href="/admin/">
            StackPay <span>admin</span>
          </a>
          <nav class="nav" aria-label="Main">
            {NAV.filter((item) => !item.adminOnly || ctx.role === 'ADMIN').map((item) => (
              <a href={item.href} aria-current={item.section === section ? 'page' : undefined}>
                {item.label}
              </a>
            ))}
          </nav>
          <div class="who">
            <span>
              <a href="/admin/account" title="Your account and two-factor authentication">
                {ctx.username}
              </a>{' '}
              <span class="muted">({ctx.role})</span>
            </span>
            <form method="post" action="/admin/logout">
              <CsrfField token={ctx.csrfToken} />
              <button type="submit">Sign out</button>
            </form>
          </div>
        </div>
      </header>
      <main id="main">
        <FlashMessage flash={ctx.flash} />
        {children}
      </main>
      <footer>StackPay admin · all times UTC</footer>
    </Document>
  );
}

/** Pages shown without a session: sign-in and errors before sign-in. */
export function BareLayout({ title, children }: { title: string; children: Child }) {
  return (
    <Document title={title}>
      <main id="main">{children}</main>
    </Document>
  );
}

export function PageHead({ title, lead, crumbs }: { title: string; lead?: Child; crumbs?: Child }) {
  return (
    <div class="page-head">
      <div>
        {crumbs ? <div class="crumbs">{crumbs}</div> : null}
        <h1>{title}</h1>
        {lead ? <p>{lead}</p> : null}
      </div>
    </div>
  );
}
