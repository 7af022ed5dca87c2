import type { z } from 'zod';
import type { Logger } from '../lib/logger';
import {
  isPaymobNotFound,
  MAX_PROVIDER_TEXT,
  type PaymobAuthScheme,
  PaymobError,
  providerMessage,
} from './errors';
import { AuthTokenResponse } from './schemas';
import { AUTH_TOKEN_TTL_SECONDS, authTokenCacheKey, type PaymobSettings, type TokenCache } from './settings';

/**
 * PayMob's transport (docs/design.md §5): timeouts, retries with backoff within one time budget, the
 * credentials each call needs (auth token, secret key) and the reading of PayMob's answers. The API calls
 * themselves are PaymobClient's (src/paymob/client.ts), which extends this class.
 */

// fetch() exposes no connect event; the response headers are the first thing we can observe. Calls that
// are safe to repeat get 5 s for them (a stalled connection is then retried soon); others get the total.
export const CONNECT_TIMEOUT_MS = 5_000;
export const CALL_TIMEOUT_MS = 15_000;
// Everything PayMob-related in one API request, retries included, so the request stays under 25 s.
export const REQUEST_BUDGET_MS = 22_000;
export const MAX_RETRIES = 3;
const BACKOFF_BASE_MS = 200;
const BACKOFF_MAX_MS = 2_000;
// A retry is pointless if less than this is left of the budget.
const MIN_ATTEMPT_MS = 1_000;

/**
 * Auth tokens in isolate memory, in front of KV (docs/round-trips.md): a warm isolate reads KV for a token
 * only when its remembered one has expired. Keyed by account (base URL, country, API key), never logged.
 */
export class TokenMemory {
  private readonly entries = new Map<string, { token: string; expiresAt: number }>();

  get(key: string, now: number): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > now) return entry.token;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, token: string, expiresAt: number): void {
    // A handful of accounts at most; a bound keeps a misconfiguration from growing it.
    if (this.entries.size >= 16 && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, { token, expiresAt });
  }
}

/** The isolate's tokens: module-level, so every request a warm isolate serves shares them. */
export const isolateTokenMemory = new TokenMemory();

// PayMob's auth tokens live one hour (src/paymob/settings.ts); KV keeps one 50 minutes, so a token read from
// KV has at least 10 minutes left. Remembered for 9 (a minute for KV's own read caching); a token PayMob has
// just issued, for the KV lifetime. A token PayMob refuses early is replaced by the refresh-on-401 anyway.
const TOKEN_FROM_KV_MEMORY_MS = 9 * 60 * 1000;

export interface PaymobClientDeps {
  settings: PaymobSettings;
  cache: TokenCache;
  /** Defaults to `isolateTokenMemory`; tests pass their own. */
  memory?: TokenMemory;
  logger: Logger;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  clock?: () => number;
  budgetMs?: number;
  /** Overrides CONNECT_TIMEOUT_MS / CALL_TIMEOUT_MS (tests). */
  timeouts?: { connectMs: number; callMs: number };
}

export interface CallSpec<S extends z.ZodType> {
  operation: string;
  method: 'GET' | 'POST';
  path: string;
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
  schema: S;
  /** Safe to repeat: retried on network errors, 429 and 5xx. */
  retry: boolean;
  /** PayMob's documented not-found answer ends the call with NotFoundAnswer (inquiry). */
  recognizeNotFound?: boolean;
  /**
   * A refund or void: PayMob's `x-paymob-id` is logged (PayMob support asks for it), and a lost or
   * unreadable answer is `unknown`, not `unavailable`.
   */
  reversal?: boolean;
}

type RawResult = { status: number; json: unknown; text: string; paymobId: string | null };

export class AuthExpired extends Error {}

/** How one call authenticates: a header (`Token <secret key>`) or the legacy auth token. */
export type MerchantAuth =
  | { scheme: 'secret_key'; headers: Record<string, string>; token?: undefined }
  | { scheme: 'auth_token'; headers: Record<string, string>; token: string };

export class NotFoundAnswer extends Error {}

export class PaymobTransport {
  readonly settings: PaymobSettings;
  protected readonly cache: TokenCache;
  private readonly memory: TokenMemory;
  protected readonly logger: Logger;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly clock: () => number;
  private readonly deadline: number;
  private readonly timeouts: { connectMs: number; callMs: number };

  constructor(deps: PaymobClientDeps) {
    this.settings = deps.settings;
    this.cache = deps.cache;
    this.memory = deps.memory ?? isolateTokenMemory;
    this.logger = deps.logger.child({ component: 'paymob' });
    this.fetchImpl = deps.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = deps.random ?? Math.random;
    this.clock = deps.clock ?? Date.now;
    this.deadline = this.clock() + (deps.budgetMs ?? REQUEST_BUDGET_MS);
    this.timeouts = deps.timeouts ?? { connectMs: CONNECT_TIMEOUT_MS, callMs: CALL_TIMEOUT_MS };
  }

