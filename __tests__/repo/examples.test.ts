/*
 * The CloudFormation and Terraform examples produce trust conditions that admit
 * exactly the intended sub form and nothing else, checked with the same IAM condition
 * evaluation and GitHub sub rules the emulator uses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type Tags } from 'yaml';
import { subjectFor, type RunDescription } from '../../emulator/oidc-issuer.ts';
import { REPO_ROOT } from '../../emulator/runner.ts';
import { trustAllows, type TrustCondition } from '../../emulator/sts-stub.ts';

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

const runs: Record<string, RunDescription> = {
  mainBranch: { owner: 'octo-org', repo: 'octo-repo', form: 'branch', name: 'main' },
  otherBranch: { owner: 'octo-org', repo: 'octo-repo', form: 'branch', name: 'feature' },
  tag: { owner: 'octo-org', repo: 'octo-repo', form: 'tag', name: 'v1' },
  pullRequest: { owner: 'octo-org', repo: 'octo-repo', form: 'pull_request', name: '' },
  production: { owner: 'octo-org', repo: 'octo-repo', form: 'environment', name: 'production' },
  staging: { owner: 'octo-org', repo: 'octo-repo', form: 'environment', name: 'staging' },
  otherRepo: { owner: 'octo-org', repo: 'other-repo', form: 'branch', name: 'main' },
  wrongCase: { owner: 'Octo-Org', repo: 'octo-repo', form: 'branch', name: 'main' }
};
const admitted = (condition: TrustCondition) =>
  Object.entries(runs)
    .filter(([, run]) => trustAllows(condition, { sub: subjectFor(run), aud: 'sts.amazonaws.com' }))
    .map(([name]) => name);

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
    const role = evaluate(template.Resources.GitHubActionsRole!.Properties, params, template.Conditions) as {
      AssumeRolePolicyDocument: {
        Statement: { Action: string; Condition: TrustCondition; Principal: { Federated: string } }[];
      };
    };
    return role.AssumeRolePolicyDocument.Statement[0]!;
  };

  it('creates GitHub’s provider with audience sts.amazonaws.com', () => {
    expect(template.Resources.GitHubOIDCProvider).toMatchObject({
      Type: 'AWS::IAM::OIDCProvider',
      Properties: { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] }
    });
  });

  it('with a branch, admits only that branch of that repository', () => {
    const statement = trustFor({ GitHubOwner: 'octo-org', RepositoryName: 'octo-repo' });
    expect(statement.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(admitted(statement.Condition)).toEqual(['mainBranch']);
  });

  it('with an environment, admits only jobs in that environment', () => {
    const statement = trustFor({ GitHubOwner: 'octo-org', RepositoryName: 'octo-repo', Environment: 'production' });
    expect(admitted(statement.Condition)).toEqual(['production']);
  });

  it('trusts an existing provider when asked not to create one', () => {
    const arn = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
    expect(
      trustFor({ GitHubOwner: 'o', RepositoryName: 'r', CreateOIDCProvider: 'false', ExistingOIDCProviderArn: arn })
        .Principal.Federated
    ).toBe(arn);
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
  const condition = (variable: string) =>
    new RegExp(
      `test\\s*=\\s*"StringEquals"\\s*\\n\\s*variable\\s*=\\s*"${variable.replace(/[.]/g, '\\.')}"\\s*\\n\\s*values\\s*=\\s*\\[([^\\]]*)\\]`
    ).exec(text)?.[1];

  it('conditions on aud and on the computed sub', () => {
    expect(condition('token.actions.githubusercontent.com:aud')).toBe('"sts.amazonaws.com"');
    expect(condition('token.actions.githubusercontent.com:sub')).toBe('local.subject');
    expect(text).toMatch(/client_id_list = \["sts\.amazonaws\.com"\]/);
  });

  it('admits only the branch, or only the environment, of the repository', () => {
    const base = { github_owner: 'octo-org', repository: 'octo-repo', branch: 'main', environment: '' };
    expect(admitted({ StringEquals: { 'x:aud': 'sts.amazonaws.com', 'x:sub': subjectFor_(base) } })).toEqual([
      'mainBranch'
    ]);
    expect(
      admitted({
        StringEquals: { 'x:aud': 'sts.amazonaws.com', 'x:sub': subjectFor_({ ...base, environment: 'staging' }) }
      })
    ).toEqual(['staging']);
  });
});
