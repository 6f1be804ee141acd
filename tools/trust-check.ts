/*
 * What `npm run check-trust` decides, without I/O: the runs a workflow can make, the sub
 * GitHub issues for each (legacy and immutable forms), whether the trust policy admits
 * it, and the dangers in the policy, each with its fix.
 */
import {
  evaluateTrustPolicy,
  parseOperator,
  providerArnFor,
  statementLabel,
  wildcardMatch,
  type PolicyStatement,
  type TrustPolicy,
  type TrustVerdict
} from './trust-policy.ts';

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/** Why a URL is not an issuer GitHub uses (github.com, an enterprise's unique issuer, GHE.com, GHES), or undefined. */
export function issuerError(issuer: string): string | undefined {
  const forms = [
    /^https:\/\/token\.actions\.githubusercontent\.com(\/[\w.-]+)?$/,
    /^https:\/\/token\.actions\.[\w-]+\.ghe\.com$/,
    /^https:\/\/[\w.-]+(:\d+)?\/_services\/token$/
  ];
  if (forms.some((form) => form.test(issuer))) return undefined;
  return (
    `--issuer ${JSON.stringify(issuer)} is not a GitHub token issuer: use ${GITHUB_ISSUER} (github.com), ` +
    `${GITHUB_ISSUER}/SLUG (an enterprise's unique issuer), https://token.actions.SUBDOMAIN.ghe.com (GHE.com) ` +
    'or https://HOSTNAME/_services/token (GHES)'
  );
}

export interface Repository {
  owner: string;
  repo: string;
  /** Numeric ids for the immutable form; unknown ids are shown as OWNER_ID / REPO_ID. */
  ownerId?: string;
  repoId?: string;
}

export type SubjectForm = 'branch' | 'tag' | 'pull_request' | 'environment';

/** A kind of run: its sub form and the branch, tag or environment it names. */
export interface RunCase {
  form: SubjectForm;
  name: string;
  /** What makes the workflow run like this (trigger, job). */
  why: string[];
}

/** GitHub's sub: environment, then pull_request, then the ref. */
export function githubSubject(repository: Repository, run: Pick<RunCase, 'form' | 'name'>, immutable = false): string {
  const { owner, repo } = repository;
  const prefix = immutable
    ? `repo:${owner}@${repository.ownerId ?? 'OWNER_ID'}/${repo}@${repository.repoId ?? 'REPO_ID'}`
    : `repo:${owner}/${repo}`;
  switch (run.form) {
    case 'environment':
      return `${prefix}:environment:${run.name}`;
    case 'pull_request':
      return `${prefix}:pull_request`;
    case 'tag':
      return `${prefix}:ref:refs/tags/${run.name}`;
    case 'branch':
      return `${prefix}:ref:refs/heads/${run.name}`;
  }
}

/** A branch or tag filter pattern turned into one name it admits (for checking). */
const sampleName = (pattern: string): string =>
  pattern
    .replace(/\*\*/g, 'x')
    .replace(/[*?]/g, 'x')
    .replace(/[[\]+]/g, '');

const asStrings = (value: unknown): string[] =>
  (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]).map(String);

