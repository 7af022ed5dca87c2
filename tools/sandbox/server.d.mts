// Types for TypeScript tests that start the sandbox (the tooling itself stays plain JavaScript).

export interface SandboxOptions {
  port?: number;
  host?: string;
  mailgunApiKey?: string;
  mailgunDomain?: string;
  mailgunWebhookSigningKey?: string;
  mailgunWebhookDelayMs?: number;
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
