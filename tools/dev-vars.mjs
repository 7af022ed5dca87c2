import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

/** Parses a dotenv-style file (KEY=value, # comments, optional quotes). */
export function parseDevVars(text) {
  /** @type {Record<string, string>} */
  const vars = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 1) continue;
    let value = line.slice(eq + 1).trim();
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    vars[line.slice(0, eq).trim()] = value;
  }
  return vars;
}

/** Loads .dev.vars, creating it from .dev.vars.example first when it is missing. */
export function loadDevVars({ log = console.log } = {}) {
  const path = join(REPO_ROOT, '.dev.vars');
  if (!existsSync(path)) {
    copyFileSync(join(REPO_ROOT, '.dev.vars.example'), path);
    log('created .dev.vars from .dev.vars.example');
  }
  return parseDevVars(readFileSync(path, 'utf8'));
}
