import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

  it('has the same core namespace, minus the left-out names', () => {
    expect(entry.default).toBe(entry.z);
    const coreKeys = Object.keys(zod.core).filter((name) => !LEFT_OUT_OF_CORE.includes(name));
    expect(Object.keys(entry.core).sort()).toEqual(coreKeys.sort());
    const ourCore = new Map(Object.entries(entry.core));
    const theirCore = new Map(Object.entries(zod.core));
    for (const name of coreKeys) expect(ourCore.get(name), `core.${name}`).toBe(theirCore.get(name));
    for (const name of LEFT_OUT) expect(name in zod.z && !(name in entry.z), name).toBe(true);
    for (const name of LEFT_OUT_OF_CORE) expect(name in zod.core && !(name in entry.core), name).toBe(true);
  });

  it('gives `z` exactly the members src/ reads from it (and ZodType for @hono/zod-openapi), each zod’s own', () => {
    // `z` is an object of the members used, not zod's namespace, so esbuild drops the schema types nobody
    // builds (docs/benchmarks.md §7). A member read anywhere in src/ but missing here would be undefined in the
    // Worker (tsc checks against the real zod), so the list is taken from the source itself.
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.tsx?$/.test(entry.name) && !path.includes(join('src', 'lib', 'zod'))) files.push(path);
      }
    };
    walk('src');
    const read = new Set<string>();
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bz\.([A-Za-z_$][\w$]*)/g))
        read.add(match[1] as string);
    }
    // Types only (`z.infer<…>`, `z.core.$ZodRawIssue`): erased before the Worker runs.
    for (const typeOnly of ['infer', 'input', 'output', 'core']) read.delete(typeOnly);
    // @hono/zod-openapi calls extendZodWithOpenApi(z), which reads z.ZodType.prototype.
    read.add('ZodType');
    expect(read.size).toBeGreaterThan(15);
    expect(Object.keys(entry.z).sort()).toEqual([...read].sort());
    const theirs = new Map(Object.entries(zod.z));
    for (const [name, value] of Object.entries(entry.z)) expect(value, name).toBe(theirs.get(name));
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
