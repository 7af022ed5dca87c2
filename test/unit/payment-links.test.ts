import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/env';
import type { NotificationMessage } from '../../src/notifications/messages';
import { renderEmail } from '../../src/notifications/templates';
import { linkToken, linkUrl, newPublicId, publicIdOf } from '../../src/payment-links/token';
import { linkState } from '../../src/payment-links/view';

// messages.ts names the Workers `Queue` type, which this Node-side typecheck does not load.
declare global {
  interface Queue<Body = unknown> {
    send(message: Body, options?: unknown): Promise<void>;
  }
}

const config = { JWT_SECRET: 'unit-test-jwt-secret-0123456789abcdef0123456789' } as Config;
const other = { JWT_SECRET: 'another-jwt-secret-0123456789abcdef0123456789ab' } as Config;

describe('payment link token (docs/api.md §11)', () => {
  it('is the public id and a 32-hex MAC; the MAC checks out only under the same secret', async () => {
    const id = newPublicId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(newPublicId()).not.toBe(id);
    const token = await linkToken(config, id);
    expect(token).toMatch(new RegExp(`^${id}\\.[0-9a-f]{32}$`));
    expect(await publicIdOf(config, token)).toBe(id);
    expect(await publicIdOf(other, token)).toBeUndefined();
    expect(await linkUrl(config, 'https://pay.example', id)).toBe(`https://pay.example/pay/link/${token}`);
  });

  it('refuses forged, truncated and malformed tokens', async () => {
    const id = newPublicId();
    const token = await linkToken(config, id);
    const mac = token.split('.')[1] ?? '';
    const flipped = `${id}.${mac.slice(0, -1)}${mac.endsWith('0') ? '1' : '0'}`;
    for (const bad of [
      flipped,
      `${id}.${mac.slice(0, 31)}`,
      `${id}.${mac.toUpperCase()}`,
      `${id}`,
      `${id}.${mac}.x`,
      `${newPublicId()}.${mac}`,
      '',
      '..',
      `${id.slice(1)}.${mac}`,
    ]) {
      expect(await publicIdOf(config, bad), bad).toBeUndefined();
    }
  });
});

describe('payment link state', () => {
  const now = new Date('2026-12-06T12:00:00Z');
  it('an active link past its expiry reads as expired; other states stay', () => {
    expect(linkState({ status: 'active', expiresAt: new Date('2026-12-06T12:00:01Z') }, now)).toBe('active');
    expect(linkState({ status: 'active', expiresAt: now }, now)).toBe('expired');
    expect(linkState({ status: 'paid', expiresAt: new Date(0) }, now)).toBe('paid');
    expect(linkState({ status: 'deactivated', expiresAt: new Date(0) }, now)).toBe('deactivated');
  });
});

describe('payment link e-mail', () => {
  it('names the amount and description, links the page in HTML and text', () => {
    const message: NotificationMessage = {
      type: 'payment_link',
      idempotency_key: 'payment_link:1:x',
      to: 'payer@example.com',
      user_id: null,
      description: 'Invoice <1042>',
      amount: '250.00',
      currency: 'EGP',
      url: 'https://pay.example/pay/link/abc.def',
      expires_at: '2026-12-13T10:00:00.000Z',
    };
    const email = renderEmail(message);
    expect(email.subject).toBe('Payment request: 250.00 EGP (Invoice <1042>)');
    expect(email.text).toContain('Pay now: https://pay.example/pay/link/abc.def');
    expect(email.text).toContain('2026-12-13 10:00 UTC');
    expect(email.html).toContain('href="https://pay.example/pay/link/abc.def"');
    expect(email.html).toContain('Invoice &lt;1042&gt;');
  });
});