/** The runs a workflow (parsed YAML) can make, and what could not be known about it. */
export function runsFromWorkflow(workflow: unknown, defaultBranch = 'main'): { runs: RunCase[]; notes: string[] } {
  const notes: string[] = [];
  const document = (workflow ?? {}) as { on?: unknown; jobs?: Record<string, Record<string, unknown>> };
  const on = document.on;
  const triggers: Record<string, unknown> =
    typeof on === 'string'
      ? { [on]: null }
      : Array.isArray(on)
        ? Object.fromEntries(on.map((event) => [String(event), null]))
        : ((on as Record<string, unknown>) ?? {});
  if (Object.keys(triggers).length === 0) notes.push('the workflow has no "on:" triggers');

  const refRuns: RunCase[] = [];
  const add = (form: SubjectForm, name: string, why: string) => refRuns.push({ form, name, why: [why] });
  const addFiltered = (form: 'branch' | 'tag', patterns: string[], event: string) => {
    for (const pattern of patterns.filter((item) => !item.startsWith('!'))) {
      const name = sampleName(pattern);
      add(
        form,
        name,
        name === pattern ? `${event} ${form} ${pattern}` : `${event} ${form} ${pattern} (checked as ${name})`
      );
    }
  };
  for (const [event, raw] of Object.entries(triggers)) {
    const config = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    switch (event) {
      case 'push': {
        const branches = config.branches !== undefined || config['branches-ignore'] !== undefined;
        const tags = config.tags !== undefined || config['tags-ignore'] !== undefined;
        if (!branches && !tags) {
          add('branch', defaultBranch, 'push to the default branch');
          add('branch', 'any-branch', 'push to any other branch');
          add('tag', 'any-tag', 'push of any tag');
        }
        addFiltered('branch', asStrings(config.branches), 'push');
        if (config['branches-ignore'] !== undefined)
          add('branch', 'any-branch', 'push to a branch not in branches-ignore');
        addFiltered('tag', asStrings(config.tags), 'push');
        if (config['tags-ignore'] !== undefined) add('tag', 'any-tag', 'push of a tag not in tags-ignore');
        break;
      }
      case 'pull_request':
        add('pull_request', '', 'pull_request');
        break;
      case 'pull_request_target': {
        // Runs in the base branch's context, so the sub names the base branch, not :pull_request.
        const bases = asStrings(config.branches);
        if (bases.length) addFiltered('branch', bases, 'pull_request_target (base)');
        else add('branch', defaultBranch, 'pull_request_target (base branch)');
        break;
      }
      case 'workflow_dispatch':
        add('branch', defaultBranch, 'workflow_dispatch on the default branch');
        add('branch', 'any-branch', 'workflow_dispatch on any branch picked');
        add('tag', 'any-tag', 'workflow_dispatch on any tag picked');
        break;
      case 'release':
        add('tag', 'v1.0.0', 'release (its tag, checked as v1.0.0)');
        break;
      case 'merge_group':
        add('branch', `gh-readonly-queue/${defaultBranch}/pr-1-0000000`, 'merge_group (the merge queue branch)');
        break;
      case 'workflow_call':
        notes.push("workflow_call: a called workflow's token describes the caller's run; check the calling workflow");
        break;
      default:
        add('branch', defaultBranch, `${event} (runs on the default branch)`);
    }
  }

  const runs: RunCase[] = [];
  for (const [jobName, job] of Object.entries(document.jobs ?? {})) {
    if (typeof job?.uses === 'string') {
      notes.push(`job ${jobName} calls ${job.uses}: its jobs' environments are in that workflow`);
    }
    const environment = job?.environment;
    const name =
      typeof environment === 'string'
        ? environment
        : environment && typeof environment === 'object'
          ? (environment as { name?: unknown }).name
          : undefined;
    if (name === undefined) {
      runs.push(...refRuns.map((run) => ({ ...run, why: run.why.map((why) => `job ${jobName}: ${why}`) })));
    } else if (typeof name !== 'string' || name.includes('${{')) {
      notes.push(
        `job ${jobName}: environment ${JSON.stringify(name)} is an expression, so its sub cannot be known here`
      );
    } else {
      runs.push({ form: 'environment', name, why: [`job ${jobName} (environment ${name})`] });
    }
  }
  if (!document.jobs) runs.push(...refRuns);
  return { runs: mergeRuns(runs), notes };
}

/** Without a workflow: the default branch, another branch, a tag, a pull request, and the policy's environments. */
export function defaultRuns(policy: TrustPolicy, defaultBranch = 'main'): RunCase[] {
  const runs: RunCase[] = [
    { form: 'branch', name: defaultBranch, why: ['push to the default branch'] },
    { form: 'branch', name: 'any-branch', why: ['push to another branch'] },
    { form: 'tag', name: 'v1.0.0', why: ['push of a tag'] },
    { form: 'pull_request', name: '', why: ['pull_request'] }
  ];
  for (const { value } of conditionValues(policy.Statement, () => true)) {
    const environment = /:environment:([^*?]+)$/.exec(value)?.[1];
    if (environment) runs.push({ form: 'environment', name: environment, why: ['an environment the policy names'] });
  }
  return mergeRuns(runs);
}

function mergeRuns(runs: RunCase[]): RunCase[] {
  const merged = new Map<string, RunCase>();
  for (const run of runs) {
    const key = `${run.form}:${run.name}`;
    const seen = merged.get(key);
    if (seen) seen.why.push(...run.why.filter((why) => !seen.why.includes(why)));
    else merged.set(key, { ...run, why: [...run.why] });
  }
  return [...merged.values()];
}

interface ConditionValue {
  statement: PolicyStatement;
  index: number;
  operator: string;
  key: string;
  value: string;
}

/** Every (operator, key, value) of the statements, filtered by key. */
function conditionValues(statements: PolicyStatement[], keep: (key: string) => boolean): ConditionValue[] {
  const found: ConditionValue[] = [];
  statements.forEach((statement, index) => {
    for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
      for (const [key, values] of Object.entries(keys)) {
        if (!keep(key)) continue;
        for (const value of Array.isArray(values) ? values : [values]) {
          found.push({ statement, index, operator, key, value: String(value) });
        }
      }
    }
  });
  return found;
}

