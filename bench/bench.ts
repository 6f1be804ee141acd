/*
 * `npm run bench`: what the action costs a job, measured on the bundled action under the
 * runner emulation. Prints a table and writes .bench/results-<profile>.json.
 *   node bench/bench.ts [--profile realistic|loopback] [--token-rtt MS] [--sts-rtt MS]
 *                       [--action-dir DIR] [--rounds N] [--quick] [--skip-brownout] [--cpu-prof]
 * --profile: the network between the action and its services (see bench/conditions.ts).
 * --action-dir: measure another action's checkout beside ours (e.g. the incumbent, or an
 *   older commit in a git worktree), alternating runs, and print the ratios ours/theirs.
 * --quick: only the side-by-side rounds (no AccessDenied, matrix or brown-out).
 * --cpu-prof: one more run of our main under node --cpu-prof, summed per script.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { gzipSync } from 'node:zlib';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { actionEntries, platformEnv, REPO_ROOT, type StepResult } from '../emulator/runner.ts';
import { describeProfile, withSetting, type Profile, type Setting } from './conditions.ts';
import { selfTimeByScript } from './cpu-profile.ts';
import { round, showRatio, showSpread, spread } from './stats.ts';
import { stepTimes, type StepTimes } from './timeline.ts';

const { values: args } = parseArgs({
  options: {
    profile: { type: 'string', default: 'realistic' },
    'token-rtt': { type: 'string', default: '60' },
    'sts-rtt': { type: 'string', default: '25' },
    'action-dir': { type: 'string' },
    rounds: { type: 'string', default: '15' },
    quick: { type: 'boolean', default: false },
    'skip-brownout': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false }
  }
});
if (args.profile !== 'loopback' && args.profile !== 'realistic') throw new Error('--profile is loopback or realistic');
const profile: Profile = {
  name: args.profile,
  rttMs:
    args.profile === 'loopback'
      ? { token: 0, sts: 0 }
      : { token: Number(args['token-rtt']), sts: Number(args['sts-rtt']) }
};
const ROUNDS = Number(args.rounds);

interface Action {
  key: 'ours' | 'theirs';
  dir: string;
}
const actions: Action[] = [{ key: 'ours', dir: REPO_ROOT }];
if (args['action-dir']) actions.push({ key: 'theirs', dir: resolve(args['action-dir']) });
const theirs = actions.length > 1;

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
  loadAverageAtStart: round(loadavg()[0]!, 2)
};
const results: Record<string, unknown> = {
  profile,
  profileDescription: describeProfile(profile),
  machine,
  actions: Object.fromEntries(actions.map(({ key, dir }) => [key, dir])),
  date: new Date().toISOString()
};
/** Table rows: label, ours, theirs, ours/theirs. */
const rows: [string, string, string, string][] = [];
const record = (key: string, label: string, value: unknown, ours: string, other = '', ratio = ''): void => {
  results[key] = value;
  rows.push([label, ours, other, ratio]);
};
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

function bundleBytes(entry: string): number {
  const dir = dirname(entry);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.js'))
    .reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

function downloadSize(dir: string): { tarBytes: number; gzipBytes: number; files: number } | undefined {
  // What the runner fetches: the repository archive, which honours .gitattributes export-ignore.
  if (!existsSync(join(dir, '.git'))) return undefined;
  const tar = execFileSync('git', ['archive', '--format=tar', 'HEAD'], { cwd: dir, maxBuffer: 1 << 30 });
  const listing = execFileSync('tar', ['-t'], { input: tar, encoding: 'utf8', maxBuffer: 1 << 30 });
  const files = listing.split('\n').filter((path) => path && !path.endsWith('/')).length;
  return { tarBytes: tar.length, gzipBytes: gzipSync(tar).length, files };
}

async function spawnWall(command: string, commandArgs: string[]): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolveClose, reject) => {
    const child = spawn(command, commandArgs, { stdio: 'ignore', env: platformEnv() });
    child.on('error', reject);
    child.on('close', () => resolveClose());
  });
  return performance.now() - started;
}

