import {
  evaluateCondition,
  evaluateTrustPolicy,
  parseTrustPolicy,
  TrustPolicyError,
  type PolicyStatement,
  type WebIdentityRequest
} from '../../tools/trust-policy.ts';

const PROVIDER = 'token.actions.githubusercontent.com';
const PROVIDER_ARN = `arn:aws:iam::123456789012:oidc-provider/${PROVIDER}`;
const SUB = `${PROVIDER}:sub`;
const AUD = `${PROVIDER}:aud`;
const request = (claims: Record<string, unknown>): WebIdentityRequest => ({
  providerName: PROVIDER,
  providerArn: PROVIDER_ARN,
  claims
});
const main = request({ sub: 'repo:octo-org/octo-repo:ref:refs/heads/main', aud: 'sts.amazonaws.com' });
const condition = (operator: string, key: string, expected: unknown, on = main) =>
  evaluateCondition(operator, key, expected, on).result;

describe('condition operators', () => {
  it('StringEquals is exact and case-sensitive; any listed value may match', () => {
    expect(condition('StringEquals', SUB, 'repo:octo-org/octo-repo:ref:refs/heads/main')).toBe(true);
    expect(condition('StringEquals', SUB, 'repo:Octo-Org/octo-repo:ref:refs/heads/main')).toBe(false);
    expect(
      condition('StringEquals', SUB, ['repo:a/b:pull_request', 'repo:octo-org/octo-repo:ref:refs/heads/main'])
    ).toBe(true);
  });

  it('StringLike: * spans any run of characters (colons too), ? exactly one, nothing else is special', () => {
    expect(condition('StringLike', SUB, 'repo:octo-org/octo-repo:*')).toBe(true);
    expect(condition('StringLike', SUB, 'repo:octo-org/*')).toBe(true);
    expect(condition('StringLike', SUB, 'repo:octo-org/octo-repo:ref:refs/heads/mai?')).toBe(true);
    expect(condition('StringLike', SUB, 'repo:octo-org/octo-repo:ref:refs/heads/ma?')).toBe(false);
    expect(condition('StringLike', SUB, 'repo:octo.org/octo-repo:*')).toBe(false);
    expect(condition('StringLike', SUB, 'repo:*:pull_request')).toBe(false);
  });

  it('StringEqualsIgnoreCase ignores case; StringNotEqualsIgnoreCase is its negation', () => {
    expect(condition('StringEqualsIgnoreCase', SUB, 'REPO:OCTO-ORG/OCTO-REPO:REF:REFS/HEADS/MAIN')).toBe(true);
    expect(condition('StringNotEqualsIgnoreCase', SUB, 'REPO:OCTO-ORG/OCTO-REPO:REF:REFS/HEADS/MAIN')).toBe(false);
  });

  it('StringNotEquals and StringNotLike hold only when no value matches', () => {
    expect(condition('StringNotEquals', SUB, 'repo:octo-org/octo-repo:pull_request')).toBe(true);
    expect(condition('StringNotEquals', SUB, ['x', 'repo:octo-org/octo-repo:ref:refs/heads/main'])).toBe(false);
    expect(condition('StringNotLike', SUB, '*:pull_request')).toBe(true);
    expect(condition('StringNotLike', SUB, '*:ref:*')).toBe(false);
  });

  it('a missing key fails positive operators, passes negated ones, and passes anything with IfExists', () => {
    const noSub = request({ aud: 'sts.amazonaws.com' });
    expect(condition('StringEquals', SUB, 'x', noSub)).toBe(false);
    expect(condition('StringLike', SUB, '*', noSub)).toBe(false);
    expect(condition('StringNotEquals', SUB, 'x', noSub)).toBe(true);
    expect(condition('StringEqualsIfExists', SUB, 'x', noSub)).toBe(true);
    expect(condition('StringLikeIfExists', SUB, 'x', noSub)).toBe(true);
    // IfExists changes nothing when the key is there.
    expect(condition('StringEqualsIfExists', SUB, 'x')).toBe(false);
    // Another provider's key is absent from this provider's request.
    expect(condition('StringLike', 'accounts.google.com:sub', '*')).toBe(false);
  });

  it('ForAnyValue needs one request value to pass; ForAllValues needs all, and passes an absent key', () => {
    const twoAudiences = request({ sub: 's', aud: ['sts.amazonaws.com', 'other'] });
    expect(condition('ForAnyValue:StringEquals', AUD, 'sts.amazonaws.com', twoAudiences)).toBe(true);
    expect(condition('ForAllValues:StringEquals', AUD, 'sts.amazonaws.com', twoAudiences)).toBe(false);
    expect(condition('ForAllValues:StringEquals', AUD, ['sts.amazonaws.com', 'other'], twoAudiences)).toBe(true);
    expect(condition('ForAnyValue:StringNotEquals', AUD, 'sts.amazonaws.com', twoAudiences)).toBe(true);
    expect(condition('ForAllValues:StringNotLike', AUD, 'sts.*', twoAudiences)).toBe(false);
    const noAud = request({ sub: 's' });
    expect(condition('ForAllValues:StringEquals', AUD, 'nothing', noAud)).toBe(true);
    expect(condition('ForAnyValue:StringEquals', AUD, 'nothing', noAud)).toBe(false);
  });

  it('condition key names are case-insensitive', () => {
    expect(condition('StringEquals', 'Token.Actions.GitHubUserContent.com:SUB', main.claims.sub)).toBe(true);
  });

  it('names what it cannot evaluate instead of guessing: other operators, global keys, policy variables', () => {
    expect(evaluateCondition('Null', SUB, 'false', main)).toEqual({
      result: 'unknown',
      unevaluable: `condition operator Null (on ${SUB})`
    });
    expect(evaluateCondition('ArnLike', 'aws:SourceArn', 'arn:*', main).unevaluable).toBe(
      'condition operator ArnLike (on aws:SourceArn)'
    );
    expect(evaluateCondition('StringEquals', 'aws:RequestedRegion', 'eu-west-2', main)).toEqual({
      result: 'unknown',
      unevaluable: 'condition key aws:RequestedRegion (its value in the real request is not known here)'
    });
    expect(evaluateCondition('StringLike', SUB, 'repo:${aws:username}/*', main).unevaluable).toBe(
      `policy variable in StringLike ${SUB}: "repo:\${aws:username}/*"`
    );
    expect(evaluateCondition('StringEquals', `${PROVIDER}:repository`, 'octo-org/octo-repo', main).result).toBe(
      'unknown'
    );
  });
});

