import { DatabaseError } from '@planetscale/database';
import { describe, expect, it } from 'vitest';
import { isRetryableConflict, retryingConflicts } from '../../src/db/client';
import { normaliseIdentifier } from '../../src/lib/identity';
import { jsonDeeperThan } from '../../src/lib/json-depth';

describe('normaliseIdentifier (docs/security.md §1)', () => {
  it.each([
    ['AMIRA', 'amira'],
    ['Ámíra', 'amira'],
    ['ａｍｉｒａ', 'amira'],
    ['ami\u200bra', 'amira'],
    ['am\u00adi\u2060r\ufeffa', 'amira'],
    ['Straße', 'strasse'],
    ['  amira  ', 'amira'],
    ['e\u0301mile', 'emile'],
  ])('%j → %j', (raw, folded) => {
    expect(normaliseIdentifier(raw)).toBe(folded);
  });
});

describe('jsonDeeperThan (docs/security.md §3)', () => {
  it('counts arrays and objects, not brackets inside strings or escapes', () => {
    expect(jsonDeeperThan('{"a":[1,{"b":2}]}', 3)).toBe(false);
    expect(jsonDeeperThan('{"a":[1,{"b":[2]}]}', 3)).toBe(true);
    expect(jsonDeeperThan(`{"a":"${'['.repeat(100)}"}`, 2)).toBe(false);
    expect(jsonDeeperThan(`{"a":"\\"${'{'.repeat(100)}"}`, 2)).toBe(false);
    expect(jsonDeeperThan('['.repeat(1_000_000), 16)).toBe(true);
  });
});

describe('isRetryableConflict (docs/security.md §4)', () => {
  const error = (message: string) => new DatabaseError(message, 400, { message, code: 'UNKNOWN' });
  it.each([
    ['Failed to read auto-increment value from storage engine (errno 1467) (sqlstate HY000)', true],
    ['Deadlock found when trying to get lock; try restarting transaction (errno 1213)', true],
    ['Lock wait timeout exceeded; try restarting transaction (errno 1205)', true],
    ["Duplicate entry 'x' for key 'users_username_unique' (errno 1062)", false],
  ])('%s → %s, also wrapped in a cause', (message, retryable) => {
    expect(isRetryableConflict(error(message))).toBe(retryable);
    expect(isRetryableConflict(new Error('Failed query', { cause: error(message) }))).toBe(retryable);
  });

  it('retryingConflicts runs the work once more after a lost race, and only once', async () => {
    let calls = 0;
    const lost = error('Deadlock found (errno 1213)');
    await expect(
      retryingConflicts(async () => {
        calls++;
        if (calls === 1) throw lost;
        return 'ok';
      }),
    ).resolves.toBe('ok');
    calls = 0;
    await expect(
      retryingConflicts(async () => {
        calls++;
        throw lost;
      }),
    ).rejects.toBe(lost);
    expect(calls).toBe(2);
  });
});
