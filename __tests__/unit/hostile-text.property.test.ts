/*
 * Properties of the credential boundary for arbitrary outside text: STS error codes and
 * messages, every claim of the token, socket and proxy error text, and the contents of
 * the AWS profile files. The main step runs in process (the token from a file, nock for
 * STS) with the runner commands main.ts uses, printing to a string; its output is read by the
 * emulator's renderer, which follows the runner's command rules.
 * Seeded: every run of the suite checks the same cases.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import nock from 'nock';
import { LogRenderer } from '../../emulator/log-renderer.ts';
import {
  credentialsBlock,
  markerFor,
  planEdit,
  sectionsOf,
  checkEntries,
  credentialsHeader,
  type ProfileEntry
} from '../../src/aws-profile-files.ts';
import { ActionError } from '../../src/errors.ts';
import { mainStep } from '../../src/main-step.ts';
import { debug, escapeData, info, setFailed, setSecret, warning } from '../../src/workflow-commands.ts';

const RUNS = { seed: 20261126, numRuns: 1000 };
// Plain HTTP on loopback: no early TLS connection is opened for a run that nock answers.
const STS_HOST = 'http://127.0.0.1:9';
const OUR_COMMANDS = ['add-mask', 'error', 'warning', 'notice', 'debug'];
const ISSUED = {
  key: 'ASIAPROPERTYKEY00001',
  secret: 'wJalr/PROPERTY+K7MDENG/bPxRfiCYEXAMPLEKEY',
  token: 'IQoJb3JpZ2luX2VjPROPERTY/token+value=='
};

/** Pieces an attacker would reach for, mixed with any Unicode: line breaks of every kind, commands, Markdown, HTML. */
const hostilePieces = fc.constantFrom(
  '\n',
  '\r',
  '\r\n',
  '\u0085',
  '\u2028',
  '\u2029',
  '\u000b',
  '\u0000',
  '::',
  '::stop-commands::pwn',
  '::add-mask::',
  '::set-output name=x::y',
  '::save-state name=cleanup::{}',
  '##[stop-commands]pwn',
  '##[set-output name=x;]y',
  '%0A',
  '%25',
  '`',
  '```',
  '|',
  '<script>',
  '</pre>',
  '</code>',
  '&lt;',
  '*',
  '[x](javascript:1)',
  ' ',
  '\t',
  'https://user:pass@host/',
  '\u202e',
  '[evil]',
  'credential_process = sh'
);
const hostileText = fc
  .array(fc.oneof(hostilePieces, fc.string({ unit: 'grapheme', maxLength: 6 }), fc.string({ maxLength: 4 })), {
    maxLength: 8
  })
  .map((parts) => parts.join(''));

const CLAIM_NAMES = ['sub', 'aud', 'iss', 'repository', 'ref', 'environment', 'event_name', 'job_workflow_ref'];
const claimsArbitrary = fc.record(Object.fromEntries(CLAIM_NAMES.map((name) => [name, hostileText])));

const jwtWith = (claims: Record<string, unknown>): string =>
  ['{"alg":"RS256","typ":"JWT"}', JSON.stringify(claims), 'signature']
    .map((part) => Buffer.from(part).toString('base64url'))
    .join('.');

const xml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const stsError = (code: string, message: string): string =>
  `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>` +
  `<Code>${xml(code)}</Code><Message>${xml(message)}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`;
const stsSuccess = `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:gha-4242-1</AssumedRoleId>
      <Arn>arn:aws:sts::123456789012:assumed-role/deploy/gha-4242-1</Arn></AssumedRoleUser>
    <Credentials><AccessKeyId>${ISSUED.key}</AccessKeyId><SecretAccessKey>${ISSUED.secret}</SecretAccessKey>
      <SessionToken>${ISSUED.token}</SessionToken><Expiration>2026-11-26T03:00:00Z</Expiration></Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>`;

/** What STS (or the way to it) does: answers an error, fails the socket, or errs once and then issues. */
const stsBehaviour = fc.oneof(
  fc.record({
    kind: fc.constant('error' as const),
    status: fc.constantFrom(400, 403, 500),
    code: fc.oneof(fc.constantFrom('AccessDenied', 'Throttling', 'InvalidIdentityToken'), hostileText),
    message: hostileText
  }),
  fc.record({ kind: fc.constant('socket' as const), message: hostileText }),
  fc.record({ kind: fc.constant('then-issue' as const), message: hostileText })
);

type Behaviour = typeof stsBehaviour extends fc.Arbitrary<infer T> ? T : never;

const tokenFile = join(mkdtempSync(join(tmpdir(), 'token-')), 'token');

/** Writes the token (read through web-identity-token-file: no request) and sets up STS. */
function mockServices(claims: Record<string, string>, behaviour: Behaviour): string {
  const token = jwtWith({ ...claims, exp: Date.parse('2026-11-26T03:00:00Z') / 1000 });
  writeFileSync(tokenFile, token);
  const sts = nock(STS_HOST).post('/');
  if (behaviour.kind === 'error') sts.reply(behaviour.status, stsError(behaviour.code, behaviour.message));
  else if (behaviour.kind === 'socket') sts.replyWithError(behaviour.message);
  else {
    sts.reply(400, stsError('Throttling', behaviour.message));
    nock(STS_HOST).post('/').reply(200, stsSuccess, { 'content-type': 'text/xml' });
  }
  return token;
}