describe('statements and decisions', () => {
  const allow = (conditions: PolicyStatement['Condition'], extra: Partial<PolicyStatement> = {}): PolicyStatement => ({
    Effect: 'Allow',
    Principal: { Federated: PROVIDER_ARN },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: conditions,
    ...extra
  });
  const decide = (...Statement: PolicyStatement[]) => evaluateTrustPolicy({ Statement }, main).decision;

  it('an Allow applies only when its principal, action and every condition match', () => {
    const conditions = {
      StringEquals: { [AUD]: 'sts.amazonaws.com' },
      StringLike: { [SUB]: 'repo:octo-org/octo-repo:*' }
    };
    expect(decide(allow(conditions))).toBe('allowed');
    expect(decide(allow({ ...conditions, StringNotLike: { [SUB]: '*:ref:refs/heads/main' } }))).toBe('not-allowed');
    expect(
      decide(allow(conditions, { Principal: { Federated: PROVIDER_ARN.replace('123456789012', '999999999999') } }))
    ).toBe('not-allowed');
    expect(decide(allow(conditions, { Action: 'sts:AssumeRole' }))).toBe('not-allowed');
    expect(decide(allow(conditions, { Action: ['sts:TagSession', 'sts:AssumeRoleWith*'] }))).toBe('allowed');
    expect(decide(allow(conditions, { Action: undefined, NotAction: 'sts:AssumeRole' }))).toBe('allowed');
  });

  it('any one applicable Allow among several statements allows', () => {
    expect(
      decide(
        allow({ StringEquals: { [SUB]: 'repo:octo-org/octo-repo:pull_request' } }),
        allow({ StringLike: { [SUB]: '*' } })
      )
    ).toBe('allowed');
  });

  it('an applicable Deny wins over any Allow', () => {
    const deny: PolicyStatement = {
      Effect: 'Deny',
      Principal: '*',
      Action: '*',
      Condition: { StringLike: { [SUB]: '*:ref:refs/heads/main' } }
    };
    expect(decide(allow({}), deny)).toBe('denied');
    expect(decide(deny, allow({}))).toBe('denied');
    expect(decide(allow({}), { ...deny, Condition: { StringLike: { [SUB]: '*:pull_request' } } })).toBe('allowed');
  });

  it('what it cannot evaluate makes the decision unknown, never allowed', () => {
    const unknownAllow = allow({ IpAddress: { 'aws:SourceIp': '192.0.2.0/24' } });
    const verdict = evaluateTrustPolicy({ Statement: [unknownAllow] }, main);
    expect(verdict).toMatchObject({
      decision: 'unknown',
      unevaluable: ['statement 1: condition operator IpAddress (on aws:SourceIp)']
    });
    // ...unless a definite false settles the statement anyway: the Allow below cannot apply.
    expect(decide(allow({ IpAddress: { 'aws:SourceIp': 'x' }, StringEquals: { [SUB]: 'nope' } }))).toBe('not-allowed');
    // A Deny that might apply leaves an Allow undecided.
    expect(
      decide(allow({}), { Effect: 'Deny', Principal: '*', Action: '*', Condition: { Bool: { 'aws:x': 'true' } } })
    ).toBe('unknown');
  });
});

describe('reading a policy document', () => {
  it('accepts one statement as an object and reports shape errors by statement', () => {
    expect(
      parseTrustPolicy('{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*"}}').Statement
    ).toHaveLength(1);
    expect(() => parseTrustPolicy('{"Statement": [{"Effect": "allow"}]}')).toThrow(
      new TrustPolicyError('statement 1: "Effect" must be "Allow" or "Deny", not "allow"')
    );
    expect(() => parseTrustPolicy('{"Version": "2012-10-17"}')).toThrow('the policy has no "Statement"');
    expect(() => parseTrustPolicy('{')).toThrow(/^not valid JSON/);
  });
});
