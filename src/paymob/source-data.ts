/**
 * How a PayMob transaction was paid (docs/paymob.md §8): `source_data.type`, `sub_type` and `pan`, which
 * PayMob's HMAC covers (src/paymob/hmac.ts), and a kiosk payment's `data.bill_reference`, which it does not.
 * Real values: a card `{type: "card", sub_type: "MasterCard", pan: "2346"}`; a wallet `{type: "wallet",
 * sub_type: "wallet", pan: "01010101010"}` — the whole phone number (PayMob's published redirect sample in
 * M-Nasser-M/paymob-js-sdk tests, docs/paymob.md §6) — so every pan is masked to its last four characters
 * before it is stored or shown.
 */
export interface PaymentSource {
  type: string;
  subType: string | null;
  pan: string | null;
  /** Kiosk only; unsigned, so read from the processed callback and inquiries only (never the redirect). */
  billReference: string | null;
}

const clean = (value: unknown, length: number): string | null => {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value !== 'string') return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const text = value.replace(/[\u0000-\u001f\u007f]+/g, '').trim();
  return text ? text.slice(0, length) : null;
};

/** The last four characters, the rest as `*` (at most 32 characters in all). */
export function maskPan(pan: string | null): string | null {
  if (pan === null) return null;
  const compact = pan.replace(/\s+/g, '');
  if (compact.length <= 4) return compact || null;
  const hidden = Math.min(compact.length - 4, 28);
  return `${'*'.repeat(hidden)}${compact.slice(-4)}`;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** From a transaction object (processed callback `obj`, inquiry answer); null without a `source_data.type`. */
export function sourceFromObject(obj: { source_data?: unknown; data?: unknown }): PaymentSource | null {
  const source = isRecord(obj.source_data) ? obj.source_data : null;
  const type = clean(source?.type, 32);
  if (!source || !type) return null;
  const data = isRecord(obj.data) ? obj.data : null;
  return {
    type,
    subType: clean(source.sub_type, 64),
    pan: maskPan(clean(source.pan, 64)),
    billReference: clean(data?.bill_reference, 64),
  };
}

/** From the browser redirect's flattened query (dotted keys); it never carries a bill reference we trust. */
export function sourceFromQuery(query: Record<string, unknown>): PaymentSource | null {
  const type = clean(query['source_data.type'], 32);
  if (!type) return null;
  return {
    type,
    subType: clean(query['source_data.sub_type'], 64),
    pan: maskPan(clean(query['source_data.pan'], 64)),
    billReference: null,
  };
}
