import { z } from '@hono/zod-openapi';
import { type MetadataJson, parsePhoneNumberFromString } from 'libphonenumber-js/core';
import { workerAssets } from '../data/assets';
import { phoneMetadata } from '../data/phone-metadata';
import { DOCUMENT_TYPES, type DocumentType, KYC_STATUSES } from '../db/schema';
import type { FieldErrors } from '../lib/errors';
import { openApiPattern } from '../lib/openapi';
import { NON_FIELD } from '../lib/validation';
import { COUNTRY_CODES, type CountryCode } from './countries';
import { checkEgyptianNationalId } from './egyptian-national-id';

/** docs/api.md §3 wording; tests assert these verbatim. */
export const MESSAGES = {
  firstNameUppercase: 'First name must start with an uppercase letter.',
  phoneInvalid: 'Enter a valid phone number in international format, e.g. +201001234567.',
  phoneTaken: 'A customer with this phone number already exists.',
  dateFormat: 'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.',
  dobFuture: 'Date of birth must be in the past.',
  dobTooOld: 'Enter a date of birth after 1900-01-01.',
  tooYoung: 'Customer too young',
  stateTooShort: 'State must be more than 3 characters.',
  egyptPostalCode: 'In Egypt postal codes are exactly five digits.',
  postalCode: 'Postal codes are 3 to 10 letters or digits.',
  keepOneMain: 'A customer must keep one main address.',
  passport: 'A passport number is 6 to 9 letters or digits.',
  notAFile: 'The submitted data was not a file. Check the encoding type on the form.',
  emptyFile: 'The submitted file is empty.',
  fileType: 'Upload a PDF, JPEG or PNG document. The type is decided by the content, not the file name.',
  reasonRequired: 'A reason is required when rejecting.',
} as const;

export const addressLimitMessage = (limit: number) =>
  `You have reached the maximum number of addresses (${limit}).`;
export const fileTooLargeMessage = (maxBytes: number) =>
  `The file is larger than the limit of ${maxBytes} bytes (${formatMiB(maxBytes)}).`;

function formatMiB(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return `${Number.isInteger(mib) ? mib : mib.toFixed(2)} MiB`;
}

export const MIN_AGE_YEARS = 18;
const EARLIEST_DOB = '1900-01-01';

// ---------------------------------------------------------------------------------------------------------
// Pure rules (unit-tested), shared by the schemas below and by services that validate a merged state.

/**
 * The phone number in E.164 when it is written internationally (`+…`) and valid for its region. `metadata` is
 * libphonenumber-js's `max` metadata: real per-region number patterns, not only lengths (`min` accepts e.g.
 * +20100123456), without the formatting rules, which validation never reads (src/data/phone-metadata.ts).
 */
export function normalizePhoneNumber(value: string, metadata: MetadataJson): string | undefined {
  if (!value.startsWith('+')) return undefined;
  const phone = parsePhoneNumberFromString(value, { extract: false }, metadata);
  return phone?.isValid() ? phone.number : undefined;
}

/** A real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Age in whole years on `today` (UTC) of someone born on `dob` (`YYYY-MM-DD`). */
export function ageInYears(dob: string, today: Date): number {
  const [year, month, day] = dob.split('-').map(Number) as [number, number, number];
  let age = today.getUTCFullYear() - year;
  const beforeBirthday =
    today.getUTCMonth() + 1 < month || (today.getUTCMonth() + 1 === month && today.getUTCDate() < day);
  if (beforeBirthday) age -= 1;
  return age;
}

/** Every message for a date of birth, empty when it is acceptable. */
export function dateOfBirthErrors(dob: string, today: Date): string[] {
  if (!isIsoDate(dob)) return [MESSAGES.dateFormat];
  if (dob < EARLIEST_DOB) return [MESSAGES.dobTooOld];
  if (dob >= today.toISOString().slice(0, 10)) return [MESSAGES.dobFuture];
  if (ageInYears(dob, today) < MIN_AGE_YEARS) return [MESSAGES.tooYoung];
  return [];
}

/** The postal-code message for a country, or undefined when the code fits it. */
export function postalCodeError(country: string, postalCode: string): string | undefined {
  if (country === 'EG') return /^\d{5}$/.test(postalCode) ? undefined : MESSAGES.egyptPostalCode;
  return /^[A-Za-z0-9]{3,10}$/.test(postalCode) ? undefined : MESSAGES.postalCode;
}