export type DangerKind =
  'no-sub' | 'wildcard-owner' | 'wildcard-repository' | 'pull-request-wildcard' | 'no-aud' | 'other-issuer';

export interface Danger {
  kind: DangerKind;
  statement: string;
  problem: string;
  fix: string;
}

export interface CheckOptions {
  issuer: string;
  providerName: string;
  repository: Repository;
  audience: string;
}

const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** The Federated ARNs of a statement that name an IAM OIDC provider, with that provider's name. */
function oidcProviders(statement: PolicyStatement): { arn: string; name: string }[] {
  const principal = statement.Principal;
  if (!principal || typeof principal !== 'object') return [];
  return asList((principal as { Federated?: unknown }).Federated)
    .map(String)
    .flatMap((arn) => {
      const name = /^arn:[\w-]+:iam::[^:]*:oidc-provider\/(.+)$/.exec(arn)?.[1];
      return name ? [{ arn, name }] : [];
    });
}

const trustsAnyone = (statement: PolicyStatement): boolean =>
  statement.Principal === '*' || asList((statement.Principal as { AWS?: unknown } | undefined)?.AWS).includes('*');

const admitsWebIdentity = (statement: PolicyStatement): boolean => {
  const matches = (list: unknown) =>
    asList(list).some((pattern) => wildcardMatch(String(pattern).toLowerCase(), 'sts:assumerolewithwebidentity'));
  return statement.Action !== undefined ? matches(statement.Action) : !matches(statement.NotAction);
};

/** When the trusted provider is a GitHub issuer after all, the policy may be right and the run's issuer wrong. */
function otherIssuerHint(names: string[]): string {
  const issuers = names.map((name) => `https://${name}`).filter((issuer) => issuerError(issuer) === undefined);
  return issuers.length
    ? `; or, if the workflow runs where ${issuers[0]} issues its tokens, check with --issuer ${issuers[0]}`
    : '';
}

/** The dangers of a policy, each with its fix. */
export function findDangers(policy: TrustPolicy, options: CheckOptions): Danger[] {
  const { providerName, repository } = options;
  const provider = providerName.toLowerCase();
  const dangers: Danger[] = [];
  const exactSub = githubSubject(repository, { form: 'branch', name: 'main' });
  policy.Statement.forEach((statement, index) => {
    if (statement.Effect !== 'Allow' || !admitsWebIdentity(statement)) return;
    const label = statementLabel(statement, index);
    const danger = (kind: DangerKind, problem: string, fix: string) =>
      dangers.push({ kind, statement: label, problem, fix });
    const providers = oidcProviders(statement);
    const others = providers.filter((entry) => entry.name.toLowerCase() !== provider);
    if (others.length && others.length === providers.length) {
      danger(
        'other-issuer',
        `its Federated principal ${others.map((entry) => entry.arn).join(', ')} is not the provider for issuer ${options.issuer}: ` +
          'tokens from that issuer are never admitted by it (or it trusts another identity provider)',
        `name ${others[0]!.arn.slice(0, others[0]!.arn.indexOf('oidc-provider/'))}oidc-provider/${providerName}, ` +
          `and create that provider (URL ${options.issuer}) if the account lacks it` +
          otherIssuerHint(others.map((entry) => entry.name))
      );
    }
    if (!providers.some((entry) => entry.name.toLowerCase() === provider) && !trustsAnyone(statement)) return;
    const keys = conditionValues([statement], () => true);
    const foreignKeys = [
      ...new Set(
        keys
          .map(({ key }) => key)
          .filter((key) => /[./]/.test(key.slice(0, key.lastIndexOf(':'))))
          .filter((key) => key.slice(0, key.lastIndexOf(':')).toLowerCase() !== provider)
      )
    ];
    if (foreignKeys.length) {
      danger(
        'other-issuer',
        `condition keys ${foreignKeys.join(', ')} belong to another issuer than ${options.issuer}: ` +
          "they are absent from its tokens' requests",
        `use ${providerName}:sub and ${providerName}:aud`
      );
    }
    const positive = (claim: string) =>
      keys.filter(
        ({ key, operator }) =>
          key.toLowerCase() === `${provider}:${claim}` && parseOperator(operator)?.negated === false
      );
    const subs = positive('sub');
    if (subs.length === 0) {
      danger(
        'no-sub',
        `no condition on ${providerName}:sub: a workflow in any repository on GitHub can assume this role`,
        `add "StringEquals": { "${providerName}:sub": "${exactSub}" } (or the :environment:NAME form)`
      );
    }
    for (const { operator, value } of subs) {
      if (!/^(StringLike|ForAnyValue:StringLike|ForAllValues:StringLike)(IfExists)?$/.test(operator)) continue;
      if (!/[*?]/.test(value)) continue;
      const ownerAndRepo = value.startsWith('repo:') ? (value.slice(5).split(':')[0] ?? '') : value;
      const slash = ownerAndRepo.indexOf('/');
      const owner = slash < 0 ? ownerAndRepo : ownerAndRepo.slice(0, slash);
      const repo = slash < 0 ? '' : ownerAndRepo.slice(slash + 1);
      if (!value.startsWith('repo:') || /[*?]/.test(owner) || slash < 0) {
        danger(
          'wildcard-owner',
          `sub pattern "${value}" leaves the owner open: repositories of other owners on GitHub match it`,
          `name the owner and repository exactly: "repo:${repository.owner}/${repository.repo}:…"`
        );
      } else if (/[*?]/.test(repo)) {
        danger(
          'wildcard-repository',
          `sub pattern "${value}" leaves the repository open: every repository of ${owner}, including ones created later, matches it`,
          `name the repository exactly: "repo:${owner}/${repository.repo}:…"`
        );
      }
      const pullRequest = [
        githubSubject(repository, { form: 'pull_request', name: '' }),
        githubSubject(repository, { form: 'pull_request', name: '' }, true)
      ];
      if (pullRequest.some((sub) => wildcardMatch(value, sub))) {
        danger(
          'pull-request-wildcard',
          `sub pattern "${value}" admits pull requests (${pullRequest[0]}): code not yet reviewed gets this role, ` +
            'which is a deploy from unreviewed code if the role deploys',
          'use StringEquals with the exact branch or environment (e.g. ' +
            `"${githubSubject(repository, { form: 'environment', name: 'production' })}"); ` +
            `give pull requests a separate read-only role whose sub is exactly "${pullRequest[0]}"`
        );
      }
    }
    if (positive('aud').length === 0) {
      danger(
        'no-aud',
        `no condition on ${providerName}:aud: a token minted for another audience is admitted too`,
        `add "StringEquals": { "${providerName}:aud": "${options.audience}" }`
      );
    }
  });
  return dangers;
}

