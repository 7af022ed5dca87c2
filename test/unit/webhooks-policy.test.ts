import { describe, expect, it } from 'vitest';
import { DISABLE_AFTER_MS, endpointUrlProblem, nextAttemptAt } from '../../src/webhooks/policy';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('endpoint URL rules (docs/webhooks.md §6)', () => {
  it('production: https on a public name only', () => {
    expect(endpointUrlProblem('https://hooks.example.com/stackpay', 'production')).toBeUndefined();
    expect(endpointUrlProblem('http://hooks.example.com/stackpay', 'production')).toBe(
      'The URL must use https://.',
    );
    for (const url of [
      'https://localhost/x',
      'https://127.0.0.1/x',
      'https://10.0.0.1/x',
      'https://169.254.169.254/x',
      'https://[::1]/x',
      'https://[fe80::1]/x',
      'https://metadata.internal/x',
    ]) {
      expect(endpointUrlProblem(url, 'production'), url).toBe(
        'The URL must not point at a loopback, private or link-local address.',
      );
    }
  });

  it('development and test: also http on loopback, but not on other private hosts', () => {
    for (const env of ['development', 'test'] as const) {
      expect(endpointUrlProblem('http://127.0.0.1:8788/sandbox/merchant/a/webhook', env)).toBeUndefined();
      expect(endpointUrlProblem('http://localhost:3000/hook', env)).toBeUndefined();
      expect(endpointUrlProblem('http://[::1]:3000/hook', env)).toBeUndefined();
      expect(endpointUrlProblem('http://10.0.0.1/hook', env)).toBe('The URL must use https://.');
    }
  });

  it('refuses credentials, other schemes, non-URLs and over-long URLs everywhere', () => {
    expect(endpointUrlProblem('https://u:p@hooks.example.com/', 'test')).toBe(
      'The URL must not contain credentials.',
    );
    expect(endpointUrlProblem('ftp://127.0.0.1/', 'test')).toBe('The URL must use https://.');
    expect(endpointUrlProblem('javascript:alert(1)', 'development')).toBe('The URL must use https://.');
    expect(endpointUrlProblem('hooks', 'test')).toBe('Enter a valid URL.');
    expect(endpointUrlProblem(`https://a.example.com/${'x'.repeat(2048)}`, 'test')).toMatch(
      /no more than 2048/,
    );
  });
});

describe('retry schedule (docs/webhooks.md §3: Stripe’s, over three days)', () => {
  it('5 min, 30 min, 2 h, 5 h, then 10 h, with a last attempt at exactly three days', () => {
    const created = new Date('2026-12-01T00:00:00Z');
    let now = created;
    const offsets = [0];
    for (let attempt = 1; ; attempt++) {
      const next = nextAttemptAt(attempt, created, now);
      if (!next) break;
      now = next;
      offsets.push(now.getTime() - created.getTime());
    }
    const hours = (h: number, m = 0) => h * HOUR + m * MINUTE;
    expect(offsets).toEqual([
      0,
      hours(0, 5),
      hours(0, 35),
      hours(2, 35),
      hours(7, 35),
      hours(17, 35),
      hours(27, 35),
      hours(37, 35),
      hours(47, 35),
      hours(57, 35),
      hours(67, 35),
      DISABLE_AFTER_MS,
    ]);
    // Every delay fits Queues' 12-hour maximum.
    const delays = offsets.slice(1).map((o, i) => o - (offsets[i] as number));
    expect(Math.max(...delays)).toBeLessThanOrEqual(12 * HOUR);
  });
});
