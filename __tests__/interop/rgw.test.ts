/*
 * The real-STS tier: Ceph's RADOS Gateway evaluates the trust policy and validates our
 * issuer's tokens (signature via the JWKS x5c, iss, aud, exp). The bundled action runs
 * under the runner emulation; the real AWS CLI then uses the exported credentials
 * against RGW's S3. Run with `npm run test:interop` (interop/ceph-rgw.sh installs RGW).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOidcIssuer, type OidcIssuer } from '../../emulator/oidc-issuer.ts';
import { Job, REPO_ROOT } from '../../emulator/runner.ts';

const SCRIPT = join(REPO_ROOT, 'interop/ceph-rgw.sh');
const ROLE_NAME = 'github-deploy';
const ROLE_ARN = `arn:aws:iam:::role/${ROLE_NAME}`;
let dir: string;
let rgw: Record<string, string>;
let issuer: OidcIssuer;
const jobs: Job[] = [];

/** The AWS CLI, as a workflow step or an administrator would run it. */
function aws(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    'aws',
    [...args, '--endpoint-url', rgw.RGW_ENDPOINT!, '--region', 'us-east-1', '--output', 'json'],
    {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: dir, AWS_EC2_METADATA_DISABLED: 'true', ...env }
    }
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
/**
 * The same, without blocking this process: a command whose credential_process refreshes
 * needs the token service, which runs here.
 */
