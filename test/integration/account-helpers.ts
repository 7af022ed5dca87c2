/**
 * A service context (src/context.ts) for calling account services directly in integration tests, acting as
 * a test user (or nobody) at a chosen time, with the Worker's real bindings and configuration.
 */
import { env } from 'cloudflare:workers';
import { createServiceContext, type ServiceContext } from '../../src/context';
import { type Env, getConfig } from '../../src/env';
import { createLogger } from '../../src/lib/logger';
import { type TestUser, uniqueRequestId } from './helpers';

export function contextAs(
  actor: TestUser | undefined,
  options: { now?: Date; env?: Partial<Env> } = {},
): ServiceContext {
  const now = options.now ?? new Date();
  const ctx = createServiceContext({
    env: { ...env, ...options.env } as Env,
    config: getConfig(env),
    logger: createLogger({ test: 'accounts' }, 'error'),
    requestId: uniqueRequestId('accounts'),
    now,
  });
  if (actor) {
    ctx.actor = {
      id: actor.id,
      username: actor.username,
      email: actor.email,
      role: actor.role,
      isActive: true,
      dateJoined: now,
      lastLogin: null,
      tokensValidAfter: null,
    };
  }
  return ctx;
}