function expectSuccess(step: StepResult, what: string): void {
  if (step.exitCode !== 0) throw new Error(`${what} failed (exit ${step.exitCode}): ${step.log.join(' | ')}`);
}

// 1. Sizes
const sizes = actions.map(({ dir }) => {
  const entries = actionEntries(dir);
  return { main: bundleBytes(entries.main), post: bundleBytes(entries.post), download: downloadSize(dir) };
});
const both = <T>(pick: (size: (typeof sizes)[number]) => T, show: (value: T) => string) =>
  sizes.map((size) => show(pick(size)));
const sizeRatio = (pick: (size: (typeof sizes)[number]) => number | undefined) =>
  theirs && pick(sizes[0]!) && pick(sizes[1]!) ? `${round(pick(sizes[0]!)! / pick(sizes[1]!)!, 2)}x` : '';
record(
  'mainBundleBytes',
  'main bundle (.js beside the entry)',
  sizes.map((s) => s.main),
  ...(both((s) => s.main, kb) as [string, string]),
  sizeRatio((s) => s.main)
);
record(
  'postBundleBytes',
  'post bundle (.js beside the entry)',
  sizes.map((s) => s.post),
  ...(both((s) => s.post, kb) as [string, string]),
  sizeRatio((s) => s.post)
);
record(
  'download',
  'download (git archive HEAD, gzipped)',
  sizes.map((s) => s.download),
  ...(both(
    (s) => s.download,
    (d) => (d ? `${kb(d.gzipBytes)}, ${d.files} files` : 'not a git checkout')
  ) as [string, string]),
  sizeRatio((s) => s.download?.gzipBytes)
);

// 2. Side by side: each round runs bare `node -e 0`, then every action's main and post,
// in an order that alternates between rounds, so drifting machine load hits all alike.
interface ActionRuns {
  main: StepTimes[];
  postWall: number[];
  mainRss: number[];
  postRss: number[];
}
const rssFile = join(REPO_ROOT, '.bench', 'rss');
mkdirSync(join(REPO_ROOT, '.bench'), { recursive: true });

async function runAction(setting: Setting, action: Action) {
  const job = setting.job({ actionDir: action.dir, wrapper: ['/usr/bin/time', '-f', '%M', '-o', rssFile] });
  const main = await job.uses(setting.inputs());
  expectSuccess(main, `${action.key} main`);
  const mainRss = Number(readFileSync(rssFile, 'utf8').trim()) / 1024;
  const times = stepTimes(main, setting.emulation.issuer.timeline, setting.emulation.sts.timeline);
  const [post] = await job.runPosts();
  expectSuccess(post!, `${action.key} post`);
  const postRss = Number(readFileSync(rssFile, 'utf8').trim()) / 1024;
  return { times, postWall: post!.durationMs, mainRss, postRss };
}

const sideBySide = await withSetting(profile, async (setting) => {
  // A first run of each warms the disk cache and lets the STS stub fetch the issuer's keys.
  for (const action of actions) await runAction(setting, action);
  const bare: number[] = [];
  const runs: Record<string, ActionRuns> = {};
  for (const { key } of actions) runs[key] = { main: [], postWall: [], mainRss: [], postRss: [] };
  for (let index = 0; index < ROUNDS; index += 1) {
    bare.push(await spawnWall(process.execPath, ['-e', '0']));
    for (const action of index % 2 ? [...actions].reverse() : actions) {
      const run = await runAction(setting, action);
      const into = runs[action.key]!;
      into.main.push(run.times);
      into.postWall.push(run.postWall);
      into.mainRss.push(run.mainRss);
      into.postRss.push(run.postRss);
    }
  }
  return { bare, runs };
});