function awsAsync(
  args: string[],
  env: Record<string, string>
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    'aws',
    [...args, '--endpoint-url', rgw.RGW_ENDPOINT!, '--region', 'us-east-1', '--output', 'json'],
    {
      env: { PATH: process.env.PATH ?? '', HOME: dir, AWS_EC2_METADATA_DISABLED: 'true', ...env }
    }
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}
const admin = (args: string[]) => {
  const result = aws(args, {
    AWS_ACCESS_KEY_ID: rgw.RGW_ADMIN_ACCESS_KEY!,
    AWS_SECRET_ACCESS_KEY: rgw.RGW_ADMIN_SECRET_KEY!
  });
  if (result.status !== 0) throw new Error(`aws ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rgw-'));
  execFileSync('bash', [SCRIPT, 'up', dir], { stdio: 'inherit' });
  rgw = Object.fromEntries(
    readFileSync(join(dir, 'env'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string])
  );
  issuer = await startOidcIssuer();
  const host = `127.0.0.1:${issuer.port}`;
  admin([
    'iam',
    'create-open-id-connect-provider',
    '--url',
    issuer.url,
    '--client-id-list',
    'sts.amazonaws.com',
    '--thumbprint-list',
    '0'.repeat(40)
  ]);
  // RGW does not decode "+" in policy text: keep the JSON free of spaces.
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: [`arn:aws:iam:::oidc-provider/${host}`] },
        Action: ['sts:AssumeRoleWithWebIdentity'],
        Condition: {
          StringEquals: {
            [`${host}:sub`]: 'repo:octo-org/octo-repo:ref:refs/heads/main',
            [`${host}:aud`]: 'sts.amazonaws.com'
          }
        }
      }
    ]
  });
  admin([
    'iam',
    'create-role',
    '--role-name',
    ROLE_NAME,
    '--max-session-duration',
    '3600',
    '--assume-role-policy-document',
    trust
  ]);
  const permissions = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::*'] }]
  });
  admin([
    'iam',
    'put-role-policy',
    '--role-name',
    ROLE_NAME,
    '--policy-name',
    's3-all',
    '--policy-document',
    permissions
  ]);
}, 180_000);

afterAll(async () => {
  for (const job of jobs) job.cleanup();
  await issuer?.close();
  if (dir) execFileSync('bash', [SCRIPT, 'down', dir], { stdio: 'inherit' });
});

function newJob(env: Record<string, string> = {}): Job {
  const job = new Job({ env, idToken: { requestUrl: issuer.requestUrl, requestToken: issuer.requestToken } });
  jobs.push(job);
  return job;
}
const inputs = (extra: Record<string, string> = {}) => ({
  'role-to-assume': ROLE_ARN,
  'aws-region': 'us-east-1',
  'sts-endpoint': rgw.RGW_ENDPOINT!,
  ...extra
});

describe('against Ceph RGW', () => {
  it('assumes the role, and the AWS CLI uses the credentials to make and list a bucket', async () => {
    issuer.run = { ...issuer.run, form: 'branch', name: 'main' };
    const job = newJob();
    const main = await job.uses(inputs());
    expect(main.log.at(-1)).toMatch(
      /^Assumed arn:aws:iam:::role\/github-deploy as session gha-4242-1; credentials expire/
    );
    expect(main.exitCode).toBe(0);
    expect(main.outputs['authenticated-arn']).toMatch(/assumed-role\/github-deploy\/gha-4242-1$/);
    const env = {
      AWS_ACCESS_KEY_ID: job.env.AWS_ACCESS_KEY_ID!,
      AWS_SECRET_ACCESS_KEY: job.env.AWS_SECRET_ACCESS_KEY!,
      AWS_SESSION_TOKEN: job.env.AWS_SESSION_TOKEN!
    };
    const made = aws(['s3', 'mb', 's3://interop-bucket'], env);
    expect(made.stderr).toBe('');
    expect(made.status).toBe(0);
    const listed = aws(['s3', 'ls'], env);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/ interop-bucket$/m);
    // A wrong secret is refused by RGW's S3: the exported values are the ones that work.
    expect(
      aws(['s3', 'ls'], {
        ...env,
        AWS_SECRET_ACCESS_KEY: `${env.AWS_SECRET_ACCESS_KEY.slice(0, -1)}${env.AWS_SECRET_ACCESS_KEY.endsWith('x') ? 'y' : 'x'}`
      }).status
    ).not.toBe(0);
    const [post] = await job.runPosts();
    expect(post!.exitCode).toBe(0);
    expect(job.env.AWS_SESSION_TOKEN).toBe('');
  });

  it('is refused for a token whose sub the trust policy does not name', async () => {
    issuer.run = { ...issuer.run, form: 'branch', name: 'feature' };
    const main = await newJob().uses(inputs());
    expect(main.exitCode).toBe(1);
    expect(main.exported).toEqual({});
    expect(main.log.at(-1)).toMatch(
      /^Error: STS refused arn:aws:iam:::role\/github-deploy for this run: .*\(HTTP 403\)/
    );
  });

  it('is refused for a token with another audience', async () => {
    issuer.run = { ...issuer.run, form: 'branch', name: 'main' };
    const main = await newJob().uses(inputs({ audience: 'not-registered' }));
    expect(main.exitCode).toBe(1);
    expect(main.exported).toEqual({});
    expect(main.log.at(-1)).toMatch(
      /^Error: STS (refused|AssumeRoleWithWebIdentity for) arn:aws:iam:::role\/github-deploy.*\(HTTP 40[03]\)/
    );
  });

  it('refresh-credentials: the helper gets a new session from RGW once the cached one is spent, and S3 takes it', async () => {
    issuer.run = { ...issuer.run, form: 'branch', name: 'main' };
    const home = mkdtempSync(join(dir, 'home-'));
    const job = newJob({ HOME: home });
    const main = await job.uses(inputs({ 'refresh-credentials': 'true', 'role-duration-seconds': '900' }));
    expect(main.exitCode).toBe(0);
    expect(main.exported.AWS_PROFILE).toBe('oidc-aws-credentials');
    const command = /^credential_process = (.*)$/m.exec(readFileSync(join(home, '.aws', 'config'), 'utf8'))![1]!;
    const temp = join(job.root, 'temp');
    const cache = join(
      temp,
      readdirSync(temp).find((name) => name.startsWith('oidc-aws-credentials-refresh-'))!,
      'cache-oidc-aws-credentials.json'
    );
    const helper = () =>
      JSON.parse(execFileSync('sh', ['-c', command], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })) as {
        AccessKeyId: string;
        SecretAccessKey: string;
        SessionToken: string;
      };
    // Each refresh is one token request and one AssumeRoleWithWebIdentity at RGW.
    const tokens = () => issuer.tokenRequests.length;
    const viaProfile = { AWS_PROFILE: 'oidc-aws-credentials', HOME: home };
    const atStart = tokens();
    const first = helper();
    expect(aws(['s3', 'mb', 's3://refresh-bucket'], viaProfile).status).toBe(0);
    expect(tokens()).toBe(atStart);

    // RGW's sessions last at least 900 s: spend the cached one by writing its expiry into the past.
    const cached = JSON.parse(readFileSync(cache, 'utf8')) as Record<string, string>;
    writeFileSync(cache, JSON.stringify({ ...cached, expiration: new Date(Date.now() - 1000).toISOString() }));
    const listed = await awsAsync(['s3', 'ls'], viaProfile);
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toMatch(/ refresh-bucket$/m);
    expect(tokens()).toBe(atStart + 1);
    const second = helper();
    expect(tokens()).toBe(atStart + 1);
    expect(second.AccessKeyId).not.toBe(first.AccessKeyId);
    // The new session is RGW's own: S3 takes its keys as they are.
    const direct = aws(['s3', 'ls', 's3://refresh-bucket'], {
      AWS_ACCESS_KEY_ID: second.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: second.SecretAccessKey,
      AWS_SESSION_TOKEN: second.SessionToken
    });
    expect(direct.stderr).toBe('');
    expect(direct.status).toBe(0);

    const [post] = await job.runPosts();
    expect(post!.exitCode).toBe(0);
    expect(existsSync(join(home, '.aws', 'config'))).toBe(false);
  });
});
