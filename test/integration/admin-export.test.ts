import { and, desc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, customers, type TransactionStatus, transactions } from '../../src/db/schema';
import { ulid } from '../../src/lib/crypto';
import { AdminBrowser, customerIdOf, signedIn } from './admin-helpers';
import { createUser, queryLog, testDb, uniqueName, uniqueRequestId } from './helpers';

const BOM = '\uFEFF';
const TX_HEADER =
  '"id","created_at","merchant_order_id","paymob_order_id","paymob_transaction_id","status","amount","refunded_amount","currency","customer_id","customer_name","customer_email","needs_attention"';
const CUSTOMER_HEADER =
  '"id","created_at","username","email","first_name","last_name","phone_number","is_verified","kyc_status","user_active"';

async function customer(first: string | null = 'Amira', last: string | null = 'Hassan') {
  const user = await createUser();
  const customerId = await customerIdOf(user);
  await testDb()
    .update(customers)
    .set({ firstName: first, lastName: last })
    .where(eq(customers.id, customerId));
  return { ...user, customerId };
}

interface TxValues {
  merchantOrderId?: string;
  amountCents?: number;
  refundedCents?: number;
  currency?: string;
  status?: TransactionStatus;
  createdAt?: Date;
}

async function insertTransactions(customerId: number, list: TxValues[]): Promise<number[]> {
  const inserted = await testDb()
    .insert(transactions)
    .values(
      list.map((v) => ({
        customerId,
        merchantOrderId: v.merchantOrderId ?? `SP-${ulid()}`,
        amountCents: v.amountCents ?? 15_000,
        refundedCents: v.refundedCents ?? 0,
        currency: v.currency ?? 'EGP',
        status: v.status ?? 'succeeded',
        createdAt: v.createdAt ?? new Date(),
      })),
    );
  const first = Number(inserted.insertId);
  return list.map((_, i) => first + i);
}

/** Downloads a CSV with its own request id: the response, its text and the statements the simulator saw. */
async function download(browser: AdminBrowser, path: string) {
  const requestId = uniqueRequestId('csv');
  const response = await browser.send(path, { requestId });
  // Decoded keeping the byte-order mark (Response.text() would drop it).
  const text = new TextDecoder('utf-8', { ignoreBOM: true, fatal: false }).decode(
    await response.arrayBuffer(),
  );
  return { response, text, log: await queryLog(requestId) };
}

const lines = (text: string) => text.split('\r\n').slice(0, -1);

