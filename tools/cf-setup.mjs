#!/usr/bin/env node
// `npm run cf:setup [-- --secrets <file>] [--dry-run] [--config <wrangler.toml>]`: the Cloudflare resources
// StackPay's Worker binds to, created when missing (each kind is listed first, so a second run creates
// nothing), then the production settings and secrets uploaded with `wrangler secret bulk <file>`.
//
// What wrangler 4.164 itself does on `wrangler deploy` (read from its source, deploy-helpers/provision):
//   - KV without an `id` and R2 buckets that do not exist are provisioned on deploy (KV titled
//     `<worker>-<binding>`, e.g. stackpay-paymob-cache); later deploys reuse the Worker's existing binding.
//   - Queues are NOT provisioned: deploy fails with 'Queue "notifications" does not exist'.
// So the queues are what must exist first. The KV namespace is created here under the same title wrangler
// would use and its id written into the config (deploy then never has to guess); the bucket is created
// by name (R2 has no id).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDevVars, REPO_ROOT } from './dev-vars.mjs';

/**
 * @typedef {object} Resources
 * @property {string} worker
 * @property {{ binding: string, title: string, id?: string }[]} kv
 * @property {string[]} queues
 * @property {string[]} buckets
 */

/**
 * The resources a wrangler config asks for (top level: the production configuration).
 * @param {string} configPath
 * @returns {Promise<Resources>}
 */
export async function readResources(configPath) {
  const { experimental_readRawConfig } = await import('wrangler');
  const { rawConfig } = experimental_readRawConfig({ config: configPath });
  const worker = /** @type {string} */ (rawConfig.name);
  const queues = new Set();
  for (const producer of rawConfig.queues?.producers ?? []) if (producer.queue) queues.add(producer.queue);
  for (const consumer of rawConfig.queues?.consumers ?? []) {
    queues.add(consumer.queue);
    if (consumer.dead_letter_queue) queues.add(consumer.dead_letter_queue);
  }
  return {
    worker,
    kv: (rawConfig.kv_namespaces ?? []).map((/** @type {{ binding: string, id?: string }} */ ns) => ({
      binding: ns.binding,
      // The title `wrangler deploy` would give it (autoProvisionedResourceName in wrangler 4.164).
      title: `${worker}-${ns.binding.toLowerCase().replaceAll('_', '-')}`,
      ...(ns.id ? { id: ns.id } : {}),
    })),
    queues: [...queues],
    buckets: (rawConfig.r2_buckets ?? []).map((/** @type {{ bucket_name: string }} */ b) => b.bucket_name),
  };
}

