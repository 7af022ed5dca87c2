import { describe, expect, it } from 'vitest';
import { COUNTRIES, currencyOf, isCountryCode } from '../../src/customers/countries';
import { cleanFileName, detectDocumentType, inlineContentDisposition } from '../../src/customers/documents';
import { checkEgyptianNationalId, NATIONAL_ID_MESSAGES } from '../../src/customers/egyptian-national-id';
import {
  AddressCreateBody,
  ageInYears,
  dateOfBirthErrors,
  documentIdError,
  KycReviewBody,
  MESSAGES,
  normalizePhoneNumber,
  ProfilePatchBody,
  ProfileReplaceBody,
  postalCodeError,
} from '../../src/customers/schemas';
import { fieldErrorsFrom } from '../../src/lib/validation';
import { PHONE_METADATA } from './data-files';

const TODAY = new Date('2026-11-26T12:00:00Z');

describe('countries: PayMob countries with currency and minor digits', () => {
  it.each([
    ['EG', 'EGP', 2],
    ['SA', 'SAR', 2],
    ['AE', 'AED', 2],
    ['OM', 'OMR', 3],
    ['PK', 'PKR', 2],
  ] as const)('%s pays in %s with %d minor digits', (country, currency, digits) => {
    expect(currencyOf(country)).toEqual({ currency, minorDigits: digits });
  });

  it('knows exactly the five PayMob countries', () => {
    expect(Object.keys(COUNTRIES).sort()).toEqual(['AE', 'EG', 'OM', 'PK', 'SA']);
    expect(isCountryCode('US')).toBe(false);
    expect(isCountryCode('toString')).toBe(false);
  });
});

describe('Egyptian national ID', () => {
  it.each([
    ['29001011234567', '1990-01-01'], // Cairo
    ['30512318812345', '2005-12-31'], // born abroad
    ['30002290112345', '2000-02-29'], // leap day
    ['29912313512345', '1999-12-31'], // governorate 35
    ['28006152112345', '1980-06-15'], // governorate 21
  ])('%s is valid (born %s)', (id, birthDate) => {
    expect(checkEgyptianNationalId(id, TODAY)).toEqual({ valid: true, birthDate });
  });

  it.each([
    ['2900101123456', NATIONAL_ID_MESSAGES.format],
    ['290010112345678', NATIONAL_ID_MESSAGES.format],
    ['2900101123456a', NATIONAL_ID_MESSAGES.format],
    ['', NATIONAL_ID_MESSAGES.format],
    ['19001011234567', NATIONAL_ID_MESSAGES.century],
    ['49001011234567', NATIONAL_ID_MESSAGES.century],
    ['29013011234567', NATIONAL_ID_MESSAGES.birthDate], // month 13
    ['29002301234567', NATIONAL_ID_MESSAGES.birthDate], // 30 February
    ['29902290112345', NATIONAL_ID_MESSAGES.birthDate], // 1999 is not a leap year
    ['29000001234567', NATIONAL_ID_MESSAGES.birthDate],
    ['32701011234567', NATIONAL_ID_MESSAGES.birthDate], // 2027: in the future
    ['29001010512345', NATIONAL_ID_MESSAGES.governorate],
    ['29001011012345', NATIONAL_ID_MESSAGES.governorate],
    ['29001012012345', NATIONAL_ID_MESSAGES.governorate],
    ['29001013612345', NATIONAL_ID_MESSAGES.governorate],
    ['29001010012345', NATIONAL_ID_MESSAGES.governorate],
    ['29001018712345', NATIONAL_ID_MESSAGES.governorate],
  ])('%s is refused: %s', (id, message) => {
    expect(checkEgyptianNationalId(id, TODAY)).toEqual({ valid: false, message });
  });

  it('accepts every governorate code of the registry and no other', () => {
    const valid = ['01', '02', '03', '04', '11', '12', '13', '14', '15', '16', '17', '18', '19'];
    valid.push('21', '22', '23', '24', '25', '26', '27', '28', '29', '31', '32', '33', '34', '35', '88');
    for (let code = 0; code < 100; code++) {
      const gg = String(code).padStart(2, '0');
      const result = checkEgyptianNationalId(`2900101${gg}12345`, TODAY);
      expect(result.valid, gg).toBe(valid.includes(gg));
    }
  });
});

