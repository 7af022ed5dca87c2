// tools/dev-vars.mjs: a .dev.vars written before wrangler.toml's top level became production gets the
// development values that moved out of wrangler.toml, without losing or overwriting anything.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDevVars, parseDevVars } from '../../tools/dev-vars.mjs';

const EXAMPLE = readFileSync(join(import.meta.dirname, '..', '..', '.dev.vars.example'), 'utf8');
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'stackpay-dev-vars-'));
  writeFileSync(join(root, '.dev.vars.example'), EXAMPLE);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('loadDevVars', () => {
  it('creates .dev.vars from the example, with the development APP_ENV and base URL', () => {
    const vars = loadDevVars({ root, log: () => {} });
    expect(vars).toMatchObject({ APP_ENV: 'development', PUBLIC_BASE_URL: 'http://127.0.0.1:8787' });
    expect(readFileSync(join(root, '.dev.vars'), 'utf8')).toBe(EXAMPLE);
  });

  it('adds the moved development settings to an older .dev.vars, keeping the values it has', () => {
    writeFileSync(
      join(root, '.dev.vars'),
      'JWT_SECRET=mine-0123456789abcdef0123456789abcdef\nMAIL_FROM=me@example.com\n',
    );
    const lines: string[] = [];
    const vars = loadDevVars({ root, log: (line: string) => lines.push(line) });
    expect(vars).toMatchObject({
      JWT_SECRET: 'mine-0123456789abcdef0123456789abcdef',
      MAIL_FROM: 'me@example.com',
      APP_ENV: 'development',
      PUBLIC_BASE_URL: 'http://127.0.0.1:8787',
    });
    expect(lines).toEqual(['added APP_ENV, PUBLIC_BASE_URL to .dev.vars from .dev.vars.example']);
    // What wrangler dev reads from the file afterwards is the same.
    expect(parseDevVars(readFileSync(join(root, '.dev.vars'), 'utf8'))).toEqual(vars);
    // A second load changes nothing.
    const before = readFileSync(join(root, '.dev.vars'), 'utf8');
    loadDevVars({ root, log: () => {} });
    expect(readFileSync(join(root, '.dev.vars'), 'utf8')).toBe(before);
  });
});
