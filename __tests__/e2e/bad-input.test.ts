/*
 * Bad inputs and environment faults: each gives exactly one error line that names the
 * input or cause and the fix, exit code 1, no stack trace, nothing exported, nothing
 * secret printed, and no request at all when the input could be checked locally.
 */
import { startEmulation, type Emulation } from '../../emulator/emulation.ts';
import type { OidcFault } from '../../emulator/oidc-issuer.ts';
import type { StsFault } from '../../emulator/sts-stub.ts';

interface Case {
  inputs?: Record<string, string>;
  /** The expected error line, after "Error: "; a function when it names emulator ports. */
  error: string | ((emulation: Emulation) => string);
  /** true when the action must not make any request. */
  local?: boolean;
  noIdToken?: boolean;
  github?: Record<string, string>;
  oidcFaults?: OidcFault[];
  stsFaults?: StsFault[];
  setup?(emulation: Emulation): void;
}

const ARN = 'arn:aws:iam::123456789012:role/deploy';
const bigPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${'b'.repeat(2100)}/*` }]
});
const elevenArns = Array.from({ length: 11 }, (_, index) => `arn:aws:iam::aws:policy/Policy${index}`).join('\n');
const PLACEHOLDERS =
  '{run_id} {run_attempt} {run_number} {job} {repository} {repo} {owner} {workflow} {actor} {ref_name} {sha} {event}';

const cases: Record<string, Case> = {
  'missing aws-region': {
    inputs: { 'aws-region': '' },
    local: true,
    error: 'Input aws-region is required: add it under "with:" in the step'
  },
  'missing role-to-assume': {
    inputs: { 'role-to-assume': '' },
    local: true,
    error: 'Input role-to-assume is required: add it under "with:" in the step'
  },
  'role name instead of ARN': {
    inputs: { 'role-to-assume': 'deploy' },
    local: true,
    error:
      'Input role-to-assume "deploy" is not a role ARN: use the full ARN, e.g. arn:aws:iam::123456789012:role/deploy'
  },
  'role ARN with 11-digit account': {
    inputs: { 'role-to-assume': 'arn:aws:iam::12345678901:role/deploy' },
    local: true,
    error:
      'Input role-to-assume "arn:aws:iam::12345678901:role/deploy": account id has 11 digits; it must have 12 ' +
      '(copy the ARN from the IAM console)'
  },
  'role ARN in an unknown partition': {
    inputs: { 'role-to-assume': 'arn:aws-moon:iam::123456789012:role/deploy' },
    local: true,
    error:
      'Input role-to-assume "arn:aws-moon:iam::123456789012:role/deploy" names partition "aws-moon", which AWS ' +
      'does not have: use one of aws, aws-cn, aws-eusc, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-us-gov'
  },
  'ISO role in a commercial region': {
    inputs: { 'role-to-assume': 'arn:aws-iso:iam::123456789012:role/deploy' },
    local: true,
    error:
      'Input role-to-assume is in partition aws-iso but aws-region eu-west-2 is in aws: use a region of the ' +
      "role's partition or the role's ARN for that partition"
  },
  'a region no partition lists': {
    // Without sts-endpoint: with one, a code that follows aws's pattern may be a region newer than this release.
    inputs: { 'aws-region': 'us-east-9', 'sts-endpoint': '' },
    local: true,
    error:
      'Input aws-region "us-east-9" is not an AWS region: did you mean us-east-1 or us-east-2? give a region ' +
      'code such as us-east-1 or eu-west-2 (if us-east-9 is a region of aws newer than this release, set ' +
      'sts-endpoint to its STS URL)'
  },
  'user ARN instead of role ARN': {
    inputs: { 'role-to-assume': 'arn:aws:iam::123456789012:user/bob' },
    local: true,
    error:
      'Input role-to-assume "arn:aws:iam::123456789012:user/bob" is not a role ARN: use the full ARN, e.g. ' +
      'arn:aws:iam::123456789012:role/deploy'
  },
  'role ARN without account on AWS': {
    inputs: { 'role-to-assume': 'arn:aws:iam:::role/deploy', 'sts-endpoint': '' },
    local: true,
    error:
      'Input role-to-assume "arn:aws:iam:::role/deploy" has no 12-digit account id: use arn:aws:iam::ACCOUNT_ID:role/deploy'
  },
  'upper-case region': {
    inputs: { 'aws-region': 'EU-WEST-2' },
    local: true,
    error:
      'Input aws-region "EU-WEST-2" is not an AWS region: did you mean eu-west-2? give a region code such as us-east-1 or eu-west-2'
  },
  'region without number': {
    inputs: { 'aws-region': 'us-east' },
    local: true,
    error:
      'Input aws-region "us-east" is not an AWS region: did you mean us-east-1 or us-east-2? give a region code ' +
      'such as us-east-1 or eu-west-2'
  },
  'China role in a commercial region': {
    inputs: { 'role-to-assume': 'arn:aws-cn:iam::123456789012:role/deploy' },
    local: true,
    error:
      'Input role-to-assume is in partition aws-cn but aws-region eu-west-2 is in aws: use a region of the ' +
      "role's partition or the role's ARN for that partition"
  },
  'commercial role in a GovCloud region': {
    inputs: { 'aws-region': 'us-gov-west-1' },
    local: true,
    error:
      'Input role-to-assume is in partition aws but aws-region us-gov-west-1 is in aws-us-gov: use a region of ' +
      "the role's partition or the role's ARN for that partition"
  },
  'duration below 900': {
    inputs: { 'role-duration-seconds': '899' },
    local: true,
    error:
      'Input role-duration-seconds "899" must be a whole number of seconds from 900 to 43200 (and not above the ' +
      "role's maximum session duration)"
  },
  'duration above 43200': {
    inputs: { 'role-duration-seconds': '43201' },
    local: true,
    error:
      'Input role-duration-seconds "43201" must be a whole number of seconds from 900 to 43200 (and not above ' +
      "the role's maximum session duration)"
  },
  'duration with a unit': {
    inputs: { 'role-duration-seconds': '1h' },
    local: true,
    error:
      'Input role-duration-seconds "1h" must be a whole number of seconds from 900 to 43200 (and not above the ' +
      "role's maximum session duration)"
  },
  'fractional duration': {
    inputs: { 'role-duration-seconds': '3600.5' },
    local: true,
    error:
      'Input role-duration-seconds "3600.5" must be a whole number of seconds from 900 to 43200 (and not above ' +
      "the role's maximum session duration)"
  },
  'unknown session-name placeholder': {
    inputs: { 'role-session-name': 'gha-{runid}' },
    local: true,
    error: `Input role-session-name has unknown placeholder {runid}: use any of ${PLACEHOLDERS}`
  },
  'space in session-name template': {
    inputs: { 'role-session-name': 'gha {run_id}' },
    local: true,
    error:
      `Input role-session-name has the character " ", which STS does not allow: use letters, digits and _ + = , ` +
      `. @ - besides the placeholders ${PLACEHOLDERS}`
  },
  'session-name literal over 64 characters': {
    inputs: { 'role-session-name': `${'x'.repeat(60)}-{run_id}` },
    local: true,
    error:
      `Input role-session-name: the fixed part of the template alone makes "${'x'.repeat(60)}-4242" longer than ` +
      `64 characters: shorten the template`
  },
  'session name under 2 characters': {
    inputs: { 'role-session-name': '{event}' },
    github: { GITHUB_EVENT_NAME: 'x' },
    local: true,
    error:
      'Input role-session-name gives "x" for this run, shorter than 2 characters: add literal text or {run_id} to the template'
  },
  'output-credentials not a boolean': {
    inputs: { 'output-credentials': 'yes' },
    local: true,
    error: 'Input output-credentials "yes" must be true or false'
  },
  'mask-aws-account-id not a boolean': {
    inputs: { 'mask-aws-account-id': '1' },
    local: true,
    error: 'Input mask-aws-account-id "1" must be true or false'
  },
  'cleanup not a boolean': {
    inputs: { cleanup: 'no' },
    local: true,
    error: 'Input cleanup "no" must be true or false'
  },
  'inline policy not JSON': {
    inputs: { 'inline-session-policy': "{'Version': '2012-10-17'}" },
    local: true,
    error:
      'Input inline-session-policy is not valid JSON: give an IAM policy document such as {"Version":"2012-10-17","Statement":[...]}'
  },
  'inline policy too large': {
    inputs: { 'inline-session-policy': bigPolicy },
    local: true,
    error:
      `Input inline-session-policy is ${bigPolicy.length} characters without white space; STS takes at most ` +
      `2048: shorten it or use managed-session-policies`
  },
  'managed policy not an ARN': {
    inputs: { 'managed-session-policies': 'ReadOnlyAccess' },
    local: true,
    error:
      'Input managed-session-policies has "ReadOnlyAccess", which is not a policy ARN: give one ARN a line, e.g. ' +
      'arn:aws:iam::aws:policy/ReadOnlyAccess'
  },
  'eleven managed policies': {
    inputs: { 'managed-session-policies': elevenArns },
    local: true,
    error: 'Input managed-session-policies has 11 ARNs; STS takes at most 10'
  },
  'allowed account id too short': {
    inputs: { 'allowed-account-ids': '123456789012, 1234' },
    local: true,
    error:
      'Input allowed-account-ids has "1234", which is not a 12-digit account id: give a comma-separated list ' +
      'such as 123456789012,210987654321'
  },
  'sts-endpoint not a URL': {
    inputs: { 'sts-endpoint': 'sts.example.com' },
    local: true,
    error: 'Input sts-endpoint "sts.example.com" is not a URL: give one such as https://sts.eu-west-2.amazonaws.com'
  },
  'sts-endpoint plain http off loopback': {
    inputs: { 'sts-endpoint': 'http://sts.example.com' },
    local: true,
    error:
      'Input sts-endpoint "http://sts.example.com" must use https (plain http is allowed only for a loopback address)'
  },
  'retry-max-attempts zero': {
    inputs: { 'retry-max-attempts': '0' },
    local: true,
    error: 'Input retry-max-attempts "0" must be a whole number from 1 to 100'
  },
  'action-timeout-s too short': {
    inputs: { 'action-timeout-s': '5' },
    local: true,
    error: 'Input action-timeout-s "5" must be a whole number from 10 to 3600'
  },
  'static access key id': {
    inputs: { 'aws-access-key-id': 'AKIAIOSFODNN7EXAMPLE' },
    local: true,
    error:
      'Input aws-access-key-id is not supported: this action never takes stored access keys; remove it and let ' +
      "the role trust GitHub's OIDC provider (see README, Quick start)"
  },
  'static secret access key': {
    inputs: { 'aws-secret-access-key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    local: true,
    error:
      'Input aws-secret-access-key is not supported: this action never takes stored access keys; remove it and ' +
      "let the role trust GitHub's OIDC provider (see README, Quick start)"
  },
  'missing id-token permission': {
    noIdToken: true,
    local: true,
    error:
      'No GitHub OIDC token for this job: add "permissions: id-token: write" to the job or workflow (see the ' +
      'lines above); pull requests from forks and Dependabot runs never get a token'
  },
  'token service answers 401': {
    oidcFaults: [{ status: 401, body: '{"message":"Bad credentials"}' }],
    error:
      "GitHub's OIDC token service refused the job's request with HTTP 401: check the job has \"permissions: " +
      'id-token: write" and re-run it'
  },
  'token service answers 403': {
    oidcFaults: [{ status: 403 }],
    error:
      "GitHub's OIDC token service refused the job's request with HTTP 403: check the job has \"permissions: " +
      'id-token: write" and re-run it'
  },
  'token service answers 404': {
    oidcFaults: [{ status: 404 }],
    error:
      "GitHub's OIDC token service answered HTTP 404: ACTIONS_ID_TOKEN_REQUEST_URL may be wrong; do not set it by hand"
  },
  'token service keeps answering 500': {
    inputs: { 'retry-max-attempts': '2' },
    oidcFaults: [{ status: 500 }, { status: 500 }],
    error:
      "GitHub's OIDC token service failed with HTTP 500 (after 2 attempts): GitHub has a problem; re-run the job later"
  },
  'token service answers garbage': {
    oidcFaults: [{ body: '<html>oops' }],
    error:
      "GitHub's OIDC token service answered with a body that is not JSON: re-run the job; if it persists, " +
      "GitHub's token service is at fault"
  },
  'token service answers JSON without value': {
    oidcFaults: [{ body: '{"count":0}' }],
    error:
      'GitHub\'s OIDC token service answered with JSON without a token in "value": re-run the job; if it ' +
      "persists, GitHub's token service is at fault"
  },
  'STS answers garbage XML': {
    stsFaults: ['garbage-xml'],
    error:
      'STS answered with something that is not an STS response (HTTP 200): check sts-endpoint points at STS; re-run if it persists'
  },
  'STS answers an empty body': {
    stsFaults: ['empty-body'],
    error:
      'STS answered with something that is not an STS response (HTTP 200): check sts-endpoint points at STS; re-run if it persists'
  },
  'STS behind a proxy answers an HTML error page': {
    inputs: { 'retry-max-attempts': '1' },
    stsFaults: ['html-page'],
    error: 'STS (or a proxy in front of it) failed with HTTP 502: re-run the job later'
  },
  'STS endpoint unreachable': {
    inputs: { 'sts-endpoint': 'http://127.0.0.1:9' },
    error:
      "Could not reach STS at sts-endpoint http://127.0.0.1:9: ECONNREFUSED: check sts-endpoint and the runner's network"
  },
  'role in an account that is not allowed': {
    inputs: { 'allowed-account-ids': '210987654321' },
    error:
      'The assumed role is in account 123456789012 that is not in allowed-account-ids: check role-to-assume or ' +
      'add the account to allowed-account-ids'
  },
  'duration above the role maximum': {
    inputs: { 'role-duration-seconds': '7200' },
    error:
      `Input role-duration-seconds 7200 is above the maximum session duration of ${ARN}: lower ` +
      `role-duration-seconds, or raise the role's "Maximum session duration" in IAM`
  },
  'audience the provider does not list': {
    inputs: { audience: 'my-app' },
    error:
      'STS: the OIDC provider in the role\'s account does not list audience "my-app": add it to the provider\'s ' +
      'audiences, or set input audience to one the provider lists'
  },
  'no OIDC provider in the account': {
    setup: (emulation) => void (emulation.sts.providers.length = 0),
    error: (emulation) =>
      `STS: the role's account has no OIDC provider for ${emulation.issuer.url}: create one with that URL and ` +
      `audience "sts.amazonaws.com" (IAM > Identity providers), see README Quick start`
  },
  'role that does not exist': {
    inputs: { 'role-to-assume': 'arn:aws:iam::123456789012:role/nope' },
    error:
      'STS refused arn:aws:iam::123456789012:role/nope for this run: AccessDenied (HTTP 403): Not authorized to ' +
      "perform sts:AssumeRoleWithWebIdentity. Either the role's trust policy does not admit this token (compare " +
      'its Condition with the token claims) or no role has this ARN (STS answers the same for both: ' +
      'check the account id and role name)'
  }
};

describe('bad inputs and environment faults', () => {
  let emulations: Emulation[] = [];
  afterAll(async () => {
    await Promise.all(emulations.map((emulation) => emulation.close()));
    emulations = [];
  });

  it('has at least 40 cases', () => {
    expect(Object.keys(cases).length).toBeGreaterThanOrEqual(40);
  });

  it.concurrent.each(Object.entries(cases))('%s', async (_name, testCase) => {
    const emulation = await startEmulation();
    emulations.push(emulation);
    testCase.setup?.(emulation);
    emulation.issuer.faults.push(...(testCase.oidcFaults ?? []));
    emulation.sts.faults.push(...(testCase.stsFaults ?? []));
    const job = emulation.job({
      idTokenPermission: !testCase.noIdToken,
      ...(testCase.github ? { github: testCase.github } : {})
    });
    const main = await job.uses(emulation.inputs(testCase.inputs));

    const expected = typeof testCase.error === 'function' ? testCase.error(emulation) : testCase.error;
    const errorLines = main.raw.split('\n').filter((line) => line.startsWith('::error'));
    expect(errorLines).toEqual([`::error::${expected}`]);
    expect(main.exitCode).toBe(1);
    expect(main.raw).not.toMatch(/^\s+at .+[(:]\d+/m);
    expect(main.exported).toEqual({});
    expect(main.outputs).toEqual({});
    expect(main.state).toEqual({});
    for (const issued of emulation.sts.issued) {
      for (const secret of [issued.secretAccessKey, issued.sessionToken]) {
        expect(main.raw.split('\n').filter((line) => line.includes(secret))).toEqual([`::add-mask::${secret}`]);
      }
    }
    if (testCase.local) {
      expect(emulation.issuer.tokenRequests).toEqual([]);
      expect(emulation.sts.requests).toEqual([]);
    }
  });
});
