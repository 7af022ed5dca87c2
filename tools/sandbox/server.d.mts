// Types for TypeScript tests that start the sandbox (the tooling itself stays plain JavaScript).

export interface SandboxOptions {
  port?: number;
  host?: string;
  mailgunApiKey?: string;
  mailgunDomain?: string;
  mailgunWebhookSigningKey?: string;
  mailgunWebhookDelayMs?: number;
  /** PayMob credentials; an unset key accepts any value. */
  paymobApiKey?: string;
  paymobSecretKey?: string;
  paymobPublicKey?: string;
  /** Signs processed callbacks and response redirects; without it callbacks are recorded, not sent. */
  paymobHmacSecret?: string;
  /** Known integration and iframe ids; empty accepts any. */
  paymobIntegrationIds?: number[];
  paymobIframeIds?: number[];
  /** Delay before each processed callback is posted (default 0). */
  paymobCallbackDelayMs?: number;
  /** How long the pending test card stays pending before it succeeds (default 3000). */
  paymobPendingDelayMs?: number;
  /** Lifetime of auth tokens (default one hour). */
  paymobAuthTokenTtlMs?: number;
  /** The PayMob account region whose business day voids follow (default EG). */
  paymobCountry?: string;
  /** The clock of the void window (tests). */
  paymobNow?: () => number;
  workerBaseUrl?: string;
  log?: (line: string) => void;
}

export interface Sandbox {
  url: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_PORT: number;
export const DEFAULT_WORKER_BASE_URL: string;
export function startSandbox(options?: SandboxOptions): Promise<Sandbox>;