describe('document ids by type', () => {
  it.each([
    ['passport', 'A1234567', undefined],
    ['passport', 'ABC123', undefined],
    ['passport', '123456789', undefined],
    ['passport', 'AB123', MESSAGES.passport],
    ['passport', 'A12345678X', MESSAGES.passport],
    ['passport', 'A12-3456', MESSAGES.passport],
    ['passport', 'A1234 567', MESSAGES.passport],
    ['national_id', '29001011234567', undefined],
    ['national_id', 'A1234567', NATIONAL_ID_MESSAGES.format],
  ] as const)('%s %s', (type, id, message) => {
    expect(documentIdError(type, id, TODAY)).toBe(message);
  });
});

describe('phone numbers: international, valid for the region, E.164', () => {
  it.each([
    ['+201001234567', '+201001234567'],
    ['+20 100 123 4567', '+201001234567'],
    ['+20 (100) 123-4567', '+201001234567'],
    ['+966501234567', '+966501234567'],
    ['+971501234567', '+971501234567'],
    ['+96891234567', '+96891234567'],
    ['+923001234567', '+923001234567'],
    ['+12025550123', '+12025550123'],
  ])('%s → %s', (input, e164) => {
    expect(normalizePhoneNumber(input, PHONE_METADATA)).toBe(e164);
  });

  it.each([
    '01001234567', // national format, no +
    '201001234567',
    '+20100123456', // right length for `min` metadata, not a real Egyptian number
    '+2010012345678',
    '+966101234567',
    '+999123456789',
    'call +201001234567',
    '+',
    'not a phone',
  ])('%s is refused', (input) => {
    expect(normalizePhoneNumber(input, PHONE_METADATA)).toBeUndefined();
  });
});

describe('date of birth', () => {
  it('computes whole years, counting the birthday itself', () => {
    expect(ageInYears('2008-11-26', TODAY)).toBe(18);
    expect(ageInYears('2008-11-27', TODAY)).toBe(17);
    expect(ageInYears('2008-12-01', TODAY)).toBe(17);
    expect(ageInYears('1990-01-01', TODAY)).toBe(36);
  });

  it.each([
    ['2008-11-26', []],
    ['1990-05-17', []],
    ['2008-11-27', [MESSAGES.tooYoung]],
    ['2020-01-01', [MESSAGES.tooYoung]],
    ['2026-11-26', [MESSAGES.dobFuture]],
    ['2030-01-01', [MESSAGES.dobFuture]],
    ['1899-12-31', [MESSAGES.dobTooOld]],
    ['1990-02-30', [MESSAGES.dateFormat]],
    ['1990-13-01', [MESSAGES.dateFormat]],
    ['17/05/1990', [MESSAGES.dateFormat]],
    ['1990-5-17', [MESSAGES.dateFormat]],
  ])('%s → %j', (dob, messages) => {
    expect(dateOfBirthErrors(dob, TODAY)).toEqual(messages);
  });
});

describe('postal codes', () => {
  it.each([
    ['EG', '11511', undefined],
    ['EG', '1151', MESSAGES.egyptPostalCode],
    ['EG', '115111', MESSAGES.egyptPostalCode],
    ['EG', 'A1151', MESSAGES.egyptPostalCode],
    ['SA', '12271', undefined],
    ['PK', '44000', undefined],
    ['OM', '112', undefined],
    ['AE', 'AB12CD34EF', undefined],
    ['AE', '12', MESSAGES.postalCode],
    ['SA', '12345678901', MESSAGES.postalCode],
    ['SA', '12 345', MESSAGES.postalCode],
  ])('%s %s', (country, code, message) => {
    expect(postalCodeError(country, code)).toBe(message);
  });
});

