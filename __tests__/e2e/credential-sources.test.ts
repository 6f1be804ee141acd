/* role-chaining (AssumeRole with the credentials in the environment) and web-identity-token-file. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulation, type Emulation } from '../../emulator/emulation.ts';
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
    trustedSessions: ['arn:aws:sts::123456789012:assumed-role/deploy/*']
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
      /^Error: STS refused to chain to arn:aws:iam::210987654321:role\/deployer: AccessDenied \(HTTP 403\): .*: the role's trust policy must allow sts:AssumeRole for the role whose credentials are in the environment/
    );
  });

  it.each([
    [
      { 'role-duration-seconds': '7200' },
      'Input role-duration-seconds 7200 is above 3600: AWS caps sessions from role chaining at 1 hour; set role-duration-seconds to 3600 or less'
    ],
    [
      {},
      'Input role-chaining needs credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): use this action once earlier in the job without role-chaining'
    ]
  ])('fails locally for %j', async (extra, message) => {
    const main = await emulation.job().uses(emulation.inputs({ 'role-chaining': 'true', ...extra }));
    expect(main.log.at(-1)).toBe(`Error: ${message}`);
    expect(emulation.sts.requests).toEqual([]);
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

  it('names the file it cannot read, before any request', async () => {
    const job = emulation.job({ idTokenPermission: false });
    const main = await job.uses(emulation.inputs({ 'web-identity-token-file': 'missing.jwt' }));
    expect(main.log.at(-1)).toBe(
      `Error: Input web-identity-token-file: cannot read ${join(job.root, 'workspace', 'missing.jwt')} (ENOENT): check the path; a relative path starts at the workspace`
    );
    expect(emulation.sts.requests).toEqual([]);
  });
});
