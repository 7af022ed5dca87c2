import { cast, type Field } from '@planetscale/database';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastCast } from '../../src/db/cast';

// src/db/cast.ts must give exactly what the driver's own cast gives (docs/benchmarks.md §9).
const TYPES = [
  'NULL',
  'INT8',
  'UINT8',
  'INT16',
  'UINT16',
  'INT24',
  'UINT24',
  'INT32',
  'UINT32',
  'INT64',
  'UINT64',
  'YEAR',
  'FLOAT32',
  'FLOAT64',
  'DECIMAL',
  'DATE',
  'TIME',
  'DATETIME',
  'TIMESTAMP',
  'CHAR',
  'VARCHAR',
  'TEXT',
  'BLOB',
  'VARBINARY',
  'BINARY',
  'BIT',
  'ENUM',
  'SET',
  'JSON',
  'GEOMETRY',
  'EXPRESSION',
];

/** A value as the driver hands it to cast: a binary string, one character per byte. */
const binaryOf = (text: string) => String.fromCharCode(...new TextEncoder().encode(text));

describe('fastCast equals the driver cast', () => {
  it('on every field type, charset and random text (as UTF-8 bytes, or arbitrary bytes)', () => {
    const bytes = fc.uint8Array({ maxLength: 64 }).map((b) => String.fromCharCode(...b));
    const utf8 = fc.string({ unit: 'binary' }).map(binaryOf);
    fc.assert(
      fc.property(
        fc.constantFrom(...TYPES),
        fc.constantFrom(33, 45, 63, 255),
        fc.oneof(bytes, utf8),
        (type, charset, value) => {
          const field = { name: 'f', type, charset } as Field;
          if (type === 'JSON') return; // JSON below (random bytes are not JSON)
          const expected = cast(field, value);
          expect(fastCast(field, value)).toEqual(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('numbers, JSON and nulls', () => {
    const f = (type: string) => ({ name: 'f', type, charset: 63 }) as Field;
    for (const [type, value] of [
      ['INT32', '-42'],
      ['UINT64', '18446744073709551615'],
      ['FLOAT64', '1.5e3'],
      ['DECIMAL', '10.20'],
      ['DATETIME', '2026-01-02 03:04:05.678'],
      ['JSON', binaryOf('{"a":"é ✓","b":[1,null]}')],
      ['VARCHAR', binaryOf('Ünïcödé ✓ 😀')],
      ['VARCHAR', ''],
    ] as const) {
      expect(fastCast(f(type), value)).toEqual(cast(f(type), value));
      expect(fastCast({ ...f(type), charset: 255 }, value)).toEqual(
        cast({ ...f(type), charset: 255 }, value),
      );
    }
    expect(fastCast(f('VARCHAR'), null)).toBe(cast(f('VARCHAR'), null));
  });
});
