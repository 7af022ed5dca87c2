// Process helpers for the benchmark: free ports, the workerd processes a wrangler started, their CPU time
// from /proc, and stopping children by pid (only the ones this benchmark started).

import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

/** A port the kernel says is free right now on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** Clock ticks per second for /proc/<pid>/stat times (USER_HZ; 100 on Linux unless built otherwise). */
export const CLOCK_TICKS = (() => {
  const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const value = Number(result.stdout?.trim());
  return Number.isInteger(value) && value > 0 ? value : 100;
})();

/**
 * The fields the benchmark uses from one /proc/<pid>/stat line (see proc(5)): the parent, the command name and
 * utime + stime in clock ticks (all threads of the process). Undefined when the text is not a stat line.
 * @param {string} text
 * @returns {{ ppid: number, comm: string, ticks: number } | undefined}
 */
export function parseStat(text) {
  // comm is in parentheses and may itself contain spaces and ')'; the fields after the last ')' are fixed:
  // state(3) ppid(4) … utime(14) stime(15).
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const fields = text
    .slice(close + 2)
    .trim()
    .split(' ');
  const ppid = Number(fields[1]);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isInteger(ppid) || !Number.isInteger(utime) || !Number.isInteger(stime)) return undefined;
  return { ppid, comm: text.slice(open + 1, close), ticks: utime + stime };
}

/** @param {number} pid */
function readStat(pid) {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every live process with its parent and name (Linux /proc; empty elsewhere). */
function processTable() {
  /** @type {Map<number, { ppid: number, comm: string, ticks: number }>} */
  const table = new Map();
  let entries = /** @type {string[]} */ ([]);
  try {
    entries = readdirSync('/proc');
  } catch {
    return table;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) table.set(Number(entry), stat);
  }
  return table;
}

/**
 * The workerd processes under `rootPid` (wrangler dev runs two: its proxy and the Worker's runtime), or every
 * workerd on the machine when no root is given (a stack started elsewhere).
 * @param {number | undefined} rootPid
 * @returns {number[]}
 */
export function workerdPids(rootPid) {
  const isWorkerd = (/** @type {string} */ comm) => comm.startsWith('workerd');
  if (rootPid !== undefined) return descendantPids(rootPid, isWorkerd);
  return [...processTable()].filter(([, stat]) => isWorkerd(stat.comm)).map(([pid]) => pid);
}

/**
 * Every descendant of `rootPid` whose command name passes `keep`.
 * @param {number} rootPid
 * @param {(comm: string) => boolean} [keep]
 * @returns {number[]}
 */
export function descendantPids(rootPid, keep = () => true) {
  const table = processTable();
  const found = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const [pid, stat] of table) {
      if (stat.ppid !== parent) continue;
      queue.push(pid);
      if (keep(stat.comm)) found.push(pid);
    }
  }
  return found;
}

/**
 * CPU time (user + system) per process, in milliseconds.
 * @param {number[]} pids
 * @returns {Map<number, number>}
 */
export function cpuSnapshot(pids) {
  /** @type {Map<number, number>} */
  const snapshot = new Map();
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat) snapshot.set(pid, (stat.ticks * 1000) / CLOCK_TICKS);
  }
  return snapshot;
}

/**
 * CPU milliseconds spent between two snapshots by the processes alive at both (a process that started or
 * exited in between is left out rather than counted as a jump).
 * @param {Map<number, number>} before
 * @param {Map<number, number>} after
 */
export function cpuSpent(before, after) {
  let spent = 0;
  for (const [pid, ms] of after) {
    const start = before.get(pid);
    if (start !== undefined && ms >= start) spent += ms - start;
  }
  return spent;
}

/**
 * The socket inodes listening on `port` (any address), from /proc/net/tcp and tcp6.
 * @param {number} port
 */
function listeningInodes(port) {
  const inodes = new Set();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1] ?? '';
      // state 0A = LISTEN; the port is the hex after the colon.
      if (fields[3] === '0A' && Number.parseInt(local.split(':')[1] ?? '', 16) === port)
        inodes.add(fields[9]);
    }
  }
  return inodes;
}

/**
 * The process listening on `port` (readable only when it runs as this user or root), or undefined.
 * @param {number} port
 * @param {Map<number, { ppid: number, comm: string, ticks: number }>} [table]
 */
export function listenerPid(port, table = processTable()) {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const pid of table.keys()) {
    let fds = /** @type {string[]} */ ([]);
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match && inodes.has(match[1])) return pid;
    }
  }
  return undefined;
}

/**
 * The workerd processes serving `port`: the process listening on it (wrangler dev's proxy, itself a workerd)
 * and the other workerd processes of the same wrangler. Empty when the listener cannot be found.
 * @param {number} port
 */
export function workerdPidsForPort(port) {
  const table = processTable();
  const pid = listenerPid(port, table);
  if (pid === undefined) return [];
  const owner = table.get(pid);
  if (!owner?.comm.startsWith('workerd')) return [pid];
  return workerdPids(owner.ppid);
}

/**
 * @typedef {Record<string, () => number[]>} ProcessGroups named groups of processes whose CPU is measured
 * (each function is asked for its pids at the start of every row)
 */

/**
 * CPU time per process of every group, in milliseconds.
 * @param {ProcessGroups} groups
 * @returns {Record<string, Map<number, number>>}
 */
export function groupSnapshot(groups) {
  /** @type {Record<string, Map<number, number>>} */
  const snapshot = {};
  for (const [name, pids] of Object.entries(groups)) snapshot[name] = cpuSnapshot(pids());
  return snapshot;
}

/**
 * CPU milliseconds per request of each group between two snapshots; null for a group with no process
 * found or when there were no requests.
 * @param {Record<string, Map<number, number>>} before
 * @param {Record<string, Map<number, number>>} after
 * @param {number} requests
 * @returns {Record<string, number | null>}
 */
export function cpuPerRequest(before, after, requests) {
  /** @type {Record<string, number | null>} */
  const result = {};
  for (const [name, start] of Object.entries(before)) {
    const end = after[name];
    result[name] = end && start.size > 0 && requests > 0 ? cpuSpent(start, end) / requests : null;
  }
  return result;
}

/**
 * Stops a child this process started: `signal` first, SIGKILL after `graceMs`.
 * @param {import('node:child_process').ChildProcess} child
 * @param {NodeJS.Signals} [signal]
 * @param {number} [graceMs]
 */
export async function stopChild(child, signal = 'SIGTERM', graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Kills the given pids if they are still alive (workerd processes left behind by a wrangler that was
 * killed hard). Only pids this benchmark recorded as its own descendants are ever passed here.
 * @param {number[]} pids
 */
export function killLeftovers(pids) {
  for (const pid of pids) {
    try {
      process.kill(pid, 0);
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Runs a command to completion with a timeout; resolves with its output, rejects on failure.
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string, timeoutMs?: number, env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<{ stdout: string, stderr: string, ms: number }>}
 */
export function runCommand(command, args, { cwd, timeoutMs = 120_000, env } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      if (code === 0) resolve({ stdout, stderr, ms });
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${`${stdout}\n${stderr}`.trim().split('\n').slice(-20).join('\n')}`,
          ),
        );
    });
  });
}