describe('KYC documents: type by magic bytes', () => {
  const bytes = (...values: number[]) => new Uint8Array(values);
  it.each([
    [new TextEncoder().encode('%PDF-1.7\n'), 'application/pdf'],
    [bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10), 'image/jpeg'],
    [bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0), 'image/png'],
    [new TextEncoder().encode('%PDF'), undefined],
    [bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a), undefined],
    [bytes(0xff, 0xd8), undefined],
    [new TextEncoder().encode('GIF89a'), undefined],
    [new TextEncoder().encode('<html>'), undefined],
    [bytes(), undefined],
  ])('%#', (content, type) => {
    expect(detectDocumentType(content)).toBe(type);
  });

  it.each([
    ['scan.pdf', 'scan.pdf'],
    ['C:\\Users\\mona\\passport.png', 'passport.png'],
    ['../../etc/passwd', 'passwd'],
    ['..hidden', 'hidden'],
    ['bad\u0000name\r\n.pdf', 'badname.pdf'],
    ['', 'document'],
    ['/', 'document'],
    ['بطاقة.pdf', 'بطاقة.pdf'],
  ])('file name %j is kept as %j', (name, kept) => {
    expect(cleanFileName(name)).toBe(kept);
  });

  it('keeps at most 255 characters of a name', () => {
    expect(Array.from(cleanFileName(`${'é'.repeat(300)}.pdf`))).toHaveLength(255);
  });

  it.each([
    ['scan.pdf', `inline; filename="scan.pdf"; filename*=UTF-8''scan.pdf`],
    [
      'a "quoted"; name.pdf',
      `inline; filename="a _quoted__ name.pdf"; filename*=UTF-8''a%20%22quoted%22%3B%20name.pdf`,
    ],
    ['بطاقة.pdf', `inline; filename="_____.pdf"; filename*=UTF-8''%D8%A8%D8%B7%D8%A7%D9%82%D8%A9.pdf`],
    ["it's (1).png", `inline; filename="it's (1).png"; filename*=UTF-8''it%27s%20%281%29.png`],
  ])('Content-Disposition for %j', (name, header) => {
    expect(inlineContentDisposition(name)).toBe(header);
  });
});

describe('schemas', () => {
  const errorsOf = (result: { success: boolean; error?: unknown }) =>
    result.success ? {} : fieldErrorsFrom(result.error as Parameters<typeof fieldErrorsFrom>[0]);

  it('PUT profile needs all four keys, each may be null', () => {
    expect(errorsOf(ProfileReplaceBody.safeParse({}))).toEqual({
      first_name: ['This field is required.'],
      last_name: ['This field is required.'],
      phone_number: ['This field is required.'],
      dob: ['This field is required.'],
    });
    const nulls = { first_name: null, last_name: null, phone_number: null, dob: null };
    expect(ProfileReplaceBody.parse(nulls)).toEqual(nulls);
  });

  it('first name: every failing rule at once, after trimming', () => {
    expect(errorsOf(ProfilePatchBody.safeParse({ first_name: '  mo ' }))).toEqual({
      first_name: ['Ensure this field has at least 3 characters.', MESSAGES.firstNameUppercase],
    });
    expect(errorsOf(ProfilePatchBody.safeParse({ first_name: `a${'b'.repeat(50)}` }))).toEqual({
      first_name: ['Ensure this field has no more than 50 characters.', MESSAGES.firstNameUppercase],
    });
    expect(ProfilePatchBody.parse({ first_name: '  Émile ' })).toEqual({ first_name: 'Émile' });
  });

  // A non-blank phone number is checked against the metadata the Worker reads through its ASSETS binding, so
  // the schema's E.164 answer is tested in the Worker (test/integration/customers-profile.test.ts).
  it('stores blank text as null', async () => {
    expect(await ProfilePatchBody.parseAsync({ phone_number: '  ', last_name: '  ' })).toEqual({
      phone_number: null,
      last_name: null,
    });
  });

  it('ignores read-only and unknown fields', () => {
    expect(ProfilePatchBody.parse({ user: 9, is_verified: true, kyc_status: 'approved', x: 1 })).toEqual({});
  });

  it('address: country upper-cased and checked, state longer than 3 characters', () => {
    expect(AddressCreateBody.parse({ country: ' sa ' })).toEqual({ country: 'SA' });
    expect(errorsOf(AddressCreateBody.safeParse({ country: 'US', state: 'Giz' }))).toEqual({
      country: ['"US" is not a valid choice.'],
      state: [MESSAGES.stateTooShort],
    });
  });

  it('review: a reason is required when rejecting, not when approving; the submission version always', () => {
    const submission_version = '0123456789abcdef0123456789abcdef';
    expect(
      errorsOf(KycReviewBody.safeParse({ status: 'rejected', reason: '   ', submission_version })),
    ).toEqual({
      reason: [MESSAGES.reasonRequired],
    });
    expect(KycReviewBody.parse({ status: 'approved', submission_version })).toEqual({
      status: 'approved',
      submission_version,
    });
    expect(errorsOf(KycReviewBody.safeParse({ status: 'maybe', submission_version }))).toEqual({
      status: ['"maybe" is not a valid choice.'],
    });
    expect(errorsOf(KycReviewBody.safeParse({ status: 'approved' }))).toEqual({
      submission_version: ['This field is required.'],
    });
  });
});