describe('CSV export of the admin lists (docs/admin.md §2)', () => {
  it('hostile cells are neutralised and quoted exactly; money is a decimal string next to its currency', async () => {
    const owner = await customer('=HYPERLINK("http://evil.example","click")', '+1');
    const u = ulid().slice(-8);
    const hostile = [
      `=HYPERLINK("http://e.vl/${u}","x")`,
      `+1${u}`,
      `-2${u}`,
      `@x${u}`,
      `say "hi" ${u}`,
      `line1\nline2 ${u}`,
      `\tTab${u}`,
      `\rCR${u}`,
      `ünïcødé 中文 🙂 ${u}`,
    ];
    const created = new Date('2026-03-04T05:06:07.089Z');
    const ids = await insertTransactions(
      owner.customerId,
      hostile.map((merchantOrderId, i) => ({
        merchantOrderId,
        createdAt: created,
        amountCents: [15_000, 5, 123_456_789, 1_500, 100, 1, 99, 0, 10][i] ?? 1,
        currency: i === 3 ? 'OMR' : 'EGP',
        refundedCents: i === 2 ? 23_456_789 : 0,
      })),
    );
    const staff = await signedIn(await createUser({ role: 'STAFF' }));
    const { response, text } = await download(staff, `/admin/transactions.csv?customer=${owner.customerId}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('Content-Disposition')).toMatch(
      /^attachment; filename="stackpay-transactions-\d{8}-\d{6}\.csv"$/,
    );
    expect(response.headers.get('Cache-Control')).toBe('no-store');
    expect(text.startsWith(BOM)).toBe(true);
    const expectedCells: Array<[string, string, string, string]> = [
      [`'=HYPERLINK(""http://e.vl/${u}"",""x"")`, '150.00', '0.00', 'EGP'],
      [`'+1${u}`, '0.05', '0.00', 'EGP'],
      [`'-2${u}`, '1234567.89', '234567.89', 'EGP'],
      [`'@x${u}`, '1.500', '0.000', 'OMR'],
      [`say ""hi"" ${u}`, '1.00', '0.00', 'EGP'],
      [`line1\nline2 ${u}`, '0.01', '0.00', 'EGP'],
      [`'\tTab${u}`, '0.99', '0.00', 'EGP'],
      [`'\rCR${u}`, '0.00', '0.00', 'EGP'],
      [`ünïcødé 中文 🙂 ${u}`, '0.10', '0.00', 'EGP'],
    ];
    const name = `'=HYPERLINK(""http://evil.example"",""click"") +1`;
    const expected = expectedCells
      .map(
        ([order, amount, refunded, currency], i) =>
          `"${ids[i]}","2026-03-04T05:06:07.089Z","${order}","","","succeeded","${amount}","${refunded}","${currency}","${owner.customerId}","${name}","${owner.email}","false"\r\n`,
      )
      .reverse() // newest id first
      .join('');
    expect(text).toBe(`${BOM}${TX_HEADER}\r\n${expected}`);
  });

  it('the filters of the list apply; every row of a list larger than one batch, in a bounded number of queries; audited', async () => {
    const owner = await customer();
    const start = new Date('2025-01-10T12:00:00.000Z');
    const rows: TxValues[] = Array.from({ length: 1_100 }, (_, i) => ({
      status: i % 10 === 0 ? 'failed' : 'succeeded',
      createdAt: new Date(start.getTime() + (i % 3) * 24 * 60 * 60 * 1000),
      amountCents: 100 + i,
    }));
    const ids = await insertTransactions(owner.customerId, rows);
    const adminUser = await createUser({ role: 'ADMIN' });
    const admin = await signedIn(adminUser);

    // 1,100 rows: the session, the audit row and three batches (500 + 500 + 100) — ⌊1100 / 500⌋ + 1.
    const all = await download(admin, `/admin/transactions.csv?customer=${owner.customerId}`);
    expect(all.response.status).toBe(200);
    const allLines = lines(all.text);
    expect(allLines).toHaveLength(1 + 1_100);
    expect(allLines.slice(1).map((l) => Number(l.split(',')[0]?.replaceAll('"', '')))).toEqual(
      [...ids].reverse(),
    );
    expect(all.log.queries).toBe(5);
    expect(all.log.statements.filter((s) => /^select/i.test(s) && s.includes('`transactions`'))).toHaveLength(
      3,
    );

    // Status and date filters, as on the page (`to` is inclusive of its day).
    const failed = await download(
      admin,
      `/admin/transactions.csv?customer=${owner.customerId}&status=failed&from=2025-01-11&to=2025-01-11`,
    );
    const failedLines = lines(failed.text).slice(1);
    const expectedFailed = rows.filter(
      (r) => r.status === 'failed' && r.createdAt?.toISOString().startsWith('2025-01-11'),
    );
    expect(failedLines).toHaveLength(expectedFailed.length);
    expect(failedLines.every((l) => l.includes('"failed"') && l.includes('"2025-01-11T12:00:00.000Z"'))).toBe(
      true,
    );
    expect(failed.log.queries).toBe(3); // session, audit, one batch

    const audit = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.actorUserId, adminUser.id), eq(auditLog.action, 'export.transactions')))
      .orderBy(desc(auditLog.id));
    expect(audit).toHaveLength(2);
    expect(audit[0]?.details).toEqual({
      format: 'csv',
      filters: {
        statuses: ['failed'],
        customerId: owner.customerId,
        createdFrom: '2025-01-11T00:00:00.000Z',
        createdBefore: '2025-01-12T00:00:00.000Z',
        needsAttention: false,
      },
    });
    expect(audit[0]?.targetType).toBe('export');
  });

  it('customers: hostile names escaped, filters applied, audited; sign-in required', async () => {
    const tag = uniqueName('csvc');
    const hostile = await customer(`@SUM(1+1)*cmd|' /C calc'!A0 ${tag}`, '-"quoted"\r\nname');
    const plain = await customer(`Nour ${tag}`, 'Salem');
    await testDb().update(customers).set({ isVerified: true }).where(eq(customers.id, plain.customerId));
    const staffUser = await createUser({ role: 'STAFF' });
    const staff = await signedIn(staffUser);

    const { response, text, log } = await download(staff, `/admin/customers.csv?search=${tag}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Disposition')).toMatch(/^attachment; filename="stackpay-customers-/);
    const [first] = await testDb().select().from(customers).where(eq(customers.id, hostile.customerId));
    const [second] = await testDb().select().from(customers).where(eq(customers.id, plain.customerId));
    const row = (
      c: typeof first,
      user: typeof hostile,
      firstName: string,
      lastName: string,
      verified: boolean,
    ) =>
      `"${c?.id}","${c?.createdAt.toISOString()}","${user.username}","${user.email}","${firstName}","${lastName}","","${verified}","pending","true"\r\n`;
    expect(text).toBe(
      `${BOM}${CUSTOMER_HEADER}\r\n` +
        row(second, plain, `Nour ${tag}`, 'Salem', true) +
        row(first, hostile, `'@SUM(1+1)*cmd|' /C calc'!A0 ${tag}`, `'-""quoted""\r\nname`, false),
    );
    expect(log.queries).toBe(3);

    const verified = await download(staff, `/admin/customers.csv?search=${tag}&verified=true`);
    expect(lines(verified.text)).toHaveLength(2);
    expect(verified.text).toContain(`Nour ${tag}`);

    const [audit] = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.actorUserId, staffUser.id), eq(auditLog.action, 'export.customers')))
      .orderBy(desc(auditLog.id));
    expect(audit?.details).toEqual({ format: 'csv', filters: { search: tag, verified: true } });

    // Without a session: the sign-in page, nothing exported.
    const anonymous = await new AdminBrowser().send(`/admin/customers.csv?search=${tag}`);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('Location')).toMatch(/^\/admin\/\?next=/);
  });
});