  get baseUrl(): string {
    return this.settings.baseUrl;
  }

  /**
   * The auth token: from isolate memory, else from KV when cached (50 minutes), else from PayMob (then
   * cached in both). `fresh` (after a 401) skips both caches and replaces what they hold.
   */
  async authToken(options: { fresh?: boolean } = {}): Promise<string> {
    const key = authTokenCacheKey(this.settings.country);
    const memoryKey = `${this.settings.baseUrl} ${key} ${this.settings.apiKey ?? ''}`;
    if (!options.fresh) {
      const remembered = this.memory.get(memoryKey, this.clock());
      if (remembered !== undefined) return remembered;
      try {
        const cached = await this.cache.get(key);
        if (cached) {
          this.memory.set(memoryKey, cached, this.clock() + TOKEN_FROM_KV_MEMORY_MS);
          return cached;
        }
      } catch (err) {
        // KV trouble only costs us an extra auth call.
        this.logger.warn('paymob token cache read failed', { error: String(err).slice(0, 200) });
      }
    }
    if (!this.settings.apiKey) {
      // Intention mode without a legacy API key: only reachable through a legacy-only call.
      throw this.authFailed('auth', 'api_key', 'no PAYMOB_API_KEY is configured');
    }
    let token: string;
    try {
      ({ token } = await this.call({
        operation: 'auth',
        method: 'POST',
        path: '/api/auth/tokens',
        body: { api_key: this.settings.apiKey },
        schema: AuthTokenResponse,
        retry: true,
      }));
    } catch (err) {
      // PayMob refuses a wrong API key with 403 {"detail":"incorrect credentials"} (sandbox; real status unknown).
      if (err instanceof AuthExpired || (err instanceof PaymobError && err.providerStatus === 403)) {
        throw this.authFailed('auth', 'api_key', 'PayMob refused the API key');
      }
      throw err;
    }
    this.memory.set(memoryKey, token, this.clock() + AUTH_TOKEN_TTL_SECONDS * 1000);
    try {
      await this.cache.put(key, token, { expirationTtl: AUTH_TOKEN_TTL_SECONDS });
    } catch (err) {
      this.logger.warn('paymob token cache write failed', { error: String(err).slice(0, 200) });
    }
    return token;
  }

  /**
   * Runs a call that takes either credential the way the mode documents it: in intention mode
   * `Authorization: Token <secret key>` (developers.paymob.com create-intention; docs.oman.paymob.com
   * void-transaction "authorization-header: Token <secret_key>"; PayMob's WooCommerce plugin refunds with
   * it), so no legacy API key is needed; in legacy mode the auth token, its only documented form there.
   */
  protected withMerchantAuth<T>(operation: string, run: (auth: MerchantAuth) => Promise<T>): Promise<T> {
    if (this.settings.mode === 'intention' && this.settings.secretKey) {
      return this.withSecretKey(operation, (headers) => run({ scheme: 'secret_key', headers }));
    }
    return this.withAuth(operation, (token) => run({ scheme: 'auth_token', headers: {}, token }));
  }

  /** A call with `Token <secret key>`; a 401 is final (a secret key cannot be refreshed). */
  protected async withSecretKey<T>(
    operation: string,
    run: (headers: Record<string, string>) => Promise<T>,
  ): Promise<T> {
    if (!this.settings.secretKey) throw this.authFailed(operation, 'secret_key', 'no PAYMOB_SECRET_KEY');
    try {
      return await run({ Authorization: `Token ${this.settings.secretKey}` });
    } catch (err) {
      if (err instanceof AuthExpired)
        throw this.authFailed(operation, 'secret_key', 'PayMob refused the secret key');
      throw err;
    }
  }

  /** Runs an authenticated call; on a 401 the cached token is replaced once and the call repeated. */
  protected async withAuth<T>(operation: string, run: (authToken: string) => Promise<T>): Promise<T> {
    const token = await this.authToken();
    try {
      return await run(token);
    } catch (err) {
      if (!(err instanceof AuthExpired)) throw err;
      this.logger.info('paymob auth token refused; refreshing once');
      const fresh = await this.authToken({ fresh: true });
      try {
        return await run(fresh);
      } catch (again) {
        if (again instanceof AuthExpired) {
          throw this.authFailed(operation, 'auth_token', 'PayMob refused a fresh auth token');
        }
        throw again;
      }
    }
  }

  /** A credentials problem: logged with the scheme used (never the key), reported as paymob_auth_failed. */
  protected authFailed(operation: string, scheme: PaymobAuthScheme, reason: string): PaymobError {
    this.logger.error('paymob refused our credentials', { operation, auth_scheme: scheme, reason });
    return new PaymobError('auth_failed', operation, reason, { providerStatus: 401 });
  }

