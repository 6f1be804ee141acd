import nock from 'nock';
import { runMain } from '../../src/run-main.ts';
import { errorLine } from '../../src/errors.ts';

const TOKEN_HOST = 'https://token.actions.example';
const STS_HOST = 'https://sts.eu-west-2.amazonaws.com';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm9jdG8tb3JnL29jdG8tcmVwbzpyZWY6cmVmcy9oZWFkcy9tYWluIn0.c2lnbmF0dXJl';
const ISSUED = {
  key: 'ASIAEXAMPLEKEY000001',
  secret: 'wJalr/XUtnFEMI+K7MDENG/bPxRfiCYEXAMPLEKEY',
  token: 'IQoJb3JpZ2luX2VjEXAMPLE/token+value=='
};

const stsSuccess = `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Audience>sts.amazonaws.com</Audience>
    <AssumedRoleUser>
      <AssumedRoleId>AROAEXAMPLE:gha-4242-1</AssumedRoleId>
      <Arn>arn:aws:sts::123456789012:assumed-role/deploy/gha-4242-1</Arn>
    </AssumedRoleUser>
    <Provider>arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com</Provider>
    <Credentials>
      <AccessKeyId>${ISSUED.key}</AccessKeyId>
      <SecretAccessKey>${ISSUED.secret}</SecretAccessKey>
      <SessionToken>${ISSUED.token}</SessionToken>
      <Expiration>2026-11-26T03:00:00Z</Expiration>
    </Credentials>
    <SubjectFromWebIdentityToken>repo:octo-org/octo-repo:ref:refs/heads/main</SubjectFromWebIdentityToken>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`;

const stsError = (code: string, message: string) =>
  `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">` +
  `<Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error>` +
  `<RequestId>r-1</RequestId></ErrorResponse>`;

type Event = [kind: string, ...values: string[]];

