/*
 * The refresh helper when things go wrong, run as the AWS CLI runs it (the profile's
 * credential_process line, stdout and stderr apart): one neutralised line on stderr, a
 * non-zero exit and nothing on stdout; and its lock, taken over when stale and waited on
 * while another helper refreshes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulation, type Emulation } from '../../emulator/emulation.ts';
import { LogRenderer } from '../../emulator/log-renderer.ts';
import type { Job } from '../../emulator/runner.ts';

const PROFILE = 'oidc-aws-credentials';
const PREFIX = 'oidc-aws-credentials (refresh-credentials): ';
/** Text a hostile service could send: a line break and workflow commands. */
const HOSTILE = 'Not authorized\n::add-mask::x\n::set-env name=AWS_PROFILE::evil ##[error]injected';

let emulation: Emulation;
let job: Job;
let command: string;
let folder: string;
beforeEach(async () => {
  emulation = await startEmulation();
  const home = mkdtempSync(join(tmpdir(), 'home-'));
  job = emulation.job({ env: { HOME: home } });
  expect((await job.uses(emulation.inputs({ 'refresh-credentials': 'true' }))).exitCode).toBe(0);
  command = /^credential_process = (.*)$/m.exec(readFileSync(join(home, '.aws', 'config'), 'utf8'))![1]!;
  const temp = join(job.root, 'temp');
  folder = join(
    temp,
    readdirSync(temp).find((name) => name.startsWith('oidc-aws-credentials-refresh-'))!
  );
});
afterEach(() => emulation.close());

interface HelperRun {
  status: number | null;
  stdout: string;
  stderr: string;
}
/** The helper as a tool starts it: through sh, with a bare environment (the params carry the rest). */
function startHelper(): { done: Promise<HelperRun>; exited: () => boolean } {
  const child = spawn('sh', ['-c', command], { env: { PATH: process.env.PATH ?? '' } });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<HelperRun>((resolve) =>
    child.on('close', (status) => {
      exited = true;
      resolve({ status, stdout, stderr });
    })
  );
  return { done, exited: () => exited };
}
const runHelper = (): Promise<HelperRun> => startHelper().done;
const assumeCalls = () => emulation.sts.requests.filter((request) => request.action.startsWith('AssumeRole')).length;
const cacheFile = () => join(folder, `cache-${PROFILE}.json`);
const lockFile = () => join(folder, `lock-${PROFILE}`);

/** One line on stderr, with the helper's prefix, and nothing for the tool on stdout. */
function expectOneLineFailure(run: HelperRun): string {
  expect(run.status).not.toBe(0);
  expect(run.stdout).toBe('');
  expect(run.stderr.endsWith('\n')).toBe(true);
  const lines = run.stderr.slice(0, -1).split(/\r\n|\r|\n/);
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith(PREFIX)).toBe(true);
  // As the runner reads the step's output (the AWS CLI passes the line on): no command, no ##[ marker.
  const renderer = new LogRenderer({ masks: new Set() });
  renderer.render(run.stderr);
  expect(renderer.commands).toEqual([]);
  expect(lines[0]).not.toContain('##[');
  return lines[0]!.slice(PREFIX.length);
}

describe('the refresh helper fails with one line', () => {
  it('when the job is over: post removed its parameters', async () => {
    await job.runPosts();
    const cause = expectOneLineFailure(await runHelper());
    expect(cause).toMatch(
      /^the helper's parameters \/.*\/params\.json are gone: the job that wrote them is over \(post removed them\)/
    );
    expect(assumeCalls()).toBe(1);
  });

  it("when GitHub's token service refuses (403), with its text neutralised", async () => {
    rmSync(cacheFile());
    emulation.issuer.faults.push({ status: 403, body: JSON.stringify({ message: HOSTILE }) });
    const cause = expectOneLineFailure(await runHelper());
    expect(cause).toMatch(/403/);
    expect(emulation.issuer.tokenRequests.length).toBe(2);
    expect(assumeCalls()).toBe(1);
  });

  it('when STS refuses, naming the role and its code, with its message neutralised', async () => {
    rmSync(cacheFile());
    emulation.sts.faults.push({ status: 403, code: 'AccessDenied', message: HOSTILE });
    const cause = expectOneLineFailure(await runHelper());
    expect(cause).toMatch(/arn:aws:iam::123456789012:role\/deploy.*AccessDenied/);
    expect(assumeCalls()).toBe(2);
    // Nothing was cached: the next command asks again (and now gets credentials).
    expect(existsSync(cacheFile())).toBe(false);
    const again = await runHelper();
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      Version: 1,
      AccessKeyId: emulation.sts.issued.at(-1)!.accessKeyId
    });
  });
});

describe("the refresh helper's lock", () => {
  it('is taken over when older than its timeout (a killed helper left it)', async () => {
    rmSync(cacheFile());
    writeFileSync(lockFile(), '99999');
    const minuteAgo = new Date(Date.now() - 60_000);
    utimesSync(lockFile(), minuteAgo, minuteAgo);
    const run = await runHelper();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ AccessKeyId: emulation.sts.issued.at(-1)!.accessKeyId });
    expect(assumeCalls()).toBe(2);
    expect(existsSync(lockFile())).toBe(false);
  });

  it('held by a live refresher is waited on, and what that refresher cached is handed out', async () => {
    rmSync(cacheFile());
    writeFileSync(lockFile(), '99999');
    const helper = startHelper();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Still waiting, without a call of its own.
    expect(helper.exited()).toBe(false);
    expect(assumeCalls()).toBe(1);
    // The other refresher finishes: its credentials in the cache, then the lock released.
    const other = emulation.sts.issue('arn:aws:iam::123456789012:role/deploy', 'gha-4242-1');
    const now = Date.now();
    writeFileSync(
      cacheFile(),
      JSON.stringify({
        accessKeyId: other.accessKeyId,
        secretAccessKey: other.secretAccessKey,
        sessionToken: other.sessionToken,
        expiration: new Date(now + 3600_000).toISOString(),
        issuedAt: new Date(now).toISOString()
      }),
      { mode: 0o600 }
    );
    rmSync(lockFile());
    const run = await helper.done;
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ AccessKeyId: other.accessKeyId });
    expect(assumeCalls()).toBe(1);
  });
});
