import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_BOM, csvCell, csvLine, csvStream } from '../../src/lib/csv';

describe('csvCell (docs/admin.md §2)', () => {
  it('quotes every cell, doubles quotes and neutralises formula starts (OWASP CSV injection)', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('+1')).toBe(`"'+1"`);
    expect(csvCell('-2')).toBe(`"'-2"`);
    expect(csvCell('@x')).toBe(`"'@x"`);
    expect(csvCell('\tx')).toBe(`"'\tx"`);
    expect(csvCell('\rx')).toBe(`"'\rx"`);
    expect(csvCell('a\nb')).toBe('"a\nb"');
    expect(csvCell('x=1')).toBe('"x=1"');
    expect(csvCell('')).toBe('""');
    expect(csvCell(null)).toBe('""');
    expect(csvCell(undefined)).toBe('""');
    expect(csvCell(true)).toBe('"true"');
    expect(csvCell(12)).toBe('"12"');
    expect(csvCell(new Date('2026-01-02T03:04:05.006Z'))).toBe('"2026-01-02T03:04:05.006Z"');
    expect(csvCell('中文 🙂')).toBe('"中文 🙂"');
  });

  it('any string round-trips through an RFC 4180 reading, and never starts a formula', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const cell = csvCell(value);
        expect(cell.startsWith('"') && cell.endsWith('"')).toBe(true);
        const inner = cell.slice(1, -1);
        expect(inner.replaceAll('""', '')).not.toContain('"');
        const read = inner.replaceAll('""', '"');
        expect(/^[=+\-@\t\r]/.test(read)).toBe(false);
        expect(read === value || read === `'${value}`).toBe(true);
      }),
    );
  });

  it('a line ends with CRLF', () => {
    expect(csvLine(['a', 1, null])).toBe('"a","1",""\r\n');
  });
});

describe('csvStream', () => {
  it('reads keyset batches on demand and stops at a short batch', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => ({ id: 100 - i }));
    const calls: Array<number | undefined> = [];
    const stream = csvStream({
      header: ['id'],
      batch: async (after, limit) => {
        calls.push(after);
        return rows.filter((r) => after === undefined || r.id < after).slice(0, limit);
      },
      cursor: (r) => r.id,
      line: (r) => [r.id],
      batchSize: 3,
      maxBatches: 10,
    });
    const text = await new Response(stream).text();
    expect(text).toBe(`${['"id"', ...rows.map((r) => `"${r.id}"`)].join('\r\n')}\r\n`);
    expect(calls).toEqual([undefined, 98, 95]); // 3 + 3 + 1: ⌊7 / 3⌋ + 1 queries
  });

  it('starts with a byte-order mark and stops after maxBatches', async () => {
    let calls = 0;
    const stream = csvStream({
      header: ['n'],
      batch: async (after, limit) => {
        calls += 1;
        const start = after ?? 0;
        return Array.from({ length: limit }, (_, i) => ({ n: start + i + 1 }));
      },
      cursor: (r) => r.n,
      line: (r) => [r.n],
      batchSize: 2,
      maxBatches: 3,
    });
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    const text = new TextDecoder('utf-8', { ignoreBOM: true, fatal: false }).decode(bytes);
    expect(text.startsWith(CSV_BOM)).toBe(true);
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(1 + 6);
    expect(calls).toBe(3);
  });
});
