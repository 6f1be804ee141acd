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
    expect(settings).toMatchObject({
      region: 'eu-west-2',
      targets: [{ role: { arn: ROLE, partition: 'aws', accountId: '123456789012', roleName: 'deploy' } }],
      credentialSource: 'github-oidc',
      audience: 'sts.amazonaws.com',
      durationSeconds: 3600,
      managedSessionPolicies: [],
      outputEnvCredentials: true,
      outputCredentials: false,
      maskAccountId: false,
      allowedAccountIds: [],
      unsetCurrentCredentials: false,
      cleanup: true
    });
    expect(settings.stsEndpoint).toBeUndefined();
    expect(settings.inlineSessionPolicy).toBeUndefined();
  });

  it('uses the China audience for cn- regions unless one is given', () => {
    const china = { 'role-to-assume': 'arn:aws-cn:iam::123456789012:role/deploy', 'aws-region': 'cn-north-1' };
    expect(read(china).audience).toBe('sts.amazonaws.com.cn');
    expect(read({ ...china, audience: 'custom' }).audience).toBe('custom');
  });

  it('accepts role paths and GovCloud', () => {
    expect(
      read({ 'role-to-assume': 'arn:aws:iam::123456789012:role/ci/github/deploy' }).targets[0]!.role.roleName
    ).toBe('deploy');
    expect(
      read({ 'role-to-assume': 'arn:aws-us-gov:iam::123456789012:role/x', 'aws-region': 'us-gov-west-1' }).targets[0]!
        .role.partition
    ).toBe('aws-us-gov');
  });

  it('minifies the inline session policy and splits managed policies by line', () => {
    const settings = read({
      'inline-session-policy': '{\n  "Version": "2012-10-17",\n  "Statement": []\n}',
      'managed-session-policies':
        'arn:aws:iam::aws:policy/ReadOnlyAccess\n\n  arn:aws:iam::123456789012:policy/team/limits  \n'
    });
    expect(settings.inlineSessionPolicy).toBe('{"Version":"2012-10-17","Statement":[]}');
    expect(settings.managedSessionPolicies).toEqual([
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
      'arn:aws:iam::123456789012:policy/team/limits'
    ]);
  });

  it('accepts an ARN without account only with a custom STS endpoint', () => {
    const rgw = { 'role-to-assume': 'arn:aws:iam:::role/ci', 'sts-endpoint': 'http://127.0.0.1:8000' };
    expect(read(rgw).targets[0]!.role.accountId).toBe('');
    expect(() => read({ 'role-to-assume': 'arn:aws:iam:::role/ci' })).toThrow('has no 12-digit account id');
  });

  it.each([
    [{ 'aws-region': '' }, 'Input aws-region is required: add it under "with:" in the step'],
    [{ 'role-to-assume': '' }, 'Input role-to-assume is required: add it under "with:" in the step'],
    [{ 'role-to-assume': 'deploy' }, 'Input role-to-assume "deploy" is not a role ARN'],
    [{ 'aws-region': 'EU-WEST-2' }, 'Input aws-region "EU-WEST-2" is not an AWS region'],
    [{ 'aws-region': 'cn-north-1' }, 'Input role-to-assume is in partition aws but aws-region cn-north-1 is in aws-cn'],
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
