import { z } from '@hono/zod-openapi';

/**
 * The merchant's own data on a payment (docs/api.md §4.9): the shapes and limits of `merchant_reference`,
 * `metadata` (Stripe's limits), `description` and `return_url`. Lengths count UTF-16 code units, which is never
 * more characters than the columns hold. Whether a return_url's origin is allowed depends on the
 * configuration: src/transactions/return-url.ts checks it.
 */

export const MERCHANT_REFERENCE_MAX = 64;
export const METADATA_MAX_KEYS = 20;
export const METADATA_KEY_MAX = 40;
export const METADATA_VALUE_MAX = 500;
export const DESCRIPTION_MAX = 255;
export const RETURN_URL_MAX = 2048;

const CONTROL = /\p{Cc}/u;
// Tab, line feed and carriage return are the control characters free text may hold.
const CONTROL_IN_TEXT = /[^\P{Cc}\t\n\r]/u;
const NOT_UNICODE = 'Not valid Unicode text (lone surrogate).';

const wellFormed = (value: string) => value.isWellFormed();

/** Shown in a message: at most 40 characters, always printable. */
function quoted(value: string): string {
  const shown = value.toWellFormed().replace(/\p{Cc}/gu, '?');
  return `"${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}"`;
}

/** Exact text (compared byte for byte): no blank, no control characters, no surrounding whitespace. */
export const MerchantReference = z
  .string()
  .min(1)
  .max(MERCHANT_REFERENCE_MAX)
  .refine(wellFormed, NOT_UNICODE)
  .refine((value) => !CONTROL.test(value), 'May not contain control characters.')
  .refine((value) => value === value.trim(), 'May not start or end with whitespace.');

/** The first message a filter value gets from the rules above, or undefined when it is a valid reference. */
export function merchantReferenceProblem(value: string): string | undefined {
  const result = MerchantReference.safeParse(value);
  return result.success ? undefined : result.error.issues[0]?.message;
}

const freeText = (max: number) =>
  z
    .string()
    .max(max)
    .refine(wellFormed, NOT_UNICODE)
    .refine((value) => !CONTROL_IN_TEXT.test(value), 'May not contain control characters.');

/** What is wrong with one metadata entry, if anything. */
function entryProblems(key: string, value: unknown): string[] {
  const problems: string[] = [];
  if (key === '') problems.push('Metadata keys may not be blank.');
  else if (key.length > METADATA_KEY_MAX) {
    problems.push(`Key ${quoted(key)} is longer than ${METADATA_KEY_MAX} characters.`);
  } else if (!wellFormed(key) || CONTROL.test(key) || /[[\]]/.test(key)) {
    problems.push(
      `Key ${quoted(key)} may not contain square brackets, control characters or lone surrogates.`,
    );
  }
  if (typeof value !== 'string') {
    const what = value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
    problems.push(`The value of ${quoted(key)} must be a string, not ${what}.`);
  } else if (value.length > METADATA_VALUE_MAX) {
    problems.push(`The value of ${quoted(key)} is longer than ${METADATA_VALUE_MAX} characters.`);
  } else if (!wellFormed(value) || CONTROL_IN_TEXT.test(value)) {
    problems.push(`The value of ${quoted(key)} may not contain control characters or lone surrogates.`);
  }
  return problems;
}

// A hostile body may carry thousands of bad keys: the answer names the first few.
const MAX_REPORTED = 5;

/**
 * `{ "key": "value" }` with at most 20 keys of ≤ 40 characters (no square brackets) and string values of
 * ≤ 500 characters (Stripe's limits). A list, a nested object, a number, `null` → 400 on `metadata`.
 */
export const MetadataInput = z
  .unknown()
  .transform((value, ctx): Record<string, string> => {
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (value === null) return fail('This field may not be null.');
    if (typeof value !== 'object' || Array.isArray(value)) {
      return fail('Invalid data. Expected a dictionary of strings.');
    }
    const entries = Object.entries(value);
    if (entries.length > METADATA_MAX_KEYS) {
      return fail(`Ensure there are no more than ${METADATA_MAX_KEYS} keys (got ${entries.length}).`);
    }
    const problems = entries.flatMap(([key, entry]) => entryProblems(key, entry));
    if (problems.length > 0) {
      for (const message of problems.slice(0, MAX_REPORTED)) ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    // Own data properties only (a `__proto__` key stays a key), strings only (checked above).
    return Object.fromEntries(entries) as Record<string, string>;
  })
  .openapi({
    type: 'object',
    description: `Up to ${METADATA_MAX_KEYS} keys of ≤ ${METADATA_KEY_MAX} characters (no \`[\` or \`]\`), string values of ≤ ${METADATA_VALUE_MAX} characters. Returned as sent; \`{}\` when none.`,
    maxProperties: METADATA_MAX_KEYS,
    additionalProperties: { type: 'string', maxLength: METADATA_VALUE_MAX },
    example: { order_id: '1042', channel: 'web' },
  });

/** The optional fields `POST txn/` accepts besides `amount`. */
export const merchantDataFields = {
  merchant_reference: MerchantReference.optional().openapi({
    description: `Your reference for this payment (e.g. your order number): 1–${MERCHANT_REFERENCE_MAX} characters, exact (case-sensitive), no control characters or surrounding whitespace. Unique per customer: a second payment with it → 409 \`merchant_reference_conflict\`.`,
    example: 'order-1042',
  }),
  metadata: MetadataInput.optional(),
  description: freeText(DESCRIPTION_MAX)
    .optional()
    .openapi({ description: `Up to ${DESCRIPTION_MAX} characters.`, example: 'Two notebooks and a pen' }),
  return_url: z
    .string()
    .min(1)
    .max(RETURN_URL_MAX)
    .refine(wellFormed, NOT_UNICODE)
    .optional()
    .openapi({
      format: 'uri',
      description: `Where the shopper goes after paying (≤ ${RETURN_URL_MAX} characters): https (http only for loopback outside production), its origin one of RETURN_URL_ALLOWED_ORIGINS (none configured → 400). The result page appends \`transaction\`, \`status\` and \`signature\` (docs/api.md §4.9).`,
      example: 'https://shop.example/orders/1042/paid',
    }),
};