  private remaining(): number {
    return this.deadline - this.clock();
  }

  private backoff(attempt: number): number {
    // Full jitter: a random wait up to the exponential cap, so clients retrying together spread out.
    const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
    return Math.floor(this.random() * cap);
  }

  protected async call<S extends z.ZodType>(spec: CallSpec<S>): Promise<z.infer<S>> {
    const raw = await this.send(spec);
    if (raw.status === 401) throw new AuthExpired();
    if (spec.recognizeNotFound && isPaymobNotFound(raw.status, raw.json)) throw new NotFoundAnswer();
    if (raw.status >= 200 && raw.status < 300) {
      const parsed = spec.schema.safeParse(raw.json);
      if (parsed.success) return parsed.data;
      this.logger.error('paymob answered in an unexpected shape', {
        operation: spec.operation,
        status: raw.status,
        ...(spec.reversal ? { outcome: 'unknown_after_call', paymob_id: raw.paymobId } : {}),
      });
      throw new PaymobError(
        spec.reversal ? 'unknown' : 'unavailable',
        spec.operation,
        `unexpected ${spec.operation} response`,
        { providerStatus: raw.status },
      );
    }
    if (raw.status >= 400 && raw.status < 500 && raw.status !== 429) {
      const message = providerMessage(raw.json) ?? `HTTP ${raw.status}`;
      this.logger.warn('paymob rejected a request', {
        operation: spec.operation,
        status: raw.status,
        ...(spec.reversal ? { paymob_id: raw.paymobId } : {}),
      });
      throw new PaymobError('rejected', spec.operation, message, {
        providerStatus: raw.status,
        providerText: raw.text.slice(0, MAX_PROVIDER_TEXT),
      });
    }
    throw new PaymobError('unavailable', spec.operation, `${spec.operation}: HTTP ${raw.status}`, {
      providerStatus: raw.status,
    });
  }

  /** Sends with timeouts; retries (when allowed) on network errors, timeouts, 429 and 5xx. */
  private async send(spec: CallSpec<z.ZodType>): Promise<RawResult> {
    const attempts = spec.retry ? MAX_RETRIES + 1 : 1;
    let lastError = 'no attempt';
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        const wait = this.backoff(attempt - 1);
        if (this.remaining() - wait < MIN_ATTEMPT_MS) break;
        await this.sleep(wait);
      }
      const budget = Math.min(this.timeouts.callMs, this.remaining());
      const started = this.clock();
      let result: RawResult;
      try {
        result = await this.attempt(spec, budget);
      } catch (err) {
        lastError = err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'network error';
        this.logger.warn('paymob call failed', {
          operation: spec.operation,
          attempt,
          failure: lastError,
          duration_ms: this.clock() - started,
        });
        continue;
      }
      this.logger.info('paymob call', {
        operation: spec.operation,
        attempt,
        status: result.status,
        duration_ms: this.clock() - started,
        // PayMob support traces a call by this header (docs/payments.md).
        ...(spec.reversal ? { paymob_id: result.paymobId } : {}),
      });
      if (result.status === 429 || result.status >= 500) {
        lastError = `HTTP ${result.status}`;
        if (spec.retry) continue;
      }
      return result;
    }
    // A reversal sent once without an answer may have been carried out.
    const noAnswer = spec.reversal && (lastError === 'timeout' || lastError === 'network error');
    throw new PaymobError(
      noAnswer ? 'unknown' : 'unavailable',
      spec.operation,
      `${spec.operation}: ${lastError}`,
    );
  }

  private async attempt(spec: CallSpec<z.ZodType>, budgetMs: number): Promise<RawResult> {
    const controller = new AbortController();
    const timeout = (ms: number) =>
      setTimeout(() => controller.abort(new DOMException('PayMob call timed out', 'TimeoutError')), ms);
    const total = timeout(budgetMs);
    const connect = spec.retry ? timeout(Math.min(this.timeouts.connectMs, budgetMs)) : undefined;
    try {
      const headers: Record<string, string> = { Accept: 'application/json', ...spec.headers };
      if (spec.body) headers['Content-Type'] = 'application/json';
      const response = await this.fetchImpl(`${this.baseUrl}${spec.path}`, {
        method: spec.method,
        headers,
        body: spec.body ? JSON.stringify(spec.body) : undefined,
        signal: controller.signal,
      });
      if (connect !== undefined) clearTimeout(connect);
      const text = await response.text();
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      return { status: response.status, json, text, paymobId: response.headers.get('x-paymob-id') };
    } catch (err) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw err;
    } finally {
      clearTimeout(total);
      if (connect !== undefined) clearTimeout(connect);
    }
  }
}
