// `npm run cf:setup` (tools/cf-setup.mjs) run as a user runs it, against a stub `wrangler` first on PATH that
// records its argv and answers the list commands in wrangler 4.164's real output formats from a state file
// (creates add to that state, so a second run sees what the first created).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { experimental_readRawConfig } from 'wrangler';
import { parseBucketList, parseKvList, parseQueueTable, withKvId } from '../../tools/cf-setup.mjs';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

const STUB = `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.STUB_CALLS, JSON.stringify(args) + '\\n');
const state = JSON.parse(fs.readFileSync(process.env.STUB_STATE, 'utf8'));
const save = () => fs.writeFileSync(process.env.STUB_STATE, JSON.stringify(state));
const is = (...words) => words.every((w, i) => args[i] === w);
if (is('kv', 'namespace', 'list')) {
  console.log(JSON.stringify(state.kv, null, '  '));
} else if (is('kv', 'namespace', 'create')) {
  state.kv.push({ id: 'f'.repeat(24) + String(state.kv.length).padStart(8, '0'), title: args[3] });
  save();
  console.log('✨ Success!');
} else if (is('queues', 'list')) {
  // logger.table: a box-drawn table with these columns.
  const row = (cells) => '│ ' + cells.join(' │ ') + ' │';
  console.log('┌──┐');
  console.log(row(['id', 'name', 'created_on', 'modified_on', 'producers', 'consumers']));
  console.log('├──┤');
  for (const q of state.queues) console.log(row(['0123abcd', q, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '1', '1']));
  console.log('└──┘');
} else if (is('queues', 'create')) {
  state.queues.push(args[2]);
  save();
} else if (is('r2', 'bucket', 'list')) {
  console.log('Listing buckets...');
  console.log(state.buckets.map((b) => 'name:           ' + b + '\\ncreation_date:  2026-01-01T00:00:00.000Z').join('\\n\\n'));
} else if (is('r2', 'bucket', 'create')) {
  state.buckets.push(args[3]);
  save();
} else if (is('secret', 'bulk')) {
  state.secrets = Object.keys(Object.fromEntries(fs.readFileSync(args[2], 'utf8').split('\\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('='))));
  save();
} else {
  console.error('stub wrangler: unexpected command ' + args.join(' '));
  process.exit(2);
}
`;

const PRODUCTION_VARS = [
  'PUBLIC_BASE_URL=https://pay.example.com',
  'MAIL_FROM="StackPay <no-reply@mg.example.com>"',
  'JWT_SECRET=0123456789abcdef0123456789abcdef0123456789',
  'DATABASE_URL=https://user:password@aws.connect.psdb.cloud',
  'PAYMOB_API_KEY=key',
].join('\n');

let dir: string;
let calls: string;
let state: string;
let config: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stackpay-cf-setup-'));
  calls = join(dir, 'calls.jsonl');
  state = join(dir, 'state.json');
  config = join(dir, 'wrangler.toml');
  writeFileSync(join(dir, 'wrangler'), STUB, { mode: 0o755 });
  writeFileSync(calls, '');
  writeFileSync(
    state,
    JSON.stringify({ kv: [{ id: 'a'.repeat(32), title: 'other-app-cache' }], queues: [], buckets: [] }),
  );
  copyFileSync(join(REPO_ROOT, 'wrangler.toml'), config);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function cfSetup(...args: string[]): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [join(REPO_ROOT, 'tools/cf-setup.mjs'), '--config', config, ...args],
    {
      cwd: dir,
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, STUB_CALLS: calls, STUB_STATE: state },
      timeout: 60_000,
    },
  );
  return `${stdout}${stderr}`;
}

function recorded(): string[] {
  return readFileSync(calls, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as string[]).join(' '));
}

function kvIds(): (string | undefined)[] {
  const { rawConfig } = experimental_readRawConfig({ config });
  return (rawConfig.kv_namespaces ?? []).map((ns: { id?: string }) => ns.id);
}

