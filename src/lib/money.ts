/**
 * Money as decimal strings on the wire and integer minor units everywhere else (docs/api.md §1). Parsing and
 * formatting work on the digits of the string, never on floats, so "0.1 + 0.2" problems cannot arise.
 */

/** ISO-4217 minor-unit digits of the PayMob currencies (Omani rial has three: 1 OMR = 1000 baisa). */
export const CURRENCY_MINOR_DIGITS = {
  EGP: 2,
  SAR: 2,
  AED: 2,
  OMR: 3,
  PKR: 2,
} as const;
export type Currency = keyof typeof CURRENCY_MINOR_DIGITS;
export const CURRENCIES = Object.keys(CURRENCY_MINOR_DIGITS) as Currency[];

// docs/api.md §4.2. Ten integer digits plus three minor digits stay far below 2^53, so minor units fit a JS
// number exactly and a BIGINT column comfortably.
export const MAX_INTEGER_DIGITS = 10;

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

export function isCurrency(value: string): value is Currency {
  return Object.hasOwn(CURRENCY_MINOR_DIGITS, value);
}

export function minorDigits(currency: Currency): number {
  return CURRENCY_MINOR_DIGITS[currency];
}

export type AmountParseResult = { ok: true; minor: number } | { ok: false; message: string };

/**
 * Parses a positive decimal amount ("100", "100.5", "1.500") into minor units of `currency`. Accepts a
 * JSON number too (rendered with its shortest exact decimal form); refuses exponents, signs, more
 * fraction digits than the currency has and more than ten integer digits. Messages use the original
 * API's (Django REST framework's) wording.
 */
export function parseAmount(input: unknown, currency: Currency): AmountParseResult {
  const digits = minorDigits(currency);
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { ok: false, message: 'A valid number is required.' };
    text = String(input);
  } else if (typeof input === 'string') {
    text = input.trim();
  } else {
    return { ok: false, message: 'A valid number is required.' };
  }
  const match = DECIMAL.exec(text);
  if (!match) return { ok: false, message: 'A valid number is required.' };
  const integerPart = (match[1] ?? '').replace(/^0+(?=\d)/, '');
  const fractionPart = match[2] ?? '';
  if (fractionPart.length > digits) {
    return { ok: false, message: `Ensure that there are no more than ${digits} decimal places.` };
  }
  if (integerPart !== '0' && integerPart.length > MAX_INTEGER_DIGITS) {
    return {
      ok: false,
      message: `Ensure that there are no more than ${MAX_INTEGER_DIGITS} digits before the decimal point.`,
    };
  }
  const minor = Number(integerPart + fractionPart.padEnd(digits, '0'));
  if (minor <= 0) {
    return {
      ok: false,
      message: `Ensure this value is greater than or equal to ${formatMinor(1, currency)}.`,
    };
  }
  return { ok: true, minor };
}

/** Minor units → decimal string with exactly the currency's digits: 150050 EGP → "1500.50", 1500 OMR → "1.500". */
export function formatMinor(minor: number, currency: Currency): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError('minor units must be a safe integer');
  const digits = minorDigits(currency);
  const sign = minor < 0 ? '-' : '';
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  if (digits === 0) return sign + text;
  return `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
