/*
 * `npm run try -- --with role-to-assume=ARN --with aws-region=REGION [--event push|pull_request|workflow_dispatch]
 *   [--ref refs/heads/main] [--environment NAME] [--trust-policy trust.json] [--repository OWNER/REPO]
 *   [--issuer URL] [--runner-role ARN]`
 * Runs the bundled action (dist/) with your `with:` inputs as the runner would, against a
 * local GitHub token service and an STS that evaluates YOUR trust policy (by default one
 * admitting exactly this run), prints the log as GitHub shows it and the job summary, and
 * exits with the action's exit code. Nothing leaves 127.0.0.1: the action asks for STS's
 * real host name (the one its region, FIPS and dual-stack inputs give), which a local proxy
 * routes to the local STS over HTTPS with a throwaway CA, so the inputs are checked exactly
 * as on GitHub; the instance metadata service the SDK would ask for the runner's own AWS
 * identity (role-chaining) is a local one too.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { defaultAudience, partitionOfRegion, stsHost } from '../src/partitions.ts';
import { startEmulation } from '../emulator/emulation.ts';
import { startInstanceMetadata } from '../emulator/host-credentials.ts';
import { startTestProxy } from '../emulator/proxy.ts';
import { createTlsMaterial } from '../emulator/tls.ts';
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
  /** The role of the runner's instance profile (a self-hosted runner inside AWS), for role-chaining. */
  runnerRole?: string;
}