export interface RunVerdict {
  run: RunCase;
  subject: string;
  verdict: TrustVerdict;
  immutableSubject: string;
  immutableVerdict: TrustVerdict;
}

export interface CheckReport {
  providerArn: string;
  runs: RunVerdict[];
  dangers: Danger[];
  unevaluable: string[];
}

/** Evaluates each run's sub (both forms) against the policy, and finds its dangers. */
export function checkTrust(policy: TrustPolicy, runs: RunCase[], options: CheckOptions): CheckReport {
  // The role's account is unknown: use the policy's own ARN for this provider if it names one.
  const named = policy.Statement.flatMap(oidcProviders).find(
    (entry) => entry.name.toLowerCase() === options.providerName.toLowerCase()
  );
  const providerArn = named?.arn ?? providerArnFor('aws', 'ACCOUNT_ID', options.providerName);
  const evaluate = (sub: string) =>
    evaluateTrustPolicy(policy, {
      providerName: options.providerName,
      providerArn,
      claims: { sub, aud: options.audience }
    });
  const verdicts = runs.map((run) => {
    const subject = githubSubject(options.repository, run);
    const immutableSubject = githubSubject(options.repository, run, true);
    return { run, subject, verdict: evaluate(subject), immutableSubject, immutableVerdict: evaluate(immutableSubject) };
  });
  const unevaluable = [
    ...new Set(verdicts.flatMap((entry) => [...entry.verdict.unevaluable, ...entry.immutableVerdict.unevaluable]))
  ];
  return { providerArn, runs: verdicts, dangers: findDangers(policy, options), unevaluable };
}

/** The repository a policy names in its sub values (legacy or immutable form), when it names exactly one. */
export function repositoryFromPolicy(policy: TrustPolicy): Repository | undefined {
  const found = new Map<string, Repository>();
  for (const { value } of conditionValues(policy.Statement, (key) => key.toLowerCase().endsWith(':sub'))) {
    const match = /^repo:([\w.-]+)(?:@(\d+))?\/([\w.-]+)(?:@(\d+))?:/.exec(value);
    if (!match) continue;
    const [, owner = '', ownerId, repo = '', repoId] = match;
    found.set(`${owner}/${repo}`, { owner, repo, ...(ownerId ? { ownerId } : {}), ...(repoId ? { repoId } : {}) });
  }
  return found.size === 1 ? [...found.values()][0] : undefined;
}