const { bare, runs } = sideBySide;
const ours = runs.ours!;
const other = runs.theirs;
const perRound = (values: (round: number) => number) =>
  spread(
    Array.from({ length: ROUNDS }, (_, i) => values(i)),
    2
  );
record('bareNodeMs', 'bare `node -e 0`', spread(bare), showSpread(spread(bare)));

/** A figure for both actions, with the per-round ratio ours/theirs when asked. */
function compare(
  key: string,
  label: string,
  pick: (runs: ActionRuns, round: number) => number,
  ratio = true,
  unit = ' ms'
) {
  const values = (of: ActionRuns) => Array.from({ length: ROUNDS }, (_, i) => pick(of, i));
  const mine = spread(values(ours));
  const theirsSpread = other ? spread(values(other)) : undefined;
  const ratios = other && ratio ? perRound((i) => pick(ours, i) / pick(other, i)) : undefined;
  record(
    key,
    label,
    { ours: mine, ...(theirsSpread ? { theirs: theirsSpread } : {}), ...(ratios ? { ratio: ratios } : {}) },
    showSpread(mine, unit),
    theirsSpread ? showSpread(theirsSpread, unit) : '',
    ratios ? showRatio(ratios) : ''
  );
}
const milestone = (name: keyof StepTimes) => (of: ActionRuns, i: number) => Number(of.main[i]![name] ?? NaN);
compare('mainWallMs', 'main: wall time (happy path)', (of, i) => of.main[i]!.wallMs);
compare('mainWallToBare', 'main: wall ÷ bare node', (of, i) => of.main[i]!.wallMs / bare[i]!, false, 'x');
compare('mainNetworkWaitMs', 'main: emulated network waits', (of, i) => of.main[i]!.networkWaitMs, false);
compare('mainOwnMs', 'main: own time (wall − network waits)', (of, i) => of.main[i]!.ownMs);
compare('mainOwnAboveBareMs', 'main: own time − bare node', (of, i) => of.main[i]!.ownMs - bare[i]!, false);
compare('mainOwnToBare', 'main: own time ÷ bare node', (of, i) => of.main[i]!.ownMs / bare[i]!, false, 'x');
compare('mainTokenConnectMs', 'main: start → token connection opened', milestone('tokenConnect'), false);
compare('mainTokenRequestMs', 'main: start → token request arrives', milestone('tokenRequest'), false);
compare('mainTokenAnswerMs', 'main: start → token answered', milestone('tokenAnswer'), false);
compare('mainStsConnectMs', 'main: start → STS connection opened', milestone('stsConnect'), false);
compare('mainStsRequestMs', 'main: start → STS request arrives', milestone('stsRequest'), false);
compare('mainStsAnswerMs', 'main: start → last STS answer', milestone('stsAnswer'), false);
compare('postWallMs', 'post: wall time', (of, i) => of.postWall[i]!);
compare('postWallToBare', 'post: wall ÷ bare node', (of, i) => of.postWall[i]! / bare[i]!, false, 'x');
compare('mainPeakRssMiB', 'main: peak RSS', (of, i) => of.mainRss[i]!, true, ' MiB');
compare('postPeakRssMiB', 'post: peak RSS', (of, i) => of.postRss[i]!, true, ' MiB');
const traffic = (of: ActionRuns) => {
  const { connections, requests } = of.main.at(-1)!;
  return `token: ${connections.token} conn, ${requests.token} req; STS: ${connections.sts} conn, ${requests.sts} req`;
};
record(
  'happyPathTraffic',
  'main: connections and requests',
  Object.fromEntries(Object.entries(runs).map(([key, of]) => [key, of.main.at(-1)!.connections])),
  traffic(ours),
  other ? traffic(other) : ''
);

