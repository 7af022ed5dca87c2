/**
 * A service context for the tests that call a service directly (docs/design.md "Services"): the Worker's
 * own bindings and configuration, the test database, and whatever the test overrides (a clock, a fake
 * PayMob client, a recording `notify`, an actor).
 */
import { env } from 'cloudflare:workers';
import { createServiceContext, type ServiceContext } from '../../src/context';
import { createDatabase } from '../../src/db/client';
import type { Env } from '../../src/env';
import { createLogger } from '../../src/lib/logger';
import { type TestUser, testConfig, testDb, uniqueRequestId } from './helpers';

export function testContext(overrides: Partial<ServiceContext> = {}): ServiceContext {
  const logger = overrides.logger ?? createLogger({ test: 'service' });
  const base = createServiceContext({ env: env as Env, config: testConfig(), logger, db: testDb() });
  return { ...base, ...overrides };
}

/**
 * The context a request of `user` gets (or an anonymous one): its own database handle under a fresh request id
 * (so round trips can be counted per call), the Worker's configuration, its bindings with `env` overrides,
 * and `now` as the request's clock.
 */
export function contextAs(
  user: TestUser | undefined,
  options: { now?: Date; env?: Partial<Env>; label?: string } = {},
): ServiceContext {
  const label = options.label ?? 'service';
  const config = testConfig();
  const requestId = uniqueRequestId(label);
  const now = options.now ?? new Date();
  const ctx = createServiceContext({
    env: { ...env, ...options.env } as Env,
    config,
    logger: createLogger({ test: label }, 'error'),
    requestId,
    now,
    db: createDatabase(config.DATABASE_URL, requestId),
  });
  if (user) {
    ctx.actor = {
      id: user.id,
      username: user.username,
      email: user.email,
      role: user.role,
      isActive: true,
      dateJoined: now,
      lastLogin: null,
      tokensValidAfter: null,
    };
  }
  return ctx;
}
