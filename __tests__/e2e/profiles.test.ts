/*
 * aws-profile and role-profiles: credentials written to ~/.aws (0600, never through a
 * symbolic link), used by a later step through the profile, and removed by post with
 * every other byte of the files left as it was.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ROLE_ARN, startEmulation, type Emulation } from '../../emulator/emulation.ts';
import { REPO_ROOT, type Job } from '../../emulator/runner.ts';

const AUDIT_ROLE = 'arn:aws:iam::210987654321:role/audit';
const CONSUMER = join(REPO_ROOT, 'emulator/consumer.ts');
const EXISTING_CREDENTIALS =
  '[personal]\naws_access_key_id = AKIAEXISTING\naws_secret_access_key = existing-secret\n# a comment the user keeps\n';
const EXISTING_CONFIG = '[default]\nregion = us-east-1\noutput = json'; // no final newline on purpose

let emulation: Emulation;
let home: string;
beforeEach(async () => {
  emulation = await startEmulation();
  emulation.sts.addRole({
    arn: AUDIT_ROLE,
    maxSessionDuration: 3600,
    trust: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:octo-org/octo-repo:*' } }
  });
  home = mkdtempSync(join(tmpdir(), 'home-'));
});
afterEach(() => emulation.close());

const awsFile = (name: string) => join(home, '.aws', name);
function seedFiles(): void {
  mkdirSync(join(home, '.aws'), { mode: 0o700 });
  writeFileSync(awsFile('credentials'), EXISTING_CREDENTIALS);
  writeFileSync(awsFile('config'), EXISTING_CONFIG);
  chmodSync(awsFile('credentials'), 0o644);
}
const identityThrough = async (job: Job, profile: string) => {
  const step = await job.run(process.execPath, [CONSUMER, emulation.sts.url], { AWS_PROFILE: profile });
  return step.exitCode === 0 ? (JSON.parse(step.raw) as { Arn: string }).Arn : step.raw;
};

describe('aws-profile', () => {
  it('writes the profile (0600), leaves the environment alone, and post restores the files byte for byte', async () => {
    seedFiles();
    const job = emulation.job({ env: { HOME: home } });
    const main = await job.uses(emulation.inputs({ 'aws-profile': 'deploy' }));
    expect(main.exitCode).toBe(0);
    expect(Object.keys(main.exported).sort()).toEqual(['AWS_DEFAULT_REGION', 'AWS_REGION']);
    const issued = emulation.sts.issued[0]!;
    const credentials = readFileSync(awsFile('credentials'), 'utf8');
    expect(credentials.startsWith(EXISTING_CREDENTIALS)).toBe(true);
    expect(credentials).toContain(
      `[deploy]\naws_access_key_id = ${issued.accessKeyId}\n` +
        `aws_secret_access_key = ${issued.secretAccessKey}\naws_session_token = ${issued.sessionToken}\n`
    );
    expect(readFileSync(awsFile('config'), 'utf8')).toMatch(
      /^\[default\]\nregion = us-east-1\noutput = json\n# .*\n\[profile deploy\]\nregion = eu-west-2\n$/
    );
    // Windows has no POSIX permission bits (stat reports 0o666 for any writable file).
    if (process.platform !== 'win32') expect(statSync(awsFile('credentials')).mode & 0o777).toBe(0o600);
    expect(main.log.at(-1)).toMatch(
      /^Assumed arn:aws:iam::123456789012:role\/deploy as session gha-4242-1 into profile deploy; credentials expire/
    );

    expect(await identityThrough(job, 'deploy')).toBe(issued.assumedRoleArn);

    const [post] = await job.runPosts();
    expect(post!.exitCode).toBe(0);
    expect(readFileSync(awsFile('credentials'), 'utf8')).toBe(EXISTING_CREDENTIALS);
    expect(readFileSync(awsFile('config'), 'utf8')).toBe(EXISTING_CONFIG);
  });

  it('creates the files when there are none, and post deletes them again', async () => {
    const job = emulation.job({ env: { HOME: home } });
    expect((await job.uses(emulation.inputs({ 'aws-profile': 'default' }))).exitCode).toBe(0);
    expect(readFileSync(awsFile('config'), 'utf8')).toMatch(/\[default\]\nregion = eu-west-2\n$/);
    await job.runPosts();
    expect(existsSync(awsFile('credentials'))).toBe(false);
    expect(existsSync(awsFile('config'))).toBe(false);
  });

  it('refuses an existing profile unless overwrite-aws-profile, before any request', async () => {
    seedFiles();
    const refused = await emulation.job({ env: { HOME: home } }).uses(emulation.inputs({ 'aws-profile': 'personal' }));
    expect(refused.exitCode).toBe(1);
    expect(refused.log.at(-1)).toBe(
      `Error: Profile "personal" already exists in ${awsFile('credentials')}: choose another profile name, or ` +
        `set overwrite-aws-profile: true to replace it`
    );
    expect(emulation.issuer.tokenRequests).toEqual([]);
    const replaced = await emulation
      .job({ env: { HOME: home } })
      .uses(emulation.inputs({ 'aws-profile': 'personal', 'overwrite-aws-profile': 'true' }));
    expect(replaced.exitCode).toBe(0);
    expect(readFileSync(awsFile('credentials'), 'utf8')).not.toContain('AKIAEXISTING');
  });

  // Red on the bundle of main 294dc0c: after post the credentials file was empty.
  it("overwrite-aws-profile gives the user's own section back at the end of the job", async () => {
    seedFiles();
    writeFileSync(awsFile('config'), `${EXISTING_CONFIG}\n[profile personal]\nregion = us-east-1\n`);
    const config = readFileSync(awsFile('config'), 'utf8');
    const job = emulation.job({ env: { HOME: home } });
    const main = await job.uses(emulation.inputs({ 'aws-profile': 'personal', 'overwrite-aws-profile': 'true' }));
    expect(main.exitCode).toBe(0);
    expect(await identityThrough(job, 'personal')).toBe(emulation.sts.issued[0]!.assumedRoleArn);
    expect(main.files.state).not.toContain('existing-secret');
    const [post] = await job.runPosts();
    expect(post!.log.filter((line) => line.startsWith('Warning'))).toEqual([]);
    expect(readFileSync(awsFile('credentials'), 'utf8')).toBe(EXISTING_CREDENTIALS);
    expect(readFileSync(awsFile('config'), 'utf8')).toBe(config);
  });

  it("leaves nothing of the user's replaced section in RUNNER_TEMP after post", async () => {
    seedFiles();
    const job = emulation.job({ env: { HOME: home } });
    const main = await job.uses(emulation.inputs({ 'aws-profile': 'personal', 'overwrite-aws-profile': 'true' }));
    expect(main.exitCode).toBe(0);
    expect(readdirSync(join(job.root, 'temp'))).not.toEqual([]);
    await job.runPosts();
    expect(readdirSync(join(job.root, 'temp'))).toEqual([]);
  });

  it("a line break in a profile file's path starts no workflow command in post's log", async () => {
    const config = join(home, 'aws\n::warning::from a path', 'config');
    const job = emulation.job({ env: { HOME: home, AWS_CONFIG_FILE: config } });
    expect((await job.uses(emulation.inputs({ 'aws-profile': 'deploy' }))).exitCode).toBe(0);
    const [post] = await job.runPosts();
    expect(post!.commands.filter((command) => command.name === 'warning')).toEqual([]);
    expect(post!.log.filter((line) => line.startsWith('Removed the AWS profiles'))).toEqual([
      `Removed the AWS profiles this action wrote from ${awsFile('credentials')}, ${config.replace('\n', ' ')}.`
    ]);
    expect(existsSync(config)).toBe(false);
  });

  // Red on the bundle of main 294dc0c: the config file was not checked.
  it('refuses a profile that exists only in the config file, before any request', async () => {
    seedFiles();
    writeFileSync(awsFile('config'), '[profile deploy]\nregion = us-east-1\n');
    const main = await emulation.job({ env: { HOME: home } }).uses(emulation.inputs({ 'aws-profile': 'deploy' }));
    expect(main.log.at(-1)).toBe(
      `Error: Profile "deploy" already exists in ${awsFile('config')}: choose another profile name, or set ` +
        `overwrite-aws-profile: true to replace it`
    );
    expect(emulation.issuer.tokenRequests).toEqual([]);
    expect(readFileSync(awsFile('credentials'), 'utf8')).toBe(EXISTING_CREDENTIALS);
  });

  // Red on the bundle of main 294dc0c: the secret was written to credentials, the config write failed, no state.
  it('checks the config file can be written before any request, so no secret is left without a record', async () => {
    seedFiles();
    rmSync(awsFile('config'));
    mkdirSync(awsFile('config'));
    const main = await emulation.job({ env: { HOME: home } }).uses(emulation.inputs({ 'aws-profile': 'deploy' }));
    expect(main.exitCode).toBe(1);
    expect(main.log.at(-1)).toBe(
      `Error: Cannot write AWS profiles to ${awsFile('config')} (EISDIR): make it a writable regular file in a ` +
        `writable folder, or point AWS_CONFIG_FILE elsewhere; nothing was written`
    );
    expect(emulation.issuer.tokenRequests).toEqual([]);
    expect(readFileSync(awsFile('credentials'), 'utf8')).toBe(EXISTING_CREDENTIALS);
  });

  // Red on the bundle of main 294dc0c: the token went into the file verbatim and its [default] outlived post.
  it('refuses credentials from STS that would add a section to the files', async () => {
    seedFiles();
    emulation.sts.tamper = (session) => ({
      ...session,
      sessionToken: `${session.sessionToken}\n\n[default]\ncredential_process = sh -c 'echo pwned'`
    });
    const job = emulation.job({ env: { HOME: home } });
    const main = await job.uses(emulation.inputs({ 'aws-profile': 'deploy' }));
    expect(main.exitCode).toBe(1);
    // Refused at the first gate, the check of STS's answer, before the profile writer's own check.
    expect(main.log.at(-1)).toMatch(/^Error: STS answered for \S+ with a SessionToken that is not /);
    expect(main.log.join('\n')).not.toContain('pwned');
    await job.runPosts();
    expect(readFileSync(awsFile('credentials'), 'utf8')).toBe(EXISTING_CREDENTIALS);
    expect(readFileSync(awsFile('config'), 'utf8')).toBe(EXISTING_CONFIG);
  });

  // Red on the bundle of main 294dc0c: the failure to read the config ended post before the variables were cleared.
  it('post clears the variables even when a profile file cannot be cleaned, and warns', async () => {
    const job = emulation.job({ env: { HOME: home } });
    const main = await job.uses(emulation.inputs({ 'aws-profile': 'deploy', 'output-env-credentials': 'true' }));
    expect(main.exitCode).toBe(0);
    rmSync(awsFile('config'));
    mkdirSync(awsFile('config'));
    const [post] = await job.runPosts();
    expect(post!.exitCode).toBe(0);
    expect(post!.log).toContain(`Warning: Could not remove the AWS profiles from ${awsFile('config')}: EISDIR`);
    expect(post!.exported.AWS_ACCESS_KEY_ID).toBe('');
    expect(post!.exported.AWS_SESSION_TOKEN).toBe('');
    expect(existsSync(awsFile('credentials'))).toBe(false);
  });

  // Red on the bundle of main 294dc0c: our lines were written with LF into a CRLF file.
  it('edits CRLF files under a home with a space in its path without changing their line endings', async () => {
    home = join(home, 'Jane Doe');
    mkdirSync(join(home, '.aws'), { recursive: true });
    const credentials = EXISTING_CREDENTIALS.replace(/\n/g, '\r\n');
    const config = EXISTING_CONFIG.replace(/\n/g, '\r\n');
    writeFileSync(awsFile('credentials'), credentials);
    writeFileSync(awsFile('config'), config);
    const job = emulation.job({ env: { HOME: home } });
    expect((await job.uses(emulation.inputs({ 'aws-profile': 'deploy' }))).exitCode).toBe(0);
    const written = readFileSync(awsFile('credentials'), 'utf8');
    expect(written.startsWith(credentials)).toBe(true);
    expect(written.replace(/\r\n/g, '')).not.toContain('\n');
    expect(readFileSync(awsFile('config'), 'utf8')).toMatch(/\r\n\[profile deploy\]\r\nregion = eu-west-2\r\n$/);
    expect(await identityThrough(job, 'deploy')).toBe(emulation.sts.issued[0]!.assumedRoleArn);
    await job.runPosts();
    expect(readFileSync(awsFile('credentials'), 'utf8')).toBe(credentials);
    expect(readFileSync(awsFile('config'), 'utf8')).toBe(config);
  });
});

describe('self-hosted runners: sections left by a job that never ran post', () => {
  // Red on the bundle of main 294dc0c: the next run refused "already exists".
  it("replaces a killed job's section with a warning naming its run", async () => {
    const killed = emulation.job({ env: { HOME: home }, github: { GITHUB_RUN_ID: '1001' } });
    expect((await killed.uses(emulation.inputs({ 'aws-profile': 'deploy' }))).exitCode).toBe(0);
    // Killed: no post. The runner empties its temp folder before its next job.
    rmSync(join(killed.root, 'temp'), { recursive: true });
    const next = emulation.job({ env: { HOME: home }, github: { GITHUB_RUN_ID: '1002' } });
    const main = await next.uses(emulation.inputs({ 'aws-profile': 'deploy' }));
    expect(main.exitCode).toBe(0);
    expect(main.log.filter((line) => line.startsWith('Warning'))).toEqual([
      expect.stringMatching(
        new RegExp(
          '^Warning: Replaced AWS profile sections left by run 1001 attempt 1, whose job ended ' +
            'without its post step \\(its lease .*\\.lease is gone\\)$'
        )
      )
    ]);
    const credentials = readFileSync(awsFile('credentials'), 'utf8');
    expect(credentials).not.toContain(emulation.sts.issued[0]!.accessKeyId);
    expect(credentials.match(/\[deploy\]/g)).toHaveLength(1);
    expect(await identityThrough(next, 'deploy')).toBe(emulation.sts.issued[1]!.assumedRoleArn);
  });

  it('leaves the section of a job still running on the same machine alone', async () => {
    const running = emulation.job({ env: { HOME: home }, github: { GITHUB_RUN_ID: '1001' } });
    expect((await running.uses(emulation.inputs({ 'aws-profile': 'deploy' }))).exitCode).toBe(0);
    const before = readFileSync(awsFile('credentials'), 'utf8');
    const other = emulation.job({ env: { HOME: home }, github: { GITHUB_RUN_ID: '1002' } });
    const main = await other.uses(emulation.inputs({ 'aws-profile': 'deploy', 'overwrite-aws-profile': 'true' }));
    expect(main.exitCode).toBe(1);
    expect(main.log.at(-1)).toBe(
      `Error: Profile "deploy" in ${awsFile('credentials')} belongs to run 1001 attempt 1, whose job is still ` +
        `running on this machine: choose another profile name`
    );
    expect(readFileSync(awsFile('credentials'), 'utf8')).toBe(before);
    expect(await identityThrough(running, 'deploy')).toBe(emulation.sts.issued[0]!.assumedRoleArn);
  });

  it('refuses to write through a symbolic link', async () => {
    mkdirSync(join(home, '.aws'));
    const elsewhere = join(home, 'elsewhere');
    writeFileSync(elsewhere, '');
    symlinkSync(elsewhere, awsFile('credentials'));
    const main = await emulation.job({ env: { HOME: home } }).uses(emulation.inputs({ 'aws-profile': 'deploy' }));
    expect(main.exitCode).toBe(1);
    expect(main.log.at(-1)).toBe(
      `Error: Refusing to write AWS profiles through the symbolic link ${awsFile('credentials')}: replace it ` +
        `with a regular file, or point AWS_SHARED_CREDENTIALS_FILE elsewhere`
    );
    expect(readFileSync(elsewhere, 'utf8')).toBe('');
  });
});

describe('role-profiles: several roles in one step', () => {
  const profiles = `deploy = ${DEMO_ROLE_ARN}\n# read-only auditing\naudit = ${AUDIT_ROLE}\n`;
  const inputs = () => {
    const base = emulation.inputs({ 'role-profiles': profiles });
    delete (base as Record<string, string>)['role-to-assume'];
    return base;
  };

  it('uses one OIDC token for every role and writes each profile', async () => {
    const job = emulation.job({ env: { HOME: home } });
    const main = await job.uses(inputs());
    expect(main.exitCode).toBe(0);
    expect(emulation.issuer.tokenRequests).toHaveLength(1);
    const tokens = new Set(emulation.sts.requests.map((request) => request.params.WebIdentityToken));
    expect(emulation.sts.requests.map((request) => request.params.RoleArn)).toEqual([DEMO_ROLE_ARN, AUDIT_ROLE]);
    expect(tokens.size).toBe(1);
    expect(main.log.filter((line) => line.startsWith('Assumed ')).map((line) => line.split(';')[0])).toEqual([
      `Assumed ${DEMO_ROLE_ARN} as session gha-4242-1 into profile deploy`,
      `Assumed ${AUDIT_ROLE} as session gha-4242-1 into profile audit`
    ]);
    expect(await identityThrough(job, 'deploy')).toBe(emulation.sts.issued[0]!.assumedRoleArn);
    expect(await identityThrough(job, 'audit')).toBe(emulation.sts.issued[1]!.assumedRoleArn);
    await job.runPosts();
    expect(existsSync(awsFile('credentials'))).toBe(false);
  });

  it('names the profile that failed, and writes nothing', async () => {
    emulation.sts.addRole({
      arn: AUDIT_ROLE,
      maxSessionDuration: 3600,
      trust: { StringEquals: { 'token.actions.githubusercontent.com:sub': 'nobody' } }
    });
    const main = await emulation.job({ env: { HOME: home } }).uses(inputs());
    expect(main.exitCode).toBe(1);
    expect(main.log.at(-1)).toMatch(
      /^Error: Profile "audit": STS refused arn:aws:iam::210987654321:role\/audit for this run: AccessDenied/
    );
    expect(existsSync(awsFile('credentials'))).toBe(false);
    expect(main.exported).toEqual({});
  });

  it.each([
    [
      { 'role-to-assume': DEMO_ROLE_ARN },
      'Input role-profiles replaces role-to-assume and aws-profile: give either role-profiles, or role-to-assume (with aws-profile)'
    ],
    [
      { 'role-profiles': 'deploy arn:aws:iam::123456789012:role/deploy' },
      'Input role-profiles has the line "deploy arn:aws:iam::123456789012:role/deploy": write one "PROFILE = ' +
        'ROLE_ARN" a line, e.g. deploy = arn:aws:iam::123456789012:role/deploy'
    ],
    [
      { 'role-profiles': `a = ${DEMO_ROLE_ARN}\na = ${AUDIT_ROLE}` },
      'Input role-profiles names profile "a" twice: give each profile once'
    ],
    [
      { 'output-env-credentials': 'true' },
      'Input output-env-credentials cannot be true with role-profiles: the environment holds one set of ' +
        'credentials; use the profiles (AWS_PROFILE or --profile)'
    ]
  ])('rejects %j before any request', async (extra, message) => {
    const main = await emulation.job({ env: { HOME: home } }).uses({ ...inputs(), ...extra });
    expect(main.log.at(-1)).toBe(`Error: ${message}`);
    expect(emulation.issuer.tokenRequests).toEqual([]);
  });
});