/** Queue names from `wrangler queues list` (a table whose header has a `name` column). */
export function parseQueueTable(/** @type {string} */ output) {
  const rows = output
    .split('\n')
    .filter((line) => line.includes('│'))
    .map((line) =>
      line
        .split('│')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  const header = rows.findIndex((cells) => cells.includes('name'));
  if (header < 0) return [];
  const column = /** @type {string[]} */ (rows[header]).indexOf('name');
  return rows
    .slice(header + 1)
    .map((cells) => cells[column] ?? '')
    .filter(Boolean);
}

/** Bucket names from `wrangler r2 bucket list` (`name:  <bucket>` blocks). */
export function parseBucketList(/** @type {string} */ output) {
  return [...output.matchAll(/^name:\s+(\S+)/gm)].map((match) => /** @type {string} */ (match[1]));
}

/** `[{ id, title }]` from `wrangler kv namespace list` (JSON). */
export function parseKvList(/** @type {string} */ output) {
  const start = output.indexOf('[');
  if (start < 0) throw new Error(`unexpected output from wrangler kv namespace list:\n${output}`);
  return /** @type {{ id: string, title: string }[]} */ (JSON.parse(output.slice(start)));
}

/**
 * Writes `id = "<id>"` into the [[kv_namespaces]] block whose binding is `binding` (replacing an id there).
 * @param {string} toml
 * @param {string} binding
 * @param {string} id
 */
export function withKvId(toml, binding, id) {
  const blocks = toml.split(/(?=^\[)/m);
  let found = false;
  const updated = blocks.map((block) => {
    if (!/^\[\[kv_namespaces\]\]/.test(block)) return block;
    if (!new RegExp(`^binding\\s*=\\s*"${binding}"\\s*$`, 'm').test(block)) return block;
    found = true;
    const withoutId = block.replace(/^id[ \t]*=.*\n/m, '');
    return withoutId.replace(
      new RegExp(`^(binding[ \\t]*=[ \\t]*"${binding}"[ \\t]*\\n)`, 'm'),
      `$1id = "${id}"\n`,
    );
  });
  if (!found) throw new Error(`no [[kv_namespaces]] block with binding "${binding}"`);
  return updated.join('');
}

/** Keys whose values belong to `npm run dev`, not production: plain http or loopback URLs, APP_ENV≠production. */
export function developmentValues(/** @type {Record<string, string>} */ settings) {
  const local = /^https?:\/\/([^/@]*@)?(localhost|127\.|\[::1\]|0\.0\.0\.0)/;
  return Object.entries(settings)
    .filter(
      ([key, value]) =>
        value.startsWith('http://') || local.test(value) || (key === 'APP_ENV' && value !== 'production'),
    )
    .map(([key]) => key);
}

/**
 * @typedef {(args: string[], options?: { capture?: boolean }) => Promise<string>} Wrangler
 * runs `wrangler <args>`; with capture, resolves with its stdout (otherwise output is shown as it comes)
 */

/**
 * @param {string} cwd
 * @returns {Wrangler}
 */
function wranglerOnPath(cwd) {
  return (args, { capture = false } = {}) =>
    new Promise((resolve, reject) => {
      const child = spawn('wrangler', args, {
        cwd,
        stdio: ['inherit', capture ? 'pipe' : 'inherit', 'inherit'],
        env: { ...process.env, FORCE_COLOR: '0' },
      });
      let stdout = '';
      child.stdout?.on('data', (chunk) => {
        stdout += chunk;
      });
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve(stdout) : reject(new Error(`wrangler ${args.join(' ')} failed (exit ${code})`)),
      );
    });
}

/**
 * @param {{ configPath: string, secretsFile?: string, dryRun?: boolean, wrangler?: Wrangler,
 *   log?: (line: string) => void }} options
 */
export async function cfSetup({ configPath, secretsFile, dryRun = false, wrangler, log = console.log }) {
  const resources = await readResources(configPath);
  const run = wrangler ?? wranglerOnPath(path.dirname(configPath));
  const show = (/** @type {string[]} */ args, /** @type {string} */ note = '') =>
    log(`wrangler ${args.join(' ')}${note ? `   # ${note}` : ''}`);

  if (secretsFile) {
    if (!existsSync(secretsFile)) throw new Error(`secrets file not found: ${secretsFile}`);
    const settings = parseDevVars(readFileSync(secretsFile, 'utf8'));
    const suspicious = developmentValues(settings);
    if (suspicious.length > 0) {
      throw new Error(
        `${secretsFile} holds development values (${suspicious.join(', ')}): production needs https:// URLs on ` +
          'public hosts. Use a production settings file (see .prod.vars.example), never .dev.vars.',
      );
    }
    const empty = Object.keys(settings).filter((key) => settings[key] === '');
    if (empty.length > 0) {
      throw new Error(
        `${secretsFile}: ${empty.join(', ')} empty — fill them in or delete the lines you do not use`,
      );
    }
    const missing = ['PUBLIC_BASE_URL', 'MAIL_FROM', 'JWT_SECRET', 'DATABASE_URL'].filter(
      (key) => !settings[key],
    );
    if (missing.length > 0)
      throw new Error(`${secretsFile} lacks ${missing.join(', ')} (see .prod.vars.example)`);
  }

  if (dryRun) {
    log('# dry run: these are the wrangler commands cf:setup runs (creates only what the lists lack)');
    if (resources.kv.some((ns) => !ns.id)) show(['kv', 'namespace', 'list']);
    for (const ns of resources.kv) {
      if (ns.id) log(`# KV ${ns.binding}: id ${ns.id} already in ${path.basename(configPath)}`);
      else
        show(['kv', 'namespace', 'create', ns.title], `if no namespace is titled ${ns.title}; id → config`);
    }
    show(['queues', 'list']);
    for (const queue of resources.queues) show(['queues', 'create', queue], 'if missing');
    show(['r2', 'bucket', 'list']);
    for (const bucket of resources.buckets) show(['r2', 'bucket', 'create', bucket], 'if missing');
    if (secretsFile) show(['secret', 'bulk', secretsFile, '--name', resources.worker]);
    else log('# no --secrets <file>: secrets are not uploaded');
    return;
  }

  const pendingKv = resources.kv.filter((ns) => !ns.id);
  if (pendingKv.length > 0) {
    let namespaces = parseKvList(await run(['kv', 'namespace', 'list'], { capture: true }));
    let toml = readFileSync(configPath, 'utf8');
    for (const ns of pendingKv) {
      let existing = namespaces.find((candidate) => candidate.title === ns.title);
      if (existing) log(`KV ${ns.binding}: found namespace "${ns.title}" (${existing.id})`);
      else {
        await run(['kv', 'namespace', 'create', ns.title]);
        namespaces = parseKvList(await run(['kv', 'namespace', 'list'], { capture: true }));
        existing = namespaces.find((candidate) => candidate.title === ns.title);
        if (!existing) throw new Error(`created KV namespace "${ns.title}" but it is not listed`);
        log(`KV ${ns.binding}: created namespace "${ns.title}" (${existing.id})`);
      }
      toml = withKvId(toml, ns.binding, existing.id);
    }
    writeFileSync(configPath, toml);
    log(`wrote the KV namespace id${pendingKv.length > 1 ? 's' : ''} into ${configPath}`);
  } else {
    for (const ns of resources.kv) log(`KV ${ns.binding}: id ${ns.id} already in the config`);
  }

  const queues = new Set(parseQueueTable(await run(['queues', 'list'], { capture: true })));
  for (const queue of resources.queues) {
    if (queues.has(queue)) log(`queue ${queue}: exists`);
    else {
      await run(['queues', 'create', queue]);
      log(`queue ${queue}: created`);
    }
  }

  const buckets = new Set(parseBucketList(await run(['r2', 'bucket', 'list'], { capture: true })));
  for (const bucket of resources.buckets) {
    if (buckets.has(bucket)) log(`R2 bucket ${bucket}: exists`);
    else {
      await run(['r2', 'bucket', 'create', bucket]);
      log(`R2 bucket ${bucket}: created (private: no public access unless you add a domain)`);
    }
  }

  if (secretsFile) {
    await run(['secret', 'bulk', secretsFile, '--name', resources.worker]);
    log(`uploaded the settings in ${secretsFile} as secrets of ${resources.worker}`);
  } else {
    log('no --secrets <file> given: secrets not uploaded (npm run cf:setup -- --secrets .prod.vars)');
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean', default: false },
      secrets: { type: 'string' },
      config: { type: 'string', default: path.join(REPO_ROOT, 'wrangler.toml') },
    },
  });
  await cfSetup({
    configPath: path.resolve(/** @type {string} */ (values.config)),
    secretsFile: values.secrets ? path.resolve(values.secrets) : undefined,
    dryRun: values['dry-run'],
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`cf:setup failed: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 1;
  });
}
