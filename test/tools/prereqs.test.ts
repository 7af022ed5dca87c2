// tools/prereqs.mjs with injected platforms and command runners: no real apt-get runs here.
import { describe, expect, it } from 'vitest';
import {
  ensurePrerequisite,
  installCommand,
  MissingPrerequisiteError,
  type Platform,
  PREREQUISITES,
} from '../../tools/prereqs.mjs';

const debianRoot: Platform = {
  family: 'debian',
  root: true,
  hasAptGet: true,
  hasSudo: false,
  hasBrew: false,
};
const debianUser: Platform = { ...debianRoot, root: false, hasSudo: true };
const macos: Platform = { family: 'macos', root: false, hasAptGet: false, hasSudo: true, hasBrew: true };
const other: Platform = { family: 'other', root: false, hasAptGet: false, hasSudo: false, hasBrew: false };

/** A runner that records every command and answers with the given exit statuses, in order. */
function recordingRunner(statuses: number[] = [], onRun: () => void = () => {}) {
  const calls: { command: string; args: string[]; env: Record<string, string> }[] = [];
  const run = async (command: string, args: string[], env: Record<string, string>) => {
    calls.push({ command, args, env });
    onRun();
    return statuses.shift() ?? 0;
  };
  return { calls, run };
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MissingPrerequisiteError);
    return (error as Error).message;
  }
  throw new Error('expected a MissingPrerequisiteError');
}

describe('the install command per platform', () => {
  it.each([
    [debianRoot, 'mysql', 'apt-get update && apt-get install -y mariadb-server'],
    [debianUser, 'mysql', 'sudo apt-get update && sudo apt-get install -y mariadb-server'],
    [macos, 'mysql', 'brew install mariadb'],
    [debianRoot, 'chromium', 'apt-get update && apt-get install -y chromium'],
    [debianUser, 'chromium', 'sudo apt-get update && sudo apt-get install -y chromium'],
    [macos, 'chromium', 'brew install --cask chromium'],
  ] as const)('%o, %s → %s', (platform, name, command) => {
    expect(installCommand(PREREQUISITES[name], platform)).toBe(command);
  });

  it('has no single command on other systems', () => {
    expect(installCommand(PREREQUISITES.mysql, other)).toBeUndefined();
  });
});

describe('ensurePrerequisite', () => {
  it('does nothing when the program is already there', async () => {
    const { calls, run } = recordingRunner();
    await ensurePrerequisite(PREREQUISITES.mysql, {
      isPresent: () => true,
      platform: debianRoot,
      run,
      log: () => {},
    });
    expect(calls).toEqual([]);
  });

  it('as root on Debian: prints the exact command, runs apt-get update then install, non-interactively', async () => {
    let installed = false;
    const { calls, run } = recordingRunner([0, 0], () => {
      installed = calls.length === 2;
    });
    const lines: string[] = [];
    await ensurePrerequisite(PREREQUISITES.mysql, {
      isPresent: () => installed,
      platform: debianRoot,
      run,
      log: (line) => lines.push(line),
    });
    expect(calls.map((c) => [c.command, ...c.args].join(' '))).toEqual([
      'apt-get update',
      'apt-get install -y mariadb-server',
    ]);
    expect(calls.every((c) => c.env.DEBIAN_FRONTEND === 'noninteractive')).toBe(true);
    expect(lines[0]).toContain('installing it now: apt-get update && apt-get install -y mariadb-server');
    expect(lines.at(-1)).toContain('installed');
  });

  it('installs chromium the same way', async () => {
    let installed = false;
    const { calls, run } = recordingRunner([0, 0], () => {
      installed = calls.length === 2;
    });
    await ensurePrerequisite(PREREQUISITES.chromium, {
      isPresent: () => installed,
      platform: debianRoot,
      run,
      log: () => {},
    });
    expect(calls.at(-1)?.args).toEqual(['install', '-y', 'chromium']);
  });

  it('stops at a failing apt-get step and says which, with the command to retry', async () => {
    const { calls, run } = recordingRunner([0, 100]);
    const message = await failure(
      ensurePrerequisite(PREREQUISITES.mysql, {
        isPresent: () => false,
        platform: debianRoot,
        run,
        log: () => {},
      }),
    );
    expect(calls).toHaveLength(2);
    expect(message).toContain('`apt-get install -y mariadb-server` failed (exit 100)');
    expect(message).toContain('apt-get update && apt-get install -y mariadb-server');
  });

  it('fails when apt-get succeeded but the program is still missing', async () => {
    const { run } = recordingRunner([0, 0]);
    const message = await failure(
      ensurePrerequisite(PREREQUISITES.mysql, {
        isPresent: () => false,
        platform: debianRoot,
        run,
        log: () => {},
      }),
    );
    expect(message).toContain('mariadb-server was installed but mariadbd/mysqld is still not found');
  });

  it.each([
    [debianUser, 'sudo apt-get update && sudo apt-get install -y mariadb-server'],
    [macos, 'brew install mariadb'],
  ])('without root (%o) it runs nothing and names the one command', async (platform, command) => {
    const { calls, run } = recordingRunner();
    const message = await failure(
      ensurePrerequisite(PREREQUISITES.mysql, { isPresent: () => false, platform, run, log: () => {} }),
    );
    expect(calls).toEqual([]);
    expect(message).toContain(`Install it with:\n  ${command}`);
    expect(message).toContain('MYSQL_URL');
  });

  it('root without apt-get (not Debian) also runs nothing', async () => {
    const { calls, run } = recordingRunner();
    const message = await failure(
      ensurePrerequisite(PREREQUISITES.chromium, {
        isPresent: () => false,
        platform: { ...other, root: true },
        run,
        log: () => {},
      }),
    );
    expect(calls).toEqual([]);
    expect(message).toContain('apt-get install -y chromium');
    expect(message).toContain('brew install --cask chromium');
  });
});
