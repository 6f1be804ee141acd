/*
 * `npm run demo`: the action end to end on one machine. Starts GitHub's token service
 * and an STS on 127.0.0.1, runs the bundled main step as the runner would and shows
 * its log as GitHub renders it, lets a later step use the credentials (the AWS CLI when
 * installed, else the AWS SDK), then runs the post step and shows the variables cleared.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DEMO_ROLE_ARN, startEmulation } from './emulation.ts';
import { REPO_ROOT, type StepResult } from './runner.ts';

const VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_DEFAULT_REGION'
];
// Bold headings only on a terminal, and not when NO_COLOR is set (no-color.org).
const bold = process.stdout.isTTY && !process.env.NO_COLOR;
const heading = (text: string): void => console.log(bold ? `\n\x1b[1m== ${text}\x1b[0m` : `\n== ${text}`);
const show = (step: StepResult): void => {
  for (const line of step.log) console.log(`   | ${line}`);
};
const check = (ok: boolean, what: string): void => {
  if (!ok) throw new Error(what);
};

const emulation = await startEmulation();
try {
  console.log(`GitHub token service: ${emulation.issuer.url}   STS: ${emulation.sts.url}`);
  console.log(`Role ${DEMO_ROLE_ARN} trusts repo:octo-org/octo-repo:* with audience sts.amazonaws.com`);
  const job = emulation.job();
  const inputs = emulation.inputs();

  heading('Step 1: uses: ./  (main)');
  console.log(
    Object.entries(inputs)
      .map(([name, value]) => `   with: ${name}: ${value}`)
      .join('\n')
  );
  const main = await job.uses(inputs);
  show(main);
  check(main.exitCode === 0, `main step failed with exit code ${main.exitCode}`);
  console.log(
    `   requests: ${emulation.issuer.tokenRequests.length} to the token service, ${emulation.sts.requests.length} to STS`
  );

  const cli = spawnSync('aws', ['--version'], { encoding: 'utf8' });
  const useCli = cli.status === 0;
  const caller = useCli
    ? 'aws sts get-caller-identity'
    : 'AWS SDK GetCallerIdentity; install the AWS CLI to use it instead';
  heading(`Step 2: a later step uses the credentials (${caller})`);
  const consumer = useCli
    ? await job.run('aws', ['sts', 'get-caller-identity', '--endpoint-url', emulation.sts.url, '--output', 'json'])
    : await job.run(process.execPath, [join(REPO_ROOT, 'emulator/consumer.ts'), emulation.sts.url]);
  for (const line of consumer.raw.trim().split('\n')) console.log(`   | ${job.mask(line)}`);
  check(consumer.exitCode === 0, 'the later step could not use the credentials');
  const identity = JSON.parse(consumer.raw) as { Arn: string };
  check(identity.Arn === main.outputs['authenticated-arn'], 'the later step saw another identity');

  heading('Job end: post step');
  const [post] = await job.runPosts();
  show(post!);
  check(post!.exitCode === 0, 'post step failed');
  for (const name of VARIABLES) console.log(`   ${name}=${JSON.stringify(job.env[name])}`);
  check(
    VARIABLES.every((name) => job.env[name] === ''),
    'post left variables set'
  );
  console.log('\nDemo passed: credentials issued, masked, used by a later step, and cleared.');
} catch (error) {
  console.error(`\nDemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await emulation.close();
}
