import type { Env as WorkerEnv } from '../src/env';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      /** Test-only: the simulator's admin API (query counts). */
      SIMULATOR_ADMIN_URL: string;
      /** Test-only: the provider sandbox. */
      SANDBOX_URL: string;
    }
    interface GlobalProps {
      mainModule: typeof import('../src/index');
      durableNamespaces: 'RateLimiter';
    }
  }
}
