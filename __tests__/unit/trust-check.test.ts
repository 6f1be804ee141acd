import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../emulator/runner.ts';
import {
  checkTrust,
  findDangers,
  GITHUB_ISSUER,
  githubSubject,
  runsFromWorkflow,
  type CheckOptions
} from '../../tools/trust-check.ts';
import type { PolicyStatement, TrustPolicy } from '../../tools/trust-policy.ts';

const P = 'token.actions.githubusercontent.com';
const PROVIDER_ARN = `arn:aws:iam::123456789012:oidc-provider/${P}`;
const options: CheckOptions = {
  issuer: GITHUB_ISSUER,
  providerName: P,
  repository: { owner: 'octo-org', repo: 'octo-repo' },
  audience: 'sts.amazonaws.com'
};
const statement = (condition: PolicyStatement['Condition'], extra: Partial<PolicyStatement> = {}): PolicyStatement => ({
  Effect: 'Allow',
  Principal: { Federated: PROVIDER_ARN },
  Action: 'sts:AssumeRoleWithWebIdentity',
  Condition: condition,
  ...extra
});
const policy = (...Statement: PolicyStatement[]): TrustPolicy => ({ Version: '2012-10-17', Statement });
const kinds = (trust: TrustPolicy, with_: CheckOptions = options) =>
  findDangers(trust, with_).map((danger) => danger.kind);
const safe = {
  StringEquals: { [`${P}:aud`]: 'sts.amazonaws.com', [`${P}:sub`]: 'repo:octo-org/octo-repo:environment:production' }
};

