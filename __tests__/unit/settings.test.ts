import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { readSettings } from '../../src/settings.ts';

const ROLE = 'arn:aws:iam::123456789012:role/deploy';
const reader =
  (inputs: Record<string, string>) =>
  (name: string): string =>
    inputs[name] ?? '';
const read = (inputs: Record<string, string>) =>
  readSettings(reader({ 'role-to-assume': ROLE, 'aws-region': 'eu-west-2', ...inputs }));

describe('readSettings', () => {
  it('applies the defaults a workflow gets without optional inputs', () => {
    const settings = read({});
    expect(settings).toEqual({
      identity: {
        targets: [{ role: { arn: ROLE, partition: 'aws', accountId: '123456789012', roleName: 'deploy' } }],
        source: 'github-oidc',
        audience: 'sts.amazonaws.com',
        sessionNameTemplate: expect.any(Array),
        session: { durationSeconds: 3600, managedPolicies: [], sessionTagging: true, transitiveTagKeys: [] }
      },
      requests: { maxAttempts: 12, timeoutSeconds: 180 },
      transport: {
        region: 'eu-west-2',
        partition: 'aws',
        variant: { fips: false, dualStack: false },
        stsHost: 'sts.eu-west-2.amazonaws.com'
      },
      outputs: {
        region: 'eu-west-2',
        envCredentials: true,
        stepCredentials: false,
        maskAccountId: false,
        allowedAccountIds: [],
        unsetCurrentCredentials: false,
        overwriteAwsProfile: false,
        refreshCredentials: false,
        cleanup: true,
        jobSummary: true
      }
    });
  });

  it('refresh-credentials turns env credentials off and refuses what would defeat it', () => {
    expect(read({ 'refresh-credentials': 'true' }).outputs).toMatchObject({
      refreshCredentials: true,
      envCredentials: false
    });
    expect(() => read({ 'refresh-credentials': 'true', 'output-env-credentials': 'true' })).toThrow(
      /^Input output-env-credentials cannot be true with refresh-credentials: keys in the environment would win/
    );
    // Whether a chain can be redone depends on where it starts: credential-sources decides.
    expect(read({ 'refresh-credentials': 'true', 'role-chaining': 'true' }).outputs.refreshCredentials).toBe(true);
  });

  it("reads the same settings from empty inputs as from action.yml's defaults", () => {
    const metadata = parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as {
      inputs: Record<string, { default?: string }>;
    };
    const defaults = Object.fromEntries(
      Object.entries(metadata.inputs).flatMap(([name, spec]) =>
        spec.default === undefined ? [] : [[name, spec.default]]
      )
    );
    expect(Object.keys(defaults).length).toBeGreaterThan(5);
    expect(read(defaults)).toEqual(read({}));
  });

  it('uses the China audience for cn- regions unless one is given', () => {
    const china = { 'role-to-assume': 'arn:aws-cn:iam::123456789012:role/deploy', 'aws-region': 'cn-north-1' };
    expect(read(china).identity.audience).toBe('sts.amazonaws.com.cn');
    expect(read({ ...china, audience: 'custom' }).identity.audience).toBe('custom');
  });

  it('accepts role paths and GovCloud', () => {
    const role = (inputs: Record<string, string>) => read(inputs).identity.targets[0]!.role;
    expect(role({ 'role-to-assume': 'arn:aws:iam::123456789012:role/ci/github/deploy' }).roleName).toBe('deploy');
    expect(
      role({ 'role-to-assume': 'arn:aws-us-gov:iam::123456789012:role/x', 'aws-region': 'us-gov-west-1' }).partition
    ).toBe('aws-us-gov');
  });

  it.each([
    ['arn:aws-iso:iam::123456789012:role/ci', 'us-iso-east-1', 'aws-iso', 'sts.us-iso-east-1.c2s.ic.gov'],
    ['arn:aws-iso-b:iam::123456789012:role/ci', 'us-isob-east-1', 'aws-iso-b', 'sts.us-isob-east-1.sc2s.sgov.gov'],
    ['arn:aws-eusc:iam::123456789012:role/ci', 'eusc-de-east-1', 'aws-eusc', 'sts.eusc-de-east-1.amazonaws.eu']
  ])('accepts %s in %s (partition %s, STS at %s)', (arn, region, partition, host) => {
    const settings = read({ 'role-to-assume': arn, 'aws-region': region });
    expect(settings.identity.targets[0]!.role.partition).toBe(partition);
    expect(settings.transport).toMatchObject({ partition, stsHost: host });
    expect(settings.identity.audience).toBe('sts.amazonaws.com');
  });

  it('takes FIPS and dual-stack from the inputs, else from the SDK variables in the environment', () => {
    const transport = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
      readSettings(reader({ 'role-to-assume': ROLE, 'aws-region': 'us-east-1', ...inputs }), env).transport;
    expect(transport({ 'use-fips-endpoint': 'true' })).toMatchObject({
      variant: { fips: true, dualStack: false },
      stsHost: 'sts-fips.us-east-1.amazonaws.com'
    });
    expect(transport({}, { AWS_USE_FIPS_ENDPOINT: 'true', AWS_USE_DUALSTACK_ENDPOINT: 'TRUE' }).stsHost).toBe(
      'sts-fips.us-east-1.api.aws'
    );
    expect(transport({ 'use-fips-endpoint': 'false' }, { AWS_USE_FIPS_ENDPOINT: 'true' }).stsHost).toBe(
      'sts.us-east-1.amazonaws.com'
    );
    // A job-wide variable is for every AWS tool; sts-endpoint names our host exactly.
    expect(transport({ 'sts-endpoint': 'http://127.0.0.1:8443' }, { AWS_USE_FIPS_ENDPOINT: 'true' })).toMatchObject({
      variant: { fips: false, dualStack: false },
      stsHost: '127.0.0.1:8443'
    });
    expect(() => transport({}, { AWS_USE_DUALSTACK_ENDPOINT: 'yes' })).toThrow(
      'Environment variable AWS_USE_DUALSTACK_ENDPOINT "yes" must be true or false'
    );
  });

  it('minifies the inline session policy and splits managed policies by line', () => {
    const { session } = read({
      'inline-session-policy': '{\n  "Version": "2012-10-17",\n  "Statement": []\n}',
      'managed-session-policies':
        'arn:aws:iam::aws:policy/ReadOnlyAccess\n\n  arn:aws:iam::123456789012:policy/team/limits  \n'
    }).identity;
    expect(session.inlinePolicy).toBe('{"Version":"2012-10-17","Statement":[]}');
    expect(session.managedPolicies).toEqual([
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
      'arn:aws:iam::123456789012:policy/team/limits'
    ]);
  });

  it('folds disable-retry into the attempts', () => {
    expect(read({ 'disable-retry': 'true', 'retry-max-attempts': '5' }).requests.maxAttempts).toBe(1);
    expect(read({ 'retry-max-attempts': '5' }).requests.maxAttempts).toBe(5);
  });

  it('accepts an ARN without account only with a custom STS endpoint', () => {
    const rgw = { 'role-to-assume': 'arn:aws:iam:::role/ci', 'sts-endpoint': 'http://127.0.0.1:8000' };
    expect(read(rgw).identity.targets[0]!.role.accountId).toBe('');
    expect(() => read({ 'role-to-assume': 'arn:aws:iam:::role/ci' })).toThrow('has no 12-digit account id');
  });

  it.each([
    [{ 'aws-region': '' }, 'Input aws-region is required: add it under "with:" in the step'],
    [{ 'role-to-assume': '' }, 'Input role-to-assume is required: add it under "with:" in the step'],
    [{ 'role-to-assume': 'deploy' }, 'Input role-to-assume "deploy" is not a role ARN'],
    // The JavaScript SDK refuses a config file with this profile: every later AWS step would fail.
    [{ 'aws-profile': '__proto__' }, 'Input aws-profile "__proto__" is not a profile name'],
    [
      { 'role-to-assume': '', 'role-profiles': `__proto__ = ${ROLE}` },
      `Input role-profiles has the line "__proto__ = ${ROLE}"`
    ],
    [{ 'aws-region': 'EU-WEST-2' }, 'Input aws-region "EU-WEST-2" is not an AWS region'],
    [{ 'aws-region': 'cn-north-1' }, 'Input role-to-assume is in partition aws but aws-region cn-north-1 is in aws-cn'],
    [
      { 'aws-region': 'us-iso-east-1' },
      'Input role-to-assume is in partition aws but aws-region us-iso-east-1 is in aws-iso'
    ],
    [
      { 'aws-region': 'us-east-9' },
      'Input aws-region "us-east-9" is not an AWS region: did you mean us-east-1 or us-east-2?'
    ],
    [
      { 'role-to-assume': 'arn:aws:iam::12345678901:role/deploy' },
      'Input role-to-assume "arn:aws:iam::12345678901:role/deploy": account id has 11 digits; it must have 12'
    ],
    [
      { 'role-to-assume': 'arn:aws:iam::1234567890123:role/deploy' },
      'Input role-to-assume "arn:aws:iam::1234567890123:role/deploy": account id has 13 digits; it must have 12'
    ],
    [
      { 'role-to-assume': 'arn:amazon:iam::123456789012:role/deploy' },
      'names partition "amazon", which AWS does not have: use one of aws, aws-cn'
    ],
    [
      { 'use-fips-endpoint': 'true', 'sts-endpoint': 'https://sts.example.com' },
      'Input use-fips-endpoint cannot be combined with sts-endpoint'
    ],
    [
      { 'role-duration-seconds': '899' },
      'Input role-duration-seconds "899" must be a whole number of seconds from 900 to 43200'
    ],
    [{ 'role-duration-seconds': '1h' }, 'Input role-duration-seconds "1h" must be'],
    [{ 'output-credentials': 'yes' }, 'Input output-credentials "yes" must be true or false'],
    [{ 'inline-session-policy': '{nope' }, 'Input inline-session-policy is not valid JSON'],
    [
      { 'managed-session-policies': 'ReadOnlyAccess' },
      'Input managed-session-policies has "ReadOnlyAccess", which is not a policy ARN'
    ],
    [{ 'allowed-account-ids': '123,456' }, 'Input allowed-account-ids has "123", which is not a 12-digit account id'],
    [{ 'sts-endpoint': 'http://sts.example.com' }, 'Input sts-endpoint "http://sts.example.com" must use https'],
    [
      { 'aws-access-key-id': 'AKIAEXAMPLE' },
      'Input aws-access-key-id is not supported: this action never takes stored access keys'
    ]
  ])('rejects %j', (inputs, message) => {
    expect(() => read(inputs)).toThrow(message);
  });

  it('rejects more than 10 managed policies and an oversized inline policy', () => {
    const arns = Array.from({ length: 11 }, (_, i) => `arn:aws:iam::aws:policy/P${i}`).join('\n');
    expect(() => read({ 'managed-session-policies': arns })).toThrow('has 11 ARNs; STS takes at most 10');
    const big = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'x'.repeat(2100) }]
    });
    expect(() => read({ 'inline-session-policy': big })).toThrow(
      /is \d+ characters without white space; STS takes at most 2048/
    );
  });
});
