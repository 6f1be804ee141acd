import { describeChainingFailure, describeWebIdentityFailure, trustPolicyAdvice } from '../../src/diagnosis.ts';
import { errorDetails, errorLine } from '../../src/errors.ts';
import { readSettings } from '../../src/settings.ts';
import { RequestError } from '../../src/request-error.ts';

const settings = readSettings(
  (name) => ({ 'role-to-assume': 'arn:aws:iam::123456789012:role/deploy', 'aws-region': 'eu-west-2' })[name] ?? ''
);
const target = settings.identity.targets[0]!;
const context = {
  target,
  nameProfile: false,
  audience: settings.identity.audience,
  session: settings.identity.session,
  transport: settings.transport
};
const GITHUB = 'https://token.actions.githubusercontent.com';
const claims = (extra: Record<string, unknown>) => ({
  iss: GITHUB,
  aud: 'sts.amazonaws.com',
  repository: 'octo-org/octo-repo',
  ...extra
});
const denied = new RequestError({
  service: 'sts',
  code: 'AccessDenied',
  message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
  httpStatus: 403
});

describe('AccessDenied diagnosis', () => {
  it('explains each sub form by the rule GitHub applies first', () => {
    const form = (extra: Record<string, unknown>) =>
      trustPolicyAdvice(claims(extra), settings.identity.audience, target).find((line) => line.startsWith('sub form:'));
    expect(
      form({ sub: 'repo:octo-org/octo-repo:environment:prod', environment: 'prod', event_name: 'pull_request' })
    ).toMatch(/^sub form: environment: /);
    expect(form({ sub: 'repo:octo-org/octo-repo:pull_request', event_name: 'pull_request' })).toMatch(
      /^sub form: pull_request: /
    );
    expect(form({ sub: 'repo:octo-org/octo-repo:ref:refs/tags/v1', ref: 'refs/tags/v1', event_name: 'push' })).toBe(
      'sub form: ref: no environment and not a pull request, so sub names the ref (refs/tags/v1)'
    );
    expect(form({ sub: 'repo:octo-org/octo-repo:workflow:deploy', event_name: 'push' })).toMatch(
      /^sub form: custom: .*include_claim_keys/
    );
  });

  it('gives Conditions keyed by the issuer, for the exact sub and for the whole repository', () => {
    const advice = trustPolicyAdvice(
      claims({ sub: 'repo:octo-org/octo-repo:ref:refs/heads/main' }),
      settings.identity.audience,
      target
    ).join('\n');
    expect(advice).toContain(
      '"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:ref:refs/heads/main"'
    );
    expect(advice).toContain('"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:ref:refs/heads/*"');
    expect(advice).toContain(
      'Federated principal: arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com'
    );
  });

  it('points at the immutable OWNER@ID/REPO@ID form when the token uses it', () => {
    const advice = trustPolicyAdvice(
      claims({ sub: 'repo:octo-org@987/octo-repo@123:ref:refs/heads/main' }),
      settings.identity.audience,
      target
    ).join('\n');
    expect(advice).toContain('this repository uses the immutable form OWNER@ID/REPO@ID ("octo-org@987/octo-repo@123")');
    expect(advice).toContain(
      '"token.actions.githubusercontent.com:sub": "repo:octo-org@987/octo-repo@123:ref:refs/heads/*"'
    );
  });

  it('prints claims, never the token, before a one-line error', () => {
    const error = describeWebIdentityFailure(denied, {
      ...context,
      claims: claims({ sub: 'repo:octo-org/octo-repo:pull_request' }),
      attempts: 1
    });
    expect(errorLine(error)).toMatch(
      /^STS refused arn:aws:iam::123456789012:role\/deploy for this run: AccessDenied \(HTTP 403\)/
    );
    expect(errorDetails(error)[0]).toBe("The token's claims (the token itself is never printed):");
    expect(errorDetails(error)).toContain('  environment: (none)');
  });
});

