/*
 * The CloudFormation and Terraform examples produce trust policies that admit exactly
 * the intended sub form and nothing else, and that check-trust finds no danger in:
 * the same evaluator and GitHub sub rules the emulator's STS uses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type Tags } from 'yaml';
import { REPO_ROOT } from '../../emulator/runner.ts';
import {
  checkTrust,
  GITHUB_ISSUER,
  githubSubject,
  runsFromWorkflow,
  type Repository,
  type RunCase
} from '../../tools/trust-check.ts';
import {
  checkTrustPolicy,
  evaluateTrustPolicy,
  providerArnFor,
  providerNameOf,
  type PolicyStatement,
  type TrustPolicy
} from '../../tools/trust-policy.ts';

type Node = unknown;
const scalarTag = (tag: string, key: string) => ({ tag, resolve: (value: string) => ({ [key]: value }) });
const seqTag = (tag: string, key: string) => ({
  tag,
  collection: 'seq' as const,
  resolve: (seq: { toJSON(): unknown }) => ({ [key]: seq.toJSON() })
});
const CFN_TAGS: Tags = [
  scalarTag('!Ref', 'Ref'),
  scalarTag('!Sub', 'Fn::Sub'),
  scalarTag('!GetAtt', 'Fn::GetAtt'),
  seqTag('!If', 'Fn::If'),
  seqTag('!Equals', 'Fn::Equals'),
  seqTag('!Not', 'Fn::Not')
] as unknown as Tags;

/** Enough of CloudFormation's intrinsic functions to evaluate the trust policy. */
function evaluate(node: Node, params: Record<string, string>, conditions: Record<string, Node>): Node {
  if (Array.isArray(node)) return node.map((item) => evaluate(item, params, conditions));
  if (!node || typeof node !== 'object') return node;
  const entries = Object.entries(node as Record<string, Node>);
  const [key, value] = entries[0] ?? [];
  if (entries.length === 1 && key === 'Ref') return params[value as string] ?? `<resource ${String(value)}>`;
  if (entries.length === 1 && key === 'Fn::Sub')
    return (value as string).replace(/\$\{(\w+)\}/g, (_, name: string) => params[name] ?? '');
  if (entries.length === 1 && key === 'Fn::Equals') {
    const [a, b] = evaluate(value, params, conditions) as Node[];
    return a === b;
  }
  if (entries.length === 1 && key === 'Fn::Not') return !(evaluate(value, params, conditions) as Node[])[0];
  if (entries.length === 1 && key === 'Fn::If') {
    const [name, yes, no] = value as [string, Node, Node];
    return evaluate(evaluate(conditions[name], params, conditions) ? yes : no, params, conditions);
  }
  return Object.fromEntries(entries.map(([name, child]) => [name, evaluate(child, params, conditions)]));
}

const ACCOUNT = '123456789012';
const PROVIDER = providerNameOf(GITHUB_ISSUER);
const PROVIDER_ARN = providerArnFor('aws', ACCOUNT, PROVIDER);
const octo: Repository = { owner: 'octo-org', repo: 'octo-repo' };
const runs: Record<string, [Repository, Pick<RunCase, 'form' | 'name'>]> = {
  mainBranch: [octo, { form: 'branch', name: 'main' }],
  otherBranch: [octo, { form: 'branch', name: 'feature' }],
  tag: [octo, { form: 'tag', name: 'v1' }],
  pullRequest: [octo, { form: 'pull_request', name: '' }],
  production: [octo, { form: 'environment', name: 'production' }],
  staging: [octo, { form: 'environment', name: 'staging' }],
  otherRepo: [
    { owner: 'octo-org', repo: 'other-repo' },
    { form: 'branch', name: 'main' }
  ],
  wrongCase: [
    { owner: 'Octo-Org', repo: 'octo-repo' },
    { form: 'branch', name: 'main' }
  ]
};
const admitted = (policy: TrustPolicy) =>
  Object.entries(runs)
    .filter(
      ([, [repository, run]]) =>
        evaluateTrustPolicy(policy, {
          providerName: PROVIDER,
          providerArn: PROVIDER_ARN,
          claims: { sub: githubSubject(repository, run), aud: 'sts.amazonaws.com' }
        }).decision === 'allowed'
    )
    .map(([name]) => name);
/** check-trust's dangers for the policy, over the runs of an example workflow. */
const dangers = (policy: TrustPolicy, workflow: string) =>
  checkTrust(
    policy,
    runsFromWorkflow(parse(readFileSync(join(REPO_ROOT, 'examples/workflows', workflow), 'utf8'))).runs,
    { issuer: GITHUB_ISSUER, providerName: PROVIDER, repository: octo, audience: 'sts.amazonaws.com' }
  ).dangers;