// 3. Where our main's CPU goes, from one run under --cpu-prof.
if (args['cpu-prof']) {
  const dir = join(REPO_ROOT, '.bench', `cpu-prof-${profile.name}`);
  rmSync(dir, { recursive: true, force: true });
  await withSetting(profile, async (setting) => {
    const job = setting.job({ env: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` } });
    expectSuccess(await job.uses(setting.inputs()), 'main under --cpu-prof');
  });
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))!;
  const { totalMs, parts } = selfTimeByScript(join(dir, file));
  record(
    'mainCpuProfile',
    'main: profiled time by script (self)',
    { totalMs, parts },
    `${round(totalMs)} ms: ${parts
      .slice(0, 7)
      .map(([name, ms]) => `${name} ${round(ms)}`)
      .join(', ')}`
  );
}

if (!args.quick) {
  // 4. Time to fail on AccessDenied
  const denied = await withSetting(profile, async (setting) => {
    setting.emulation.sts.roles.forEach((role) => (role.trust = { StringEquals: { 'x:sub': 'repo:someone-else/*' } }));
    const walls: number[] = [];
    for (let run = 0; run < 5; run += 1) {
      const main = await setting.job().uses(setting.inputs());
      if (main.exitCode !== 1) throw new Error('AccessDenied run did not fail');
      walls.push(main.durationMs);
    }
    return { walls, stsRequests: setting.emulation.sts.requests.length / 5 };
  });
  record(
    'accessDeniedMs',
    'time to fail on AccessDenied',
    { ...spread(denied.walls), stsRequestsPerRun: denied.stsRequests },
    `${showSpread(spread(denied.walls))}, ${denied.stsRequests} STS request per run`
  );

  // 5. A matrix of 100 jobs against an STS that admits 20 requests a second. The same
  // 100 processes without a rate limit show what this machine's cores alone allow.
  const runMatrix = (ratePerSecond: number | undefined) =>
    withSetting(profile, async (setting) => {
      if (ratePerSecond) setting.emulation.sts.ratePerSecond = ratePerSecond;
      const started = performance.now();
      const finished: number[] = [];
      const outcomes = await Promise.all(
        Array.from({ length: 100 }, async () => {
          const main = await setting.job().uses(setting.inputs());
          if (main.exitCode === 0) finished.push(performance.now() - started);
          return main.exitCode === 0;
        })
      );
      const { requests } = setting.emulation.sts;
      return {
        succeeded: outcomes.filter(Boolean).length,
        lastMs: Math.max(...finished),
        throttled: requests.filter((request) => request.code === 'Throttling').length,
        stsRequests: requests.length
      };
    });
  const floor = await runMatrix(undefined);
  record(
    'matrixNoLimit',
    'matrix: 100 jobs, no rate limit',
    floor,
    `${floor.succeeded}/100 got credentials, last after ${(floor.lastMs / 1000).toFixed(1)} s (CPU floor)`
  );
  const matrix = await runMatrix(20);
  const bound = (100 / 20) * 1000;
  record(
    'matrix',
    'matrix: 100 jobs, STS admits 20/s',
    { ...matrix, rateBoundMs: bound },
    `${matrix.succeeded}/100 got credentials, last after ${(matrix.lastMs / 1000).toFixed(1)} s ` +
      `(rate bound ${bound / 1000} s; ${(matrix.lastMs / bound).toFixed(2)}x), ${matrix.throttled} throttled of ${matrix.stsRequests}`
  );

  // 6. A 30-second STS brown-out
  if (!args['skip-brownout']) {
    const brownout = await withSetting(profile, async (setting) => {
      setting.emulation.sts.unavailableUntil = Date.now() + 30_000;
      const main = await setting.job().uses(setting.inputs());
      return {
        succeeded: main.exitCode === 0,
        wallMs: round(main.durationMs),
        stsRequests: setting.emulation.sts.requests.length
      };
    });
    record(
      'brownout30s',
      'a 30 s STS brown-out (503s)',
      brownout,
      `${brownout.succeeded ? 'credentials' : 'FAILED'} after ${(brownout.wallMs / 1000).toFixed(1)} s, ` +
        `${brownout.stsRequests} STS requests`
    );
  }
}

// 7. refresh-credentials: the helper the AWS CLI starts for every command. A cache hit
// against bare node, a miss (fresh token and STS call), and the STS calls of 100 commands.
const helperFigures = await withSetting(profile, async (setting) => {
  const home = mkdtempSync(join(tmpdir(), 'bench-home-'));
  const job = setting.job({ env: { HOME: home } });
  try {
    expectSuccess(await job.uses(setting.inputs({ 'refresh-credentials': 'true' })), 'main with refresh-credentials');
    const config = readFileSync(join(home, '.aws', 'config'), 'utf8');
    // The line's arguments are single-quoted paths without quotes of their own (see credential-process.ts).
    const argv = [...(/^credential_process = (.*)$/m.exec(config)?.[1] ?? '').matchAll(/'([^']*)'/g)].map((m) => m[1]!);
    const [node, ...helper] = argv;
    const cacheFile = join(dirname(helper[1]!), `cache-${helper[2]}.json`);
    const assumeCalls = () =>
      setting.emulation.sts.requests.filter((request) => request.action.startsWith('AssumeRole')).length;
    const helperRun = async () => {
      const step = await job.run(node!, helper);
      expectSuccess(step, 'refresh helper');
      return step.durationMs;
    };
    const bareRuns: number[] = [];
    const hits: number[] = [];
    const misses: number[] = [];
    await helperRun();
    for (let index = 0; index < ROUNDS; index += 1) {
      bareRuns.push((await job.run(process.execPath, ['-e', '0'])).durationMs);
      hits.push(await helperRun());
      rmSync(cacheFile);
      misses.push(await helperRun());
    }
    rmSync(cacheFile);
    const before = assumeCalls();
    for (let index = 0; index < 100; index += 1) await helperRun();
    return { bare: spread(bareRuns), hit: spread(hits), miss: spread(misses), stsCallsFor100: assumeCalls() - before };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
record(
  'refreshHelperBareNodeMs',
  'refresh helper: bare node (same step)',
  helperFigures.bare,
  showSpread(helperFigures.bare)
);
record(
  'refreshHelperHitMs',
  'refresh helper: cache hit, start to output',
  helperFigures.hit,
  showSpread(helperFigures.hit)
);
record(
  'refreshHelperMissMs',
  'refresh helper: cache miss (token + STS)',
  helperFigures.miss,
  showSpread(helperFigures.miss)
);
record(
  'refreshHelperStsCallsFor100',
  'refresh helper: STS calls for 100 commands',
  helperFigures.stsCallsFor100,
  `${helperFigures.stsCallsFor100} (cache empty at the start)`
);

const loadAtEnd = round(loadavg()[0]!, 2);
results.machine = { ...machine, loadAverageAtEnd: loadAtEnd };
const header: [string, string, string, string] = [
  `[${profile.name}]`,
  'ours',
  theirs ? 'theirs' : '',
  theirs ? 'ours/theirs' : ''
];
const table = [header, ...rows];
// A row with one long value (the ours column alone) does not widen the columns of the others.
const widths = [0, 1, 2].map((column) =>
  Math.max(...table.filter((row) => column === 0 || row[2]).map((row) => row[column]!.length))
);
console.log(`Profile ${describeProfile(profile)}`);
console.log(
  `Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ` +
    `load average ${machine.loadAverageAtStart} at start, ${loadAtEnd} at end`
);
console.log(`ours = ${REPO_ROOT}${theirs ? `, theirs = ${actions[1]!.dir}` : ''}; ${ROUNDS} rounds; median (min–max)`);
for (const row of table) {
  const cells = row[2]
    ? row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell))
    : [row[0].padEnd(widths[0]!), row[1]];
  console.log(`  ${cells.join('  ').trimEnd()}`);
}
const out = join(REPO_ROOT, '.bench', `results-${profile.name}.json`);
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`Wrote ${out}`);
