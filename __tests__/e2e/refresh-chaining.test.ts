/*
 * refresh-credentials with role-chaining: the helper redoes the whole chain from where
 * main's started (the runner's own AWS identity, or an earlier step's refreshing
 * profile, itself a web identity), once per expiry. A chain from keys in the environment
 * cannot be redone (later steps get them blanked) and is refused before any request.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulation, type Emulation } from '../../emulator/emulation.ts';
import { startInstanceMetadata } from '../../emulator/host-credentials.ts';
import { REPO_ROOT, type Job } from '../../emulator/runner.ts';

const CONSUMER = join(REPO_ROOT, 'emulator/refresh-consumer.ts');
const CHAINED_ROLE = 'arn:aws:iam::210987654321:role/deployer';
const RUNNER_ACCOUNT = '111122223333';
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

const calls = (action: string) => emulation.sts.requests.filter((request) => request.action === action);
const chainInputs = (extra: Record<string, string> = {}) =>
  emulation.inputs({
    'role-to-assume': CHAINED_ROLE,
    'role-chaining': 'true',
    'refresh-credentials': 'true',
    'role-duration-seconds': '900',
    ...extra
  });

interface ConsumerReport {
  calls: number;
  failures: number;
  firstError?: string;
  keys: string[];
}
/** The JS SDK's default chain, calling GetCallerIdentity back to back across at least three expiries. */
async function consume(job: Job, stepEnv: Record<string, string> = {}): Promise<ConsumerReport> {
  const step = await job.run(process.execPath, [CONSUMER, emulation.sts.url, String(LIFETIME_S * 2.5 + 1)], stepEnv);
  const report = JSON.parse(step.raw) as ConsumerReport;
  expect(report.firstError).toBeUndefined();
  expect(report.failures).toBe(0);
  expect(report.keys.length).toBeGreaterThanOrEqual(4);
  return report;
}