describe('CloudFormation example', () => {
  const template = parse(readFileSync(join(REPO_ROOT, 'examples/cloudformation/github-oidc-role.yaml'), 'utf8'), {
    customTags: CFN_TAGS
  }) as {
    Parameters: Record<string, { Default?: string }>;
    Conditions: Record<string, Node>;
    Resources: Record<string, { Type: string; Properties: Record<string, Node> }>;
  };
  const trustFor = (overrides: Record<string, string>) => {
    const params = {
      ...Object.fromEntries(
        Object.entries(template.Parameters).map(([name, spec]) => [name, String(spec.Default ?? '')])
      ),
      ...overrides
    };
    // Ref of an AWS::IAM::OIDCProvider is its ARN.
    const providerUrl = (template.Resources.GitHubOIDCProvider!.Properties as { Url: string }).Url;
    const withProvider = { GitHubOIDCProvider: providerArnFor('aws', ACCOUNT, providerNameOf(providerUrl)), ...params };
    const role = evaluate(template.Resources.GitHubActionsRole!.Properties, withProvider, template.Conditions) as {
      AssumeRolePolicyDocument: unknown;
    };
    return checkTrustPolicy(role.AssumeRolePolicyDocument);
  };

  it('creates GitHub’s provider with audience sts.amazonaws.com', () => {
    expect(template.Resources.GitHubOIDCProvider).toMatchObject({
      Type: 'AWS::IAM::OIDCProvider',
      Properties: { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] }
    });
  });

  it('with a branch, admits only that branch of that repository, with no danger', () => {
    const policy = trustFor({ GitHubOwner: 'octo-org', RepositoryName: 'octo-repo' });
    expect(policy.Statement[0]!.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(admitted(policy)).toEqual(['mainBranch']);
    expect(dangers(policy, 'matrix-accounts.yml')).toEqual([]);
  });

  it('with an environment, admits only jobs in that environment, with no danger', () => {
    const policy = trustFor({ GitHubOwner: 'octo-org', RepositoryName: 'octo-repo', Environment: 'production' });
    expect(admitted(policy)).toEqual(['production']);
    expect(dangers(policy, 'deploy-production.yml')).toEqual([]);
  });

  it('with the pull_request form, is a read-only role with no danger', () => {
    // An exact StringEquals on :pull_request is intended; only a wildcard admitting it is a danger.
    const policy = trustFor({ GitHubOwner: 'octo-org', RepositoryName: 'octo-repo', Environment: 'x' });
    const statement = policy.Statement[0] as PolicyStatement & { Condition: { StringEquals: Record<string, string> } };
    statement.Condition.StringEquals[`${PROVIDER}:sub`] = githubSubject(octo, runs.pullRequest![1]);
    expect(admitted(policy)).toEqual(['pullRequest']);
    expect(dangers(policy, 'pull-request-read-only.yml')).toEqual([]);
  });

  it('trusts an existing provider when asked not to create one', () => {
    const arn = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
    expect(
      trustFor({ GitHubOwner: 'o', RepositoryName: 'r', CreateOIDCProvider: 'false', ExistingOIDCProviderArn: arn })
        .Statement[0]!.Principal
    ).toEqual({ Federated: arn });
  });
});

describe('Terraform example', () => {
  const text = readFileSync(join(REPO_ROOT, 'examples/terraform/main.tf'), 'utf8');
  /** Evaluates the `subject` local: `var.environment != "" ? "A" : "B"` with ${var.x} interpolation. */
  const subjectFor_ = (vars: Record<string, string>): string => {
    const match = /^\s*subject\s*=\s*var\.(\w+) != "" \? "([^"]*)" : "([^"]*)"\s*$/m.exec(text);
    if (!match) throw new Error('the subject local is not in the expected form');
    const [, switchVar, whenSet, otherwise] = match as unknown as [string, string, string, string];
    return (vars[switchVar] ? whenSet : otherwise).replace(/\$\{var\.(\w+)\}/g, (_, name: string) => vars[name] ?? '');
  };
  const providerUrl = /resource "aws_iam_openid_connect_provider" "github" \{[^}]*url\s*=\s*"([^"]+)"/.exec(text)?.[1];
  /** The policy document aws_iam_policy_document.trust renders, for these variables. */
  const policyFor = (vars: Record<string, string>): TrustPolicy => {
    const condition: Record<string, Record<string, string[]>> = {};
    for (const block of text.matchAll(
      /condition \{\s*test\s*=\s*"([^"]+)"\s*variable\s*=\s*"([^"]+)"\s*values\s*=\s*\[([^\]]*)\]\s*\}/g
    )) {
      const [, test, variable, values] = block as unknown as [string, string, string, string];
      const resolved = values
        .split(',')
        .map((value) => value.trim())
        .map((value) => (value === 'local.subject' ? subjectFor_(vars) : JSON.parse(value)));
      (condition[test] ??= {})[variable] = resolved;
    }
    return checkTrustPolicy({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: providerArnFor('aws', ACCOUNT, providerNameOf(providerUrl ?? '')) },
          Action: /actions\s*=\s*\["([^"]+)"\]/.exec(text)?.[1],
          Condition: condition
        }
      ]
    });
  };

  it('creates GitHub’s provider and conditions on aud and on the computed sub', () => {
    expect(providerUrl).toBe(GITHUB_ISSUER);
    expect(text).toMatch(/client_id_list = \["sts\.amazonaws\.com"\]/);
    const base = { github_owner: 'octo-org', repository: 'octo-repo', branch: 'main', environment: '' };
    expect(policyFor(base).Statement[0]!.Condition).toEqual({
      StringEquals: {
        [`${PROVIDER}:aud`]: ['sts.amazonaws.com'],
        [`${PROVIDER}:sub`]: ['repo:octo-org/octo-repo:ref:refs/heads/main']
      }
    });
  });

  it('admits only the branch, or only the environment, of the repository, with no danger', () => {
    const base = { github_owner: 'octo-org', repository: 'octo-repo', branch: 'main', environment: '' };
    expect(admitted(policyFor(base))).toEqual(['mainBranch']);
    expect(dangers(policyFor(base), 'matrix-accounts.yml')).toEqual([]);
    const staging = policyFor({ ...base, environment: 'staging' });
    expect(admitted(staging)).toEqual(['staging']);
    expect(dangers(staging, 'deploy-production.yml')).toEqual([]);
  });
});
