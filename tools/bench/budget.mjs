// The API's rate limits (docs/api.md §7) are part of what is measured, never bypassed: the benchmark spreads its
// requests over a pool of users and client addresses, and keeps its own count per (scope, key) so it never
// sends a request the limiter would refuse. The Worker counts fixed 60 s windows; counting the last
// WINDOW_MS here (a little longer than a minute) is stricter than any fixed window, so a request this
// budget allows is one the Worker allows too.

/** Per-window limits as docs/api.md §7 sets them; one unit is kept in reserve for clock skew. */
export const RATE_LIMITS = Object.freeze({
  sign_up: 20,
  login: 10,
  verify_code: 10,
  profile: 30,
  payments: 30,
  default: 100,
});

const WINDOW_MS = 65_000;
const RESERVE = 1;

export class RateBudget {
  constructor(now = () => Date.now()) {
    this.now = now;
    /** @type {Map<string, number[]>} scope:key → send times, oldest first */
    this.sent = new Map();
  }

  /** @param {keyof typeof RATE_LIMITS} scope */
  limit(scope) {
    return RATE_LIMITS[scope] - RESERVE;
  }

  /**
   * @param {keyof typeof RATE_LIMITS} scope
   * @param {string} key
   */
  remaining(scope, key) {
    const times = this.#recent(`${scope}:${key}`);
    return Math.max(0, this.limit(scope) - times.length);
  }

  /**
   * @param {keyof typeof RATE_LIMITS} scope
   * @param {string} key
   */
  spend(scope, key) {
    const id = `${scope}:${key}`;
    const times = this.#recent(id);
    times.push(this.now());
    this.sent.set(id, times);
  }

  /**
   * Requests the pool may still send in this scope right now.
   * @param {keyof typeof RATE_LIMITS} scope
   * @param {string[]} keys
   */
  available(scope, keys) {
    return keys.reduce((sum, key) => sum + this.remaining(scope, key), 0);
  }

  /**
   * Milliseconds until `key` may send again in `scope` (0 when it may now).
   * @param {keyof typeof RATE_LIMITS} scope
   * @param {string} key
   */
  waitMs(scope, key) {
    if (this.remaining(scope, key) > 0) return 0;
    const times = this.#recent(`${scope}:${key}`);
    const oldest = times[times.length - this.limit(scope)] ?? this.now();
    return Math.max(0, oldest + WINDOW_MS - this.now() + 10);
  }

  /**
   * Waits until `key` has budget in `scope`, then spends one unit.
   * @param {keyof typeof RATE_LIMITS} scope
   * @param {string} key
   */
  async take(scope, key) {
    for (let wait = this.waitMs(scope, key); wait > 0; wait = this.waitMs(scope, key)) {
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    this.spend(scope, key);
  }

  /** @param {string} id */
  #recent(id) {
    const cutoff = this.now() - WINDOW_MS;
    const times = this.sent.get(id) ?? [];
    let drop = 0;
    while (drop < times.length && /** @type {number} */ (times[drop]) <= cutoff) drop += 1;
    if (drop > 0) times.splice(0, drop);
    return times;
  }
}

/**
 * Round-robin over a pool, skipping members without budget: picks who sends the next request.
 * @template {{ key: string }} T
 * @param {T[]} pool
 * @param {RateBudget} budget
 * @param {keyof typeof RATE_LIMITS} scope
 */
export function rotation(pool, budget, scope) {
  let next = 0;
  return () => {
    for (let tried = 0; tried < pool.length; tried += 1) {
      const member = /** @type {T} */ (pool[next]);
      next = (next + 1) % pool.length;
      if (budget.remaining(scope, member.key) > 0) {
        budget.spend(scope, member.key);
        return member;
      }
    }
    // Nobody has budget left: the caller sized the run from available(), so this only happens at its very
    // end (a request built but never sent). Reuse the next member; a 429 would be reported as an error.
    const member = /** @type {T} */ (pool[next]);
    next = (next + 1) % pool.length;
    return member;
  };
}
