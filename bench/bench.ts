/*
 * `npm run bench`: what the action costs a job, measured on the bundled action under
 * the runner emulation on 127.0.0.1. Prints a table and writes .bench/results.json.
 *   node bench/bench.ts [--action-dir DIR] [--runs N] [--skip-brownout]
 * --action-dir measures another checkout's dist/ (e.g. an older commit) for comparison.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulation, type Emulation } from '../emulator/emulation.ts';
import { platformEnv, REPO_ROOT, type StepResult } from '../emulator/runner.ts';

const { values: args } = parseArgs({
  options: {
    'action-dir': { type: 'string' },
    runs: { type: 'string', default: '15' },
    'skip-brownout': { type: 'boolean', default: false }
  }
});
const actionDir = args['action-dir'] ?? REPO_ROOT;
const RUNS = Number(args.runs);
const results: Record<string, unknown> = { actionDir, node: process.version, date: new Date().toISOString() };
const rows: [string, string][] = [];
const record = (key: string, label: string, value: unknown, shown: string): void => {
  results[key] = value;
  rows.push([label, shown]);
};

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const median =
    sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]!
      : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return { median: round(median), min: round(sorted[0]!), max: round(sorted.at(-1)!), runs: values.length };
};
const round = (value: number): number => Math.round(value * 10) / 10;
const show = (s: { median: number; min: number; max: number }, unit = 'ms') =>
  `${s.median} ${unit} (min ${s.min}, max ${s.max})`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB (${bytes} B)`;

function bytesOf(dir: string, filter: (name: string) => boolean): number {
  return readdirSync(dir)
    .filter(filter)
    .reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

function downloadSize(): { tarBytes: number; gzipBytes: number; files: number } {
  // What the runner fetches: the repository archive, which honours .gitattributes export-ignore.
  const tar = execFileSync('git', ['archive', '--format=tar', 'HEAD'], { cwd: actionDir, maxBuffer: 1 << 30 });
  const listing = execFileSync('tar', ['-t'], { input: tar, encoding: 'utf8', maxBuffer: 1 << 30 });
  const files = listing.split('\n').filter((path) => path && !path.endsWith('/')).length;
  return { tarBytes: tar.length, gzipBytes: gzipSync(tar).length, files };
}

async function spawnWall(command: string, args: string[]): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore', env: platformEnv() });
    child.on('error', reject);
    child.on('close', () => resolve());
  });
  return performance.now() - started;
}

async function withEmulation<T>(fn: (emulation: Emulation) => Promise<T>): Promise<T> {
  const emulation = await startEmulation();
  try {
    return await fn(emulation);
  } finally {
    await emulation.close();
  }
}

function expectSuccess(step: StepResult, what: string): void {
  if (step.exitCode !== 0) throw new Error(`${what} failed (exit ${step.exitCode}): ${step.log.join(' | ')}`);
}

// 1. Sizes
const mainBytes = bytesOf(join(actionDir, 'dist/main'), (name) => name.endsWith('.js'));
const postBytes = bytesOf(join(actionDir, 'dist/post'), (name) => name.endsWith('.js'));
record('mainBundleBytes', 'main bundle (all .js in dist/main)', mainBytes, kb(mainBytes));
record('postBundleBytes', 'post bundle (all .js in dist/post)', postBytes, kb(postBytes));
const download = downloadSize();
record(
  'download',
  'download (git archive HEAD)',
  download,
  `${kb(download.tarBytes)} tar, ${kb(download.gzipBytes)} gzipped, ${download.files} files`
);

// 2. Start-up and wall times
const bare: number[] = [];
for (let run = 0; run < RUNS; run += 1) bare.push(await spawnWall(process.execPath, ['-e', '0']));
record('bareNodeMs', 'bare `node -e 0`', stats(bare), show(stats(bare)));

const rssFile = join(REPO_ROOT, '.bench', 'rss');
mkdirSync(join(REPO_ROOT, '.bench'), { recursive: true });
const timing = await withEmulation(async (emulation) => {
  const toFirstRequest: number[] = [];
  const mainWall: number[] = [];
  const postWall: number[] = [];
  const mainRss: number[] = [];
  const postRss: number[] = [];
  let requests = { oidc: 0, sts: 0 };
  for (let run = 0; run < RUNS; run += 1) {
    const job = emulation.job({ actionDir, wrapper: ['/usr/bin/time', '-f', '%M', '-o', rssFile] });
    const before = { oidc: emulation.issuer.tokenRequests.length, sts: emulation.sts.requests.length };
    const main = await job.uses(emulation.inputs());
    expectSuccess(main, 'main');
    mainRss.push(Number(readFileSync(rssFile, 'utf8').trim()) / 1024);
    toFirstRequest.push(emulation.issuer.tokenRequests[before.oidc]!.at - main.startedAt);
    mainWall.push(main.durationMs);
    requests = {
      oidc: emulation.issuer.tokenRequests.length - before.oidc,
      sts: emulation.sts.requests.length - before.sts
    };
    const [post] = await job.runPosts();
    expectSuccess(post!, 'post');
    postRss.push(Number(readFileSync(rssFile, 'utf8').trim()) / 1024);
    postWall.push(post!.durationMs);
  }
  return { toFirstRequest, mainWall, postWall, mainRss, postRss, requests };
});
// Wall times here are measured without the RSS wrapper's own start (it execs node directly).
const bareMedian = stats(bare).median;
record(
  'mainToFirstRequestMs',
  'main: start to first request',
  stats(timing.toFirstRequest),
  `${show(stats(timing.toFirstRequest))}; bare node + ${round(stats(timing.toFirstRequest).median - bareMedian)} ms`
);
record(
  'postStartupMs',
  'post: start to exit',
  stats(timing.postWall),
  `${show(stats(timing.postWall))}; bare node + ${round(stats(timing.postWall).median - bareMedian)} ms`
);
record('mainWallMs', 'main: wall time (happy path)', stats(timing.mainWall), show(stats(timing.mainWall)));
record('postWallMs', 'post: wall time', stats(timing.postWall), show(stats(timing.postWall)));
record('mainPeakRssMiB', 'main: peak RSS', stats(timing.mainRss), show(stats(timing.mainRss), 'MiB'));
record('postPeakRssMiB', 'post: peak RSS', stats(timing.postRss), show(stats(timing.postRss), 'MiB'));
record(
  'happyPathRequests',
  'requests on the happy path',
  timing.requests,
  `${timing.requests.oidc} to the token service, ${timing.requests.sts} to STS`
);

// 3. Time to fail on AccessDenied
const denied = await withEmulation(async (emulation) => {
  emulation.sts.roles.forEach((role) => (role.trust = { StringEquals: { 'x:sub': 'repo:someone-else/*' } }));
  const walls: number[] = [];
  for (let run = 0; run < 5; run += 1) {
    const main = await emulation.job({ actionDir }).uses(emulation.inputs());
    if (main.exitCode !== 1) throw new Error('AccessDenied run did not fail');
    walls.push(main.durationMs);
  }
  return { walls, stsRequests: emulation.sts.requests.length / 5 };
});
record(
  'accessDeniedMs',
  'time to fail on AccessDenied',
  { ...stats(denied.walls), stsRequestsPerRun: denied.stsRequests },
  `${show(stats(denied.walls))}, ${denied.stsRequests} STS request per run`
);

// 4. A matrix of 100 jobs against an STS that admits 20 requests a second. The same
// 100 processes without a rate limit show what this machine's cores alone allow.
const runMatrix = (ratePerSecond: number | undefined) =>
  withEmulation(async (emulation) => {
    if (ratePerSecond) emulation.sts.ratePerSecond = ratePerSecond;
    const started = performance.now();
    const finished: number[] = [];
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const main = await emulation.job({ actionDir }).uses(emulation.inputs());
        if (main.exitCode === 0) finished.push(performance.now() - started);
        return main.exitCode === 0;
      })
    );
    const throttled = emulation.sts.requests.filter((request) => request.code === 'Throttling').length;
    return {
      succeeded: outcomes.filter(Boolean).length,
      lastMs: Math.max(...finished),
      throttled,
      stsRequests: emulation.sts.requests.length
    };
  });
const floor = await runMatrix(undefined);
record(
  'matrixNoLimit',
  'matrix: 100 jobs, no rate limit',
  floor,
  `${floor.succeeded}/100 got credentials, last after ${(floor.lastMs / 1000).toFixed(1)} s (CPU floor of ${cpus().length} cores)`
);
const matrix = await runMatrix(20);
const bound = (100 / 20) * 1000;
record(
  'matrix',
  'matrix: 100 jobs, STS admits 20/s',
  { ...matrix, rateBoundMs: bound },
  `${matrix.succeeded}/100 got credentials, last after ${(matrix.lastMs / 1000).toFixed(1)} s (rate bound ${bound / 1000} s; ${(matrix.lastMs / bound).toFixed(2)}x), ${matrix.throttled} throttled of ${matrix.stsRequests} STS requests`
);

// 5. A 30-second STS brown-out
if (!args['skip-brownout']) {
  const brownout = await withEmulation(async (emulation) => {
    emulation.sts.unavailableUntil = Date.now() + 30_000;
    const main = await emulation.job({ actionDir }).uses(emulation.inputs());
    return {
      succeeded: main.exitCode === 0,
      wallMs: round(main.durationMs),
      stsRequests: emulation.sts.requests.length
    };
  });
  record(
    'brownout30s',
    'a 30 s STS brown-out (503s)',
    brownout,
    `${brownout.succeeded ? 'credentials' : 'FAILED'} after ${(brownout.wallMs / 1000).toFixed(1)} s, ${brownout.stsRequests} STS requests`
  );
}

const width = Math.max(...rows.map(([label]) => label.length));
console.log(`Benchmark of ${actionDir} on Node ${process.version} (${RUNS} runs where repeated)`);
for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`);
const out = join(REPO_ROOT, '.bench', 'results.json');
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`Wrote ${out}`);
