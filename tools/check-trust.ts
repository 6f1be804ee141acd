/*
 * `npm run check-trust -- trust.json [--workflow FILE] [--repository OWNER/REPO] [--issuer URL]
 *   [--audience AUD] [--default-branch NAME] [--owner-id N --repository-id N]`
 * Prints, for each run the workflow can make, the sub GitHub issues and whether the trust
 * policy admits it, then the policy's dangers with their fixes. Exit 1 when a danger is
 * found or no run is admitted, 2 for unusable input.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import {
  checkTrust,
  defaultRuns,
  GITHUB_ISSUER,
  issuerError,
  repositoryFromPolicy,
  runsFromWorkflow,
  type CheckReport,
  type Repository
} from './trust-check.ts';
import { parseTrustPolicy, providerNameOf, TrustPolicyError, type TrustVerdict } from './trust-policy.ts';

const USAGE =
  'usage: npm run check-trust -- trust.json [--workflow .github/workflows/deploy.yml] [--repository OWNER/REPO] ' +
  '[--issuer URL] [--audience AUD] [--default-branch NAME] [--owner-id N] [--repository-id N]';

class UsageError extends Error {}

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

const decision = (verdict: TrustVerdict): string =>
  ({ allowed: 'ADMITTED', denied: 'denied', 'not-allowed': 'refused', unknown: 'unknown' })[verdict.decision];

/** Set when no run is admitted nor possibly admitted: the subject and condition key to add. */
function noRunAdmitted(report: CheckReport): { key: string; subject: string } | undefined {
  const decisions = report.runs.flatMap((entry) => [entry.verdict.decision, entry.immutableVerdict.decision]);
  if (!report.runs.length || decisions.some((decision) => decision === 'allowed' || decision === 'unknown')) return;
  const providerName = report.providerArn.slice(report.providerArn.indexOf('oidc-provider/') + 'oidc-provider/'.length);
  return { key: `${providerName}:sub`, subject: report.runs[0]!.subject };
}

function render(report: CheckReport, heading: string[], notes: string[]): string[] {
  const lines = [...heading, '', 'Runs (the sub GitHub issues; ADMITTED, refused, denied by a Deny, or unknown):'];
  const width = Math.max(...report.runs.map((entry) => entry.subject.length), 10);
  for (const entry of report.runs) {
    lines.push(`  ${decision(entry.verdict).padEnd(8)}  ${entry.subject.padEnd(width)}  ${entry.run.why.join('; ')}`);
    lines.push(`  ${decision(entry.immutableVerdict).padEnd(8)}  ${entry.immutableSubject}  (immutable form)`);
  }
  lines.push(
    '  An organisation or repository that customises its sub (include_claim_keys) gets another sub, which cannot be',
    '  known from here: see GET /repos/OWNER/REPO/actions/oidc/customization/sub.'
  );
  for (const note of notes) lines.push(`  Note: ${note}`);
  if (report.unevaluable.length) {
    lines.push('', 'Not evaluated (a statement using it counts as unknown, not as matching):');
    for (const item of report.unevaluable) lines.push(`  - ${item}`);
  }
  lines.push('');
  const blocked = noRunAdmitted(report);
  if (blocked) {
    lines.push(
      'No run is admitted: every run above is refused, so this role cannot be used from here.',
      `  Fix: admit the run that needs the role, e.g. "StringEquals": { "${blocked.key}": "${blocked.subject}" }` +
        ' (or check --repository, --issuer and --audience)',
      ''
    );
  }
  if (report.dangers.length === 0) {
    lines.push('No dangers found.');
  } else {
    lines.push(`Dangers (${report.dangers.length}):`);
    report.dangers.forEach((danger, index) => {
      lines.push(`  ${index + 1}. [${danger.kind}] ${danger.statement}: ${danger.problem}`);
      lines.push(`     Fix: ${danger.fix}`);
    });
  }
  return lines;
}

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workflow: { type: 'string' },
      repository: { type: 'string' },
      issuer: { type: 'string', default: GITHUB_ISSUER },
      audience: { type: 'string', default: 'sts.amazonaws.com' },
      'default-branch': { type: 'string', default: 'main' },
      'owner-id': { type: 'string' },
      'repository-id': { type: 'string' }
    }
  });
  if (positionals.length !== 1) throw new UsageError(USAGE);
  const policyPath = positionals[0]!;
  let policy;
  try {
    policy = parseTrustPolicy(read(policyPath, 'trust policy'));
  } catch (error) {
    if (error instanceof TrustPolicyError) throw new UsageError(`trust policy ${policyPath}: ${error.message}`);
    throw error;
  }
  const issuerProblem = issuerError(values.issuer);
  if (issuerProblem) throw new UsageError(issuerProblem);
  const issuer = values.issuer;
  let repository: Repository | undefined;
  if (values.repository !== undefined) {
    const match = /^([\w.-]+)\/([\w.-]+)$/.exec(values.repository);
    if (!match) throw new UsageError(`--repository ${JSON.stringify(values.repository)} is not OWNER/REPO`);
    repository = { owner: match[1]!, repo: match[2]! };
  } else {
    repository = repositoryFromPolicy(policy);
    if (!repository) {
      throw new UsageError('the policy does not name exactly one repository in its sub: pass --repository OWNER/REPO');
    }
  }
  for (const [flag, id] of [
    ['owner-id', values['owner-id']],
    ['repository-id', values['repository-id']]
  ] as const) {
    if (id !== undefined && !/^\d+$/.test(id)) throw new UsageError(`--${flag} must be a number, not ${id}`);
  }
  repository = {
    ...repository,
    ...(values['owner-id'] ? { ownerId: values['owner-id'] } : {}),
    ...(values['repository-id'] ? { repoId: values['repository-id'] } : {})
  };
  const defaultBranch = values['default-branch'];
  let runs;
  let notes: string[];
  if (values.workflow !== undefined) {
    let workflow: unknown;
    try {
      workflow = parseYaml(read(values.workflow, 'workflow'));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`workflow ${values.workflow} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    }
    ({ runs, notes } = runsFromWorkflow(workflow, defaultBranch));
  } else {
    runs = defaultRuns(policy, defaultBranch);
    notes = [
      'no --workflow given: checked the default branch, another branch, a tag, a pull request and the environments the policy names'
    ];
  }
  const providerName = providerNameOf(issuer);
  const report = checkTrust(policy, runs, { issuer, providerName, repository, audience: values.audience });
  const heading = [
    `Trust policy ${policyPath} for ${repository.owner}/${repository.repo}` +
      (values.workflow ? `, workflow ${values.workflow}` : ''),
    `Issuer ${issuer}: IAM provider ${providerName} (${report.providerArn}), condition keys ${providerName}:sub and :aud, ` +
      `audience ${values.audience}`
  ];
  for (const line of render(report, heading, notes)) console.log(line);
  return report.dangers.length || noRunAdmitted(report) ? 1 : 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
  // parseArgs reports unknown options as a TypeError with a readable message.
  console.error(`check-trust: ${error.message}`);
  process.exitCode = 2;
}
