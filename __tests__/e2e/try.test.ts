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
