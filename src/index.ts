import { app } from './app';
import type { Env } from './env';
import { runQueue, runScheduled } from './jobs';

export { RateLimiter } from './durable/rate-limiter';

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: (batch, env) => runQueue(batch, env),
  scheduled: (controller, env, ctx) => {
    ctx.waitUntil(runScheduled(controller.cron, env, new Date(controller.scheduledTime)));
  },
} satisfies ExportedHandler<Env>;
