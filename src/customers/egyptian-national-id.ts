/**
 * Egyptian national ID numbers (docs/api.md §3.4): 14 digits — century (2 = 1900s, 3 = 2000s), birth date YYMMDD,
 * governorate code, a 4-digit sequence and a final digit. No checksum is checked: the algorithm is not
 * published, so a checksum rule would only refuse real IDs.
 */

// Civil-registry governorate codes: the Cairo-area cities, Lower Egypt, Upper Egypt, the frontier
// governorates, and 88 for people born abroad.
const GOVERNORATE_CODES: ReadonlySet<string> = new Set([
  ...['01', '02', '03', '04'],
  ...['11', '12', '13', '14', '15', '16', '17', '18', '19'],
  ...['21', '22', '23', '24', '25', '26', '27', '28', '29'],
  ...['31', '32', '33', '34', '35'],
  '88',
]);

const CENTURIES: Record<string, number> = { '2': 1900, '3': 2000 };

export type NationalIdCheck = { valid: true; birthDate: string } | { valid: false; message: string };

export const NATIONAL_ID_MESSAGES = {
  format: 'An Egyptian national ID is exactly 14 digits.',
  century: 'An Egyptian national ID starts with 2 or 3 (the century of birth).',
  birthDate: 'This national ID does not contain a valid birth date.',
  governorate: 'This national ID does not contain a valid governorate code.',
} as const;

/** Checks an Egyptian national ID; `today` decides whether its birth date lies in the future. */
export function checkEgyptianNationalId(value: string, today = new Date()): NationalIdCheck {
  if (!/^\d{14}$/.test(value)) return { valid: false, message: NATIONAL_ID_MESSAGES.format };
  const century = CENTURIES[value.charAt(0)];
  if (century === undefined) return { valid: false, message: NATIONAL_ID_MESSAGES.century };

  const year = century + Number(value.slice(1, 3));
  const month = Number(value.slice(3, 5));
  const day = Number(value.slice(5, 7));
  const date = new Date(Date.UTC(year, month - 1, day));
  const real =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  if (!real || date.getTime() > today.getTime())
    return { valid: false, message: NATIONAL_ID_MESSAGES.birthDate };

  if (!GOVERNORATE_CODES.has(value.slice(7, 9))) {
    return { valid: false, message: NATIONAL_ID_MESSAGES.governorate };
  }
  return { valid: true, birthDate: date.toISOString().slice(0, 10) };
}