/** Runs the main step; returns what main's runner commands printed, and its summary. */
async function runStep(inputs: Record<string, string>): Promise<{ stdout: string; summary: string }> {
  let stdout = '';
  let summary = '';
  const print = (text: string) => void (stdout += text);
  // setFailed sets the exit code a failed step ends with; the test process keeps its own.
  const exitCode = process.exitCode;
  await mainStep({
    input: (name) =>
      ({
        'role-to-assume': 'arn:aws:iam::123456789012:role/deploy',
        'aws-region': 'eu-west-2',
        'sts-endpoint': STS_HOST,
        'web-identity-token-file': tokenFile,
        ...inputs
      })[name] ?? '',
    env: {
      GITHUB_REPOSITORY: 'octo-org/octo-repo',
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '1'
    },
    runner: {
      setSecret: (value) => setSecret(value, print),
      exportVariable: () => undefined,
      setOutput: () => undefined,
      saveState: () => undefined,
      info: (message) => info(message, print),
      warning: (message) => warning(message, print),
      debug: (message) => debug(message, print),
      setFailed: (message) => setFailed(message, print)
    },
    clock: { now: () => Date.parse('2026-11-26T02:00:00Z'), sleep: async () => {}, random: () => 0.5 },
    summarise: async (markdown) => void (summary += markdown)
  });
  process.exitCode = exitCode;
  return { stdout, summary };
}

/** (b) The first line that holds a secret is its own add-mask line. */
function maskedBeforeShown(stdout: string, secret: string): boolean {
  const first = stdout.split(/\r\n|\r|\n/).find((line) => line.includes(escapeData(secret)) || line.includes(secret));
  return first === undefined || first === `::add-mask::${escapeData(secret)}`;
}

/** (c) The summary has the lines the action writes, and nothing from outside is markup. */
function summaryKeepsShape(summary: string): boolean {
  const lines = summary.split('\n');
  if (/<(?!\/?(b|pre|code)>)/.test(summary) || /`/.test(summary)) return false;
  if (lines[0] === '### AWS credentials: failed') {
    const pre = lines.indexOf('<pre>');
    const body = pre === -1 ? lines.slice(2) : lines.slice(2, pre);
    return /^<b>[^\n]*<\/b>$/.test(body[0] ?? '') && body.slice(1).every((line) => line === '') && !/\|/.test(summary);
  }
  const rows = lines.filter((line) => line.startsWith('|'));
  // Header, rule, three rows for the role, four for the session.
  return rows.length === 9 && rows.every((row) => row.split('|').length === 4);
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
// Each test file loads its own nock; un-patch http at the end so the next file's nock works alone.
afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
});

describe('for any text from the token, STS or the network', () => {
  it('the output holds only our commands, every secret is masked before it shows, the summary keeps its shape', async () => {
    await fc.assert(
      fc.asyncProperty(claimsArbitrary, stsBehaviour, async (claims, behaviour) => {
        nock.cleanAll();
        const token = mockServices(claims, behaviour);
        const { stdout, summary } = await runStep({
          'retry-max-attempts': behaviour.kind === 'then-issue' ? '2' : '1'
        });
        const renderer = new LogRenderer();
        const log = renderer.render(stdout);
        const foreign = renderer.commands.filter((command) => !OUR_COMMANDS.includes(command.name));
        expect({ foreign, stopped: renderer.stopped }).toEqual({ foreign: [], stopped: false });
        const secrets = behaviour.kind === 'then-issue' ? [token, ...Object.values(ISSUED)] : [token];
        for (const secret of secrets) {
          expect(maskedBeforeShown(stdout, secret)).toBe(true);
          expect(log.join('\n')).not.toContain(secret);
        }
        expect(summaryKeepsShape(summary)).toBe(true);
      }),
      RUNS
    );
  }, 60_000);
});

describe('the profile writer, for any file it reads and any values STS sends', () => {
  const marker = markerFor('oidc-aws-credentials-00112233445566ff', { runId: '4242', runAttempt: '1' }, undefined);
  const stsValue = fc.oneof(fc.stringMatching(/^[A-Za-z0-9/+=]{1,40}$/), hostileText);
  const fileText = fc
    .array(
      fc.oneof(
        hostileText,
        fc.constantFrom('[deploy]', '[default]', '[profile x]', '# oidc-aws-credentials', 'a = b', '\n', '\r\n', '[')
      ),
      { maxLength: 10 }
    )
    .map((parts) => parts.join(''));

  it('adds exactly our one section, or refuses with an error and writes nothing', () => {
    fc.assert(
      fc.property(fileText, stsValue, stsValue, stsValue, (original, accessKeyId, secretAccessKey, sessionToken) => {
        const entry: ProfileEntry = {
          profile: 'deploy',
          accessKeyId,
          secretAccessKey,
          sessionToken,
          region: 'eu-west-2'
        };
        const before = sectionsOf(original).map((section) => section.header);
        let after: string[];
        try {
          checkEntries([entry]);
          const block = credentialsBlock(marker, entry, '\n');
          const edit = planEdit(
            original,
            'credentials',
            [{ header: credentialsHeader('deploy'), block }],
            false,
            () => true,
            '\n'
          );
          after = sectionsOf(edit.text).map((section) => section.header);
        } catch (error) {
          expect(error).toBeInstanceOf(ActionError);
          return;
        }
        expect(after).toEqual([...before, '[deploy]']);
      }),
      RUNS
    );
  });
});
