#!/usr/bin/env node
/**
 * `npm run bench:bundle` — what the Worker costs before it serves anything:
 *   1. size: `wrangler deploy --dry-run --outdir <tmp> --metafile`, total and gzipped (the gzip figure is what
 *      Cloudflare's size limit counts), and the largest contributors from esbuild's metafile;
 *   2. startup: `wrangler check startup` on the same build, a V8 CPU profile of the Worker's startup phase
 *      (module evaluation: everything at the top level), run STARTUP_RUNS times, median;
 *   3. cold start: a fresh workerd (wrangler's `unstable_startWorker`, no inspector) started on the bundle
 *      until its first `GET /health/live` answer, against the same for a trivial Worker with the same
 *      bindings; the difference is what this bundle adds to a cold start on this machine.
 * Measures the last commit (a `git archive HEAD` export) unless --working-tree. Writes nothing to the
 * repository; prints a summary (and JSON with --json).
 */

import { createReadStream, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { runCommand } from './procs.mjs';
import {
  buildWorker,
  makeWorkDir,
  prepareSource,
  QUIET_WRANGLER_ENV,
  readLocalVars,
  wranglerArgs,
  writeEnvFile,
} from './stack.mjs';

const COLD_RUNS = 3;
const COLD_TIMEOUT_MS = 60_000;

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'working-tree': { type: 'boolean', default: false },
    // Startup profiles to take (median reported); cold starts are the slowest part, --no-cold skips them.
    runs: { type: 'string', default: '5' },
    'no-cold': { type: 'boolean', default: false },
    // Commits to compare side by side (sizes and interleaved startup profiles), e.g. --compare main,HEAD.
    compare: { type: 'string' },
  },
});
const STARTUP_RUNS = Math.max(1, Number.parseInt(args.runs ?? '5', 10) || 5);

// Progress goes to stderr, so --json prints nothing but the JSON on stdout.
const log = (/** @type {string} */ message) => console.error(`[bench:bundle] ${message}`);
const median = (/** @type {number[]} */ values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? /** @type {number} */ (sorted[mid])
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const kib = (/** @type {number} */ bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

/** @param {string} file */
function gzipSize(file) {
  return new Promise((resolve, reject) => {
    let size = 0;
    createReadStream(file)
      .pipe(createGzip({ level: 9 }))
      .on('data', (chunk) => {
        size += chunk.length;
      })
      .on('end', () => resolve(size))
      .on('error', reject);
  });
}

/**
 * Bytes in the output per package (node_modules/<name>) or per src/ folder.
 * @param {string} metafile
 */
function contributors(metafile) {
  const meta = JSON.parse(readFileSync(metafile, 'utf8'));
  /** @type {Map<string, number>} */
  const byOwner = new Map();
  for (const output of Object.values(meta.outputs ?? {})) {
    for (const [input, info] of Object.entries(
      /** @type {{ inputs?: Record<string, { bytesInOutput: number }> }} */ (output).inputs ?? {},
    )) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const owner = match
        ? match[1]
        : input.startsWith('src/')
          ? input.split('/').slice(0, 2).join('/')
          : input;
      byOwner.set(
        /** @type {string} */ (owner),
        (byOwner.get(/** @type {string} */ (owner)) ?? 0) + info.bytesInOutput,
      );
    }
  }
  return [...byOwner.entries()].sort((a, b) => b[1] - a[1]);
}

/** @param {string} output wrangler check startup's report */
function parseStartup(output) {
  const active = /Active:\s*([\d.]+)\s*ms(?:\s*\(including\s*([\d.]+)\s*ms garbage collection\))?/.exec(
    output,
  );
  const window = /Profile window:\s*([\d.]+)\s*ms/.exec(output);
  if (!active) throw new Error(`could not read the startup profile summary:\n${output.slice(-800)}`);
  return {
    activeMs: Number(active[1]),
    gcMs: active[2] ? Number(active[2]) : null,
    windowMs: window ? Number(window[1]) : null,
  };
}

/**
 * Where the startup CPU went: every sample of the V8 profiles is charged to the source its innermost frame
 * comes from (the bundle's source map: a package under node_modules, or a src/ folder), self time, summed over
 * all runs and divided by the number of runs. Frames without a position are V8's own work: `(compile)` is the
 * bundle's top-level script before it runs (parsing and compiling), `(garbage collector)`, `(program)`.
 * @param {string[]} profiles .cpuprofile files
 * @param {string} mapFile the bundle's source map
 */
function startupByOwner(profiles, mapFile) {
  const map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')));
  /** @type {Map<string, number>} */
  const byOwner = new Map();
  for (const file of profiles) {
    /** @type {{ nodes: Array<{ id: number, callFrame: { functionName: string, url: string, lineNumber: number, columnNumber: number } }>, samples: number[], timeDeltas: number[] }} */
    const profile = JSON.parse(readFileSync(file, 'utf8'));
    /** @type {Map<number, string>} */
    const ownerOf = new Map();
    for (const node of profile.nodes) {
      const { functionName, url, lineNumber, columnNumber } = node.callFrame;
      let owner = functionName ? `(${functionName.replace(/^\(|\)$/g, '')})` : '(anonymous, no position)';
      if (url && lineNumber < 0) owner = '(compile)';
      else if (url && lineNumber >= 0) {
        const entry = map.findEntry(lineNumber, columnNumber);
        const source = 'originalSource' in entry ? entry.originalSource : '';
        const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
        owner = match
          ? /** @type {string} */ (match[1])
          : /(?:^|\/)src\/([^/]+)/.test(source)
            ? `src/${/** @type {RegExpExecArray} */ (/(?:^|\/)src\/([^/]+)/.exec(source))[1]}`
            : source || '(unmapped)';
      }
      ownerOf.set(node.id, owner);
    }
    profile.samples.forEach((id, index) => {
      // timeDeltas[i + 1] is the time until the next sample: the time spent in sample i.
      const ms = (profile.timeDeltas[index + 1] ?? 0) / 1000 / profiles.length;
      const owner = ownerOf.get(id) ?? '(unknown)';
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + ms);
    });
  }
  byOwner.delete('(idle)');
  return [...byOwner.entries()].sort((a, b) => b[1] - a[1]);
}