describe('refresh-credentials with role-chaining', () => {
  it('redoes the chain from the EC2 instance profile once per expiry, with main’s tags, whatever the step’s environment', async () => {
    const imds = await startInstanceMetadata(emulation.sts, `arn:aws:iam::${RUNNER_ACCOUNT}:role/runner-instance`);
    try {
      emulation.sts.addRole({
        arn: CHAINED_ROLE,
        maxSessionDuration: 3600,
        trust: {},
        trustedSessions: [`arn:aws:sts::${RUNNER_ACCOUNT}:assumed-role/runner-instance/*`],
        tagSession: true,
        // Refused without the run's tags: a refresh that dropped them would fail.
        assumeRoleCondition: { StringEquals: { 'aws:RequestTag/Repository': 'octo-org/octo-repo' } }
      });
      const job = emulation.job({
        idTokenPermission: false,
        env: { HOME: home, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url }
      });
      const main = await job.uses(chainInputs());
      expect(main.exitCode).toBe(0);
      expect(main.exported.AWS_PROFILE).toBe('oidc-aws-credentials');
      expect(main.exported.AWS_ACCESS_KEY_ID).toBeUndefined();
      const fromMain = { assumeRole: calls('AssumeRole').length, instance: imds.handedOut.length };
      expect(fromMain).toEqual({ assumeRole: 1, instance: 1 });

      // The step points the instance metadata variable at a closed port: the helper uses main's.
      const report = await consume(job, { AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' });
      const refreshes = report.keys.length - 1;
      expect(report.keys[0]).toBe(
        emulation.sts.issued.find((session) => session.sessionName === 'gha-4242-1')!.accessKeyId
      );
      // One whole chain per expiry: the instance's credentials again, then one AssumeRole.
      expect(calls('AssumeRole').length - fromMain.assumeRole).toBe(refreshes);
      expect(imds.handedOut.length - fromMain.instance).toBe(refreshes);
      expect(calls('AssumeRoleWithWebIdentity')).toEqual([]);
      for (const request of calls('AssumeRole')) {
        expect(request.status).toBe(200);
        expect(request.params).toMatchObject({
          RoleArn: CHAINED_ROLE,
          RoleSessionName: 'gha-4242-1',
          DurationSeconds: '900',
          'Tags.member.2.Key': 'Repository',
          'Tags.member.2.Value': 'octo-org/octo-repo'
        });
      }
      const [post] = await job.runPosts();
      expect(post!.exitCode).toBe(0);
    } finally {
      await imds.close();
    }
  }, 60_000);

  it("redoes a chain that starts from an earlier step's refreshing profile: a fresh OIDC token, then AssumeRole, per expiry", async () => {
    emulation.sts.addRole({
      arn: CHAINED_ROLE,
      maxSessionDuration: 3600,
      trust: {},
      trustedSessions: ['arn:aws:sts::123456789012:assumed-role/deploy/*'],
      tagSession: true
    });
    const job = emulation.job({ env: { HOME: home } });
    const first = await job.uses(emulation.inputs({ 'refresh-credentials': 'true', 'role-duration-seconds': '900' }));
    expect(first.exitCode).toBe(0);
    // AWS_PROFILE (the first step's profile) starts the chain; this step's profile has its own name.
    const chained = await job.uses(chainInputs({ 'aws-profile': 'deployer' }));
    expect(chained.exitCode).toBe(0);
    expect(chained.log).toContain('Chaining from the AWS profile "oidc-aws-credentials" (AWS_PROFILE)');
    const before = {
      web: calls('AssumeRoleWithWebIdentity').length,
      chain: calls('AssumeRole').length,
      tokens: emulation.issuer.tokenRequests.length
    };

    const report = await consume(job, { AWS_PROFILE: 'deployer' });
    const refreshes = report.keys.length - 1;
    const during = (action: string) => calls(action).slice(action === 'AssumeRole' ? before.chain : before.web);
    const succeeded = (action: string) => during(action).filter((request) => request.status === 200);
    // One whole chain per expiry: each chained session the consumer used was preceded by a new first-role session.
    // (One more chain may land as the consumer stops: a refresh its last lookup started.)
    expect(succeeded('AssumeRole').length).toBeGreaterThanOrEqual(refreshes);
    expect(succeeded('AssumeRole').length).toBeLessThanOrEqual(refreshes + 1);
    expect(succeeded('AssumeRoleWithWebIdentity')).toHaveLength(succeeded('AssumeRole').length);
    const issued = emulation.sts.issued.map((session) => session.accessKeyId);
    for (const key of report.keys.slice(1)) {
      const at = issued.indexOf(key);
      expect(emulation.sts.issued[at - 1]!.assumedRoleArn).toMatch(/:assumed-role\/deploy\/gha-4242-1$/);
    }
    // With 4-second sessions on a loaded machine, the first role's session can run out in
    // flight: STS says ExpiredToken, and the helper renews it (a fresh token) and retries.
    for (const request of during('AssumeRole')) if (request.status !== 200) expect(request.code).toBe('ExpiredToken');
    expect(during('AssumeRoleWithWebIdentity').every((request) => request.status === 200)).toBe(true);
    expect(emulation.issuer.tokenRequests.length - before.tokens).toBe(during('AssumeRoleWithWebIdentity').length);
    for (const request of calls('AssumeRole')) expect(request.params.RoleArn).toBe(CHAINED_ROLE);
    const posts = await job.runPosts();
    expect(posts.map((post) => post.exitCode)).toEqual([0, 0]);
  }, 60_000);

  it.each([
    [
      'keys in the environment',
      { AWS_ACCESS_KEY_ID: 'ASIAPREVIOUSSTEP', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' },
      {},
      'Input refresh-credentials cannot redo a role-chaining that starts from keys in the environment ' +
        '(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): later steps get them blanked, and they expire with the session ' +
        'that made them; give the earlier step refresh-credentials too (its profile, named by AWS_PROFILE, then ' +
        "starts the chain), or chain from the runner's own AWS identity"
    ],
    [
      'the profile this step writes',
      { AWS_PROFILE: 'oidc-aws-credentials' },
      {},
      'Input refresh-credentials with role-chaining would write the profile oidc-aws-credentials that AWS_PROFILE ' +
        'names as the start of the chain, so its helper would call itself: set aws-profile to another name'
    ]
  ])('refuses a chain from %s before any request', async (_what, env, extra, message) => {
    const job = emulation.job({ env: { HOME: home, ...env } });
    const main = await job.uses(chainInputs(extra));
    expect(main.exitCode).toBe(1);
    expect(main.log.at(-1)).toBe(`Error: ${message}`);
    expect(main.exported).toEqual({});
    expect(emulation.sts.requests).toEqual([]);
    expect(emulation.issuer.tokenRequests).toEqual([]);
  });
});
