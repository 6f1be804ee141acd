import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../emulator/runner.ts';

const P = 'token.actions.githubusercontent.com';
const ROLE = 'arn:aws:iam::123456789012:role/deploy';
const dir = mkdtempSync(join(tmpdir(), 'try-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trustFor = (sub: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${P}` },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { [`${P}:aud`]: 'sts.amazonaws.com', [`${P}:sub`]: sub } }
    }
  ]
});

/**
 * `npm run try` as a user starts it: through npm, with the system's Node first on PATH (Node 20
 * on the development machines), so the script must bring its own Node 24.
 */
function npmTry(trust: object, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const path = join(dir, `trust-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(trust));
  const systemPath = (process.env.PATH ?? '')
    .split(':')
    .filter((entry) => !entry.includes('node_modules'))
    .join(':');
  const child = spawn(
    'npm',
    [
      'run',
      '--silent',
      'try',
      '--',
      '--with',
      `role-to-assume=${ROLE}`,
      '--with',
      'aws-region=eu-west-2',
      '--trust-policy',
      path,
      ...args
    ],
    { cwd: REPO_ROOT, env: { PATH: systemPath, HOME: process.env.HOME ?? '' } }
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

/** tools/try.ts straight on Node 24, without npm's start-up time. */
function tryDirect(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['tools/try.ts', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '' }
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

describe('npm run try', () => {
  it('with a trust policy that admits the run: the assumed role and session, the summary, exit 0', async () => {
    const result = await npmTry(
      trustFor('repo:octo-org/octo-repo:environment:production'),
      '--environment',
      'production',
      '--event',
      'workflow_dispatch'
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('token: sub repo:octo-org/octo-repo:environment:production, aud sts.amazonaws.com');
    expect(result.stdout).toMatch(
      /\| Assumed arn:aws:iam::123456789012:role\/deploy as session gha-4242-1; credentials expire /
    );
    expect(result.stdout).toContain("Token's sub: `repo:octo-org/octo-repo:environment:production`");
    expect(result.stdout).toContain("The local STS's trust-policy verdict: allowed");
    expect(result.status).toBe(0);
  });

  it('with one that refuses it: the AccessDenied diagnosis the action prints, exit 1', async () => {
    const result = await npmTry(trustFor('repo:octo-org/octo-repo:ref:refs/heads/main'), '--event', 'pull_request');
    expect(result.stdout).toContain('|   sub: repo:octo-org/octo-repo:pull_request');
    expect(result.stdout).toContain('| sub form: pull_request: the run was triggered by a pull request');
    expect(result.stdout).toContain(`|         "${P}:sub": "repo:octo-org/octo-repo:pull_request"`);
    expect(result.stdout).toContain(
      `| Error: STS refused ${ROLE} for this run: AccessDenied (HTTP 403): Not authorized to perform sts:AssumeRoleWithWebIdentity.`
    );
    expect(result.stdout).toContain(
      `- StringEquals ${P}:sub "repo:octo-org/octo-repo:ref:refs/heads/main" does not hold`
    );
    expect(result.status).toBe(1);
  });

  it('asks for STS by its real host, so a region that does not exist fails as on GitHub', async () => {
    const ok = await tryDirect(
      '--with',
      `role-to-assume=${ROLE}`,
      '--with',
      'aws-region=us-east-1',
      '--with',
      'use-fips-endpoint=true'
    );
    expect(ok.stdout).toContain('STS: sts-fips.us-east-1.amazonaws.com, as the action resolves it');
    expect(ok.stdout).not.toContain('sts-endpoint');
    expect(ok.status).toBe(0);
    const typo = await tryDirect('--with', `role-to-assume=${ROLE}`, '--with', 'aws-region=us-east-9');
    expect(typo.stdout).toContain(
      '| Error: Input aws-region "us-east-9" is not an AWS region: did you mean us-east-1 or us-east-2?'
    );
    expect(typo.status).toBe(1);
  });

  it("uses China's default audience for a China region; warns of an input action.yml lacks", async () => {
    const result = await tryDirect(
      '--with',
      'role-to-assume=arn:aws-cn:iam::123456789012:role/deploy',
      '--with',
      'aws-region=cn-north-1',
      '--with',
      'custom-tags={}'
    );
    // As the runner warns for a with: name action.yml does not declare (configure-aws-credentials has custom-tags).
    expect(result.stdout).toContain(
      "| Warning: Unexpected input(s) 'custom-tags', valid inputs are ['role-to-assume', "
    );
    expect(result.stdout).toContain('aud sts.amazonaws.com.cn');
    expect(result.stdout).toContain('| Assumed arn:aws-cn:iam::123456789012:role/deploy as session gha-4242-1');
    expect(result.status).toBe(0);
  });

  it("role-chaining: the runner's own identity comes from a local metadata service, none unless --runner-role", async () => {
    const chain = [
      '--with',
      `role-to-assume=${ROLE}`,
      '--with',
      'aws-region=eu-west-2',
      '--with',
      'role-chaining=true'
    ];
    const none = await tryDirect(...chain);
    expect(none.stdout).toContain('and the instance metadata service gave none (HTTP 404)');
    expect(none.status).toBe(1);
    const runner = await tryDirect(...chain, '--runner-role', 'arn:aws:iam::111111111111:role/ci/runner');
    expect(runner.stdout).toContain('| Chaining from the EC2 instance profile');
    expect(runner.stdout).toContain(`| Assumed ${ROLE} as session gha-4242-1`);
    expect(runner.status).toBe(0);
  });

  it('refuses unusable arguments with one line, before running anything', () => {
    // Straight on Node 24, without npm's start-up time.
    const result = spawnSync(
      process.execPath,
      ['tools/try.ts', '--with', 'aws-region=eu-west-2', '--event', 'release'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8'
      }
    );
    expect(result.stderr.trim()).toBe('try: --event release is not one of push, pull_request, workflow_dispatch');
    expect(result.stdout).toBe('');
    expect(result.status).toBe(2);
  });
});
