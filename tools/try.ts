/*
 * `npm run try -- --with role-to-assume=ARN --with aws-region=REGION [--event push|pull_request|workflow_dispatch]
 *   [--ref refs/heads/main] [--environment NAME] [--trust-policy trust.json] [--repository OWNER/REPO]`
 * Runs the bundled action (dist/) with your `with:` inputs as the runner would, against a
 * local GitHub token service and an STS that evaluates YOUR trust policy (by default one
 * admitting exactly this run), prints the log as GitHub shows it and the job summary, and
 * exits with the action's exit code. Nothing leaves 127.0.0.1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulation } from '../emulator/emulation.ts';
import { subjectFor, type RunDescription } from '../emulator/oidc-issuer.ts';
import { REPO_ROOT } from '../emulator/runner.ts';
import { GITHUB_ISSUER, issuerError } from './trust-check.ts';
import {
  parseTrustPolicy,
  policyFromCondition,
  providerArnFor,
  providerNameOf,
  TrustPolicyError,
  type TrustPolicy
} from './trust-policy.ts';

const EVENTS = ['push', 'pull_request', 'workflow_dispatch'] as const;
type TryEvent = (typeof EVENTS)[number];

class UsageError extends Error {}

export interface TryOptions {
  inputs: Record<string, string>;
  event: TryEvent;
  ref: string;
  environment?: string;
  /** The issuer the token claims to come from (GitHub's, or an enterprise's). */
  issuer: string;
  owner: string;
  repo: string;
  trustPolicyPath?: string;
}

function parseOptions(argv: string[]): TryOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      with: { type: 'string', multiple: true, default: [] },
      event: { type: 'string', default: 'push' },
      ref: { type: 'string', default: 'refs/heads/main' },
      environment: { type: 'string' },
      'trust-policy': { type: 'string' },
      repository: { type: 'string', default: 'octo-org/octo-repo' },
      issuer: { type: 'string', default: GITHUB_ISSUER }
    }
  });
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}: inputs go in --with NAME=VALUE`);
  const inputs: Record<string, string> = {};
  for (const item of values.with) {
    const equals = item.indexOf('=');
    if (equals <= 0) throw new UsageError(`--with ${JSON.stringify(item)} is not NAME=VALUE`);
    inputs[item.slice(0, equals).trim()] = item.slice(equals + 1);
  }
  if (!EVENTS.includes(values.event as TryEvent)) {
    throw new UsageError(`--event ${values.event} is not one of ${EVENTS.join(', ')}`);
  }
  if (!/^refs\/(heads|tags)\/[^\s:]+$/.test(values.ref)) {
    throw new UsageError(`--ref ${values.ref} is not refs/heads/BRANCH or refs/tags/TAG`);
  }
  const issuerProblem = issuerError(values.issuer);
  if (issuerProblem) throw new UsageError(issuerProblem);
  const repository = /^([\w.-]+)\/([\w.-]+)$/.exec(values.repository);
  if (!repository) throw new UsageError(`--repository ${values.repository} is not OWNER/REPO`);
  if (values.environment !== undefined && !/^[^\s:]+( [^\s:]+)*$/.test(values.environment)) {
    throw new UsageError(`--environment ${JSON.stringify(values.environment)} is not an environment name`);
  }
  return {
    inputs,
    event: values.event as TryEvent,
    ref: values.ref,
    ...(values.environment ? { environment: values.environment } : {}),
    issuer: values.issuer,
    owner: repository[1]!,
    repo: repository[2]!,
    ...(values['trust-policy'] ? { trustPolicyPath: values['trust-policy'] } : {})
  };
}

/** The run the token describes, with GitHub's sub precedence: environment, then pull_request, then the ref. */
function describeRun(options: TryOptions): RunDescription {
  const tag = options.ref.startsWith('refs/tags/');
  const refName = options.ref.replace(/^refs\/(heads|tags)\//, '');
  const pullRequest = options.event === 'pull_request';
  const ref = pullRequest ? 'refs/pull/42/merge' : options.ref;
  const form = options.environment ? 'environment' : pullRequest ? 'pull_request' : tag ? 'tag' : 'branch';
  return {
    owner: options.owner,
    repo: options.repo,
    form,
    name: options.environment ?? refName,
    issuer: options.issuer,
    extraClaims: {
      event_name: options.event,
      ref,
      ref_type: pullRequest ? 'branch' : tag ? 'tag' : 'branch',
      environment: options.environment ?? '',
      base_ref: pullRequest ? refName : '',
      head_ref: pullRequest ? 'feature' : '',
      job_workflow_ref: `${options.owner}/${options.repo}/.github/workflows/deploy.yml@${ref}`,
      workflow_ref: `${options.owner}/${options.repo}/.github/workflows/deploy.yml@${ref}`
    }
  };
}

function readPolicy(path: string): TrustPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read --trust-policy ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`
    );
  }
  try {
    return parseTrustPolicy(text);
  } catch (error) {
    if (error instanceof TrustPolicyError) throw new UsageError(`--trust-policy ${path}: ${error.message}`);
    throw error;
  }
}