/**
 * Starts a fresh workerd on `entry` (wrangler.toml's bindings, no inspector, no watching) and times it to
 * its first answer.
 * @param {string} entry
 * @param {string} persistTo
 * @param {string} envFile
 * @param {string} root source directory holding wrangler.toml
 */
async function coldStart(entry, persistTo, envFile, root) {
  const { unstable_startWorker } = await import('wrangler');
  const started = performance.now();
  const worker = await unstable_startWorker({
    config: join(root, 'wrangler.toml'),
    entrypoint: entry,
    envFiles: [envFile],
    build: { bundle: false },
    dev: {
      server: { hostname: '127.0.0.1', port: 0 },
      inspector: false,
      persist: persistTo,
      logLevel: 'error',
      watch: false,
    },
  });
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  try {
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the Worker did not start within ${COLD_TIMEOUT_MS / 1000} s`)),
        COLD_TIMEOUT_MS,
      );
    });
    await Promise.race([worker.ready, timeout]);
    const url = await worker.url;
    const ready = performance.now();
    const first = await fetch(new URL('/health/live', url), { signal: AbortSignal.timeout(COLD_TIMEOUT_MS) });
    await first.arrayBuffer();
    const firstAnswer = performance.now();
    const second = await fetch(new URL('/health/live', url));
    await second.arrayBuffer();
    const warm = performance.now() - firstAnswer;
    return {
      readyMs: ready - started,
      firstRequestMs: firstAnswer - ready,
      totalMs: firstAnswer - started,
      warmMs: warm,
      status: first.status,
    };
  } finally {
    clearTimeout(timer);
    await worker.dispose();
  }
}

/**
 * The upload `wrangler deploy` would make (outdir + metafile, for sizes and the source map) and the same build
 * as one bundle file for `wrangler check startup`.
 * @param {import('./stack.mjs').Source} source
 * @param {string} dir
 */
async function buildBoth(source, dir) {
  const build = await buildWorker(join(dir, 'build'), source.root);
  const reported = /Total Upload:\s*([\d.]+ KiB)\s*\/\s*gzip:\s*([\d.]+ KiB)/.exec(build.output);
  const bundleFile = join(dir, 'worker.bundle');
  const [command, bundleArgs] = wranglerArgs(['deploy', '--dry-run', '--outfile', bundleFile]);
  await runCommand(command, bundleArgs, {
    cwd: source.root,
    env: { ...process.env, ...QUIET_WRANGLER_ENV },
  });
  return { build, reported, bundleFile, map: join(build.outdir, 'index.js.map') };
}

/**
 * One `wrangler check startup` of a bundle file, its profile written to `outfile`.
 * @param {string} root
 * @param {string} bundleFile
 * @param {string} outfile
 */
async function profileStartup(root, bundleFile, outfile) {
  const [cmd, checkArgs] = wranglerArgs(['check', 'startup', '--worker', bundleFile, '--outfile', outfile]);
  const { stdout, stderr } = await runCommand(cmd, checkArgs, {
    cwd: root,
    env: { ...process.env, ...QUIET_WRANGLER_ENV },
  });
  return parseStartup(`${stdout}\n${stderr}`);
}

/**
 * `--compare ref1,ref2,…`: builds each commit and profiles their startups interleaved (one run of each, then
 * again), so every commit sees the same machine load; prints one row per commit. This is how the "Cold start"
 * table of docs/benchmarks.md is made.
 * @param {string} workDir
 * @param {string[]} refs
 */
async function compare(workDir, refs) {
  const rows = [];
  for (const ref of refs) {
    const source = prepareSource(workDir, false, ref);
    log(`building ${source.label}…`);
    const built = await buildBoth(source, join(workDir, `build-${source.commit}`));
    rows.push({ ref, source, ...built, startups: /** @type {ReturnType<typeof parseStartup>[]} */ ([]) });
  }
  log(`profiling startup ${STARTUP_RUNS}× per commit, interleaved…`);
  for (let run = 0; run < STARTUP_RUNS; run += 1) {
    for (const row of rows) {
      const outfile = join(workDir, `startup-${row.source.commit}-${run}.cpuprofile`);
      row.startups.push(await profileStartup(row.source.root, row.bundleFile, outfile));
    }
  }
  const results = rows.map((row) => {
    const active = row.startups.map((s) => s.activeMs);
    const owners = startupByOwner(
      row.startups.map((_, run) => join(workDir, `startup-${row.source.commit}-${run}.cpuprofile`)),
      row.map,
    );
    return {
      ref: row.ref,
      commit: row.source.commit,
      upload: row.reported?.[1] ?? null,
      gzip: row.reported?.[2] ?? null,
      medianActiveMs: median(active),
      minActiveMs: Math.min(...active),
      runs: active,
      selfMsByOwner: owners.slice(0, 8).map(([owner, ms]) => ({ owner, ms: Math.round(ms * 10) / 10 })),
    };
  });
  if (args.json) {
    console.log(JSON.stringify({ date: new Date().toISOString(), runs: STARTUP_RUNS, results }, null, 2));
    return;
  }
  console.log(`
Upload and startup per commit (wrangler deploy --dry-run; wrangler check startup ${STARTUP_RUNS}× each, interleaved)
| Commit | Upload | Gzip | Startup median ms | min ms | Top startup self time (ms per run) |
|---|---:|---:|---:|---:|---|
${results
  .map(
    (r) =>
      `| ${r.commit} | ${r.upload} | ${r.gzip} | ${r.medianActiveMs.toFixed(0)} | ${r.minActiveMs.toFixed(0)} | ${r.selfMsByOwner
        .slice(0, 5)
        .map((o) => `${o.owner} ${o.ms.toFixed(0)}`)
        .join(', ')} |`,
  )
  .join('\n')}
`);
}

async function main() {
  // The in-process cold starts (unstable_startWorker) read these from this process's environment.
  Object.assign(process.env, QUIET_WRANGLER_ENV);
  const workDir = makeWorkDir();
  try {
    if (args.compare) {
      await compare(workDir, args.compare.split(',').filter(Boolean));
      return;
    }
    const source = prepareSource(workDir, args['working-tree']);
    log(`building ${source.label} (wrangler deploy --dry-run)…`);
    const { build, reported, bundleFile, map } = await buildBoth(source, workDir);
    const bytes = statSync(build.entry).size;
    const gzip = /** @type {number} */ (await gzipSize(build.entry));
    const metafile = join(build.outdir, 'bundle-meta.json');
    const top = contributors(metafile).slice(0, 10);

    log(`profiling startup ${STARTUP_RUNS}× (wrangler check startup)…`);
    const startups = [];
    for (let run = 0; run < STARTUP_RUNS; run += 1) {
      startups.push(
        await profileStartup(source.root, bundleFile, join(workDir, `startup-${run}.cpuprofile`)),
      );
    }

    /** @type {Array<Awaited<ReturnType<typeof coldStart>>>} */
    const ours = [];
    /** @type {Array<Awaited<ReturnType<typeof coldStart>>>} */
    const baseline = [];
    if (!args['no-cold']) {
      log(`cold starts ${COLD_RUNS}× each: this bundle and a trivial Worker with the same bindings…`);
      const trivial = join(workDir, 'trivial.js');
      writeFileSync(
        trivial,
        `import { DurableObject } from 'cloudflare:workers';
export class RateLimiter extends DurableObject {}
export default {
  fetch: () => Response.json({ status: 'ok' }),
  queue: () => {},
  scheduled: () => {},
};
`,
      );
      const envFile = writeEnvFile(join(workDir, 'bundle.env'), readLocalVars());
      for (let run = 0; run < COLD_RUNS; run += 1) {
        baseline.push(await coldStart(trivial, join(workDir, `state-t${run}`), envFile, source.root));
        ours.push(await coldStart(build.entry, join(workDir, `state-w${run}`), envFile, source.root));
      }
    }
    const startupOwners = startupByOwner(
      startups.map((_, run) => join(workDir, `startup-${run}.cpuprofile`)),
      map,
    );

    const summary = {
      date: new Date().toISOString(),
      source: source.label,
      size: {
        bytes,
        gzipBytes: gzip,
        wranglerReported: reported ? { total: reported[1], gzip: reported[2] } : null,
        largest: top.map(([owner, size]) => ({ owner, bytes: size })),
      },
      startupProfile: {
        runs: startups,
        medianActiveMs: median(startups.map((s) => s.activeMs)),
        medianGcMs: median(startups.map((s) => s.gcMs ?? 0)),
        selfMsByOwner: startupOwners.map(([owner, ms]) => ({ owner, ms: Math.round(ms * 10) / 10 })),
      },
      coldStart: {
        bundle: {
          medianTotalMs: median(ours.map((r) => r.totalMs)),
          medianFirstRequestMs: median(ours.map((r) => r.firstRequestMs)),
          medianWarmMs: median(ours.map((r) => r.warmMs)),
          runs: ours,
        },
        trivial: {
          medianTotalMs: median(baseline.map((r) => r.totalMs)),
          medianFirstRequestMs: median(baseline.map((r) => r.firstRequestMs)),
          runs: baseline,
        },
      },
    };
    const added = summary.coldStart.bundle.medianTotalMs - summary.coldStart.trivial.medianTotalMs;

    if (args.json) {
      console.log(JSON.stringify(summary, null, 2));
      return;
    }
    const coldText = args['no-cold']
      ? 'Cold start: skipped (--no-cold)'
      : `Cold start (fresh workerd until the first GET /health/live answer, median of ${COLD_RUNS}, this machine)
  this bundle         ${summary.coldStart.bundle.medianTotalMs.toFixed(0)} ms   (first request ${summary.coldStart.bundle.medianFirstRequestMs.toFixed(1)} ms, next one ${summary.coldStart.bundle.medianWarmMs.toFixed(1)} ms)
  trivial Worker      ${summary.coldStart.trivial.medianTotalMs.toFixed(0)} ms   (first request ${summary.coldStart.trivial.medianFirstRequestMs.toFixed(1)} ms)
  added by the bundle ${added.toFixed(0)} ms   (includes wrangler's local setup, identical for both; only the difference is the bundle's)`;
    console.log(`
Bundle of ${source.label} (wrangler deploy --dry-run, what \`wrangler deploy\` would upload)
  upload (all modules) ${reported ? `${reported[1]}, gzip ${reported[2]}   <- the figure of issue 18 (target <= 250 KiB gzip)` : 'not reported by wrangler'}
  index.js            ${kib(bytes)}   gzip -9: ${kib(gzip)}
  Cloudflare limits   3 MiB gzipped on Free, 10 MiB on paid plans (compressed size counts)
  Largest contributors to index.js (bytes in the output):
${top.map(([owner, size]) => `    ${owner.padEnd(34)} ${kib(size).padStart(11)}  ${((size / bytes) * 100).toFixed(1).padStart(5)} %`).join('\n')}

Startup (wrangler check startup: V8 CPU profile of the Worker's startup phase, median of ${STARTUP_RUNS})
  active CPU          ${summary.startupProfile.medianActiveMs.toFixed(1)} ms (of which GC ${summary.startupProfile.medianGcMs.toFixed(1)} ms)   runs: ${startups.map((s) => s.activeMs.toFixed(0)).join(', ')} ms   <- target <= 30 ms
  This is module evaluation (everything at the top level of the bundle), the phase Cloudflare's startup-time
  limit applies to; \`wrangler deploy\` prints Cloudflare's own measurement after an upload.
  Where it went (self time of the innermost frame, mapped through the source map; mean per run):
${startupOwners
  .slice(0, 12)
  .map(([owner, ms]) => `    ${owner.padEnd(34)} ${ms.toFixed(1).padStart(7)} ms`)
  .join('\n')}

${coldText}
`);
  } finally {
    if (args.keep) log(`kept ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`[bench:bundle] ${error instanceof Error ? (error.stack ?? error.message) : error}`);
  process.exitCode = 1;
});
