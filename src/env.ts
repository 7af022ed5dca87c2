import { z } from 'zod';
import type { ServiceContext } from './context';
import type { Database } from './db/client';
import type { Logger } from './lib/logger';
import { INTEGRATION_ENTRY, isPaymentMethod, PAYMENT_METHODS } from './paymob/settings';

/// <reference path="../worker-configuration.d.ts" />

/**
 * Bindings, vars and secrets as `wrangler types` generates them from wrangler.toml and the names in
 * .dev.vars.example (worker-configuration.d.ts, checked by `npm test`; regenerate with `npm run types`).
 * Every var and secret may be missing at runtime (a deployment without it), so they are optional here;
 * getConfig's schema below decides which are required.
 */
type Setting = {
  [K in keyof Cloudflare.Env]: Cloudflare.Env[K] extends string ? K : never;
}[keyof Cloudflare.Env];

export interface Env extends Omit<Cloudflare.Env, Setting>, Partial<Pick<Cloudflare.Env, Setting>> {
  // Optional and not declared in wrangler.toml: Cloudflare's paid Email Service (src/mail/send-email.ts).
  SEND_EMAIL?: SendEmail;
}

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const positiveInt = z.coerce.number().int().positive();
const secret = (minLength: number) => z.string().min(minLength, `must be at least ${minLength} characters`);
const httpUrl = z.url({ protocol: /^https?$/ });
/**
 * CSP sources for the card issuers' 3-D Secure pages that PayMob's legacy iframe navigates to
 * (docs/checkout.md §3): `https:` (issuers' pages are on any https host), or origins such as the local
 * sandbox's `http://127.0.0.1:8789`. Nothing else: no wildcard, keyword, path or other scheme.
 */
const cspSources = z
  .string()
  .trim()
  .regex(
    /^(https:|https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)( +(https:|https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?))*$/,
    'must be `https:` or space-separated origins (scheme://host[:port])',
  );
/**
 * Comma-separated exact origins (`https://shop.example,https://www.shop.example`), each normalised to its
 * `URL.origin`; empty = none. Used by CORS_ALLOWED_ORIGINS (README, "Calling StackPay from a web app") and
 * RETURN_URL_ALLOWED_ORIGINS (docs/api.md §4.9). Anything else (a path, a query, credentials, another scheme) is refused.
 */
const originList = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const origins: string[] = [];
    for (const entry of value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      let url: URL | undefined;
      try {
        url = new URL(entry);
      } catch {
        url = undefined;
      }
      // A wildcard or other odd host would never equal a real origin: refused rather than silently useless.
      const bare =
        url &&
        /^https?:$/.test(url.protocol) &&
        /^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(url.hostname) &&
        url.pathname === '/' &&
        !url.search &&
        !url.hash;
      if (!url || !bare || url.username || url.password || !/^https?:\/\/[^/]+\/?$/i.test(entry)) {
        ctx.addIssue({ code: 'custom', message: 'must be comma-separated origins (scheme://host[:port])' });
        return z.NEVER;
      }
      origins.push(url.origin);
    }
    return origins;
  });
const DEFAULT_MAIL_FROM = 'StackPay <no-reply@stackpay.app>';

/**
 * Settings that are URLs the Worker sends users or requests to. In production each must be https:// and
 * name a public host: a loopback PUBLIC_BASE_URL would become PayMob's callback address and every payment
 * would silently lose its callbacks.
 */
const URL_SETTINGS = ['PUBLIC_BASE_URL', 'DATABASE_URL', 'PAYMOB_BASE_URL', 'MAILGUN_BASE_URL'] as const;