/** The document-id message for a document type, or undefined when the id fits it. */
export function documentIdError(
  type: DocumentType,
  documentId: string,
  today = new Date(),
): string | undefined {
  if (type === 'passport') return /^[A-Za-z0-9]{6,9}$/.test(documentId) ? undefined : MESSAGES.passport;
  const check = checkEgyptianNationalId(documentId, today);
  return check.valid ? undefined : check.message;
}

/** Adds one message to a field's list. */
export function addFieldError(errors: FieldErrors, field: string, message: string): void {
  const list = errors[field] ?? [];
  if (!list.includes(message)) list.push(message);
  errors[field] = list;
}

// ---------------------------------------------------------------------------------------------------------
// Field schemas. Strings are trimmed first (docs/api.md §1); an empty optional text means "not given" (null).

/** Optional free text: trimmed, at most `max` characters, blank → null. */
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .transform((v) => (v === '' ? null : v))
    .nullable();

const FIRST_NAME_PATTERN = /^\p{Lu}/u;

const firstName = z
  .string()
  .trim()
  .max(50)
  .min(3)
  .regex(FIRST_NAME_PATTERN, MESSAGES.firstNameUppercase)
  .nullable()
  .openapi({ pattern: openApiPattern(FIRST_NAME_PATTERN), example: 'Mona' });

const lastName = optionalText(50).openapi({ example: 'Hassan' });

const phoneNumber = z
  .string()
  .trim()
  .max(32)
  // Asynchronous: the metadata is a static asset, read through the Worker's ASSETS binding on first use
  // (src/data/phone-metadata.ts). The route validator parses with safeParseAsync.
  .transform(async (value, ctx) => {
    if (value === '') return null;
    const normalized = normalizePhoneNumber(value, await phoneMetadata(await workerAssets()));
    if (!normalized) {
      ctx.addIssue({ code: 'custom', message: MESSAGES.phoneInvalid });
      return z.NEVER;
    }
    return normalized;
  })
  .nullable()
  .openapi({
    // A transform hides the input type from the generator; null (or blank) clears the number.
    type: ['string', 'null'],
    example: '+201001234567',
    description: 'International format; stored as E.164.',
  });

const dob = z
  .string()
  .trim()
  .transform((value, ctx) => {
    if (value === '') return null;
    for (const message of dateOfBirthErrors(value, new Date())) ctx.addIssue({ code: 'custom', message });
    return value;
  })
  .nullable()
  .openapi({ type: ['string', 'null'], format: 'date', example: '1990-05-17' });

const profileFields = { first_name: firstName, last_name: lastName, phone_number: phoneNumber, dob };

/** PUT: every writable key must be present (each may be null). */
export const ProfileReplaceBody = z.object(profileFields).openapi('CustomerProfileReplace');
/** PATCH: any subset. */
export const ProfilePatchBody = z.object(profileFields).partial().openapi('CustomerProfilePatch');
export type ProfileChanges = z.infer<typeof ProfilePatchBody>;

