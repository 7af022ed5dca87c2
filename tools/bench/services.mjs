// Child process of `npm run bench`: the PlanetScale simulator and the provider sandbox, kept out of the
// process that generates load so the load generator and the database proxy do not share one event loop.
// Started with child_process.fork(); reports its URLs over IPC and stops when told to, on SIGTERM/SIGINT,
// or when the parent goes away (IPC disconnect), so it never outlives the benchmark.

import { startSimulator } from '../psdb-sim/server.mjs';
import { accountOptions, startSandbox } from '../sandbox/server.mjs';

/** @typedef {{ mysqlUrl: string, database: string, dbUsername: string, dbPassword: string, vars: Record<string, string> }} ServicesConfig */

/** @param {ServicesConfig} config */
async function start(config) {
  const { vars } = config;
  const simulator = await startSimulator({
    port: 0,
    mysqlUrl: config.mysqlUrl,
    database: config.database,
    username: config.dbUsername,
    password: config.dbPassword,
  });
  const sandbox = await startSandbox({
    port: 0,
    ...accountOptions(vars),
    // No unsolicited traffic to the Worker while it is measured: Mailgun delivery events and PayMob
    // callbacks are recorded by the sandbox, not sent. The benchmark delivers the callbacks it measures.
    workerBaseUrl: '',
  });
  return { simulator, sandbox };
}

let running = /** @type {Awaited<ReturnType<typeof start>> | undefined} */ (undefined);
let stopping = false;

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  try {
    await running?.sandbox.close();
    await running?.simulator.close();
  } finally {
    process.exit(code);
  }
}

process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
process.on('disconnect', () => stop(0));
process.on('message', (/** @type {{ type: string, config?: ServicesConfig }} */ message) => {
  if (message.type === 'stop') {
    stop(0);
    return;
  }
  if (message.type !== 'start' || !message.config) return;
  start(message.config)
    .then((started) => {
      running = started;
      process.send?.({
        type: 'ready',
        simulatorUrl: started.simulator.url,
        simulatorAdminUrl: `http://127.0.0.1:${started.simulator.port}`,
        sandboxUrl: started.sandbox.url,
      });
    })
    .catch((error) => {
      process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) });
      stop(1);
    });
});
