import { appendFileSync, copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

/**
 * Parses a dotenv-style file (KEY=value, # comments, optional quotes).
 * @param {string} text
 */
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

/**
 * Development values that used to sit in wrangler.toml's [vars]; its top level is production now, so a
 * .dev.vars written before that move gets them from the example (added, never overwritten).
 */
export const DEV_ONLY_SETTINGS = ['APP_ENV', 'PUBLIC_BASE_URL', 'MAIL_FROM'];

/** Loads .dev.vars, creating it from .dev.vars.example first when it is missing. */
export function loadDevVars({ log = console.log, root = REPO_ROOT } = {}) {
  const path = join(root, '.dev.vars');
  const examplePath = join(root, '.dev.vars.example');
  if (!existsSync(path)) {
    copyFileSync(examplePath, path);
    log('created .dev.vars from .dev.vars.example');
  }
  const vars = parseDevVars(readFileSync(path, 'utf8'));
  const example = parseDevVars(readFileSync(examplePath, 'utf8'));
  const missing = DEV_ONLY_SETTINGS.filter((key) => !(key in vars) && key in example);
  if (missing.length > 0) {
    const lines = missing.map((key) => `${key}=${JSON.stringify(example[key])}`);
    appendFileSync(
      path,
      `\n# Added by npm run dev (development values; wrangler.toml is production)\n${lines.join('\n')}\n`,
    );
    log(`added ${missing.join(', ')} to .dev.vars from .dev.vars.example`);
    for (const key of missing) vars[key] = /** @type {string} */ (example[key]);
  }
  return vars;
}
