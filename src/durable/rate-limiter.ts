import { DurableObject } from 'cloudflare:workers';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends. */
  resetSeconds: number;
}

interface WindowState {
  start: number;
  count: number;
}

const STATE_KEY = 'window';

/**
 * One instance per (scope, key), e.g. `login:ip:203.0.113.9`. A Durable Object handles one request at a time,
 * so the fixed-window count is exact under any concurrency. An alarm clears the state after the window so
 * idle keys keep no storage.
 */
export class RateLimiter extends DurableObject {
  async consume(limit: number, windowSeconds: number): Promise<RateLimitDecision> {
    const now = Date.now();
    const windowMs = windowSeconds * 1000;
    const start = Math.floor(now / windowMs) * windowMs;
    const stored = await this.ctx.storage.get<WindowState>(STATE_KEY);
    const state: WindowState = stored && stored.start === start ? stored : { start, count: 0 };
    const resetSeconds = Math.max(1, Math.ceil((start + windowMs - now) / 1000));
    if (state.count >= limit) return { allowed: false, limit, remaining: 0, resetSeconds };
    state.count += 1;
    await this.ctx.storage.put(STATE_KEY, state);
    if (!stored || stored.start !== start) await this.ctx.storage.setAlarm(start + windowMs);
    return { allowed: true, limit, remaining: limit - state.count, resetSeconds };
  }

  /**
   * Gives back one unit of the current window: a request another of its keys refused (src/middleware/
   * rate-limit.ts) is not counted against this key. A unit of an earlier window is not returned.
   */
  async refund(windowSeconds: number): Promise<void> {
    const windowMs = windowSeconds * 1000;
    const start = Math.floor(Date.now() / windowMs) * windowMs;
    const stored = await this.ctx.storage.get<WindowState>(STATE_KEY);
    if (!stored || stored.start !== start || stored.count === 0) return;
    await this.ctx.storage.put(STATE_KEY, { start, count: stored.count - 1 });
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
