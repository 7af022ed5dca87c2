/**
 * CSV for spreadsheets (docs/admin.md §2): RFC 4180 with every cell quoted and quotes doubled, CRLF line ends,
 * UTF-8 with a byte-order mark (so Excel reads non-ASCII text right), and OWASP's defence against CSV
 * injection: a cell whose first character is `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with
 * `'`, so no spreadsheet evaluates it as a formula.
 */

export type CsvValue = string | number | boolean | Date | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
export const CSV_BOM = '\uFEFF';

/** One cell, quoted: null and undefined are empty, dates are UTC ISO 8601, booleans `true`/`false`. */
export function csvCell(value: CsvValue): string {
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (value instanceof Date) text = value.toISOString();
  else text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return `"${text.replaceAll('"', '""')}"`;
}

/** One line, CRLF-terminated. */
export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

export interface CsvExport<T> {
  header: readonly string[];
  /** The next batch after the cursor (undefined: the first), in cursor order; fewer than `batchSize` ends it. */
  batch: (after: number | undefined, limit: number) => Promise<T[]>;
  /** The keyset cursor of a row (its id). */
  cursor: (row: T) => number;
  line: (row: T) => CsvValue[];
  batchSize: number;
  /** At most this many batches (a ceiling on queries); the export stops there. */
  maxBatches: number;
  /** Called when a batch query fails mid-stream (the download then ends with an error). */
  onError?: (err: unknown) => void;
}

/**
 * A CSV download produced as it is read: each `pull` runs one keyset query for the next batch and encodes it,
 * so memory holds one batch and the database sees at most ⌊rows / batchSize⌋ + 1 queries (≤ `maxBatches`).
 */
export function csvStream<T>(spec: CsvExport<T>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let after: number | undefined;
  let batches = 0;
  let started = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!started) {
          started = true;
          controller.enqueue(encoder.encode(CSV_BOM + csvLine(spec.header)));
          return;
        }
        let rows: T[];
        try {
          rows = await spec.batch(after, spec.batchSize);
        } catch (err) {
          spec.onError?.(err);
          controller.error(err);
          return;
        }
        batches += 1;
        if (rows.length > 0) {
          controller.enqueue(encoder.encode(rows.map((row) => csvLine(spec.line(row))).join('')));
          after = spec.cursor(rows[rows.length - 1] as T);
        }
        if (rows.length < spec.batchSize || batches >= spec.maxBatches) controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}