const ROLE_ARN = /^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/;

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
      issuer: { type: 'string', default: GITHUB_ISSUER },
      'runner-role': { type: 'string' }
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
  const runnerRole = values['runner-role'];
  if (runnerRole !== undefined && !ROLE_ARN.test(runnerRole)) {
    throw new UsageError(`--runner-role ${runnerRole} is not a role ARN such as arn:aws:iam::111111111111:role/runner`);
  }
  return {
    inputs,
    event: values.event as TryEvent,
    ref: values.ref,
    ...(values.environment ? { environment: values.environment } : {}),
    issuer: values.issuer,
    owner: repository[1]!,
    repo: repository[2]!,
    ...(values['trust-policy'] ? { trustPolicyPath: values['trust-policy'] } : {}),
    ...(runnerRole ? { runnerRole } : {})
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

/**
 * The STS host the action will ask for, derived as the action derives it from the region and
 * the FIPS and dual-stack inputs; undefined for a region no partition lists, which the action
 * refuses before any request.
 */
function expectedStsHost(inputs: Record<string, string>): string | undefined {
  const region = inputs['aws-region'] ?? '';
  const partition = partitionOfRegion(region);
  if (!partition) return undefined;
  const on = (name: string): boolean => /^true$/i.test(inputs[name] ?? '');
  return stsHost(region, partition, { fips: on('use-fips-endpoint'), dualStack: on('use-dualstack-endpoint') });
}

/** The runner's warning for `with:` names that action.yml does not declare (the step still runs). */
function unexpectedInputs(inputs: Record<string, string>): string | undefined {
  const action = parseYaml(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> };
  const valid = Object.keys(action.inputs);
  const unknown = Object.keys(inputs).filter((name) => !valid.includes(name));
  if (!unknown.length) return undefined;
  const quoted = (names: string[]): string => names.map((name) => `'${name}'`).join(', ');
  return `Warning: Unexpected input(s) ${quoted(unknown)}, valid inputs are [${quoted(valid)}]`;
}

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (!existsSync(join(REPO_ROOT, 'dist/main/index.js'))) {
    throw new UsageError('dist/main/index.js is missing: run npm run bundle first');
  }
  const policy = options.trustPolicyPath ? readPolicy(options.trustPolicyPath) : undefined;
  // Without sts-endpoint the action asks for STS's real host: route exactly that name to the local STS.
  const realHost = options.inputs['sts-endpoint'] === undefined ? expectedStsHost(options.inputs) : undefined;
  const tls = realHost ? await createTlsMaterial([realHost]) : undefined;
  const emulation = await startEmulation(tls);
  const proxy = realHost ? await startTestProxy({ [`${realHost}:443`]: emulation.sts.tlsPort! }) : undefined;
  // The runner's own AWS identity (role-chaining without keys) comes from a local instance
  // metadata service: --runner-role's, or none (404, as on a machine without an instance profile).
  const imds = await startInstanceMetadata(emulation.sts, options.runnerRole ?? 'arn:aws:iam::000000000000:role/none');
  if (!options.runnerRole) imds.failWith = 404;
  const scratch = mkdtempSync(join(tmpdir(), 'try-'));
  try {
    const run = describeRun(options);
    emulation.issuer.run = run;
    const sub = subjectFor(run);
    const regionPartition = partitionOfRegion(options.inputs['aws-region'] ?? '');
    const audience =
      options.inputs.audience || (regionPartition ? defaultAudience(regionPartition) : 'sts.amazonaws.com');
    // The account has the issuer's provider (its keys served locally), listing the audience the
    // workflow asks for; the trust policy decides the rest.
    const providerName = providerNameOf(options.issuer);
    emulation.sts.providers.splice(0, emulation.sts.providers.length, {
      issuer: options.issuer,
      keysFrom: emulation.issuer.url,
      name: providerName,
      clientIds: [audience]
    });
    const inputs: Record<string, string> = { ...options.inputs };
    const env: Record<string, string> = { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url };
    if (inputs['sts-endpoint'] !== undefined) inputs['sts-endpoint'] = emulation.sts.url;
    if (proxy && tls) {
      const caFile = join(scratch, 'ca.pem');
      writeFileSync(caFile, tls.caPem);
      Object.assign(env, { HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: caFile });
      if (inputs['http-proxy'] !== undefined) inputs['http-proxy'] = proxy.url;
    }
    const roleArn = inputs['role-to-assume'] ?? '';
    const [, partition = 'aws', , , accountId = ''] = roleArn.split(':');
    const providerArn = providerArnFor(partition, accountId, providerName);
    emulation.sts.roles.clear();
    if (roleArn) {
      // arn:PARTITION:iam::ACCOUNT:role/PATH/NAME: its sessions are arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION.
      const [, runnerPartition, runnerAccount, runnerRoleName] =
        /^arn:([a-z-]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(options.runnerRole ?? '') ?? [];
      emulation.sts.addRole({
        arn: roleArn,
        maxSessionDuration: 43200,
        trust:
          policy ??
          policyFromCondition(
            { StringEquals: { [`${providerName}:aud`]: audience, [`${providerName}:sub`]: sub } },
            providerArn
          ),
        ...(options.runnerRole
          ? {
              trustedSessions: [`arn:${runnerPartition}:sts::${runnerAccount}:assumed-role/${runnerRoleName}/*`],
              tagSession: true
            }
          : {})
      });
    }
    console.log(
      'Running the bundled action (dist/) as the GitHub runner would, against a local token service and STS.'
    );
    console.log(
      `  run: ${options.event} ${options.event === 'pull_request' ? 'into' : 'on'} ${options.ref}` +
        ` in ${options.owner}/${options.repo}` +
        (options.event === 'pull_request' ? ` (the token's ref is ${String(run.extraClaims!.ref)})` : '') +
        (options.environment ? `, job environment ${options.environment}` : '')
    );
    console.log(`  token: sub ${sub}, aud ${audience}, iss ${options.issuer}`);
    console.log(
      `  trust policy: ${options.trustPolicyPath ?? 'one admitting exactly this run (pass --trust-policy FILE for yours)'}`
    );
    if (realHost)
      console.log(`  STS: ${realHost}, as the action resolves it (a local proxy routes it to the local STS)`);
    if (options.inputs['sts-endpoint'] !== undefined) {
      console.log(`  sts-endpoint ${options.inputs['sts-endpoint']} replaced by the local STS`);
    }
    if (proxy && options.inputs['http-proxy'] !== undefined) {
      console.log(`  http-proxy ${options.inputs['http-proxy']} replaced by the local proxy`);
    }
    if (/^true$/i.test(inputs['role-chaining'] ?? '')) {
      console.log(
        options.runnerRole
          ? `  runner's own AWS identity: instance profile ${options.runnerRole}, trusted by the role to assume`
          : "  runner's own AWS identity: none, as on GitHub's runners (pass --runner-role ARN for a runner inside AWS)"
      );
    }
    for (const [name, value] of Object.entries(inputs)) console.log(`  with: ${name}: ${value}`);

    const job = emulation.job({
      env,
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
    const unexpected = unexpectedInputs(options.inputs);
    if (unexpected) console.log(`   | ${unexpected}`);
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
    await Promise.all([emulation.close(), imds.close(), proxy?.close()]);
    rmSync(scratch, { recursive: true, force: true });
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