/** The summary shows values as HTML literals (see src/external-text.ts); a terminal wants the text. */
function htmlToText(html: string): string {
  return html
    .replace(/<\/?code>/g, '`')
    .replace(/<\/?b>/g, '')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)));
}

/** The job summary's Markdown as plain text lines. */
function summaryText(markdown: string): string[] {
  return markdown
    .split('\n')
    .filter((line) => !/^\|[\s|:-]*\|$/.test(line))
    .map((line) => {
      const cells = /^\|(.*)\|$/
        .exec(line)?.[1]
        ?.split('|')
        .map((cell) => cell.trim());
      if (cells) return cells.map(htmlToText).join(': ');
      return htmlToText(line.replace(/^#+ /, ''));
    })
    .filter((line) => line !== '<pre>' && line !== '</pre>')
    .filter((line, index, all) => line !== '' || (index > 0 && all[index - 1] !== ''));
}

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (!existsSync(join(REPO_ROOT, 'dist/main/index.js'))) {
    throw new UsageError('dist/main/index.js is missing: run npm run bundle first');
  }
  const policy = options.trustPolicyPath ? readPolicy(options.trustPolicyPath) : undefined;
  const emulation = await startEmulation();
  try {
    const run = describeRun(options);
    emulation.issuer.run = run;
    const sub = subjectFor(run);
    const audience = options.inputs.audience || 'sts.amazonaws.com';
    // The account has the issuer's provider (its keys served locally), listing the audience the
    // workflow asks for; the trust policy decides the rest.
    const providerName = providerNameOf(options.issuer);
    emulation.sts.providers.splice(0, emulation.sts.providers.length, {
      issuer: options.issuer,
      keysFrom: emulation.issuer.url,
      name: providerName,
      clientIds: [audience]
    });
    const inputs: Record<string, string> = { ...options.inputs, 'sts-endpoint': emulation.sts.url };
    const roleArn = inputs['role-to-assume'] ?? '';
    const [, partition = 'aws', , , accountId = ''] = roleArn.split(':');
    const providerArn = providerArnFor(partition, accountId, providerName);
    emulation.sts.roles.clear();
    if (roleArn) {
      emulation.sts.addRole({
        arn: roleArn,
        maxSessionDuration: 43200,
        trust:
          policy ??
          policyFromCondition(
            { StringEquals: { [`${providerName}:aud`]: audience, [`${providerName}:sub`]: sub } },
            providerArn
          )
      });
    }
    console.log(
      'Running the bundled action (dist/) as the GitHub runner would, against a local token service and STS.'
    );
    console.log(
      `  run: ${options.event} on ${options.ref} in ${options.owner}/${options.repo}` +
        (options.environment ? `, job environment ${options.environment}` : '')
    );
    console.log(`  token: sub ${sub}, aud ${audience}, iss ${options.issuer}`);
    console.log(
      `  trust policy: ${options.trustPolicyPath ?? 'one admitting exactly this run (pass --trust-policy FILE for yours)'}`
    );
    if (inputs['sts-endpoint'] !== options.inputs['sts-endpoint'] && options.inputs['sts-endpoint'] !== undefined) {
      console.log(`  sts-endpoint ${options.inputs['sts-endpoint']} replaced by the local STS`);
    }
    for (const [name, value] of Object.entries(inputs)) console.log(`  with: ${name}: ${value}`);

    const job = emulation.job({
      github: {
        GITHUB_EVENT_NAME: options.event,
        GITHUB_REF: String(run.extraClaims!.ref),
        GITHUB_REF_NAME: options.event === 'pull_request' ? '42/merge' : run.name,
        GITHUB_REF_TYPE: String(run.extraClaims!.ref_type),
        GITHUB_REPOSITORY: `${options.owner}/${options.repo}`,
        GITHUB_REPOSITORY_OWNER: options.owner,
        GITHUB_WORKFLOW_REF: String(run.extraClaims!.workflow_ref)
      }
    });
    const step = await job.uses(inputs);
    console.log('\n== Log (as GitHub shows it; masked values appear as ***)');
    for (const line of step.log) console.log(`   | ${line}`);
    console.log('\n== Job summary');
    for (const line of summaryText(job.mask(step.summary))) console.log(`   ${line}`);
    const verdict = emulation.sts.requests.find((request) => request.trust)?.trust;
    if (verdict) {
      console.log(`\n== The local STS's trust-policy verdict: ${verdict.decision}`);
      for (const statement of verdict.statements) {
        const applies = statement.applies === 'unknown' ? 'unknown' : statement.applies ? 'applies' : 'does not apply';
        console.log(`   ${statement.effect} ${statement.label}: ${applies}`);
        for (const reason of statement.reasons) console.log(`     - ${reason}`);
      }
      if (verdict.unevaluable.length) {
        console.log('   Not evaluated here (counted as not matching, so AWS may decide otherwise):');
        for (const item of verdict.unevaluable) console.log(`     - ${item}`);
      }
    }
    console.log(`\nThe action exited with ${step.exitCode}.`);
    return step.exitCode ?? 1;
  } finally {
    await emulation.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
  // parseArgs reports unknown options as a TypeError with a readable message.
  console.error(`try: ${error.message}`);
  process.exitCode = 2;
}