export const ProfileSchema = z
  .object({
    user: z.number().int(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    phone_number: z.string().nullable(),
    dob: z.string().nullable().openapi({ format: 'date' }),
    is_verified: z.boolean(),
    kyc_status: z.enum(KYC_STATUSES).nullable(),
  })
  .openapi('CustomerProfile');
export type ProfileView = z.infer<typeof ProfileSchema>;

const country = z
  .string()
  .trim()
  .toUpperCase()
  .pipe(z.enum(COUNTRY_CODES))
  .openapi({ type: 'string', enum: COUNTRY_CODES, example: 'EG' });

const state = optionalText(50).refine((v) => v === null || v.length > 3, MESSAGES.stateTooShort);

const addressFields = {
  country,
  state,
  city: optionalText(50),
  line: optionalText(50),
  building_number: optionalText(10),
  apartment_number: optionalText(10),
  postal_code: optionalText(20).openapi({ example: '11511' }),
  main_address: z.boolean(),
};

/** POST: country defaults to EG and main_address to true; other fields default to null. */
export const AddressCreateBody = z.object(addressFields).partial().openapi('AddressCreate');
/** PUT: every writable key must be present (text fields may be null). */
export const AddressReplaceBody = z.object(addressFields).openapi('AddressReplace');
/** PATCH: any subset. */
export const AddressPatchBody = z.object(addressFields).partial().openapi('AddressPatch');
export type AddressChanges = z.infer<typeof AddressPatchBody>;

export const AddressSchema = z
  .object({
    id: z.number().int(),
    customer: z.number().int(),
    country: z.enum(COUNTRY_CODES),
    state: z.string().nullable(),
    city: z.string().nullable(),
    line: z.string().nullable(),
    building_number: z.string().nullable(),
    apartment_number: z.string().nullable(),
    postal_code: z.string().nullable(),
    main_address: z.boolean(),
  })
  .openapi('Address');
export type AddressView = z.infer<typeof AddressSchema>;

export interface AddressFields {
  country: CountryCode;
  state: string | null;
  postalCode: string | null;
}

/** Rules that span fields of an address (postal code depends on the country), on its merged state. */
export function addressErrors(address: AddressFields): FieldErrors {
  const errors: FieldErrors = {};
  if (address.postalCode !== null) {
    const message = postalCodeError(address.country, address.postalCode);
    if (message) addFieldError(errors, 'postal_code', message);
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------------------
// KYC

const documentType = z
  .string()
  .trim()
  .pipe(z.enum(DOCUMENT_TYPES))
  .openapi({ type: 'string', enum: [...DOCUMENT_TYPES] });

const documentId = z
  .string()
  .trim()
  .max(20)
  .min(1)
  .transform((v) => v.toUpperCase())
  .openapi({
    type: 'string',
    example: '29001011234567',
    description: 'national_id: an Egyptian national ID (14 digits); passport: 6–9 letters or digits.',
  });

/** The KYC text fields, as JSON or as multipart form fields. */
export const KycFields = z.object({ document_type: documentType, document_id: documentId });
export const KycReplaceFields = KycFields;
export const KycPatchFields = KycFields.partial();
export type KycFieldChanges = z.infer<typeof KycPatchFields>;

export const KycJsonBody = KycFields.partial()
  .extend({
    document_file: z.null().optional().openapi({
      description:
        'Only `null` in JSON: removes the stored document. Upload a file with multipart/form-data.',
    }),
  })
  .openapi('KycUpdateJson');

export const KycMultipartBody = KycFields.partial()
  .extend({
    document_file: z.any().optional().openapi({
      type: 'string',
      format: 'binary',
      description: 'PDF, JPEG or PNG (decided by content), 1 byte to KYC_MAX_BYTES (5 MiB).',
    }),
  })
  .openapi('KycUpdateMultipart');

export const KycSchema = z
  .object({
    customer_id: z.number().int(),
    document_type: z.enum(DOCUMENT_TYPES),
    document_id: z.string().nullable(),
    document_file: z.string().nullable().openapi({
      description: 'API path that streams the document (owner or staff), or null when none is stored.',
      example: '/api/v1/customers/profile/upload-docs/file/',
    }),
    status: z.enum(KYC_STATUSES),
    reviewed_at: z.string().nullable().openapi({ format: 'date-time' }),
    rejection_reason: z.string().nullable(),
    submission_version: z.string().openapi({
      description:
        'Identifies the submission as read (document type, id and file). A staff review sends it back and ' +
        'applies only while the submission is unchanged (409 `kyc_changed` otherwise).',
      example: '3f1c9a0e5b7d2468ace0f1b2c3d4e5f6',
    }),
  })
  .openapi('Kyc');
export type KycView = z.infer<typeof KycSchema>;

export const KycReviewBody = z
  .object({
    // A string first: a missing value then reads "This field is required." rather than a bad choice.
    status: z
      .string()
      .pipe(z.enum(['approved', 'rejected']))
      .openapi({ type: 'string', enum: ['approved', 'rejected'] }),
    reason: z
      .string()
      .trim()
      .max(500)
      .transform((v) => (v === '' ? null : v))
      .nullable()
      .optional(),
    submission_version: z
      .string()
      .regex(/^[0-9a-f]{32}$/, 'Not a submission version.')
      .openapi({
        description:
          'The `submission_version` of the KYC record as the reviewer read it (GET …/kyc/). Required: the ' +
          'review applies only to that submission (409 `kyc_changed` if the customer changed it since).',
      }),
  })
  .superRefine((body, ctx) => {
    if (body.status === 'rejected' && !body.reason) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: MESSAGES.reasonRequired });
    }
  })
  .openapi('KycReview');

// ---------------------------------------------------------------------------------------------------------
// Path parameters. An id that is not a positive integer the database could hold names nothing: 404.

const positiveId = z
  .string()
  .regex(/^[1-9]\d{0,15}$/)
  .transform(Number)
  .refine(Number.isSafeInteger);

export const AddressIdParam = z.object({
  id: positiveId.openapi({ param: { name: 'id', in: 'path' }, type: 'integer', example: 12 }),
});
export const CustomerIdParam = z.object({
  customer_id: positiveId.openapi({
    param: { name: 'customer_id', in: 'path' },
    type: 'integer',
    example: 7,
  }),
});

export { NON_FIELD };
