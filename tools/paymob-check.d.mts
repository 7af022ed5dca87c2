// Types for TypeScript tests of the PayMob configuration doctor (the tool itself stays plain JavaScript).

export type Settings = Partial<
  Record<
    | 'PAYMOB_COUNTRY'
    | 'PAYMOB_BASE_URL'
    | 'PAYMOB_API_MODE'
    | 'PAYMOB_API_KEY'
    | 'PAYMOB_SECRET_KEY'
    | 'PAYMOB_PUBLIC_KEY'
    | 'PAYMOB_INTEGRATION_ID'
    | 'PAYMOB_IFRAME_ID'
    | 'PAYMOB_HMAC_SECRET'
    | 'PUBLIC_BASE_URL',
    string | undefined
  >
>;

export interface Check {
  name: string;
  status: 'pass' | 'fail' | 'warn' | 'skip';
  message: string;
}

export interface Report {
  ok: boolean;
  failures: number;
  warnings: number;
  mode: string;
  country: string;
  currency?: string;
  baseUrl?: string;
  keyMode: 'test' | 'live' | null;
  callbackUrl?: string;
  callbacks: {
    integration_id: number;
    transaction_processed_callback: string;
    transaction_response_callback: string;
  }[];
  checks: Check[];
}

export const WEBHOOK_PATH: string;
export const PAYMOB_REGIONS: Record<
  'EG' | 'SA' | 'AE' | 'OM' | 'PK',
  { baseUrl: string; currency: string; keyRegions: string[] }
>;
export function maskSecret(value: string | undefined): string;
export function parseWranglerVars(text: string): Record<string, string>;
export function readSettings(options?: {
  env?: Record<string, string | undefined>;
  root?: string;
  files?: boolean;
}): Settings;
export function describeKey(
  key: string | undefined,
): { region: string; kind: 'sk' | 'pk'; mode: 'test' | 'live' } | null;
export function runPaymobCheck(settings: Settings, options?: { fetch?: typeof fetch }): Promise<Report>;
export function formatReport(report: Report): string;
