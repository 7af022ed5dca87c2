import { commonPasswords } from '../data/common-passwords';
import type { Env } from '../env';

/**
 * docs/api.md §2.2: every failing rule's message, in Django's wording where Django has the rule. Used by sign-up,
 * change password and admin-created users.
 */
export const PASSWORD_MIN_LENGTH = 8;
// The original capped passwords at 15 characters, which was a defect; 128 leaves room for passphrases.
export const PASSWORD_MAX_LENGTH = 128;
// Django's UserAttributeSimilarityValidator default.
const MAX_SIMILARITY = 0.7;

export const PASSWORD_MESSAGES = {
  tooShort: `This password is too short. It must contain at least ${PASSWORD_MIN_LENGTH} characters.`,
  tooLong: `This password is too long. It must contain at most ${PASSWORD_MAX_LENGTH} characters.`,
  common: 'This password is too common.',
  numeric: 'This password is entirely numeric.',
  similarToUsername: 'The password is too similar to the username.',
  similarToEmail: 'The password is too similar to the email address.',
  uppercaseStart: 'This password must start with an uppercase letter.',
  lowercase: 'This password must contain at least one lowercase letter.',
  digit: 'This password must contain at least one digit.',
  spaces: 'This password must not contain spaces.',
  punctuation: 'This password must contain at least one punctuation character (such as ! ? . @ # $ %).',
} as const;

/** Python's SequenceMatcher.quick_ratio: 2 * (characters in common, as multisets) / (total length). */
function quickRatio(a: string, b: string): number {
  const total = a.length + b.length;
  if (total === 0) return 1;
  const available = new Map<string, number>();
  for (const ch of b) available.set(ch, (available.get(ch) ?? 0) + 1);
  let matches = 0;
  for (const ch of a) {
    const left = available.get(ch) ?? 0;
    if (left > 0) {
      matches += 1;
      available.set(ch, left - 1);
    }
  }
  return (2 * matches) / total;
}

/**
 * Django's UserAttributeSimilarityValidator: the password is compared with the whole value and with each of
 * its parts split on non-word characters; parts much shorter than the password are skipped.
 */
function isTooSimilar(password: string, value: string): boolean {
  if (!value) return false;
  const lowered = password.toLowerCase();
  const valueLower = value.toLowerCase();
  const parts = [...valueLower.split(/[^\p{L}\p{N}_]+/u), valueLower];
  for (const part of parts) {
    const boundSimilarity = (MAX_SIMILARITY / 2) * lowered.length;
    if (lowered.length >= 10 * part.length && part.length < boundSimilarity) continue;
    if (quickRatio(lowered, part) >= MAX_SIMILARITY) return true;
  }
  return false;
}

const ASCII_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/;

export interface PasswordOwner {
  username?: string;
  email?: string;
}

/**
 * Every message the password fails, in a stable order; empty when it is acceptable. `common` is the
 * common-password list (lower-case entries); the password is looked up trimmed and lower-cased.
 */
export function passwordProblems(
  password: string,
  owner: PasswordOwner,
  common: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) problems.push(PASSWORD_MESSAGES.tooShort);
  if (length > PASSWORD_MAX_LENGTH) problems.push(PASSWORD_MESSAGES.tooLong);
  if (common.has(password.trim().toLowerCase())) problems.push(PASSWORD_MESSAGES.common);
  if (/^\p{Nd}+$/u.test(password)) problems.push(PASSWORD_MESSAGES.numeric);
  if (owner.username && isTooSimilar(password, owner.username))
    problems.push(PASSWORD_MESSAGES.similarToUsername);
  const emailLocalPart = owner.email?.split('@')[0];
  if (emailLocalPart && isTooSimilar(password, emailLocalPart))
    problems.push(PASSWORD_MESSAGES.similarToEmail);
  if (!/^\p{Lu}/u.test(password)) problems.push(PASSWORD_MESSAGES.uppercaseStart);
  if (!/\p{Ll}/u.test(password)) problems.push(PASSWORD_MESSAGES.lowercase);
  if (!/[0-9]/.test(password)) problems.push(PASSWORD_MESSAGES.digit);
  if (/\s/u.test(password)) problems.push(PASSWORD_MESSAGES.spaces);
  if (!ASCII_PUNCTUATION.test(password)) problems.push(PASSWORD_MESSAGES.punctuation);
  return problems;
}

/**
 * `passwordProblems` with the deployment's common-password list, read through the ASSETS binding on the first
 * check in an isolate (src/data/common-passwords.ts). Used by sign-up, password change and reset, and the
 * set-password link of admin-created users.
 */
export async function checkPasswordPolicy(
  env: Pick<Env, 'ASSETS'>,
  password: string,
  owner: PasswordOwner,
): Promise<string[]> {
  return passwordProblems(password, owner, await commonPasswords(env.ASSETS));
}
