/*
 * The CloudFormation and Terraform examples produce trust policies that admit exactly
 * the intended sub form and nothing else, and that check-trust finds no danger in:
 * the same evaluator and GitHub sub rules the emulator's STS uses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type Tags } from 'yaml';
import { issuerUrlFor, type IssuerForm } from '../../emulator/oidc-issuer.ts';
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
  seqTag('!Sub', 'Fn::Sub'),
  seqTag('!Select', 'Fn::Select'),
  seqTag('!Split', 'Fn::Split'),
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
  if (entries.length === 1 && key === 'Fn::Sub') {
    // Fn::Sub takes a string, or [string, {name: value}] with values of its own.
    const [text, names] = Array.isArray(value) ? (value as [string, Node]) : [value as string, {}];
    const variables = { ...params, ...(evaluate(names, params, conditions) as Record<string, string>) };
    return text.replace(/\$\{(\w+)\}/g, (_, name: string) => variables[name] ?? '');
  }
  if (entries.length === 1 && key === 'Fn::Split') {
    const [separator, text] = evaluate(value, params, conditions) as [string, string];
    return text.split(separator);
  }
  if (entries.length === 1 && key === 'Fn::Select') {
    const [index, list] = evaluate(value, params, conditions) as [number, Node[]];
    return list[index];
  }
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
/** GitHub Enterprise's issuers: an enterprise's unique issuer, GHE.com, GitHub Enterprise Server. */
const ENTERPRISE_ISSUERS = (
  [
    { kind: 'enterprise', slug: 'octo-corp' },
    { kind: 'ghe.com', subdomain: 'octo-corp' },
    { kind: 'ghes', host: 'ghes.example.com' }
  ] as IssuerForm[]
).map(issuerUrlFor);
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
/** The runs whose tokens, from issuer `iss`, the policy admits. */
const admitted = (policy: TrustPolicy, iss = GITHUB_ISSUER) =>
  Object.entries(runs)
    .filter(
      ([, [repository, run]]) =>
        evaluateTrustPolicy(policy, {
          providerName: providerNameOf(iss),
          providerArn: providerArnFor('aws', ACCOUNT, providerNameOf(iss)),
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
    const providerUrl = evaluate(template.Resources.GitHubOIDCProvider!.Properties.Url, params, {}) as string;
    const withProvider = { GitHubOIDCProvider: providerArnFor('aws', ACCOUNT, providerNameOf(providerUrl)), ...params };
    const role = evaluate(template.Resources.GitHubActionsRole!.Properties, withProvider, template.Conditions) as {
      AssumeRolePolicyDocument: unknown;
    };
    const document = role.AssumeRolePolicyDocument;
    return checkTrustPolicy(typeof document === 'string' ? JSON.parse(document) : document);
  };

  it('creates GitHub’s provider with audience sts.amazonaws.com', () => {
    expect(template.Resources.GitHubOIDCProvider).toMatchObject({
      Type: 'AWS::IAM::OIDCProvider',
      Properties: { Url: { Ref: 'IssuerUrl' }, ClientIdList: ['sts.amazonaws.com'] }
    });
    expect(template.Parameters.IssuerUrl!.Default).toBe(GITHUB_ISSUER);
  });

  it.each(ENTERPRISE_ISSUERS)(
    'with IssuerUrl %s, trusts that provider, keyed by it, and admits its tokens only',
    (iss) => {
      const policy = trustFor({ IssuerUrl: iss, GitHubOwner: 'octo-org', RepositoryName: 'octo-repo' });
      const name = providerNameOf(iss);
      expect(policy.Statement[0]!.Principal).toEqual({ Federated: providerArnFor('aws', ACCOUNT, name) });
      expect(Object.keys((policy.Statement[0]!.Condition as { StringEquals: object }).StringEquals)).toEqual([
        `${name}:aud`,
        `${name}:sub`
      ]);
      expect(admitted(policy, iss)).toEqual(['mainBranch']);
      expect(admitted(policy, GITHUB_ISSUER)).toEqual([]);
    }
  );

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
  const defaultIssuer = /variable "issuer_url" \{[^}]*default\s*=\s*"([^"]*)"/.exec(text)?.[1];
  /** Evaluates the issuer_key local: trimprefix(var.issuer_url, "PREFIX"). */
  const issuerKeyFor = (issuerUrl: string): string => {
    const prefix = /^\s*issuer_key\s*=\s*trimprefix\(var\.issuer_url, "([^"]*)"\)\s*$/m.exec(text)?.[1];
    if (prefix === undefined) throw new Error('the issuer_key local is not in the expected form');
    return issuerUrl.startsWith(prefix) ? issuerUrl.slice(prefix.length) : issuerUrl;
  };
  /** The policy document aws_iam_policy_document.trust renders, for these variables. */
  const policyFor = (vars: Record<string, string>): TrustPolicy => {
    const issuerUrl = vars.issuer_url ?? defaultIssuer ?? '';
    const condition: Record<string, Record<string, string[]>> = {};
    for (const block of text.matchAll(
      /condition \{\s*test\s*=\s*"([^"]+)"\s*variable\s*=\s*"([^"]+)"\s*values\s*=\s*\[([^\]]*)\]\s*\}/g
    )) {
      const [, test, variable, values] = block as unknown as [string, string, string, string];
      const resolved = values
        .split(',')
        .map((value) => value.trim())
        .map((value) => (value === 'local.subject' ? subjectFor_(vars) : JSON.parse(value)));
      (condition[test] ??= {})[variable.replace('${local.issuer_key}', issuerKeyFor(issuerUrl))] = resolved;
    }
    return checkTrustPolicy({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: providerArnFor('aws', ACCOUNT, providerNameOf(issuerUrl)) },
          Action: /actions\s*=\s*\["([^"]+)"\]/.exec(text)?.[1],
          Condition: condition
        }
      ]
    });
  };

  it('creates GitHub’s provider and conditions on aud and on the computed sub', () => {
    expect(defaultIssuer).toBe(GITHUB_ISSUER);
    expect(text).toMatch(/resource "aws_iam_openid_connect_provider" "github" \{[^}]*url\s*= var\.issuer_url/);
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

  it.each(ENTERPRISE_ISSUERS)('with issuer_url %s, keys the conditions by it and admits its tokens only', (iss) => {
    const base = {
      issuer_url: iss,
      github_owner: 'octo-org',
      repository: 'octo-repo',
      branch: 'main',
      environment: ''
    };
    const policy = policyFor(base);
    expect(Object.keys((policy.Statement[0]!.Condition as { StringEquals: object }).StringEquals)).toEqual([
      `${providerNameOf(iss)}:aud`,
      `${providerNameOf(iss)}:sub`
    ]);
    expect(admitted(policy, iss)).toEqual(['mainBranch']);
    expect(admitted(policy, GITHUB_ISSUER)).toEqual([]);
  });
});
