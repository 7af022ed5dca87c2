import { formatMinor, isCurrency } from '../../lib/money';

/**
 * Display helpers for the admin pages. Every time is shown in UTC with the zone named, as stored: staff in
 * different countries read the same value.
 */

export function formatDateTime(value: Date | null | undefined): string {
  if (!value) return '—';
  return `${value.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Minor units as the currency's decimal amount with its code, e.g. `1500.50 EGP`. */
export function formatAmount(minor: number | null | undefined, currency: string | null | undefined): string {
  if (minor === null || minor === undefined) return '—';
  if (!currency || !isCurrency(currency)) return `${minor} (minor units)${currency ? ` ${currency}` : ''}`;
  return `${groupThousands(formatMinor(minor, currency))} ${currency}`;
}

/** `1234567.50` → `1,234,567.50`, on the digits (the amount never passes through a float). */
function groupThousands(decimal: string): string {
  const [whole = '', fraction] = decimal.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** A readable byte count for document sizes. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}

/** `snake_case` or `dotted.names` as words: `kyc_review` → `Kyc review`. */
export function humanize(value: string): string {
  const words = value.replace(/[._]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function fullName(first: string | null, last: string | null): string {
  return [first, last].filter(Boolean).join(' ');
}
