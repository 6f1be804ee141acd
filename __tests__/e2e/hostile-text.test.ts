/*
 * Text from outside — an STS error, the token's claims, an input URL — reaches the log,
 * the error line and the job summary only as data: it starts no workflow command (the
 * emulator's log follows the runner's rules, stop-commands included), shows no secret,
 * account id or password, and keeps the summary's shape. Each test names the finding it
 * guards; run with ACTION_DIR=<older checkout> to see it fail on a build without the fix.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulation, type Emulation } from '../../emulator/emulation.ts';
import { startTestProxy, type TestProxy } from '../../emulator/proxy.ts';
import type { StepResult } from '../../emulator/runner.ts';
import type { StsFault } from '../../emulator/sts-stub.ts';
import { createTlsMaterial } from '../../emulator/tls.ts';

/** The commands the action itself writes to stdout; anything else came from outside. */
const OUR_COMMANDS = ['add-mask', 'error', 'warning', 'notice', 'debug'];
const ACCOUNT = '123456789012';

const emulations: Emulation[] = [];
const proxies: TestProxy[] = [];
afterAll(async () => {
  await Promise.all(emulations.map((emulation) => emulation.close()));
  await Promise.all(proxies.map((proxy) => proxy.close()));
});

async function emulate(): Promise<Emulation> {
  const emulation = await startEmulation();
  emulations.push(emulation);
  return emulation;
}

/** Commands in the step's output that the action did not write, and whether command processing ended stopped. */
function injected(step: StepResult) {
  return {
    foreign: step.commands.filter((command) => !OUR_COMMANDS.includes(command.name)).map((command) => command.line),
    stopped: step.commandsStopped
  };
}

/** Every secret STS issued or the job sent, for "not in the log" checks. */
function secretsOf(emulation: Emulation): string[] {
  const issued = emulation.sts.issued.flatMap((session) => [
    session.accessKeyId,
    session.secretAccessKey,
    session.sessionToken
  ]);
  const tokens = emulation.sts.requests.map((request) => request.params.WebIdentityToken ?? '').filter(Boolean);
  return [...issued, ...tokens];
}

/** The summary's HTML other than the tags the action writes itself. */
const foreignMarkup = (summary: string): string[] => summary.replace(/<\/?(b|pre|code)>/g, '').match(/<[^>]*>?/g) ?? [];

const hostileFault = (code: string, message: string): StsFault => ({ status: 400, code, message });

