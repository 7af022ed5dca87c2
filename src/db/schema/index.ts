/**
 * The only description of StackPay's tables, one file per domain; `from '../db/schema'` imports them all.
 * Conventions (columns in common.ts):
 * - ids are BIGINT UNSIGNED AUTO_INCREMENT, read as JS numbers (safe far beyond any realistic row count);
 * - times are DATETIME(3) in UTC, read as Date;
 * - money is integer minor units (`*_cents` BIGINT) next to an ISO-4217 `currency`;
 * - no SQL foreign keys (PlanetScale disables them): services keep the references and join explicitly (no
 *   Drizzle `relations()`: relational queries are not used); every lookup and list filter has an index.
 * A new domain's tables go in a file of their own, re-exported here (drizzle.config.ts reads this file).
 */
export * from './api-keys';
export * from './cards';
export * from './customers';
export * from './notifications';
export * from './password-reset';
export * from './password-tokens';
export * from './payment-links';
export * from './staff';
export * from './totp';
export * from './transactions';
export * from './users';
export * from './webhooks';
