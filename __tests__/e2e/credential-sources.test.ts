/*
 * role-chaining (AssumeRole with the credentials in the environment, or else the runner's
 * own AWS identity: instance metadata, container credentials, IRSA) and web-identity-token-file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ROLE_ARN, startEmulation, type Emulation } from '../../emulator/emulation.ts';
import { startContainerCredentials, startInstanceMetadata } from '../../emulator/host-credentials.ts';
import { REPO_ROOT, type Job } from '../../emulator/runner.ts';

const CHAINED_ROLE = 'arn:aws:iam::210987654321:role/deployer';
const CONSUMER = join(REPO_ROOT, 'emulator/consumer.ts');
let emulation: Emulation;
beforeEach(async () => {
  emulation = await startEmulation();
  emulation.sts.addRole({
    arn: CHAINED_ROLE,
    maxSessionDuration: 3600,
    trust: {},
    trustedSessions: ['arn:aws:sts::123456789012:assumed-role/deploy/*'],
    tagSession: true
  });
});
afterEach(() => emulation.close());

const identity = async (job: Job) =>
  JSON.parse((await job.run(process.execPath, [CONSUMER, emulation.sts.url])).raw) as { Arn: string };

describe('role-chaining', () => {
  it('assumes the next role with the credentials the previous step exported, signed, without a token', async () => {
    const job = emulation.job();
    await job.uses(emulation.inputs());
    const chained = await job.uses(
      emulation.inputs({
        'role-to-assume': CHAINED_ROLE,
        'role-chaining': 'true',
        'role-session-name': 'chained-{run_id}'
      })
    );
    expect(chained.exitCode).toBe(0);
    expect(emulation.issuer.tokenRequests).toHaveLength(1);
    expect(emulation.sts.requests.map((request) => request.action)).toEqual([
      'AssumeRoleWithWebIdentity',
      'AssumeRole'
    ]);
    expect((await identity(job)).Arn).toBe('arn:aws:sts::210987654321:assumed-role/deployer/chained-4242');
    // Posts in reverse order: the chained credentials are cleared; the first post finds them gone.
    const [second, first] = await job.runPosts();
    expect(second!.exported.AWS_ACCESS_KEY_ID).toBe('');
    expect(first!.exported).toEqual({});
  });

  it('explains a trust policy that does not allow the previous role', async () => {
    emulation.sts.addRole({ arn: CHAINED_ROLE, maxSessionDuration: 3600, trust: {}, trustedSessions: [] });
    const job = emulation.job();
    await job.uses(emulation.inputs());
    const chained = await job.uses(emulation.inputs({ 'role-to-assume': CHAINED_ROLE, 'role-chaining': 'true' }));
    expect(chained.exitCode).toBe(1);
    expect(chained.log.at(-1)).toMatch(
      new RegExp(
        '^Error: STS refused to chain to arn:aws:iam::210987654321:role\\/deployer from the ' +
          "credentials in the environment \\(the previous step's role\\): AccessDenied \\(HTTP 403\\): " +
          ".*: the role's trust policy must allow sts:AssumeRole for that identity$"
      )
    );
  });

  it('masks keys in the environment that nothing masked yet (a script exported them) before STS can echo them', async () => {
    const keys = {
      AWS_ACCESS_KEY_ID: 'ASIAEXPORTEDBYSCRIPT1',
      AWS_SECRET_ACCESS_KEY: 'c2VjcmV0IGV4cG9ydGVkIGJ5IGEgc2NyaXB0IHN0ZXAx',
      AWS_SESSION_TOKEN: 'FwoGZXIvYXdzEXPORTEDBYASCRIPTSTEPWITHOUTADDMASK'
    };
    emulation.sts.faults.push({
      status: 403,
      code: 'InvalidClientTokenId',
      message: `The security token ${keys.AWS_SESSION_TOKEN} for ${keys.AWS_ACCESS_KEY_ID} is invalid`
    });
    const job = emulation.job({ env: keys });
    const main = await job.uses(emulation.inputs({ 'role-to-assume': CHAINED_ROLE, 'role-chaining': 'true' }));
    expect(main.exitCode).toBe(1);
    expect(main.log.at(-1)).toContain('The security token *** for *** is invalid');
    for (const secret of Object.values(keys)) {
      expect(main.log.join('\n')).not.toContain(secret);
      expect(main.raw.split('\n').find((line) => line.includes(secret))).toBe(`::add-mask::${secret}`);
    }
  });

  it.each([
    [
      { 'role-duration-seconds': '7200' },
      'Input role-duration-seconds 7200 is above 3600: AWS caps sessions from role chaining at 1 hour; set ' +
        'role-duration-seconds to 3600 or less'
    ],
    [
      {},
      'Input role-chaining found no AWS credentials: no keys in the environment (AWS_ACCESS_KEY_ID, ' +
        'AWS_SECRET_ACCESS_KEY), no AWS_PROFILE, ' +
        'no IRSA token file (AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN), no container credentials ' +
        '(AWS_CONTAINER_CREDENTIALS_FULL_URI or …_RELATIVE_URI), and the instance metadata service is off (AWS_EC2_METADATA_DISABLED): ' +
        'use this action once earlier in the job without role-chaining, or run the job on a runner with an AWS role ' +
        '(EC2 instance profile, ECS or CodeBuild task role, EKS Pod Identity or IRSA)'
    ]
  ])('fails locally for %j', async (extra, message) => {
    const job = emulation.job({ env: { AWS_EC2_METADATA_DISABLED: 'true' } });
    const main = await job.uses(emulation.inputs({ 'role-chaining': 'true', ...extra }));
    expect(main.log.at(-1)).toBe(`Error: ${message}`);
    expect(emulation.sts.requests).toEqual([]);
  });
});

describe("role-chaining from the runner's own AWS identity", () => {
  const RUNNER_ACCOUNT = '111122223333';
  const trustRunner = (roleName: string, condition = {}) =>
    emulation.sts.addRole({
      arn: CHAINED_ROLE,
      maxSessionDuration: 3600,
      trust: {},
      trustedSessions: [`arn:aws:sts::${RUNNER_ACCOUNT}:assumed-role/${roleName}/*`],
      tagSession: true,
      assumeRoleCondition: condition
    });
  const chainInputs = (extra: Record<string, string> = {}) =>
    emulation.inputs({ 'role-to-assume': CHAINED_ROLE, 'role-chaining': 'true', ...extra });
  const assumeRoleRequests = () => emulation.sts.requests.filter((request) => request.action === 'AssumeRole');

  it('starts from the EC2 instance profile (IMDSv2), with the external id and session tags the trust policy asks for', async () => {
    const imds = await startInstanceMetadata(emulation.sts, `arn:aws:iam::${RUNNER_ACCOUNT}:role/runner-instance`);
    try {
      trustRunner('runner-instance', {
        StringEquals: { 'sts:ExternalId': 'tenant-7', 'aws:RequestTag/Repository': 'octo-org/octo-repo' },
        StringLike: { 'aws:RequestTag/Branch': 'refs/heads/*' }
      });
      const job = emulation.job({ idTokenPermission: false, env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url } });
      const main = await job.uses(
        chainInputs({ 'role-external-id': 'tenant-7', 'transitive-tag-keys': 'Repository\nActor' })
      );
      expect(main.exitCode).toBe(0);
      expect(main.log).toContain('Chaining from the EC2 instance profile (instance metadata service)');
      // The summary says where the chain started; a token's audience and sub do not apply.
      expect(main.summary).toContain('| Chained from | <code>the EC2 instance profile');
      expect(main.summary).not.toContain('Audience');
      expect(emulation.sts.requests.map((request) => `${request.action} ${request.status}`)).toEqual([
        'AssumeRole 200'
      ]);
      expect(assumeRoleRequests()[0]!.params).toMatchObject({
        ExternalId: 'tenant-7',
        'Tags.member.1.Key': 'GitHub',
        'Tags.member.1.Value': 'Actions',
        'Tags.member.2.Key': 'Repository',
        'Tags.member.2.Value': 'octo-org/octo-repo',
        'TransitiveTagKeys.member.1': 'Repository',
        'TransitiveTagKeys.member.2': 'Actor'
      });
      expect((await identity(job)).Arn).toBe('arn:aws:sts::210987654321:assumed-role/deployer/gha-4242-1');
      // The instance's own keys are masked and never exported.
      const instance = imds.handedOut[0]!;
      for (const secret of [instance.accessKeyId, instance.secretAccessKey, instance.sessionToken]) {
        expect(main.raw.split('\n').filter((line) => line.includes(secret))).toEqual([`::add-mask::${secret}`]);
        expect(Object.values(main.exported)).not.toContain(secret);
      }
    } finally {
      await imds.close();
    }
  });

  it('starts from EKS Pod Identity (container credentials with an authorization token file)', async () => {
    const endpoint = await startContainerCredentials(
      emulation.sts,
      `arn:aws:iam::${RUNNER_ACCOUNT}:role/runner-pod`,
      'pod-identity-token-123'
    );
    try {
      trustRunner('runner-pod');
      const job = emulation.job({ idTokenPermission: false });
      const tokenFile = join(job.root, 'eks-pod-identity-token');
      writeFileSync(tokenFile, 'pod-identity-token-123');
      Object.assign(job.env, {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: endpoint.fullUri,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile
      });
      const main = await job.uses(chainInputs({ 'role-skip-session-tagging': 'true' }));
      expect(main.exitCode).toBe(0);
      expect(main.log).toContain(
        'Chaining from EKS Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)'
      );
      expect(endpoint.requests.map((request) => request.authorized)).toEqual([true]);
      expect(Object.keys(assumeRoleRequests()[0]!.params).filter((name) => name.startsWith('Tags.'))).toEqual([]);
      expect((await identity(job)).Arn).toBe('arn:aws:sts::210987654321:assumed-role/deployer/gha-4242-1');
    } finally {
      await endpoint.close();
    }
  });

  // The SDK resolves AWS_CONTAINER_CREDENTIALS_RELATIVE_URI against 169.254.170.2 (the ECS
  // agent's address) only, so it cannot point at a server on 127.0.0.1: the relative form
  // is not tested here. The full URI takes the same provider and answer.
  it('starts from ECS or CodeBuild container credentials (a full URI on 127.0.0.1, no authorization token)', async () => {
    const endpoint = await startContainerCredentials(emulation.sts, `arn:aws:iam::${RUNNER_ACCOUNT}:role/runner-task`);
    try {
      trustRunner('runner-task');
      const job = emulation.job({
        idTokenPermission: false,
        env: { AWS_CONTAINER_CREDENTIALS_FULL_URI: endpoint.fullUri }
      });
      const main = await job.uses(chainInputs());
      expect(main.exitCode).toBe(0);
      expect(main.log).toContain(
        'Chaining from the container credentials of ECS or CodeBuild (AWS_CONTAINER_CREDENTIALS_…_URI)'
      );
      expect(endpoint.requests).toEqual([{ method: 'GET', path: '/v2/credentials/task-1234', authorized: true }]);
      expect(assumeRoleRequests()).toHaveLength(1);
      expect((await identity(job)).Arn).toBe('arn:aws:sts::210987654321:assumed-role/deployer/gha-4242-1');
      const task = endpoint.handedOut[0]!;
      for (const secret of [task.accessKeyId, task.secretAccessKey, task.sessionToken]) {
        expect(main.raw.split('\n').filter((line) => line.includes(secret))).toEqual([`::add-mask::${secret}`]);
      }
    } finally {
      await endpoint.close();
    }
  });

  it('starts from a named profile (AWS_PROFILE) with static keys in the shared credentials file', async () => {
    trustRunner('runner-profile');
    const keys = emulation.sts.issue(`arn:aws:iam::${RUNNER_ACCOUNT}:role/runner-profile`, 'ci-machine');
    const files = mkdtempSync(join(tmpdir(), 'aws-files-'));
    writeFileSync(
      join(files, 'credentials'),
      `[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n\n[ci]\n` +
        `aws_access_key_id = ${keys.accessKeyId}\naws_secret_access_key = ${keys.secretAccessKey}\n` +
        `aws_session_token = ${keys.sessionToken}\n`
    );
    const job = emulation.job({
      idTokenPermission: false,
      env: {
        AWS_PROFILE: 'ci',
        AWS_SHARED_CREDENTIALS_FILE: join(files, 'credentials'),
        AWS_CONFIG_FILE: join(files, 'config'),
        AWS_EC2_METADATA_DISABLED: 'true'
      }
    });
    const main = await job.uses(chainInputs({ 'output-env-credentials': 'true' }));
    expect(main.exitCode).toBe(0);
    expect(main.log).toContain('Chaining from the AWS profile "ci" (AWS_PROFILE)');
    const signedWith = emulation.sts.requests.find((request) => request.action === 'AssumeRole');
    expect(signedWith?.status).toBe(200);
    // The exported keys, not the profile (the SDK warns when both are set).
    const exportedIdentity = await job.run(process.execPath, [CONSUMER, emulation.sts.url], { AWS_PROFILE: '' });
    expect((JSON.parse(exportedIdentity.raw) as { Arn: string }).Arn).toBe(
      'arn:aws:sts::210987654321:assumed-role/deployer/gha-4242-1'
    );
    expect(main.raw).toContain(`::add-mask::${keys.secretAccessKey}`);
  });

  it('cuts off an instance metadata service that never finishes answering at action-timeout-s, naming both', async () => {
    const imds = await startInstanceMetadata(emulation.sts, `arn:aws:iam::${RUNNER_ACCOUNT}:role/runner-instance`);
    imds.hang = true;
    try {
      const job = emulation.job({
        idTokenPermission: false,
        env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url },
        // A step still running long after the deadline is killed (exit code null) and fails the test.
        killAfterMs: 20_000
      });
      const main = await job.uses(chainInputs({ 'action-timeout-s': '10' }));
      expect(main.exitCode).toBe(1);
      expect(main.log.at(-1)).toBe(
        'Error: Input role-chaining: the EC2 instance profile (instance metadata service) had not answered when ' +
          'action-timeout-s (10 s) ran out: attach an instance profile to the runner instance (in a container on it, ' +
          'allow IMDSv2 with hop limit 2), or raise action-timeout-s'
      );
      expect(imds.requests.length).toBeGreaterThan(0);
      expect(emulation.sts.requests).toEqual([]);
      expect(main.exported).toEqual({});
    } finally {
      await imds.close();
    }
  }, 30_000);

  it('starts from IRSA: the token file goes to AssumeRoleWithWebIdentity (no tags), then AssumeRole', async () => {
    const job = emulation.job({ idTokenPermission: false });
    const tokenFile = join(job.root, 'eks-token');
    writeFileSync(tokenFile, await emulation.issuer.issue('sts.amazonaws.com'));
    Object.assign(job.env, { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: DEMO_ROLE_ARN });
    const main = await job.uses(chainInputs());
    expect(main.exitCode).toBe(0);
    expect(main.log).toContain(
      "Chaining from the pod's service-account role (IRSA: AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)"
    );
    expect(emulation.sts.requests.map((request) => `${request.action} ${request.status}`)).toEqual([
      'AssumeRoleWithWebIdentity 200',
      'AssumeRole 200'
    ]);
    expect(Object.keys(emulation.sts.requests[0]!.params).some((name) => name.startsWith('Tags.'))).toBe(false);
    expect(assumeRoleRequests()[0]!.params['Tags.member.2.Key']).toBe('Repository');
    expect((await identity(job)).Arn).toBe('arn:aws:sts::210987654321:assumed-role/deployer/gha-4242-1');
  });

  it('names the source when STS refuses the chain', async () => {
    const imds = await startInstanceMetadata(emulation.sts, `arn:aws:iam::${RUNNER_ACCOUNT}:role/runner-instance`);
    try {
      trustRunner('runner-instance', { StringEquals: { 'sts:ExternalId': 'tenant-7' } });
      const job = emulation.job({ idTokenPermission: false, env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url } });
      const main = await job.uses(chainInputs({ 'role-external-id': 'tenant-8' }));
      expect(main.exitCode).toBe(1);
      expect(main.log.at(-1)).toMatch(
        new RegExp(
          '^Error: STS refused to chain to arn:aws:iam::210987654321:role\\/deployer from the EC2 ' +
            'instance profile \\(instance metadata service\\): AccessDenied \\(HTTP 403\\): .*: the ' +
            "role's trust policy must allow sts:AssumeRole for that identity, with the " +
            'sts:ExternalId given in role-external-id$'
        )
      );
      expect(main.log.join('\n')).not.toMatch(/AssumeRoleWithWebIdentity/);
    } finally {
      await imds.close();
    }
  });

  it('says what it tried when the instance metadata service gives nothing', async () => {
    const imds = await startInstanceMetadata(emulation.sts, `arn:aws:iam::${RUNNER_ACCOUNT}:role/runner-instance`);
    imds.failWith = 404;
    try {
      const job = emulation.job({ idTokenPermission: false, env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url } });
      const main = await job.uses(chainInputs());
      expect(main.exitCode).toBe(1);
      expect(main.log.at(-1)).toMatch(
        new RegExp(
          '^Error: Input role-chaining found no AWS credentials: no keys in the environment .* and ' +
            'the instance metadata service gave none \\(HTTP 404\\): use this action once earlier'
        )
      );
      expect(emulation.sts.requests).toEqual([]);
    } finally {
      await imds.close();
    }
  });

  it('without role-chaining, sends neither tags nor an external id, and says the inputs are ignored', async () => {
    const main = await emulation.job().uses(emulation.inputs({ 'role-external-id': 'tenant-7' }));
    expect(main.exitCode).toBe(0);
    expect(main.log).toContain(
      'Note: role-external-id applies to sts:AssumeRole (role-chaining) only; AssumeRoleWithWebIdentity takes neither, so they are not sent'
    );
    expect(Object.keys(emulation.sts.requests[0]!.params).filter((name) => /^(Tags|ExternalId)/.test(name))).toEqual(
      []
    );
  });
});

describe('web-identity-token-file', () => {
  it('reads the token from a path relative to the workspace and masks it', async () => {
    const job = emulation.job({ idTokenPermission: false });
    const token = await emulation.issuer.issue('sts.amazonaws.com');
    writeFileSync(join(job.root, 'workspace', 'token.jwt'), `${token}\n`);
    const main = await job.uses(emulation.inputs({ 'web-identity-token-file': 'token.jwt' }));
    expect(main.exitCode).toBe(0);
    expect(emulation.issuer.tokenRequests).toEqual([]);
    expect(emulation.sts.requests[0]!.params.WebIdentityToken).toBe(token);
    expect(main.raw.split('\n').filter((line) => line.includes(token))).toEqual([`::add-mask::${token}`]);
  });

  // No FIFOs on Windows.
  (process.platform === 'win32' ? it.skip : it)(
    'refuses a token file that is a FIFO or too large, without waiting on it',
    async () => {
      const job = emulation.job({ idTokenPermission: false });
      const fifo = join(job.root, 'workspace', 'token.fifo');
      execFileSync('mkfifo', [fifo]);
      const big = join(job.root, 'workspace', 'big.jwt');
      writeFileSync(big, 'x'.repeat(200 * 1024));
      const fromFifo = await job.uses(emulation.inputs({ 'web-identity-token-file': 'token.fifo' }));
      expect(fromFifo.log.at(-1)).toMatch(
        /^Error: Input web-identity-token-file: cannot read .*token\.fifo \(EISDIR\)/
      );
      const fromBig = await job.uses(emulation.inputs({ 'web-identity-token-file': 'big.jwt' }));
      expect(fromBig.log.at(-1)).toMatch(/^Error: Input web-identity-token-file: cannot read .*big\.jwt \(EFBIG\)/);
      expect(emulation.sts.requests).toEqual([]);
    }
  );

  it('names the file it cannot read, before any request', async () => {
    const job = emulation.job({ idTokenPermission: false });
    const main = await job.uses(emulation.inputs({ 'web-identity-token-file': 'missing.jwt' }));
    expect(main.log.at(-1)).toBe(
      `Error: Input web-identity-token-file: cannot read ${join(job.root, 'workspace', 'missing.jwt')} (ENOENT): ` +
        `check the path; a relative path starts at the workspace`
    );
    expect(emulation.sts.requests).toEqual([]);
  });
});
