/*
 * refresh-credentials: later steps get a profile whose credential_process asks STS again
 * shortly before the credentials expire. The STS stub issues credentials that live a few
 * seconds and refuses expired ones (SigV4 check plus expiry on GetCallerIdentity), so a
 * consumer crosses several expiries within one test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulation, type Emulation } from '../../emulator/emulation.ts';
import { REPO_ROOT } from '../../emulator/runner.ts';

const CONSUMER = join(REPO_ROOT, 'emulator/refresh-consumer.ts');
/** Seconds the stub's credentials live; the helper refreshes when a third is left. */
const LIFETIME_S = 4;

let emulation: Emulation;
let home: string;
beforeEach(async () => {
  emulation = await startEmulation();
  emulation.sts.sessionLifetimeSeconds = LIFETIME_S;
  home = mkdtempSync(join(tmpdir(), 'home-'));
});
afterEach(() => emulation.close());

const assumeCalls = () => emulation.sts.requests.filter((request) => request.action.startsWith('AssumeRole')).length;
const awsCli = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();

describe('refresh-credentials', () => {
  it('keeps a long step working across expiries with one STS call per expiry, and post leaves no file', async () => {
    const job = emulation.job({ env: { HOME: home, AWS_ACCESS_KEY_ID: 'AKIAOLDKEY', AWS_SECRET_ACCESS_KEY: 'old' } });
    const main = await job.uses(emulation.inputs({ 'refresh-credentials': 'true', 'role-duration-seconds': '900' }));
    expect(main.exitCode).toBe(0);
    // No keys: the profile does it, and the keys already there are blanked so they cannot win over it.
    expect(main.exported).toEqual({
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: 'oidc-aws-credentials',
      AWS_REGION: 'eu-west-2',
      AWS_DEFAULT_REGION: 'eu-west-2'
    });
    const config = readFileSync(join(home, '.aws', 'config'), 'utf8');
    const command = /^credential_process = (.*)$/m.exec(config)?.[1];
    const quoted = (path: string) => `'${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`;
    expect(command).toMatch(
      new RegExp(
        `^${quoted(process.execPath)} ${quoted(join(REPO_ROOT, 'dist/refresh/index.js'))} ` +
          `'${join(job.root, 'temp')}/oidc-aws-credentials-refresh-\\w+/params\\.json' 'oidc-aws-credentials'$`
      )
    );
    // The profile holds no secret; the credentials file is not created.
    const issued = emulation.sts.issued[0]!;
    for (const secret of [
      issued.accessKeyId,
      issued.secretAccessKey,
      issued.sessionToken,
      emulation.issuer.requestToken
    ])
      expect(config).not.toContain(secret);
    expect(existsSync(join(home, '.aws', 'credentials'))).toBe(false);
    const folder = readdirSync(join(job.root, 'temp')).find((name) =>
      name.startsWith('oidc-aws-credentials-refresh-')
    )!;
    for (const file of readdirSync(join(job.root, 'temp', folder)))
      if (process.platform !== 'win32') expect(statSync(join(job.root, 'temp', folder, file)).mode & 0o777).toBe(0o600);

    // The JS SDK's default chain, calling back to back across at least three expiries.
    const before = assumeCalls();
    const consumer = await job.run(process.execPath, [CONSUMER, emulation.sts.url, String(LIFETIME_S * 2.5 + 1)]);
    const report = JSON.parse(consumer.raw) as { calls: number; failures: number; firstError?: string; keys: string[] };
    expect(report.firstError).toBeUndefined();
    expect(report.failures).toBe(0);
    expect(report.keys.length).toBeGreaterThanOrEqual(4);
    // The first key is the one main got (seeded in the cache); every later one is one STS call.
    expect(report.keys[0]).toBe(issued.accessKeyId);
    expect(assumeCalls() - before).toBe(report.keys.length - 1);
    expect(report.calls).toBeGreaterThan(report.keys.length * 3);
    // Each refresh asked GitHub for a new token and STS for the same role, session and duration.
    const refreshes = emulation.sts.requests.filter((request) => request.action === 'AssumeRoleWithWebIdentity');
    expect(new Set(refreshes.map((request) => request.params.WebIdentityToken)).size).toBe(refreshes.length);
    for (const request of refreshes) {
      expect(request.params).toMatchObject({
        RoleArn: 'arn:aws:iam::123456789012:role/deploy',
        RoleSessionName: 'gha-4242-1',
        DurationSeconds: '900'
      });
    }
    // The helper never wrote to the step's log.
    expect(consumer.log).toHaveLength(1);

    const [post] = await job.runPosts();
    expect(post!.exitCode).toBe(0);
    expect(post!.exported.AWS_PROFILE).toBe('');
    expect(existsSync(join(home, '.aws', 'config'))).toBe(false);
    expect(readdirSync(join(job.root, 'temp'))).toEqual([]);
  }, 60_000);

  it('concurrent helpers with a stale cache share one refresh', async () => {
    const job = emulation.job({ env: { HOME: home } });
    expect((await job.uses(emulation.inputs({ 'refresh-credentials': 'true' }))).exitCode).toBe(0);
    const command = /^credential_process = (.*)$/m.exec(readFileSync(join(home, '.aws', 'config'), 'utf8'))![1]!;
    await new Promise((resolve) => setTimeout(resolve, LIFETIME_S * 700));
    const before = assumeCalls();
    const step = await job.run('sh', ['-c', `for i in 1 2 3 4 5 6 7 8; do ${command} & done; wait`]);
    const outputs = step.raw
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { AccessKeyId: string; Version: number });
    expect(outputs).toHaveLength(8);
    expect(new Set(outputs.map((output) => output.AccessKeyId)).size).toBe(1);
    expect(assumeCalls() - before).toBe(1);
    await job.runPosts();
  }, 30_000);

  (awsCli ? it : it.skip)(
    'the AWS CLI: a loop of commands makes one STS call per expiry, not one per command',
    async () => {
      const job = emulation.job({ env: { HOME: home, PATH: process.env.PATH ?? '' } });
      expect((await job.uses(emulation.inputs({ 'refresh-credentials': 'true' }))).exitCode).toBe(0);
      const before = assumeCalls();
      const step = await job.run('sh', [
        '-c',
        `end=$(($(date +%s) + ${LIFETIME_S * 1.5})); n=0; while [ $(date +%s) -lt $end ]; do ` +
          `aws sts get-caller-identity --endpoint-url ${emulation.sts.url} --query Arn --output text || exit 1; done`
      ]);
      expect(step.exitCode).toBe(0);
      const lines = step.raw.trim().split('\n');
      expect(new Set(lines)).toEqual(new Set(['arn:aws:sts::123456789012:assumed-role/deploy/gha-4242-1']));
      const calls = assumeCalls() - before;
      expect(calls).toBeGreaterThanOrEqual(1);
      expect(calls).toBeLessThan(lines.length);
      await job.runPosts();
    },
    60_000
  );
});
