import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { apiKeys, auditLog } from '../../src/db/schema';
import { sha256Hex } from '../../src/lib/crypto';
import { type AdminBrowser, signedIn, textOf } from './admin-helpers';
import { api, createUser, testDb } from './helpers';
import { TXN } from './transactions-support';

const SECRET = /sk_test_[A-Za-z0-9_-]{43}/;

async function confirmation(browser: AdminBrowser, path: string): Promise<string> {
  const html = await browser.page(path);
  const nonce = /name="confirmation" value="([0-9a-f]{32})"/.exec(html)?.[1];
  if (!nonce) throw new Error(`no confirmation nonce on ${path}`);
  return nonce;
}

describe('admin: API keys', () => {
  it('ADMIN creates a key (secret shown once), sees it listed without the secret, and revokes it', async () => {
    const admin = await createUser({ role: 'ADMIN' });
    const browser = await signedIn(admin);
    const name = `Shop ${crypto.randomUUID().slice(0, 8)}`;
    const listPage = await browser.page('/admin/api-keys');
    expect(listPage).toContain('href="/admin/api-keys"');

    const created = await browser.post('/admin/api-keys', { name, 'scope:payments:read': 'on' });
    const html = await created.text();
    expect(created.status, html.slice(0, 1000)).toBe(200);
    expect(created.headers.get('Cache-Control')).toBe('no-store');
    const secret = SECRET.exec(html)?.[0];
    if (!secret) throw new Error('no secret on the page');
    const [row] = await testDb().select().from(apiKeys).where(eq(apiKeys.name, name));
    expect(row?.secretHash).toBe(await sha256Hex(secret));
    expect(row?.scopes).toEqual(['payments:read']);
    expect(row?.createdBy).toBe(admin.id);
    // The key works, and the list shows its prefix but never the secret again.
    expect((await api(TXN, { token: secret })).status).toBe(200);
    const listed = await browser.page('/admin/api-keys');
    expect(listed).not.toContain(secret.slice(8));
    expect(textOf(listed)).toContain(`${secret.slice(0, 12)}…`);

    const id = row?.id ?? 0;
    // Without the CSRF token nothing happens.
    const nonce = await confirmation(browser, `/admin/api-keys/${id}/revoke`);
    const forged = await browser.post(
      `/admin/api-keys/${id}/revoke`,
      { confirmation: nonce },
      { withoutCsrf: true },
    );
    expect(forged.status).toBe(403);
    expect((await api(TXN, { token: secret })).status).toBe(200);

    const revoked = await browser.post(`/admin/api-keys/${id}/revoke`, { confirmation: nonce });
    expect(revoked.status).toBe(303);
    expect((await api(TXN, { token: secret })).status).toBe(401);
    // The same confirmation again does nothing more: one audit row.
    const again = await browser.post(`/admin/api-keys/${id}/revoke`, { confirmation: nonce });
    expect(again.status).toBe(303);
    const audits = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'api_key.revoke'), eq(auditLog.targetId, String(id))));
    expect(audits.map((a) => a.actorUserId)).toEqual([admin.id]);
    expect(textOf(await browser.page('/admin/api-keys'))).toMatch(/revoked/i);
  });

  it('refuses a form without a name or scope and creates nothing', async () => {
    const browser = await signedIn(await createUser({ role: 'ADMIN' }));
    await browser.page('/admin/api-keys');
    const name = `Nope ${crypto.randomUUID().slice(0, 8)}`;
    const response = await browser.post('/admin/api-keys', { name });
    expect(response.status).toBe(400);
    expect(textOf(await response.text())).toContain('Choose at least one scope.');
    expect(await testDb().select().from(apiKeys).where(eq(apiKeys.name, name))).toEqual([]);
  });

  it('is ADMIN only: STAFF gets 403 and no navigation link', async () => {
    const browser = await signedIn(await createUser({ role: 'STAFF' }));
    expect(await browser.page('/admin/')).not.toContain('href="/admin/api-keys"');
    await browser.page('/admin/api-keys', 403);
    const response = await browser.post('/admin/api-keys', { name: 'x', 'scope:payments:read': 'on' });
    expect(response.status).toBe(403);
  });
});
