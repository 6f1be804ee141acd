/*
 * The committed dist/ bundles, run by the runner emulation exactly as the runner runs
 * them (Node 24, INPUT_ variables with action.yml defaults, fresh file-command files,
 * STATE_ for post), against GitHub's token service and STS emulated on 127.0.0.1.
 */
import { join } from 'node:path';
import { DEMO_ROLE_ARN, startEmulation, type Emulation } from '../../emulator/emulation.ts';
import { REPO_ROOT, type Job } from '../../emulator/runner.ts';

let emulation: Emulation;
beforeEach(async () => {
  emulation = await startEmulation();
});
afterEach(() => emulation.close());

const CONSUMER = join(REPO_ROOT, 'emulator/consumer.ts');
const callerIdentity = async (job: Job) => {
  const step = await job.run(process.execPath, [CONSUMER, emulation.sts.url]);
  return step.exitCode === 0 ? (JSON.parse(step.raw) as { Arn: string; Account: string }) : step.raw.trim();
};
const CREDENTIAL_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];

describe('the bundled action under the runner emulation', () => {
  it('makes one OIDC and one STS request and exports exactly what STS issued', async () => {
    const job = emulation.job();
    const main = await job.uses(emulation.inputs());
    expect(main.exitCode).toBe(0);
    expect(emulation.issuer.tokenRequests).toEqual([
      { audience: 'sts.amazonaws.com', authorized: true, at: expect.any(Number) }
    ]);
    expect(emulation.sts.requests.map((request) => request.action)).toEqual(['AssumeRoleWithWebIdentity']);
    const [issued] = emulation.sts.issued;
    expect(main.exported).toEqual({
      AWS_ACCESS_KEY_ID: issued!.accessKeyId,
      AWS_SECRET_ACCESS_KEY: issued!.secretAccessKey,
      AWS_SESSION_TOKEN: issued!.sessionToken,
      AWS_REGION: 'eu-west-2',
      AWS_DEFAULT_REGION: 'eu-west-2'
    });
    expect(main.outputs).toEqual({
      'aws-account-id': '123456789012',
      'authenticated-arn': 'arn:aws:sts::123456789012:assumed-role/deploy/gha-4242-1',
      'aws-expiration': expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/)
    });
    expect(main.log).toEqual([
      expect.stringMatching(
        /^Assumed arn:aws:iam::123456789012:role\/deploy as session gha-4242-1; credentials expire \S+ \(in 60 min\)$/
      )
    ]);
  });

  it('announces every secret with add-mask before it appears anywhere else, and keeps them out of state', async () => {
    const job = emulation.job();
    const main = await job.uses(emulation.inputs({ 'output-credentials': 'true' }));
    const issued = emulation.sts.issued[0]!;
    const token = emulation.sts.requests[0]!.params.WebIdentityToken!;
    for (const secret of [issued.accessKeyId, issued.secretAccessKey, issued.sessionToken, token]) {
      const lines = main.raw.split('\n');
      const first = lines.findIndex((line) => line.includes(secret));
      expect(lines[first]).toBe(`::add-mask::${secret}`);
      expect(lines.filter((line) => line.includes(secret))).toHaveLength(1);
      expect(main.log.join('\n')).not.toContain(secret);
      expect(main.files.state).not.toContain(secret);
      expect(main.files.summary).not.toContain(secret);
    }
    expect(main.outputs['aws-secret-access-key']).toBe(issued.secretAccessKey);
  });

  it('gives later steps working credentials, and post clears them', async () => {
    const job = emulation.job();
    await job.uses(emulation.inputs());
    expect(await callerIdentity(job)).toEqual({
      Account: '123456789012',
      Arn: 'arn:aws:sts::123456789012:assumed-role/deploy/gha-4242-1',
      UserId: expect.any(String)
    });
    const [post] = await job.runPosts();
    expect(post!.exitCode).toBe(0);
    expect(post!.log).toEqual([
      'Cleared AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION.'
    ]);
    for (const name of [...CREDENTIAL_VARIABLES, 'AWS_REGION', 'AWS_DEFAULT_REGION']) expect(job.env[name]).toBe('');
  });

  it.each([
    ['branch', 'main', 'repo:octo-org/octo-repo:ref:refs/heads/main'],
    ['tag', 'v1.2.0', 'repo:octo-org/octo-repo:ref:refs/tags/v1.2.0'],
    ['pull_request', '', 'repo:octo-org/octo-repo:pull_request'],
    ['environment', 'production', 'repo:octo-org/octo-repo:environment:production']
  ] as const)('is admitted by a trust policy that names the exact %s sub', async (form, name, sub) => {
    emulation.issuer.run = { ...emulation.issuer.run, form, name };
    emulation.sts.addRole({
      arn: DEMO_ROLE_ARN,
      maxSessionDuration: 3600,
      trust: {
        StringEquals: {
          'token.actions.githubusercontent.com:sub': sub,
          'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com'
        }
      }
    });
    const job = emulation.job();
    expect((await job.uses(emulation.inputs())).exitCode).toBe(0);
    // The same trust policy refuses the other forms.
    emulation.issuer.run = { ...emulation.issuer.run, form: form === 'branch' ? 'tag' : 'branch', name: 'other' };
    const refused = await emulation.job().uses(emulation.inputs());
    expect(refused.exitCode).toBe(1);
    expect(refused.exported).toEqual({});
    expect(refused.log.at(-1)).toBe(
      `Error: STS refused ${DEMO_ROLE_ARN} for this run: AccessDenied (HTTP 403): Not authorized to perform ` +
        `sts:AssumeRoleWithWebIdentity. Either the role's trust policy does not admit this token (compare its ` +
        `Condition with the token claims) or no role has this ARN (STS answers the same for both: check ` +
        `the account id and role name)`
    );
  });

  it('requests the token for a custom audience', async () => {
    emulation.sts.providers[0]!.clientIds.push('my-audience');
    emulation.sts.addRole({
      arn: DEMO_ROLE_ARN,
      maxSessionDuration: 3600,
      trust: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'my-audience' } }
    });
    const main = await emulation.job().uses(emulation.inputs({ audience: 'my-audience' }));
    expect(main.exitCode).toBe(0);
    expect(emulation.issuer.tokenRequests.map((request) => request.audience)).toEqual(['my-audience']);
  });

  it.each([
    ['gha-{run_id}-{run_attempt}', 'gha-4242-1'],
    ['{repo}@{ref_name}.{sha}', 'octo-repo@main.a1b2c3d'],
    ['{actor}-{run_number}', 'dependabot-bot-17'],
    [`{workflow}-${'x'.repeat(40)}-{run_id}`, `CI-Deploy-Producti-${'x'.repeat(40)}-4242`]
  ])('sends STS the session name from template %s', async (template, expected) => {
    const job = emulation.job({
      github: { GITHUB_ACTOR: 'dependabot[bot]', GITHUB_WORKFLOW: 'CI / Deploy / Production' }
    });
    const main = await job.uses(emulation.inputs({ 'role-session-name': template }));
    expect(main.exitCode).toBe(0);
    expect(emulation.sts.requests[0]!.params.RoleSessionName).toBe(expected);
    expect(main.log[0]).toContain(` as session ${expected};`);
  });

  it('keeps the right credentials live across two roles in one job, then both posts clear in reverse order', async () => {
    const second = 'arn:aws:iam::210987654321:role/audit';
    emulation.sts.addRole({
      arn: second,
      maxSessionDuration: 3600,
      trust: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:octo-org/*' } }
    });
    const job = emulation.job();
    await job.uses(emulation.inputs());
    expect(await callerIdentity(job)).toMatchObject({ Account: '123456789012' });
    await job.uses(emulation.inputs({ 'role-to-assume': second }));
    expect(await callerIdentity(job)).toMatchObject({
      Account: '210987654321',
      Arn: 'arn:aws:sts::210987654321:assumed-role/audit/gha-4242-1'
    });
    const [postSecond, postFirst] = await job.runPosts();
    expect(postSecond!.exported).toEqual(
      Object.fromEntries([...CREDENTIAL_VARIABLES, 'AWS_REGION', 'AWS_DEFAULT_REGION'].map((name) => [name, '']))
    );
    // The first post finds the variables no longer hold its values and leaves them alone.
    expect(postFirst!.exported).toEqual({});
    expect(postFirst!.exitCode).toBe(0);
    for (const name of CREDENTIAL_VARIABLES) expect(job.env[name]).toBe('');
  });

  it('with cleanup: false, post leaves the credentials for other actions’ post steps', async () => {
    const job = emulation.job();
    const main = await job.uses(emulation.inputs({ cleanup: 'false' }));
    const [post] = await job.runPosts();
    expect(post!.exported).toEqual({});
    expect(job.env.AWS_ACCESS_KEY_ID).toBe(main.exported.AWS_ACCESS_KEY_ID);
  });

  it('without id-token: write, fails with the YAML to add and makes no request', async () => {
    const job = emulation.job({ idTokenPermission: false });
    const main = await job.uses(emulation.inputs());
    expect(main.exitCode).toBe(1);
    expect(main.log).toEqual([
      'Add these lines to the job (or to the workflow, for every job):',
      '  permissions:',
      '    id-token: write',
      'Error: No GitHub OIDC token for this job: add "permissions: id-token: write" to the job or workflow (see ' +
        'the lines above); pull requests from forks and Dependabot runs never get a token'
    ]);
    expect(emulation.issuer.tokenRequests).toEqual([]);
    expect(emulation.sts.requests).toEqual([]);
    const [post] = await job.runPosts();
    expect(post!.log).toEqual(['Nothing to clean up: the main step exported no credentials (or cleanup is off).']);
    expect(post!.exitCode).toBe(0);
  });
});
