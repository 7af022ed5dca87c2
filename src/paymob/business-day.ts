import type { PaymobCountry } from './client';

/**
 * PayMob's business day is local to the account's region (docs/payments.md "Business-day void"): PayMob's own
 * WooCommerce plugin computes dates in the account's zone (`getTimeZone`: `Africa/Cairo` for Egypt,
 * `Asia/Riyadh` KSA, `Asia/Dubai` UAE, `Asia/Muscat` Oman, `Asia/Karachi` Pakistan), and its timestamps
 * are Cairo-local (EG) or carry `+03:00`/`+04:00` (KSA/UAE).
 */
export const PAYMOB_TIME_ZONES: Record<PaymobCountry, string> = {
  EG: 'Africa/Cairo',
  SA: 'Asia/Riyadh',
  AE: 'Asia/Dubai',
  OM: 'Asia/Muscat',
  PK: 'Asia/Karachi',
};

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar day (YYYY-MM-DD) of `at` in `timeZone` (workerd ships the IANA zones with Intl). */
export function businessDay(at: Date, timeZone: string): string {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}