const configSchema = z
  .object({
    APP_ENV: z.enum(['development', 'test', 'production']).default('production'),
    PUBLIC_BASE_URL: httpUrl.optional(),
    JWT_ISSUER: z.string().min(1).default('stackpay'),
    JWT_AUDIENCE: z.string().min(1).default('stackpay-api'),
    ACCESS_TOKEN_TTL_SECONDS: positiveInt.default(900),
    REFRESH_TOKEN_TTL_SECONDS: positiveInt.default(86_400),
    REQUIRE_KYC_FOR_PAYMENTS: bool.default(true),
    KYC_MAX_BYTES: positiveInt.default(5 * 1024 * 1024),
    ADDRESSES_COUNT: positiveInt.default(3),
    // docs/paymob.md §2: unified checkout by default; new PayMob merchants cannot create iframes.
    PAYMOB_API_MODE: z.enum(['legacy', 'intention']).default('intention'),
    PAYMOB_COUNTRY: z.enum(['EG', 'SA', 'AE', 'OM', 'PK']).default('EG'),
    MAIL_PROVIDER: z.enum(['mailgun', 'send_email']).default('mailgun'),
    MAIL_FROM: z.string().min(3).optional(),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    CORS_ALLOWED_ORIGINS: originList,
    JWT_SECRET: secret(32),
    DATABASE_URL: httpUrl,
    // Only the legacy flow needs it (auth tokens); in intention mode the secret key is enough (docs/paymob.md §5).
    PAYMOB_API_KEY: z.string().optional(),
    PAYMOB_SECRET_KEY: z.string().optional(),
    PAYMOB_PUBLIC_KEY: z.string().optional(),
    PAYMOB_HMAC_SECRET: secret(16),
    PAYMOB_INTEGRATION_ID: z
      .string()
      .regex(/^\d+(,\d+)*$/, 'must be one or more numeric integration ids, comma separated'),
    PAYMOB_IFRAME_ID: z.string().regex(/^\d+$/, 'must be numeric').optional(),
    // docs/paymob.md §8: integration ids per payment method (`card:123,wallet:456,kiosk:789`).
    PAYMOB_INTEGRATIONS: z
      .string()
      .trim()
      .refine(
        (value) =>
          value === '' ||
          value.split(',').every((entry) => {
            const match = INTEGRATION_ENTRY.exec(entry.trim());
            return match?.[1] !== undefined && isPaymentMethod(match[1]);
          }),
        `must be comma-separated method:id pairs; methods: ${PAYMENT_METHODS.join(', ')}`,
      )
      .optional(),
    // docs/paymob.md §8: how long a kiosk bill reference may be paid (PayMob documents no lifetime).
    PAYMOB_KIOSK_EXPIRY_HOURS: positiveInt.max(24 * 30).default(72),
    PAYMOB_BASE_URL: httpUrl.optional(),
    PAYMOB_ACS_FRAME_SRC: cspSources.default('https:'),
    MAILGUN_API_KEY: z.string().optional(),
    MAILGUN_DOMAIN: z.string().optional(),
    MAILGUN_BASE_URL: httpUrl.default('https://api.mailgun.net'),
    MAILGUN_WEBHOOK_SIGNING_KEY: z.string().optional(),
    // docs/accounts.md §2: the AES-256-GCM key of TOTP secrets at rest; two-factor services refuse without it.
    ADMIN_TOTP_KEY: z
      .string()
      .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 random bytes in base64 (`openssl rand -base64 32`)')
      .optional(),
    // docs/security.md §7: the AES-256-GCM key of saved-card tokens at rest; saving and paying with a
    // saved card refuse without it.
    CARD_TOKEN_KEY: z
      .string()
      .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 random bytes in base64 (`openssl rand -base64 32`)')
      .optional(),
    // docs/accounts.md §3: ADMINs must use two-factor sign-in; unset means on in production only.
    ADMIN_REQUIRE_2FA: bool.optional(),
    // docs/api.md §4.9: where a payment's return_url may send the shopper, and the key that signs it.
    RETURN_URL_ALLOWED_ORIGINS: originList,
    RETURN_URL_SIGNING_SECRET: secret(32).optional(),
  })
  .superRefine((c, ctx) => {
    const need = (key: keyof typeof c, why: string) => {
      if (!c[key]) ctx.addIssue({ code: 'custom', path: [key], message: `is required ${why}` });
    };
    if (c.PAYMOB_API_MODE === 'intention') {
      need('PAYMOB_SECRET_KEY', 'when PAYMOB_API_MODE is intention');
      need('PAYMOB_PUBLIC_KEY', 'when PAYMOB_API_MODE is intention');
    } else {
      need('PAYMOB_API_KEY', 'when PAYMOB_API_MODE is legacy');
      need('PAYMOB_IFRAME_ID', 'when PAYMOB_API_MODE is legacy');
    }
    if (c.MAIL_PROVIDER === 'mailgun') {
      need('MAILGUN_API_KEY', 'when MAIL_PROVIDER is mailgun');
      need('MAILGUN_DOMAIN', 'when MAIL_PROVIDER is mailgun');
    }
    if (c.RETURN_URL_ALLOWED_ORIGINS.length > 0) {
      need('RETURN_URL_SIGNING_SECRET', 'when RETURN_URL_ALLOWED_ORIGINS is set');
    }
    if (c.APP_ENV === 'production') {
      for (const origin of c.RETURN_URL_ALLOWED_ORIGINS) {
        const problem = productionUrlProblem(origin);
        if (problem) {
          ctx.addIssue({
            code: 'custom',
            path: ['RETURN_URL_ALLOWED_ORIGINS'],
            message: `${origin}: ${problem} in production`,
          });
        }
      }
      // No fallback in production: the request's own origin is whatever Host the caller sent.
      need('PUBLIC_BASE_URL', 'in production');
      need('MAIL_FROM', 'in production');
      for (const key of URL_SETTINGS) {
        const problem = c[key] ? productionUrlProblem(c[key]) : undefined;
        if (problem) ctx.addIssue({ code: 'custom', path: [key], message: `${problem} in production` });
      }
    }
  })
  .transform((c) => ({
    ...c,
    MAIL_FROM: c.MAIL_FROM ?? DEFAULT_MAIL_FROM,
    ADMIN_REQUIRE_2FA: c.ADMIN_REQUIRE_2FA ?? c.APP_ENV === 'production',
  }));

