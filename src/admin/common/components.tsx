import type { Child } from 'hono/jsx';
import { CSRF_FIELD } from './csrf';
import { formatDateTime, humanize } from './format';

/** A message shown once after an action (or a problem with a form). */
export interface Flash {
  kind: 'success' | 'error' | 'info';
  message: string;
  details?: string[];
}

export function FlashMessage({ flash }: { flash: Flash | undefined }) {
  if (!flash) return null;
  return (
    <div class={`flash flash-${flash.kind}`} role={flash.kind === 'error' ? 'alert' : 'status'}>
      {flash.message}
      {flash.details && flash.details.length > 0 ? (
        <ul>
          {flash.details.map((d) => (
            <li>{d}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** The hidden CSRF field every POST form carries. */
export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={token} />;
}

type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'neutral';

// One colour per meaning, the same on every page: green done well, amber waiting, red failed, grey closed.
const TONES: Record<string, Tone> = {
  succeeded: 'ok',
  approved: 'ok',
  delivered: 'ok',
  sent: 'ok',
  active: 'ok',
  verified: 'ok',
  applied: 'ok',
  pending: 'warn',
  initiated: 'warn',
  queued: 'warn',
  unverified: 'warn',
  failed: 'bad',
  needs_attention: 'bad',
  rejected: 'bad',
  expired: 'bad',
  anomaly: 'bad',
  inactive: 'neutral',
  refunded: 'info',
  voided: 'neutral',
  ignored: 'neutral',
  unmatched: 'warn',
  ADMIN: 'info',
  STAFF: 'info',
  CUSTOMER: 'neutral',
};

export function Badge({ value, label }: { value: string; label?: string }) {
  const tone = TONES[value] ?? 'neutral';
  return <span class={`badge badge-${tone}`}>{label ?? humanize(value)}</span>;
}

export function YesNo({ value, yes, no }: { value: boolean; yes: string; no: string }) {
  return value ? <Badge value="verified" label={yes} /> : <Badge value="unverified" label={no} />;
}

export function Time({ value }: { value: Date | null | undefined }) {
  if (!value) return <span class="muted">—</span>;
  return (
    <time datetime={value.toISOString()} class="nowrap">
      {formatDateTime(value)}
    </time>
  );
}

export function Empty({ children }: { children: Child }) {
  return <div class="empty">{children}</div>;
}

/** Horizontal scrolling on small screens rather than squeezed columns. */
export function TableWrap({ children, label }: { children: Child; label: string }) {
  // Focusable so keyboard users can scroll a table that is wider than the screen.
  return (
    <section class="table-wrap" aria-label={label} tabindex={0}>
      {children}
    </section>
  );
}

export interface PagerProps {
  /** The current URL (path + query) whose `page` is replaced. */
  url: URL;
  page: number;
  pageSize: number;
  total: number;
  shown: number;
}

function pageHref(url: URL, page: number): string {
  const next = new URL(url);
  if (page <= 1) next.searchParams.delete('page');
  else next.searchParams.set('page', String(page));
  return `${next.pathname}${next.search}`;
}

export function Pager({ url, page, pageSize, total, shown }: PagerProps) {
  const lastPage = Math.max(1, Math.ceil(total / pageSize));
  const from = shown > 0 ? (page - 1) * pageSize + 1 : 0;
  const to = shown > 0 ? from + shown - 1 : 0;
  return (
    <nav class="pager" aria-label="Pagination">
      <span class="muted">
        {total === 0 ? 'No results' : `Showing ${from}–${to} of ${total}`}
        {total > 0 ? ` · page ${page} of ${lastPage}` : ''}
      </span>
      <span class="actions">
        {page > 1 ? (
          <a class="button button-secondary button-small" href={pageHref(url, page - 1)} rel="prev">
            ← Previous
          </a>
        ) : null}
        {page < lastPage ? (
          <a class="button button-secondary button-small" href={pageHref(url, page + 1)} rel="next">
            Next →
          </a>
        ) : null}
      </span>
    </nav>
  );
}

/** The state of a list past its last page (e.g. after filters shrank it). */
export function PastTheEnd({ url }: { url: URL }) {
  return (
    <Empty>
      This page is past the end of the list. <a href={pageHref(url, 1)}>Go to the first page</a>.
    </Empty>
  );
}

export interface SelectOption {
  value: string;
  label: string;
}

/** A filter's options: "any" (the empty value) first, then each value with its label. */
export function choices(any: string, values: readonly string[], label = humanize): SelectOption[] {
  return [{ value: '', label: any }, ...values.map((value) => ({ value, label: label(value) }))];
}

/** A yes/no filter: "any", then `true` and `false` with their labels. */
export function yesNoChoices(any: string, yes: string, no: string): SelectOption[] {
  return choices(any, ['true', 'false'], (value) => (value === 'true' ? yes : no));
}

export function Select({
  name,
  label,
  options,
  value,
  id,
}: {
  name: string;
  label: string;
  options: SelectOption[];
  value: string | undefined;
  id?: string;
}) {
  const fieldId = id ?? `f-${name}`;
  return (
    <div class="field">
      <label for={fieldId}>{label}</label>
      <select id={fieldId} name={name}>
        {options.map((o) => (
          <option value={o.value} selected={o.value === (value ?? '')}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function TextInput({
  name,
  label,
  value,
  type = 'text',
  id,
  placeholder,
  errors,
  maxlength,
  required,
  autocomplete,
}: {
  name: string;
  label: string;
  value?: string | null;
  type?: string;
  id?: string;
  placeholder?: string;
  errors?: string[];
  maxlength?: number;
  required?: boolean;
  autocomplete?: string;
}) {
  const fieldId = id ?? `f-${name}`;
  const hasErrors = errors !== undefined && errors.length > 0;
  return (
    <div class={hasErrors ? 'field has-error' : 'field'}>
      <label for={fieldId}>{label}</label>
      <input
        id={fieldId}
        type={type}
        name={name}
        value={value ?? ''}
        placeholder={placeholder}
        maxlength={maxlength}
        required={required}
        autocomplete={autocomplete}
        aria-invalid={hasErrors ? 'true' : undefined}
        aria-describedby={hasErrors ? `${fieldId}-error` : undefined}
      />
      {hasErrors ? (
        <p class="field-error" id={`${fieldId}-error`}>
          {errors.join(' ')}
        </p>
      ) : null}
    </div>
  );
}

/** A GET form of list filters, with Apply and a Reset link back to the bare list. */
export function Filters({ action, children }: { action: string; children: Child }) {
  return (
    <search>
      <form class="filters" method="get" action={action}>
        {children}
        <div class="actions">
          <button type="submit">Apply</button>
          <a class="button button-secondary" href={action}>
            Reset
          </a>
        </div>
      </form>
    </search>
  );
}
