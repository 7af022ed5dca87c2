import type { TestProject } from 'vitest/node';
import { dropDatabase, ensureDatabase, ensureMysql, migrate } from '../tools/db.mjs';
import { startSimulator } from '../tools/psdb-sim/server.mjs';
import { accountOptions, startSandbox } from '../tools/sandbox/server.mjs';
import { TEST_SECRETS } from './test-env';

/**
 * Starts what the tests need, once per run: the private MariaDB (reused when already running), a fresh
 * `stackpay_test_<pid>` database with every migration applied, the PlanetScale HTTP simulator in front of
 * it, and the provider sandbox. Their URLs reach the Worker's bindings through `provide`/`inject`.
 */
export default async function setup(project: TestProject) {
  const mysql = await ensureMysql();
  const database = `stackpay_test_${process.pid}`;
  await dropDatabase(mysql.url, database);
  await ensureDatabase(mysql.url, database);
  await migrate(mysql.url, database);
  const simulator = await startSimulator({ port: 0, mysqlUrl: mysql.url, database });
  const sandbox = await startSandbox({
    port: 0,
    ...accountOptions(TEST_SECRETS),
    // One sandbox imitates the EG account and, for the per-region tests, a KSA and an Oman integration.
    paymobIntegrations: [
      { id: Number(TEST_SECRETS.PAYMOB_INTEGRATION_ID_SA), currency: 'SAR', type: 'card' },
      { id: Number(TEST_SECRETS.PAYMOB_INTEGRATION_ID_OM), currency: 'OMR', type: 'card' },
      // docs/paymob.md §8: the EG account's other payment methods.
      { id: Number(TEST_SECRETS.PAYMOB_INTEGRATION_ID_WALLET), type: 'wallet' },
      { id: Number(TEST_SECRETS.PAYMOB_INTEGRATION_ID_KIOSK), type: 'kiosk' },
      { id: Number(TEST_SECRETS.PAYMOB_INTEGRATION_ID_VALU), type: 'valu' },
    ],
    // The Worker under test has no HTTP address inside vitest: callbacks are recorded, and tests deliver them.
    workerBaseUrl: '',
  });

  project.provide('mysqlUrl', mysql.url);
  project.provide('testDatabase', database);
  project.provide('databaseUrl', simulator.url);
  project.provide('simulatorAdminUrl', `http://127.0.0.1:${simulator.port}`);
  project.provide('sandboxUrl', sandbox.url);

  return async () => {
    await sandbox.close();
    await simulator.close();
    await dropDatabase(mysql.url, database);
    await mysql.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    mysqlUrl: string;
    testDatabase: string;
    databaseUrl: string;
    simulatorAdminUrl: string;
    sandboxUrl: string;
  }
}