/** Why `value` is not a URL production may use (https, public host), or undefined when it is. */
export function productionUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be a URL';
  }
  if (url.protocol !== 'https:') return 'must be an https:// URL';
  if (isPrivateHost(url.hostname)) return 'must not point at a loopback or private host';
  return undefined;
}

/** Loopback, private, link-local and unqualified names: hosts nobody outside this machine or LAN reaches. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (ipv4) return isPrivateIpv4(ipv4.slice(1).map(Number));
  if (host.includes(':')) return isPrivateIpv6(host);
  if (!host.includes('.')) return true; // localhost, intranet names
  return /\.(localhost|local|internal|lan|home\.arpa)$/.test(host);
}

function isPrivateIpv4([a = 0, b = 0]: number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) // benchmarking range
  );
}

function isPrivateIpv6(host: string): boolean {
  if (host === '::' || host === '::1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  if (mapped?.[1]) return isPrivateIpv4(mapped[1].split('.').map(Number));
  if (/^::ffff:/.test(host)) return true; // WHATWG URL writes mapped addresses in hex: treat as private
  return /^f[cd]/.test(host) || /^fe[89ab]/.test(host);
}

export type Config = z.infer<typeof configSchema>;

/** Thrown when the environment is missing or has an invalid setting; names every bad key, never a value. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const parsed = new WeakMap<object, Config>();

/** Parses the environment once per isolate (per env object) and caches the result. */
export function getConfig(env: Env): Config {
  const cached = parsed.get(env);
  if (cached) return cached;
  const result = configSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`));
  }
  parsed.set(env, result.data);
  return result.data;
}

/** Per-request values set by middleware. */
export interface Variables {
  requestId: string;
  config: Config;
  db: Database;
  logger: Logger;
  /** The request's service context (src/context.ts), built once after the configuration is read. */
  ctx: ServiceContext;
}

export interface AppEnv {
  Bindings: Env;
  Variables: Variables;
}