describe('finding 2: workflow commands in an STS error message', () => {
  it('a stop-commands line in a retried error does not unmask the credentials issued next', async () => {
    const emulation = await emulate();
    emulation.sts.faults.push(hostileFault('Throttling', 'Rate exceeded\n::stop-commands::pwned\n'));
    const main = await emulation.job().uses(emulation.inputs());
    expect(main.exitCode).toBe(0);
    expect(injected(main)).toEqual({ foreign: [], stopped: false });
    expect(emulation.sts.issued).toHaveLength(1);
    for (const secret of secretsOf(emulation)) expect(main.log.join('\n')).not.toContain(secret);
  });

  it('the older ##[stop-commands] form in mid-line does not unmask the credentials either', async () => {
    const emulation = await emulate();
    emulation.sts.faults.push(hostileFault('Throttling', 'Rate exceeded ##[stop-commands]pwned'));
    const main = await emulation.job().uses(emulation.inputs());
    expect(main.exitCode).toBe(0);
    expect(injected(main)).toEqual({ foreign: [], stopped: false });
    for (const secret of secretsOf(emulation)) expect(main.log.join('\n')).not.toContain(secret);
  });

  it('set-output and save-state lines in the final error set no output and no state for post', async () => {
    const emulation = await emulate();
    const message =
      'Rate exceeded\n::set-output name=aws-account-id::666666666666\n' +
      '::save-state name=cleanup::{"variables":["PATH"]}\n##[set-output name=authenticated-arn;]evil';
    emulation.sts.faults.push(hostileFault('Throttling', message), hostileFault('Throttling', message));
    const job = emulation.job();
    const main = await job.uses(emulation.inputs({ 'retry-max-attempts': '2' }));
    expect(main.exitCode).toBe(1);
    expect(injected(main)).toEqual({ foreign: [], stopped: false });
    expect(main.outputs).toEqual({});
    expect(main.state).toEqual({});
    const [post] = await job.runPosts();
    expect(post!.exitCode).toBe(0);
  });

  it('a fence, a table row and HTML in the error keep the failure summary as the action wrote it', async () => {
    const emulation = await emulate();
    emulation.sts.faults.push(
      hostileFault('ValidationError', 'Bad\n```\n| a | b |\n<script>alert(1)</script>\n### Heading **bold**')
    );
    const main = await emulation.job().uses(emulation.inputs());
    expect(main.exitCode).toBe(1);
    expect(foreignMarkup(main.summary)).toEqual([]);
    expect(main.summary).not.toMatch(/^(```|\||###? [^A])/m);
    expect(main.summary.split('\n').filter((line) => line.startsWith('###'))).toEqual(['### AWS credentials: failed']);
  });
});

describe('finding 3: token claims with line breaks, backticks and commands', () => {
  async function refusedWithClaims(claims: Record<string, string>): Promise<StepResult> {
    const emulation = await emulate();
    // Signed by the issuer STS trusts, so STS gets as far as the trust policy and refuses: AccessDenied.
    const token = await emulation.issuer.issue('sts.amazonaws.com', claims);
    const file = join(mkdtempSync(join(tmpdir(), 'token-')), 'token');
    writeFileSync(file, token);
    const main = await emulation
      .job({ idTokenPermission: false })
      .uses(emulation.inputs({ 'web-identity-token-file': file }));
    expect(emulation.sts.requests.map((request) => request.code)).toEqual(['AccessDenied']);
    return main;
  }

  it('claims printed in the AccessDenied diagnosis start no command', async () => {
    const main = await refusedWithClaims({
      sub: 'repo:other/repo:ref:refs/heads/main\n::set-output name=role::evil',
      ref: 'refs/heads/x\r::save-state name=cleanup::{}',
      environment: 'production\n::stop-commands::pwned'
    });
    expect(main.exitCode).toBe(1);
    expect(injected(main)).toEqual({ foreign: [], stopped: false });
    expect(main.log.at(-1)).toMatch(/^Error: STS refused /);
  });

  it('claims with a fence and HTML keep the failure summary as the action wrote it', async () => {
    const main = await refusedWithClaims({
      sub: 'repo:other/repo:ref:`x` | y',
      ref: 'refs/heads/x\n```\n<img src=x onerror=alert(1)>',
      environment: '``` \n## Injected heading'
    });
    expect(main.exitCode).toBe(1);
    expect(foreignMarkup(main.summary)).toEqual([]);
    expect(main.summary).not.toMatch(/^(```|##? )/m);
  });
});

describe('finding 8: mask-aws-account-id when the step fails', () => {
  it('AccessDenied shows the account id nowhere: error line, Federated principal line, summary', async () => {
    const emulation = await emulate();
    for (const role of emulation.sts.roles.values())
      role.trust = { StringEquals: { 'token.actions.githubusercontent.com:sub': 'nobody' } };
    const job = emulation.job();
    const main = await job.uses(emulation.inputs({ 'mask-aws-account-id': 'true' }));
    expect(main.exitCode).toBe(1);
    expect(main.log.join('\n')).toContain('Federated principal');
    expect(main.log.filter((line) => line.includes(ACCOUNT))).toEqual([]);
    // GitHub masks the summary with the job's masks, as it does the log.
    expect(job.mask(main.summary)).not.toContain(ACCOUNT);
    expect(main.summary).toContain('failed');
  });
});

describe('finding 11: where the token goes, and what an error line echoes of a URL', () => {
  it('a non-AWS https sts-endpoint gets no request with the AWS audience; the error names the fix', async () => {
    const tls = await createTlsMaterial(['sts.attacker.test', '127.0.0.1']);
    const caFile = join(mkdtempSync(join(tmpdir(), 'ca-')), 'ca.pem');
    writeFileSync(caFile, tls.caPem);
    const emulation = await startEmulation(tls);
    emulations.push(emulation);
    const proxy = await startTestProxy();
    proxies.push(proxy);
    const main = await emulation
      .job({ env: { NODE_EXTRA_CA_CERTS: caFile, HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } })
      .uses(emulation.inputs({ 'sts-endpoint': `https://sts.attacker.test:${emulation.sts.tlsPort}` }));
    expect({ reached: proxy.seen, received: emulation.sts.requests.length }).toEqual({ reached: [], received: 0 });
    expect(emulation.issuer.tokenRequests).toEqual([]);
    expect(main.exitCode).toBe(1);
    expect(main.log.at(-1)).toMatch(
      /^Error: Input sts-endpoint sts\.attacker\.test:\d+ is not an AWS STS host.*audience/
    );
  });

  it('a password in a URL input is not echoed in the error line', async () => {
    const emulation = await emulate();
    const main = await emulation
      .job()
      .uses(emulation.inputs({ 'sts-endpoint': 'http://deploy:hunter2-secret@sts.example.com/' }));
    expect(main.exitCode).toBe(1);
    expect(emulation.issuer.tokenRequests).toEqual([]);
    expect(main.raw).not.toContain('hunter2-secret');
    expect(main.log.at(-1)).toMatch(/^Error: Input sts-endpoint "http:\/\/\*\*\*@sts\.example\.com\/" must use https/);
  });
});
