// System packages the local stack needs besides Node: a MySQL-compatible server (MariaDB) for `npm run dev`
// and `npm test`, and Chromium for the browser tests. When one is missing and this is Debian/Ubuntu as root,
// it is installed with apt-get (the command printed first, apt's own progress shown); anywhere else the one
// command for the platform is printed and the caller fails (non-zero exit).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * @typedef {object} Prerequisite
 * @property {string} name what it is, for messages
 * @property {string} apt Debian/Ubuntu package
 * @property {string} brew Homebrew arguments after `brew install`
 * @property {string[]} executables any of these on PATH (or in the usual sbin dirs) means installed
 * @property {string} [alternative] how to do without it
 */

/** @type {Record<'mysql' | 'chromium', Prerequisite>} */
export const PREREQUISITES = {
  mysql: {
    name: 'MariaDB (a MySQL-compatible server)',
    apt: 'mariadb-server',
    brew: 'mariadb',
    executables: ['mariadbd', 'mysqld'],
    alternative: 'or set MYSQL_URL=mysql://user:password@host:port to use a server you already run',
  },
  chromium: {
    name: 'Chromium (for the browser tests)',
    apt: 'chromium',
    brew: '--cask chromium',
    executables: ['chromium', 'chromium-browser'],
  },
};

const EXTRA_DIRS = [
  '/usr/sbin',
  '/usr/libexec',
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/bin',
  '/opt/homebrew/bin',
];
const MAC_CHROMIUM = '/Applications/Chromium.app/Contents/MacOS/Chromium';

/**
 * @typedef {object} Platform
 * @property {'debian' | 'macos' | 'other'} family Debian/Ubuntu (apt), macOS, anything else
 * @property {boolean} root running as uid 0
 * @property {boolean} hasAptGet
 * @property {boolean} hasSudo
 * @property {boolean} hasBrew
 */

/** @param {string} name */
export function findExecutable(name, pathEnv = process.env.PATH ?? '') {
  const dirs = [...pathEnv.split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
  return dirs.map((dir) => path.join(dir, name)).find((candidate) => existsSync(candidate));
}

/** The running machine. */
export function detectPlatform() {
  let family = /** @type {Platform['family']} */ ('other');
  if (process.platform === 'darwin') family = 'macos';
  else if (process.platform === 'linux') {
    const release = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
    if (/^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(release)) family = 'debian';
  }
  return {
    family,
    root: typeof process.getuid === 'function' && process.getuid() === 0,
    hasAptGet: Boolean(findExecutable('apt-get')),
    hasSudo: Boolean(findExecutable('sudo')),
    hasBrew: Boolean(findExecutable('brew')),
  };
}

/**
 * The one command that installs `prerequisite` on `platform`, as a person would type it.
 * @param {Prerequisite} prerequisite
 * @param {Platform} platform
 * @returns {string | undefined}
 */
export function installCommand(prerequisite, platform) {
  if (platform.family === 'debian') {
    const sudo = platform.root ? '' : 'sudo ';
    return `${sudo}apt-get update && ${sudo}apt-get install -y ${prerequisite.apt}`;
  }
  if (platform.family === 'macos') return `brew install ${prerequisite.brew}`;
  return undefined;
}

/** Thrown when a prerequisite is missing and cannot be installed here; the message says what to type. */
export class MissingPrerequisiteError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'MissingPrerequisiteError';
  }
}

/**
 * @typedef {(command: string, args: string[], env: Record<string, string>) => Promise<number>} Runner
 * runs a command with inherited output, resolves with its exit status
 */

/** @type {Runner} */
export const runInherited = (command, args, env) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...env },
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });

/**
 * Makes sure `prerequisite` is present: returns at once when it is, installs it with apt-get when this is
 * Debian/Ubuntu as root, and otherwise throws MissingPrerequisiteError naming the command to run.
 * @param {Prerequisite} prerequisite
 * @param {{ isPresent: () => boolean, platform?: Platform, run?: Runner, log?: (line: string) => void }} options
 */
export async function ensurePrerequisite(
  prerequisite,
  { isPresent, platform = detectPlatform(), run = runInherited, log = (line) => console.error(line) },
) {
  if (isPresent()) return;
  const command = installCommand(prerequisite, platform);
  const alternative = prerequisite.alternative ? ` (${prerequisite.alternative})` : '';
  if (platform.family === 'debian' && platform.root && platform.hasAptGet) {
    log(`[setup] ${prerequisite.name} is not installed; installing it now: ${command}`);
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    const steps = /** @type {[string, string[]][]} */ ([
      ['apt-get', ['update']],
      ['apt-get', ['install', '-y', prerequisite.apt]],
    ]);
    for (const [step, args] of steps) {
      const status = await run(step, args, env);
      if (status !== 0) {
        throw new MissingPrerequisiteError(
          `\`${step} ${args.join(' ')}\` failed (exit ${status}) while installing ${prerequisite.name}. ` +
            `Fix the error above and run: ${command}${alternative}`,
        );
      }
    }
    if (!isPresent()) {
      throw new MissingPrerequisiteError(
        `${prerequisite.apt} was installed but ${prerequisite.executables.join('/')} is still not found${alternative}.`,
      );
    }
    log(`[setup] ${prerequisite.name} installed.`);
    return;
  }
  if (command) {
    throw new MissingPrerequisiteError(
      `${prerequisite.name} is not installed. Install it with:\n  ${command}\n${alternative}`,
    );
  }
  throw new MissingPrerequisiteError(
    `${prerequisite.name} is not installed. Install it with your system's package manager ` +
      `(Debian/Ubuntu: apt-get install -y ${prerequisite.apt}; macOS: brew install ${prerequisite.brew})${alternative}.`,
  );
}

/** @param {Prerequisite} prerequisite */
function onPath(prerequisite) {
  return () => prerequisite.executables.some((name) => findExecutable(name));
}

/**
 * A MySQL-compatible server binary, installed first when missing (see ensurePrerequisite).
 * @param {{ platform?: Platform, run?: Runner, log?: (line: string) => void }} [options]
 */
export function ensureMysqlServerInstalled(options = {}) {
  return ensurePrerequisite(PREREQUISITES.mysql, { isPresent: onPath(PREREQUISITES.mysql), ...options });
}

/**
 * The Chromium executable for the browser tests, installed first when missing.
 * @param {{ platform?: Platform, run?: Runner, log?: (line: string) => void }} [options]
 * @returns {Promise<string>}
 */
export async function ensureChromium(options = {}) {
  const find = () =>
    PREREQUISITES.chromium.executables.map((name) => findExecutable(name)).find(Boolean) ??
    (existsSync(MAC_CHROMIUM) ? MAC_CHROMIUM : undefined);
  await ensurePrerequisite(PREREQUISITES.chromium, { isPresent: () => Boolean(find()), ...options });
  return /** @type {string} */ (find());
}
