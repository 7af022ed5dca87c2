// The two ways to run a generator of committed data (tools/passwords.mjs, tools/phone-metadata.mjs): write the file,
// or with --check exit 1 when the committed file differs from what the generator would write.
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * @param {string} file
 * @param {string} expected the file's text as the generator renders it
 * @param {string} howToRegenerate the command that rewrites it, for the --check message
 */
export function writeOrCheck(file, expected, howToRegenerate) {
  if (process.argv.includes('--check')) {
    let actual = '';
    try {
      actual = readFileSync(file, 'utf8');
    } catch {
      // A missing file is reported as a difference below.
    }
    if (actual !== expected) {
      console.error(`${file} differs from its source; run ${howToRegenerate}`);
      process.exit(1);
    }
    console.log(`${file} is up to date`);
    return;
  }
  writeFileSync(file, expected);
  console.log(`wrote ${file}`);
}