function harness(inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  const events: Event[] = [];
  const run = () =>
    runMain({
      input: (name) =>
        ({ 'role-to-assume': 'arn:aws:iam::123456789012:role/deploy', 'aws-region': 'eu-west-2', ...inputs })[name] ??
        '',
      env: {
        ACTIONS_ID_TOKEN_REQUEST_URL: `${TOKEN_HOST}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-bearer',
        GITHUB_REPOSITORY: 'octo-org/octo-repo',
        GITHUB_RUN_ID: '4242',
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_REF: 'refs/heads/main',
        ...env
      },
      runner: {
        setSecret: (value) => events.push(['mask', value]),
        exportVariable: (name, value) => events.push(['export', name, value]),
        setOutput: (name, value) => events.push(['output', name, value]),
        saveState: (name, value) => events.push(['state', name, value]),
        info: (message) => events.push(['info', message]),
        warning: (message) => events.push(['warning', message]),
        debug: () => undefined
      },
      clock: { now: () => Date.parse('2026-11-26T02:00:00Z'), sleep: async () => {}, random: () => 0.5 },
      summarise: (markdown) => events.push(['summary', markdown])
    });
  return { events, run };
}

function mockToken(audience = 'sts.amazonaws.com') {
  return nock(TOKEN_HOST, { reqheaders: { authorization: 'Bearer request-bearer' } })
    .get('/token')
    .query({ 'api-version': '2.0', audience })
    .reply(200, { count: 1, value: JWT });
}

function mockSts(status: number, body: string) {
  const sent: Record<string, string>[] = [];
  // nock hands a form body to the matcher decoded; record it there.
  const scope = nock(STS_HOST)
    .post('/', (form: Record<string, string>) => sent.push({ ...form }) > 0)
    .reply(status, body, { 'content-type': 'text/xml' });
  return { scope, sent };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
// Each test file loads its own nock; un-patch http at the end so the next file's nock works alone.
afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
});

describe('main step, in process', () => {
  it('makes one OIDC and one STS request and sends what the user asked for', async () => {
    const token = mockToken();
    // STS names the session it was asked for in AssumedRoleUser, and the action checks it.
    const sts = mockSts(200, stsSuccess.replace(/gha-4242-1/g, 'ci-octo-repo-4242'));
    await harness({
      'role-session-name': 'ci-{repo}-{run_id}',
      'role-duration-seconds': '1800',
      'inline-session-policy': '{ "Version": "2012-10-17" }',
      'managed-session-policies': 'arn:aws:iam::aws:policy/ReadOnlyAccess'
    }).run();
    expect(token.isDone() && sts.scope.isDone()).toBe(true);
    expect(sts.sent).toEqual([
      {
        Action: 'AssumeRoleWithWebIdentity',
        Version: '2011-06-15',
        RoleArn: 'arn:aws:iam::123456789012:role/deploy',
        RoleSessionName: 'ci-octo-repo-4242',
        WebIdentityToken: JWT,
        DurationSeconds: '1800',
        Policy: '{"Version":"2012-10-17"}',
        'PolicyArns.member.1.arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess'
      }
    ]);
  });

  it('masks the token and all three secrets before it exports or prints anything', async () => {
    mockToken();
    mockSts(200, stsSuccess);
    const { events, run } = harness({});
    await run();
    expect(events.slice(0, 4)).toEqual([
      ['mask', JWT],
      ['mask', ISSUED.key],
      ['mask', ISSUED.secret],
      ['mask', ISSUED.token]
    ]);
    expect(events.filter(([kind]) => kind === 'export')).toEqual([
      ['export', 'AWS_ACCESS_KEY_ID', ISSUED.key],
      ['export', 'AWS_SECRET_ACCESS_KEY', ISSUED.secret],
      ['export', 'AWS_SESSION_TOKEN', ISSUED.token],
      ['export', 'AWS_REGION', 'eu-west-2'],
      ['export', 'AWS_DEFAULT_REGION', 'eu-west-2']
    ]);
    expect(events.filter(([kind]) => kind === 'output')).toEqual([
      ['output', 'aws-account-id', '123456789012'],
      ['output', 'authenticated-arn', 'arn:aws:sts::123456789012:assumed-role/deploy/gha-4242-1'],
      ['output', 'aws-expiration', '2026-11-26T03:00:00.000Z']
    ]);
    expect(events.at(-2)).toEqual([
      'info',
      'Assumed arn:aws:iam::123456789012:role/deploy as session gha-4242-1; credentials expire 2026-11-26T03:00:00.000Z (in 60 min)'
    ]);
    const state = events.find(([kind]) => kind === 'state')!;
    for (const secret of Object.values(ISSUED)) expect(state[2]).not.toContain(secret);
  });

  it('with output-credentials and mask-aws-account-id, sets credential outputs and masks the account', async () => {
    mockToken();
    mockSts(200, stsSuccess);
    const { events, run } = harness({
      'output-credentials': 'true',
      'mask-aws-account-id': 'true',
      'output-env-credentials': 'false'
    });
    await run();
    // The account id from role-to-assume is masked before the token request, so no failure can show it.
    expect(events[0]).toEqual(['mask', '123456789012']);
    const firstOutput = events.findIndex(([kind]) => kind === 'output');
    expect(events.slice(0, firstOutput)).toContainEqual([
      'mask',
      'arn:aws:sts::123456789012:assumed-role/deploy/gha-4242-1'
    ]);
    expect(events.filter(([kind]) => kind === 'export').map(([, name]) => name)).toEqual([
      'AWS_REGION',
      'AWS_DEFAULT_REGION'
    ]);
    expect(events).toContainEqual(['output', 'aws-secret-access-key', ISSUED.secret]);
    expect(events).toContainEqual(['output', 'aws-session-token', ISSUED.token]);
  });

  it('asks for the China audience in a cn- region', async () => {
    const token = mockToken('sts.amazonaws.com.cn');
    nock('https://sts.cn-north-1.amazonaws.com.cn')
      .post('/')
      .reply(200, stsSuccess.replace(/arn:aws:/g, 'arn:aws-cn:'));
    await harness({ 'role-to-assume': 'arn:aws-cn:iam::123456789012:role/deploy', 'aws-region': 'cn-north-1' }).run();
    expect(token.isDone()).toBe(true);
  });

  it('exports nothing when the account is not allowed', async () => {
    mockToken();
    mockSts(200, stsSuccess);
    const { events, run } = harness({ 'allowed-account-ids': '210987654321' });
    const failure = await run().catch((error: unknown) => error);
    expect(errorLine(failure)).toBe(
      'The assumed role is in account 123456789012 that is not in allowed-account-ids: check role-to-assume or ' +
        'add the account to allowed-account-ids'
    );
    expect(events.filter(([kind]) => kind !== 'mask')).toEqual([]);
  });

  it('makes no request for input it can check locally', async () => {
    const failure = await harness({ 'role-duration-seconds': '60' })
      .run()
      .catch((error: unknown) => error);
    expect(errorLine(failure)).toMatch(/^Input role-duration-seconds "60" must be/);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('names STS error code, status and role on failure, and exports nothing', async () => {
    mockToken();
    mockSts(403, stsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity'));
    const { events, run } = harness({});
    const failure = await run().catch((error: unknown) => error);
    expect(errorLine(failure)).toBe(
      'STS refused arn:aws:iam::123456789012:role/deploy for this run: AccessDenied (HTTP 403): Not authorized ' +
        "to perform sts:AssumeRoleWithWebIdentity. Either the role's trust policy does not admit this token " +
        '(compare its Condition with the token claims) or no role has this ARN (STS answers the same for ' +
        'both: check the account id and role name)'
    );
    expect(events).toEqual([['mask', JWT]]);
  });

  it('explains a missing id-token permission before any request', async () => {
    const { run } = harness({}, { ACTIONS_ID_TOKEN_REQUEST_URL: '', ACTIONS_ID_TOKEN_REQUEST_TOKEN: '' });
    const failure = await run().catch((error: unknown) => error);
    expect(errorLine(failure)).toMatch(
      /^No GitHub OIDC token for this job: add "permissions: id-token: write".*forks and Dependabot runs never get a token$/
    );
    expect((failure as { details: string[] }).details).toEqual([
      'Add these lines to the job (or to the workflow, for every job):',
      '  permissions:',
      '    id-token: write'
    ]);
  });
});