describe('npm run cf:setup', () => {
  it('lists first, creates what is missing, writes the KV id, uploads the secrets file; a second run creates nothing', async () => {
    const secrets = join(dir, 'prod.vars');
    writeFileSync(secrets, PRODUCTION_VARS);

    await cfSetup('--secrets', secrets);
    expect(recorded()).toEqual([
      'kv namespace list',
      'kv namespace create stackpay-paymob-cache',
      'kv namespace list',
      'queues list',
      'queues create notifications',
      'queues create webhook-deliveries',
      'queues create notifications-dlq',
      'r2 bucket list',
      'r2 bucket create stackpay-kyc-documents',
      `secret bulk ${secrets} --name stackpay`,
    ]);
    const created = JSON.parse(readFileSync(state, 'utf8'));
    const id = created.kv.find((ns: { title: string }) => ns.title === 'stackpay-paymob-cache').id;
    expect(kvIds()).toEqual([id]);
    expect(created.secrets).toEqual([
      'PUBLIC_BASE_URL',
      'MAIL_FROM',
      'JWT_SECRET',
      'DATABASE_URL',
      'PAYMOB_API_KEY',
    ]);
    const configAfterFirst = readFileSync(config, 'utf8');

    writeFileSync(calls, '');
    const second = await cfSetup('--secrets', secrets);
    expect(recorded()).toEqual(['queues list', 'r2 bucket list', `secret bulk ${secrets} --name stackpay`]);
    expect(second).toContain('queue notifications: exists');
    expect(readFileSync(config, 'utf8')).toBe(configAfterFirst);
  }, 120_000); // two runs, each a Node process that loads wrangler's config reader and starts ~8 stubs

  it('finds a KV namespace wrangler deploy already provisioned instead of creating another', async () => {
    const existing = { id: 'b'.repeat(32), title: 'stackpay-paymob-cache' };
    writeFileSync(
      state,
      JSON.stringify({
        kv: [existing],
        queues: ['notifications', 'notifications-dlq', 'webhook-deliveries'],
        buckets: ['stackpay-kyc-documents'],
      }),
    );
    await cfSetup();
    expect(recorded()).toEqual(['kv namespace list', 'queues list', 'r2 bucket list']);
    expect(kvIds()).toEqual([existing.id]);
  }, 60_000);

  it('--dry-run prints the exact wrangler commands and runs none', async () => {
    const secrets = join(dir, 'prod.vars');
    writeFileSync(secrets, PRODUCTION_VARS);
    const before = readFileSync(config, 'utf8');
    const output = await cfSetup('--dry-run', '--secrets', secrets);
    expect(recorded()).toEqual([]);
    expect(readFileSync(config, 'utf8')).toBe(before);
    const commands = output
      .split('\n')
      .filter((line) => line.startsWith('wrangler '))
      .map((line) => line.replace(/\s+#.*$/, ''));
    expect(commands).toEqual([
      'wrangler kv namespace list',
      'wrangler kv namespace create stackpay-paymob-cache',
      'wrangler queues list',
      'wrangler queues create notifications',
      'wrangler queues create webhook-deliveries',
      'wrangler queues create notifications-dlq',
      'wrangler r2 bucket list',
      'wrangler r2 bucket create stackpay-kyc-documents',
      `wrangler secret bulk ${secrets} --name stackpay`,
    ]);
  });

  it.each([
    [
      'a development file',
      'PUBLIC_BASE_URL=http://127.0.0.1:8787\nAPP_ENV=development',
      'development values',
    ],
    ['empty values', `${PRODUCTION_VARS}\nPAYMOB_IFRAME_ID=`, 'PAYMOB_IFRAME_ID empty'],
    ['no PUBLIC_BASE_URL', PRODUCTION_VARS.replace(/^PUBLIC_BASE_URL=.*\n/, ''), 'lacks PUBLIC_BASE_URL'],
  ])('refuses a secrets file with %s before calling wrangler', async (_label, content, message) => {
    const secrets = join(dir, 'bad.vars');
    writeFileSync(secrets, content);
    await expect(cfSetup('--secrets', secrets)).rejects.toMatchObject({
      stderr: expect.stringContaining(message),
    });
    expect(recorded()).toEqual([]);
  });
});

describe('parsing wrangler output', () => {
  it('reads queue names from the table, not substrings of other names', () => {
    const table = ['│ id │ name │ created_on │', '│ 1 │ notifications-dlq │ x │'].join('\n');
    expect(parseQueueTable(table)).toEqual(['notifications-dlq']);
  });

  it('reads bucket names and KV namespaces', () => {
    expect(parseBucketList('Listing buckets...\nname:   a-b\ncreation_date: x\n\nname:   c\n')).toEqual([
      'a-b',
      'c',
    ]);
    expect(parseKvList('[\n  {"id": "1", "title": "t"}\n]')).toEqual([{ id: '1', title: 't' }]);
  });

  it('writes the id into the right [[kv_namespaces]] block only', () => {
    const toml =
      '[[kv_namespaces]]\nbinding = "OTHER"\n\n[[kv_namespaces]]\nbinding = "PAYMOB_CACHE"\nid = "old"\n\n[vars]\nA = "1"\n';
    expect(withKvId(toml, 'PAYMOB_CACHE', 'new')).toBe(
      '[[kv_namespaces]]\nbinding = "OTHER"\n\n[[kv_namespaces]]\nbinding = "PAYMOB_CACHE"\nid = "new"\n\n[vars]\nA = "1"\n',
    );
  });
});
