/**
 * A service context for the tests that call a service directly (docs/design.md "Services"): the Worker's
 * own bindings and configuration, the test database, and whatever the test overrides (a clock, a fake
 * PayMob client, a recording `notify`, an actor).
 */
import { env } from 'cloudflare:workers';
import { createServiceContext, type ServiceContext } from '../../src/context';
import type { Env } from '../../src/env';
import { createLogger } from '../../src/lib/logger';
import { testConfig, testDb } from './helpers';

export function testContext(overrides: Partial<ServiceContext> = {}): ServiceContext {
  const logger = overrides.logger ?? createLogger({ test: 'service' });
  const base = createServiceContext({ env: env as Env, config: testConfig(), logger, db: testDb() });
  return { ...base, ...overrides };
}
