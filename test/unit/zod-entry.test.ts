import { describe, expect, it } from 'vitest';
import * as zod from 'zod';
import * as entry from '../../src/lib/zod/index';

// src/lib/zod/index.ts is what wrangler.toml's `[alias]` gives the bundle for `"zod"`: zod minus its locales and
// the entry points the Worker never calls.
const LEFT_OUT = [
  'locales',
  'toJSONSchema',
  'fromJSONSchema',
  'deepPartial',
  'compile',
  'withParser',
  'INVALID',
  'ZodCompileAsyncError',
  'ZodCompileUnsupportedError',
];
const LEFT_OUT_OF_CORE = [
  'locales',
  'toJSONSchema',
  'JSONSchemaGenerator',
  'JSONSchema',
  'compile',
  'compileFn',
  'withParser',
  'INVALID',
  'ZodCompileAsyncError',
  'ZodCompileUnsupportedError',
];

describe('the locale-free zod entry (wrangler.toml [alias])', () => {
  it('exports every name zod exports except the left-out ones, each the very same value', () => {
    const expected = Object.keys(zod)
      .filter((name) => !LEFT_OUT.includes(name))
      .sort();
    expect(Object.keys(entry).sort()).toEqual(expected);
    const ours = new Map(Object.entries(entry));
    const theirs = new Map(Object.entries(zod));
    for (const name of expected) {
      if (name === 'z' || name === 'default' || name === 'core') continue; // namespaces: compared below
      expect(ours.get(name), name).toBe(theirs.get(name));
    }
  });

  it('has the same z namespace and core namespace, minus the left-out names', () => {
    const zKeys = Object.keys(zod.z).filter((name) => !LEFT_OUT.includes(name));
    expect(Object.keys(entry.z).sort()).toEqual(zKeys.sort());
    expect(entry.default).toBe(entry.z);
    const coreKeys = Object.keys(zod.core).filter((name) => !LEFT_OUT_OF_CORE.includes(name));
    expect(Object.keys(entry.core).sort()).toEqual(coreKeys.sort());
    const ourCore = new Map(Object.entries(entry.core));
    const theirCore = new Map(Object.entries(zod.core));
    for (const name of coreKeys) expect(ourCore.get(name), `core.${name}`).toBe(theirCore.get(name));
    for (const name of LEFT_OUT) expect(name in zod.z && !(name in entry.z), name).toBe(true);
    for (const name of LEFT_OUT_OF_CORE) expect(name in zod.core && !(name in entry.core), name).toBe(true);
  });

  it('gives the English messages zod gives', () => {
    const schema = entry.z.object({
      name: entry.z.string().min(3),
      age: entry.z.number().int().positive(),
      email: entry.z.email(),
      kind: entry.z.enum(['a', 'b']),
    });
    const same = zod.z.object({
      name: zod.z.string().min(3),
      age: zod.z.number().int().positive(),
      email: zod.z.email(),
      kind: zod.z.enum(['a', 'b']),
    });
    const input = { name: 'x', age: -1.5, email: 'nope', kind: 'c' };
    const messages = schema.safeParse(input).error?.issues.map((issue) => issue.message);
    expect(messages).toEqual(same.safeParse(input).error?.issues.map((issue) => issue.message));
    expect(messages).toContain('Too small: expected string to have >=3 characters');
    expect(entry.z.string().safeParse(1).error?.issues[0]?.message).toBe(
      'Invalid input: expected string, received number',
    );
  });
});