describe('check-trust dangers', () => {
  it('finds none in an exact aud and sub', () => {
    expect(kinds(policy(statement(safe)))).toEqual([]);
  });

  it('no sub condition: any repository on GitHub', () => {
    const [danger] = findDangers(policy(statement({ StringEquals: { [`${P}:aud`]: 'sts.amazonaws.com' } })), options);
    expect(danger).toMatchObject({ kind: 'no-sub', statement: 'statement 1' });
    expect(danger!.problem).toContain('any repository on GitHub');
    expect(danger!.fix).toContain(`"${P}:sub": "repo:octo-org/octo-repo:ref:refs/heads/main"`);
    // A negated operator does not restrict sub either.
    expect(
      kinds(policy(statement({ ...safe, StringEquals: { [`${P}:aud`]: 'x' }, StringNotLike: { [`${P}:sub`]: '*' } })))
    ).toEqual(['no-sub']);
  });

  it('wildcard owner, wildcard repository', () => {
    const like = (sub: string) =>
      statement({ StringEquals: { [`${P}:aud`]: 'sts.amazonaws.com' }, StringLike: { [`${P}:sub`]: sub } });
    expect(kinds(policy(like('repo:*/octo-repo:ref:refs/heads/main')))).toEqual(['wildcard-owner']);
    expect(kinds(policy(like('*:ref:refs/heads/main')))).toEqual(['wildcard-owner']);
    expect(kinds(policy(like('repo:octo-org/*:ref:refs/heads/main')))).toEqual(['wildcard-repository']);
    expect(kinds(policy(like('repo:octo-org/octo-rep?:environment:production')))).toEqual(['wildcard-repository']);
    // A wildcard after the repository is not one of these.
    expect(kinds(policy(like('repo:octo-org/octo-repo:ref:refs/heads/release-*')))).toEqual([]);
  });

  it('a StringLike admitting pull_request, and not an exact pull_request sub', () => {
    const wide = statement({
      StringEquals: { [`${P}:aud`]: 'sts.amazonaws.com' },
      StringLike: { [`${P}:sub`]: 'repo:octo-org/octo-repo:*' }
    });
    const [danger] = findDangers(policy(wide), options);
    expect(danger).toMatchObject({ kind: 'pull-request-wildcard' });
    expect(danger!.fix).toContain(
      'separate read-only role whose sub is exactly "repo:octo-org/octo-repo:pull_request"'
    );
    const exact = statement({
      StringEquals: { [`${P}:aud`]: 'sts.amazonaws.com', [`${P}:sub`]: 'repo:octo-org/octo-repo:pull_request' }
    });
    expect(kinds(policy(exact))).toEqual([]);
  });

  it('no aud condition', () => {
    const [danger] = findDangers(
      policy(statement({ StringEquals: { [`${P}:sub`]: safe.StringEquals[`${P}:sub`] } })),
      options
    );
    expect(danger).toMatchObject({ kind: 'no-aud', fix: `add "StringEquals": { "${P}:aud": "sts.amazonaws.com" }` });
  });

  it('a Federated principal or condition keys for another issuer than the token’s', () => {
    const ghes = {
      ...options,
      issuer: 'https://ghes.example.com/_services/token',
      providerName: 'ghes.example.com/_services/token'
    };
    expect(kinds(policy(statement(safe)), ghes)).toEqual(['other-issuer']);
    const ghesPrincipal = { Federated: 'arn:aws:iam::123456789012:oidc-provider/ghes.example.com/_services/token' };
    const [danger] = findDangers(policy(statement(safe, { Principal: ghesPrincipal })), ghes);
    expect(danger).toMatchObject({
      kind: 'other-issuer',
      fix: 'use ghes.example.com/_services/token:sub and ghes.example.com/_services/token:aud'
    });
    // A policy for an enterprise issuer checked as github.com's: the fix names the account's provider, or --issuer.
    const [wrongIssuer] = findDangers(policy(statement(safe, { Principal: ghesPrincipal })), options);
    expect(wrongIssuer!.fix).toBe(
      `name arn:aws:iam::123456789012:oidc-provider/${P}, and create that provider (URL https://${P}) if the account ` +
        'lacks it; or, if the workflow runs where https://ghes.example.com/_services/token issues its tokens, check ' +
        'with --issuer https://ghes.example.com/_services/token'
    );
    // Statements that are not for web identity are not judged.
    expect(
      kinds(policy(statement({}, { Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' })))
    ).toEqual([]);
  });
});

describe('runs a workflow can make', () => {
  it('follows on: and jobs’ environments, with GitHub’s sub precedence', () => {
    const workflow = parse(`
on:
  push:
    branches: [main, 'release/**']
    tags: ['v*']
  pull_request:
  workflow_dispatch:
jobs:
  test: { runs-on: ubuntu-latest, steps: [] }
  deploy: { runs-on: ubuntu-latest, environment: { name: production }, steps: [] }
`);
    const { runs } = runsFromWorkflow(workflow);
    expect(runs.map((run) => githubSubject(options.repository, run))).toEqual([
      'repo:octo-org/octo-repo:ref:refs/heads/main',
      'repo:octo-org/octo-repo:ref:refs/heads/release/x',
      'repo:octo-org/octo-repo:ref:refs/tags/vx',
      'repo:octo-org/octo-repo:pull_request',
      'repo:octo-org/octo-repo:ref:refs/heads/any-branch',
      'repo:octo-org/octo-repo:ref:refs/tags/any-tag',
      'repo:octo-org/octo-repo:environment:production'
    ]);
    const report = checkTrust(policy(statement(safe)), runs, {
      ...options,
      repository: { ...options.repository, ownerId: '1', repoId: '2' }
    });
    expect(report.runs.filter((entry) => entry.verdict.decision === 'allowed').map((entry) => entry.run.why)).toEqual([
      ['job deploy (environment production)']
    ]);
    expect(report.runs.at(-1)!.immutableSubject).toBe('repo:octo-org@1/octo-repo@2:environment:production');
    expect(report.runs.at(-1)!.immutableVerdict.decision).toBe('not-allowed');
  });
});

describe('npm run check-trust', () => {
  const dir = mkdtempSync(join(tmpdir(), 'check-trust-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (trust: TrustPolicy, ...args: string[]) => {
    writeFileSync(join(dir, 'trust.json'), JSON.stringify(trust));
    return spawnSync(process.execPath, ['tools/check-trust.ts', join(dir, 'trust.json'), ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8'
    });
  };

  it('exits 0 on a safe policy, listing each run’s sub and verdict', () => {
    const result = run(policy(statement(safe)), '--workflow', 'examples/workflows/deploy-production.yml');
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      /ADMITTED {2}repo:octo-org\/octo-repo:environment:production {2}job deploy \(environment production\)/
    );
    expect(result.stdout).toContain(
      'repo:octo-org@OWNER_ID/octo-repo@REPO_ID:environment:production  (immutable form)'
    );
    expect(result.stdout).toContain('customises its sub (include_claim_keys)');
    expect(result.stdout).toContain('No dangers found.');
    expect(result.status).toBe(0);
  });

  it('exits 1 with each danger and its fix; names what it cannot evaluate', () => {
    const result = run(
      policy(statement({ StringLike: { [`${P}:sub`]: 'repo:octo-org/*' }, Null: { [`${P}:sub`]: 'false' } })),
      '--repository',
      'octo-org/octo-repo'
    );
    expect(result.stdout).toContain(
      '1. [wildcard-repository] statement 1: sub pattern "repo:octo-org/*" leaves the repository open'
    );
    expect(result.stdout).toMatch(/\[pull-request-wildcard\]/);
    expect(result.stdout).toMatch(/\[no-aud\][^\n]*\n {5}Fix: add "StringEquals"/);
    expect(result.stdout).toContain(`- statement 1: condition operator Null (on ${P}:sub)`);
    expect(result.status).toBe(1);
  });

  it('exits 1 when no run of the workflow is admitted, naming the sub to admit', () => {
    const result = run(
      policy(
        statement({
          StringEquals: {
            [`${P}:aud`]: 'sts.amazonaws.com',
            [`${P}:sub`]: 'repo:octo-org/octo-repo:ref:refs/heads/main'
          }
        })
      ),
      '--workflow',
      'examples/workflows/deploy-production.yml'
    );
    expect(result.stdout).toContain(
      'No run is admitted: every run above is refused, so this role cannot be used from here.'
    );
    expect(result.stdout).toContain(
      `Fix: admit the run that needs the role, e.g. "StringEquals": { "${P}:sub": "repo:octo-org/octo-repo:environment:production" }`
    );
    expect(result.status).toBe(1);
  });

  it('exits 2 with one line for unusable input', () => {
    const result = run(policy(statement(safe)), '--issuer', 'https://example.com');
    expect(result.stderr).toMatch(/^check-trust: --issuer "https:\/\/example.com" is not a GitHub token issuer: use /);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.status).toBe(2);
  });
});