describe('targeted STS messages', () => {
  const line = (code: string, message: string, status = 400) =>
    errorLine(
      describeWebIdentityFailure(new RequestError({ service: 'sts', code, message, httpStatus: status }), {
        ...context,
        claims: claims({}),
        attempts: 1
      })
    );
  it.each([
    [
      'RegionDisabledException',
      'STS is not activated in this region',
      403,
      /^STS is not activated in eu-west-2 for the role's account: activate the region/
    ],
    [
      'MalformedPolicyDocument',
      'Syntax errors in policy.',
      400,
      /^STS rejected input inline-session-policy: Syntax errors in policy\.: fix the policy/
    ],
    [
      'PackedPolicyTooLarge',
      'Packed policy consumes 120% of allotted space',
      400,
      /^STS: inline-session-policy and managed-session-policies together are too large once packed \(Packed policy consumes 120%/
    ],
    [
      'IDPRejectedClaim',
      'rejected',
      403,
      /^STS refused arn:aws:iam::123456789012:role\/deploy for this run: IDPRejectedClaim/
    ]
  ])('%s', (code, message, status, expected) => {
    expect(line(code, message, status)).toMatch(expected);
  });
});

describe('chaining failures name where the signing credentials came from', () => {
  const line = (code: string, message: string, status: number, from: string) =>
    errorLine(
      describeChainingFailure(new RequestError({ service: 'sts', code, message, httpStatus: status }), {
        ...context,
        attempts: 1,
        from
      })
    );
  it('says AssumeRole, never AssumeRoleWithWebIdentity', () => {
    expect(line('Weird', 'odd', 400, 'the EC2 instance profile (instance metadata service)')).toBe(
      'STS AssumeRole for arn:aws:iam::123456789012:role/deploy failed: Weird (HTTP 400): odd'
    );
  });
  it('asks for sts:TagSession when STS refused the tags', () => {
    const text = line(
      'AccessDenied',
      'User: x is not authorized to perform: sts:TagSession on resource: y',
      403,
      'EKS Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)'
    );
    expect(text).toMatch(/^STS refused to chain to arn:aws:iam::123456789012:role\/deploy from EKS Pod Identity \(/);
    expect(text).toMatch(/must also allow sts:TagSession; or set role-skip-session-tagging: true$/);
  });
});

describe('GitHub Enterprise issuers', () => {
  it.each([
    ['https://token.actions.githubusercontent.com/octo-corp', 'token.actions.githubusercontent.com/octo-corp'],
    ['https://token.actions.octo-corp.ghe.com', 'token.actions.octo-corp.ghe.com'],
    ['https://ghes.example.com/_services/token', 'ghes.example.com/_services/token']
  ])('derives the provider ARN and condition keys from iss %s', (iss, key) => {
    const advice = trustPolicyAdvice(
      claims({ iss, sub: 'repo:octo-org/octo-repo:ref:refs/heads/main' }),
      settings.identity.audience,
      target
    ).join('\n');
    expect(advice).toContain(`(Federated principal: arn:aws:iam::123456789012:oidc-provider/${key}):`);
    expect(advice).toContain(
      `"${key}:aud": "sts.amazonaws.com",\n        "${key}:sub": "repo:octo-org/octo-repo:ref:refs/heads/main"`
    );
    expect(advice).not.toContain('token.actions.githubusercontent.com:');
  });

  it('names the partition of the role in the provider ARN', () => {
    const iso = readSettings(
      (name) =>
        ({ 'role-to-assume': 'arn:aws-iso:iam::123456789012:role/deploy', 'aws-region': 'us-iso-east-1' })[name] ?? ''
    );
    expect(trustPolicyAdvice(claims({ sub: 'x' }), 'sts.amazonaws.com', iso.identity.targets[0]!).join('\n')).toContain(
      'arn:aws-iso:iam::123456789012:oidc-provider/token.actions.githubusercontent.com'
    );
  });

  const keyFailure = (iss: string) =>
    errorLine(
      describeWebIdentityFailure(
        new RequestError({
          service: 'sts',
          code: 'InvalidIdentityToken',
          message: "Couldn't retrieve verification key from your identity provider",
          httpStatus: 400
        }),
        { ...context, claims: claims({ iss }), attempts: 3 }
      )
    );

  it("says another issuer's JWKS must be reachable from the internet when STS cannot fetch its keys", () => {
    expect(keyFailure('https://ghes.example.com/_services/token')).toBe(
      'STS could not retrieve the signing keys of issuer https://ghes.example.com/_services/token after 3 attempts: ' +
        'AWS fetches https://ghes.example.com/_services/token/.well-known/openid-configuration and the JWKS at ' +
        'https://ghes.example.com/_services/token/.well-known/jwks from the internet, so both must be reachable ' +
        'from outside your network (see README, GitHub Enterprise)'
    );
    expect(keyFailure(GITHUB)).not.toMatch(/reachable/);
  });
});

describe('network failures name the STS host', () => {
  const unreachable = (transport: typeof context.transport) =>
    errorLine(
      describeWebIdentityFailure(
        new RequestError({ service: 'sts', code: 'ETIMEDOUT', message: 'connect ETIMEDOUT' }),
        {
          ...context,
          transport,
          claims: claims({}),
          attempts: 2
        }
      )
    );

  it('names the resolved host, not sts-endpoint, when sts-endpoint was not given', () => {
    const fips = readSettings(
      (name) =>
        ({
          'role-to-assume': 'arn:aws:iam::123456789012:role/deploy',
          'aws-region': 'us-east-1',
          'use-fips-endpoint': 'true'
        })[name] ?? ''
    ).transport;
    expect(unreachable(fips)).toBe(
      "Could not reach STS at sts-fips.us-east-1.amazonaws.com: ETIMEDOUT after 2 attempts: check the runner's " +
        'network and proxy settings (a runner without IPv4 needs use-dualstack-endpoint: true)'
    );
  });

  it('names sts-endpoint when it was given', () => {
    expect(unreachable({ ...context.transport, stsEndpoint: 'https://sts.example.com' })).toMatch(
      /^Could not reach STS at sts-endpoint https:\/\/sts\.example\.com: ETIMEDOUT/
    );
  });
});
