import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { COMMON_PASSWORD_COUNT, decodeCommonPasswords } from '../../src/data/common-passwords';
import {
  PASSWORD_MESSAGES as M,
  type PasswordOwner,
  passwordProblems as problemsWith,
} from '../../src/users/password-policy';
import { COMMON_PASSWORDS_TEXT } from './data-files';

// The static asset the Worker reads through its ASSETS binding (src/data/common-passwords.ts).
const list = decodeCommonPasswords(COMMON_PASSWORDS_TEXT);
const common = new Set(list);
const passwordProblems = (password: string, owner: PasswordOwner = {}) =>
  problemsWith(password, owner, common);

const owner = { username: 'amira.hassan', email: 'amira.hassan@example.com' };

describe('password policy (docs/api.md §2.2)', () => {
  it('accepts a password that meets every rule', () => {
    expect(passwordProblems('Kettle-Drum42', owner)).toEqual([]);
  });

  it.each<[string, string, string[]]>([
    ['shorter than 8 characters', 'Ab1!xyz', [M.tooShort]],
    ['longer than 128 characters', `Ab1!${'x'.repeat(125)}`, [M.tooLong]],
    [
      'entirely numeric (and so failing the character rules too)',
      '9081726354',
      [M.numeric, M.uppercaseStart, M.lowercase, M.punctuation],
    ],
    ['not starting with an uppercase letter', 'kettle-Drum42', [M.uppercaseStart]],
    ['without a lowercase letter', 'KETTLE-DRUM42', [M.lowercase]],
    ['without a digit', 'Kettle-Drum', [M.digit]],
    ['with a space', 'Kettle Drum-42', [M.spaces]],
    ['with a leading space (passwords are not trimmed)', ' Kettle-Drum42', [M.uppercaseStart, M.spaces]],
    ['without ASCII punctuation', 'KettleDrum42', [M.punctuation]],
    ['too similar to the username', 'Amira.hassan1', [M.similarToUsername]],
  ])('refuses a password %s', (_case, password, expected) => {
    const problems = passwordProblems(password, { username: 'amira.hassan', email: 'someone@example.com' });
    expect(problems).toEqual(expected);
  });

  it('refuses a password too similar to the e-mail local part', () => {
    expect(passwordProblems('Noura.salem7', { username: 'n1', email: 'noura.salem@example.com' })).toEqual([
      M.similarToEmail,
    ]);
  });

  it('compares with the common-password list without regard to case', () => {
    expect(passwordProblems('Password')).toContain(M.common);
    expect(passwordProblems('PASSWORD')).toContain(M.common);
    expect(passwordProblems('Qwerty123')).toContain(M.common);
  });

  it('collects every failing rule, not just the first', () => {
    expect(passwordProblems('1234')).toEqual([
      M.tooShort,
      M.common,
      M.numeric,
      M.uppercaseStart,
      M.lowercase,
      M.punctuation,
    ]);
  });

  it('treats a blank password as failing several rules at once', () => {
    expect(passwordProblems('')).toEqual([M.tooShort, M.uppercaseStart, M.lowercase, M.digit, M.punctuation]);
  });

  it('uses Django wording for the rules Django has', () => {
    expect(M.tooShort).toBe('This password is too short. It must contain at least 8 characters.');
    expect(M.common).toBe('This password is too common.');
    expect(M.numeric).toBe('This password is entirely numeric.');
    expect(M.similarToUsername).toBe('The password is too similar to the username.');
  });
});

describe('common-password list', () => {
  it('has at least 10,000 entries, all lower-case and distinct', () => {
    expect(list.length).toBe(COMMON_PASSWORD_COUNT);
    expect(list.length).toBeGreaterThanOrEqual(10_000);
    expect(new Set(list).size).toBe(list.length);
    expect(list.every((p) => p === p.toLowerCase() && p.length > 0)).toBe(true);
  });

  // Since the list is stored sorted and front-coded (docs/benchmarks.md "Cold start"), it is compared as a set:
  // the order of the decoded list is the sorted order, no longer the frequency order.
  const require = createRequire(import.meta.url);
  const source: string[] = require('@zxcvbn-ts/language-common/src/passwords.json');
  const mostCommon = source.slice(0, COMMON_PASSWORD_COUNT);

  it('is exactly the most common slice of the pinned @zxcvbn-ts/language-common list it names as its source', () => {
    expect(list).toEqual([...mostCommon].sort());
  });

  it('refuses every entry of that slice as too common, and no entry after it', () => {
    const refused = (p: string) => passwordProblems(p).includes(M.common);
    expect(mostCommon.filter((p) => !refused(p))).toEqual([]);
    // Also in another case and with surrounding spaces, as the check lower-cases and trims.
    expect(mostCommon.filter((p) => !refused(` ${p.toUpperCase()} `))).toEqual([]);
    const inList = new Set(mostCommon);
    const rest = source.slice(COMMON_PASSWORD_COUNT).filter((p) => !inList.has(p));
    expect(rest.length).toBeGreaterThan(1000);
    expect(rest.filter(refused)).toEqual([]);
  });
});
