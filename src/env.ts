import { z } from 'zod';
import type { Database } from './db/client';
import type { RateLimiter } from './durable/rate-limiter';
import type { Logger } from './lib/logger';

/** Bindings and variables as wrangler.toml and the secrets declare them. */
export interface Env {
  // vars (wrangler.toml)
  APP_ENV?: string;
  PUBLIC_BASE_URL?: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  ACCESS_TOKEN_TTL_SECONDS?: string;
  REFRESH_TOKEN_TTL_SECONDS?: string;
  REQUIRE_KYC_FOR_PAYMENTS?: string;
  KYC_MAX_BYTES?: string;
  ADDRESSES_COUNT?: string;
  PAYMOB_API_MODE?: string;
  PAYMOB_COUNTRY?: string;
  MAIL_PROVIDER?: string;
  MAIL_FROM?: string;
  LOG_LEVEL?: string;
  // secrets (.dev.vars locally, `wrangler secret put` in production)
  JWT_SECRET?: string;
  DATABASE_URL?: string;
  PAYMOB_API_KEY?: string;
  PAYMOB_SECRET_KEY?: string;
  PAYMOB_PUBLIC_KEY?: string;
  PAYMOB_HMAC_SECRET?: string;
  PAYMOB_INTEGRATION_ID?: string;
  PAYMOB_IFRAME_ID?: string;
  PAYMOB_BASE_URL?: string;
  PAYMOB_ACS_FRAME_SRC?: string;
  MAILGUN_API_KEY?: string;
  MAILGUN_DOMAIN?: string;
  MAILGUN_BASE_URL?: string;
  MAILGUN_WEBHOOK_SIGNING_KEY?: string;
  DEV_ADMIN_PASSWORD?: string;
  // bindings
  PAYMOB_CACHE: KVNamespace;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  NOTIFICATIONS: Queue;
  KYC_DOCUMENTS: R2Bucket;
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
    MAIL_FROM: z.string().min(3).default('StackPay <no-reply@stackpay.app>'),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
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
    PAYMOB_BASE_URL: httpUrl.optional(),
    PAYMOB_ACS_FRAME_SRC: cspSources.default('https:'),
    MAILGUN_API_KEY: z.string().optional(),
    MAILGUN_DOMAIN: z.string().optional(),
    MAILGUN_BASE_URL: httpUrl.default('https://api.mailgun.net'),
    MAILGUN_WEBHOOK_SIGNING_KEY: z.string().optional(),
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
  });

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

export interface Actor {
  id: number;
  username: string;
  email: string;
  role: 'ADMIN' | 'STAFF' | 'CUSTOMER';
}

/** Per-request values set by middleware. */
export interface Variables {
  requestId: string;
  config: Config;
  db: Database;
  logger: Logger;
  actor?: Actor;
}

export interface AppEnv {
  Bindings: Env;
  Variables: Variables;
}
