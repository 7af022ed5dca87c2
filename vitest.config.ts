import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { TEST_SECRETS } from './test/test-env';

/**
 * One run, two projects in order: `unit` (Node: pure modules and the local tools) then `integration`
 * (the Worker inside workerd with real local KV, Durable Object, Queue and R2 bindings, talking to the real
 * MariaDB through the PlanetScale simulator and to the provider sandbox over HTTP).
 * test/global-setup.ts starts those servers once and provides their URLs.
 */
export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    // Worker log lines are printed only for failing tests.
    silent: 'passed-only',
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/tools/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 0 },
          testTimeout: 20_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: './src/index.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                ...TEST_SECRETS,
                // wrangler.toml's top level is production; the tests run as `test` with a loopback base.
                APP_ENV: 'test',
                // wrangler.toml requires two-factor for ADMINs; tests ask for it per test (docs/accounts.md §3).
                ADMIN_REQUIRE_2FA: 'false',
                // Most payment tests drive the legacy iframe flow (the sandbox's pay form takes the payment
                // token); intention mode, the default, is covered per test with apiWithEnv (docs/paymob.md §2).
                PAYMOB_API_MODE: 'legacy',
                PUBLIC_BASE_URL: 'http://127.0.0.1:8787',
                MAIL_FROM: 'StackPay <no-reply@mg.stackpay.local>',
                DATABASE_URL: inject<string>('databaseUrl'),
                PAYMOB_BASE_URL: inject<string>('sandboxUrl'),
                MAILGUN_BASE_URL: inject<string>('sandboxUrl'),
                SIMULATOR_ADMIN_URL: inject<string>('simulatorAdminUrl'),
                SANDBOX_URL: inject<string>('sandboxUrl'),
              },
            },
          })),
        ],
        // The bundle's `"zod"` is src/lib/zod/index.ts (wrangler.toml [alias]); the Worker under test gets the same.
        resolve: {
          alias: [
            { find: /^zod$/, replacement: fileURLToPath(new URL('./src/lib/zod/index.ts', import.meta.url)) },
          ],
        },
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Browser tests (headless Chromium through playwright-core) against a real `wrangler dev` and a
        // sandbox of their own; they reuse the database and simulator started by the global setup.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Finds (or installs) Chromium; runs only when e2e files are part of the run.
          globalSetup: ['./test/e2e/global-setup.ts'],
          environment: 'node',
          sequence: { groupOrder: 2 },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
