import { writeAudit } from '../../db/audit';
import { type CsvExport, csvStream } from '../../lib/csv';
import { describeError } from '../../lib/logger';
import { type AdminContext, sessionOf } from './http';

/**
 * CSV downloads of the admin's lists (docs/admin.md §2), for STAFF and ADMIN alike: the export is written to the
 * audit log (`export.transactions`, `export.customers`, with the filters) before the first byte, then the rows
 * stream from keyset batches (lib/csv.ts) — never the whole list in memory.
 */
export const EXPORT_BATCH_SIZE = 500;
/** 200 batches: at most 100,000 rows and 200 row queries per download (narrow the filters for more). */
export const EXPORT_MAX_BATCHES = 200;

export async function csvDownload<T>(
  c: AdminContext,
  input: {
    list: 'transactions' | 'customers';
    filters: Record<string, unknown>;
    spec: Omit<CsvExport<T>, 'batchSize' | 'maxBatches' | 'onError'>;
  },
): Promise<Response> {
  const { ctx } = c.var;
  const actor = sessionOf(c).user;
  await writeAudit(ctx.db, {
    actorUserId: actor.id,
    action: input.list === 'transactions' ? 'export.transactions' : 'export.customers',
    targetType: 'export',
    targetId: input.list,
    details: { filters: input.filters, format: 'csv' },
    requestId: ctx.requestId,
    createdAt: ctx.now,
  });
  // e.g. stackpay-transactions-20260304-050607.csv (UTC)
  const stamp = ctx.now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  const body = csvStream({
    ...input.spec,
    batchSize: EXPORT_BATCH_SIZE,
    maxBatches: EXPORT_MAX_BATCHES,
    onError: (err) =>
      ctx.logger.error('csv export failed mid-stream', { list: input.list, ...describeError(err) }),
  });
  return new Response(body, {
    status: 200,
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="stackpay-${input.list}-${stamp}.csv"`,
      'X-Export-Max-Rows': String(EXPORT_BATCH_SIZE * EXPORT_MAX_BATCHES),
    },
  });
}
