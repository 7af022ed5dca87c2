// Types for TypeScript tests that start the sandbox (the tooling itself stays plain JavaScript).

export interface SandboxOptions {
  port?: number;
  /** Port of the card issuer's 3-D Secure page, a second origin (default: any free port). */
  acsPort?: number;
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
  /** Known integration and iframe ids; empty accepts any. These take the account's currency. */
  paymobIntegrationIds?: number[];
  /**
   * The account's region (default EG): the currency of `paymobIntegrationIds` and of unlisted ids, and the
   * zone of PayMob's business day for voids.
   */
  paymobCountry?: 'EG' | 'SA' | 'AE' | 'OM' | 'PK';
  /** false: intention answers without `intention_order_id`, as the Oman/Pakistan docs' samples show. */
  paymobIntentionOrderId?: boolean;
  paymobIframeIds?: number[];
  /**
   * Integrations with their own currency (and test/live), e.g. `[{ id: 4097560, currency: 'SAR' }]`, in
   * addition to `paymobIntegrationIds`, which take the account's currency.
   */
  paymobIntegrations?: { id: number; currency?: string; type?: 'card' | 'wallet'; live?: boolean }[];
  /** Delay before each processed callback is posted (default 0). */
  paymobCallbackDelayMs?: number;
  /** How long the pending test card stays pending before it succeeds (default 3000). */
  paymobPendingDelayMs?: number;
  /** Lifetime of auth tokens (default one hour). */
  paymobAuthTokenTtlMs?: number;
  /** The clock of the void window (tests). */
  paymobNow?: () => number;
  workerBaseUrl?: string;
  log?: (line: string) => void;
}

export interface Sandbox {
  url: string;
  port: number;
  /** Origin of the card issuer's 3-D Secure page (the ACS). */
  acsUrl: string;
  close(): Promise<void>;
}

export const DEFAULT_PORT: number;
export const DEFAULT_WORKER_BASE_URL: string;
export function startSandbox(options?: SandboxOptions): Promise<Sandbox>;
