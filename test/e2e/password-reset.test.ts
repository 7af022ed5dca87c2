/**
 * Password reset in a real browser (docs/accounts.md §1) against a running Worker (`wrangler dev`, see
 * stack.ts): the reset is requested through the API, the e-mail arrives in the sandbox's Mailgun mailbox
 * through the real queue consumer, and the link it carries opens the Worker's reset page, where a weak
 * password is refused with the policy's words and a good one is set. No CSP violation is allowed on the way.
 * Screenshots go to test-results/password-reset/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Database } from '../../src/db/client';
import { users } from '../../src/db/schema';
import { hashPassword } from '../../src/lib/password';
import { CHROMIUM, launchChromium } from './browser';
import { type Stack, startStack } from './stack';

const OLD_PASSWORD = 'Kettle-Drum42!';
const NEW_PASSWORD = 'Lantern-Moss77?';
const SCREENSHOTS = new URL('../../test-results/password-reset/', import.meta.url).pathname;

interface MailboxMessage {
  subject: string | null;
  text: string | null;
}

describe.skipIf(!existsSync(CHROMIUM))('password reset through the e-mailed link in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let db: Database;

  beforeAll(async () => {
    db = createDatabase(inject('databaseUrl'), `e2e-reset-${crypto.randomUUID()}`);
    stack = await startStack(inject('databaseUrl'));
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function resetMail(email: string): Promise<MailboxMessage | undefined> {
    const res = await fetch(`${stack.sandboxUrl}/mailbox/messages?to=${encodeURIComponent(email)}`);
    const messages = (await res.json()) as MailboxMessage[];
    return messages.find((m) => m.subject === 'Reset your password');
  }

  it('resets the password from the link in the e-mail', async () => {
    const username = `reset_${crypto.randomUUID().replaceAll('-', '').slice(0, 10)}`;
    const email = `${username}@example.com`;
    await db.insert(users).values({
      username,
      email,
      passwordHash: await hashPassword(OLD_PASSWORD),
      role: 'CUSTOMER',
      isActive: true,
    });

    const requested = await fetch(`${stack.workerUrl}/api/v1/users/password-reset/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    expect(requested.status).toBe(202);

    let mail: MailboxMessage | undefined;
    await expect
      .poll(
        async () => {
          mail = await resetMail(email);
          return mail !== undefined;
        },
        { timeout: 30_000, interval: 250 },
      )
      .toBe(true);
    const link = /Choose a new password: (\S+)/.exec(mail?.text ?? '')?.[1] ?? '';
    expect(link).toMatch(new RegExp(`^${stack.workerUrl}/reset-password#token=[A-Za-z0-9_-]{43}$`));

    const context = await browser.newContext();
    const problems: string[] = [];
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Refused to|Content Security Policy|violates/i.test(message.text())) problems.push(message.text());
    });
    await page.goto(link);
    // The token leaves the address bar at once (and never reached the server: it is in the fragment).
    await expect.poll(() => page.url()).toBe(`${stack.workerUrl}/reset-password`);

    await page.fill('#password', 'weakpass');
    await page.fill('#password-again', 'weakpass');
    await page.click('#submit');
    await expect.poll(() => page.textContent('#message')).toContain('must start with an uppercase letter');
    await page.screenshot({ path: `${SCREENSHOTS}refused.png`, fullPage: true });

    await page.fill('#password', NEW_PASSWORD);
    await page.fill('#password-again', NEW_PASSWORD);
    await page.click('#submit');
    await expect.poll(() => page.textContent('#message')).toContain('Your password has been reset');
    await page.screenshot({ path: `${SCREENSHOTS}done.png`, fullPage: true });
    expect(problems).toEqual([]);
    await context.close();

    const login = (password: string) =>
      fetch(`${stack.workerUrl}/api/v1/users/login/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
    expect((await login(NEW_PASSWORD)).status).toBe(200);
    expect((await login(OLD_PASSWORD)).status).toBe(401);
    const [row] = await db
      .select({ isActive: users.isActive })
      .from(users)
      .where(eq(users.username, username));
    expect(row?.isActive).toBe(true);

    // The notice that the password changed follows through the same queue.
    await expect
      .poll(
        async () => {
          const res = await fetch(`${stack.sandboxUrl}/mailbox/messages?to=${encodeURIComponent(email)}`);
          return ((await res.json()) as MailboxMessage[]).map((m) => m.subject);
        },
        { timeout: 30_000, interval: 250 },
      )
      .toContain('Your password was changed');
  });
});
