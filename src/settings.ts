import { isPolicyArn, parseRoleArn, type RoleArn } from './arn.ts';
import { ActionError } from './errors.ts';
import { DEFAULT_SESSION_NAME_TEMPLATE, parseSessionNameTemplate, type TemplatePart } from './session-name.ts';

/** A role to assume, and the AWS profile to write its credentials to (if any). */
export interface RoleTarget {
  role: RoleArn;
  profile?: string;
}

/** Where the credentials for STS come from. */
export type CredentialSource = 'github-oidc' | 'token-file' | 'role-chaining';

/** Everything the action was asked to do, read and checked once before any network call. */
export interface Settings {
  region: string;
  /** Every role to assume: one, or one per profile with role-profiles. */
  targets: RoleTarget[];
  credentialSource: CredentialSource;
  /** As given; relative paths are resolved against the workspace where it is read. */
  webIdentityTokenFile?: string;
  overwriteAwsProfile: boolean;
  httpProxy?: string;
  noProxy?: string;
  audience: string;
  sessionNameTemplate: TemplatePart[];
  durationSeconds: number;
  /** Minified JSON, or undefined when not given. */
  inlineSessionPolicy?: string;
  managedSessionPolicies: string[];
  outputEnvCredentials: boolean;
  outputCredentials: boolean;
  maskAccountId: boolean;
  allowedAccountIds: string[];
  unsetCurrentCredentials: boolean;
  stsEndpoint?: string;
  cleanup: boolean;
  retryMaxAttempts: number;
  disableRetry: boolean;
  actionTimeoutSeconds: number;
  jobSummary: boolean;
}

/** Returns an input's trimmed value, '' when it was not given (as @actions/core's getInput). */
export type InputReader = (name: string) => string;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ACCOUNT_ID = /^\d{12}$/;
const MIN_DURATION = 900;
const MAX_DURATION = 43200;
const MAX_POLICY_CHARS = 2048;
const MAX_MANAGED_POLICIES = 10;

/** Inputs of configure-aws-credentials that we refuse on purpose rather than ignore. */
const STATIC_KEY_INPUTS = ['aws-access-key-id', 'aws-secret-access-key', 'aws-session-token'];

export function readSettings(input: InputReader): Settings {
  for (const name of STATIC_KEY_INPUTS) {
    if (input(name)) {
      throw new ActionError(
        `Input ${name} is not supported: this action never takes stored access keys; remove it and let the role trust GitHub's OIDC provider (see README, Quick start)`
      );
    }
  }
  const stsEndpoint = parseStsEndpoint(input('sts-endpoint'));
  const region = parseRegion(required(input, 'aws-region'));
  const targets = readTargets(input, stsEndpoint !== undefined);
  for (const target of targets) checkPartitionMatchesRegion(target.role, region);
  const inlineSessionPolicy = parseInlinePolicy(input('inline-session-policy'));
  const durationSeconds = parseDuration(input('role-duration-seconds'));
  const webIdentityTokenFile = input('web-identity-token-file');
  const credentialSource = readCredentialSource(input, webIdentityTokenFile, targets, durationSeconds);
  const httpProxy = parseProxyUrl(input('http-proxy'));
  const noProxy = input('no-proxy');
  // With profiles, later steps pick credentials by profile, so the environment is left alone by default.
  const writesProfiles = targets.some((target) => target.profile !== undefined);
  const outputEnvCredentials = parseBoolean(input, 'output-env-credentials', !writesProfiles);
  if (targets.length > 1 && outputEnvCredentials) {
    throw new ActionError(
      'Input output-env-credentials cannot be true with role-profiles: the environment holds one set of credentials; use the profiles (AWS_PROFILE or --profile)'
    );
  }
  return {
    region,
    targets,
    credentialSource,
    ...(webIdentityTokenFile ? { webIdentityTokenFile } : {}),
    overwriteAwsProfile: parseBoolean(input, 'overwrite-aws-profile', false),
    ...(httpProxy ? { httpProxy } : {}),
    ...(noProxy ? { noProxy } : {}),
    audience: input('audience') || defaultAudience(region),
    sessionNameTemplate: parseSessionNameTemplate(input('role-session-name') || DEFAULT_SESSION_NAME_TEMPLATE),
    durationSeconds,
    ...(inlineSessionPolicy === undefined ? {} : { inlineSessionPolicy }),
    managedSessionPolicies: parseManagedPolicies(input('managed-session-policies')),
    outputEnvCredentials,
    outputCredentials: parseBoolean(input, 'output-credentials', false),
    maskAccountId: parseBoolean(input, 'mask-aws-account-id', false),
    allowedAccountIds: parseAccountIds(input('allowed-account-ids')),
    unsetCurrentCredentials: parseBoolean(input, 'unset-current-credentials', false),
    ...(stsEndpoint === undefined ? {} : { stsEndpoint }),
    cleanup: parseBoolean(input, 'cleanup', true),
    retryMaxAttempts: parseWholeNumber(input, 'retry-max-attempts', { fallback: 12, min: 1, max: 100 }),
    disableRetry: parseBoolean(input, 'disable-retry', false),
    actionTimeoutSeconds: parseWholeNumber(input, 'action-timeout-s', { fallback: 180, min: 10, max: 3600 }),
    jobSummary: wantsJobSummary(input)
  };
}

/** Read on its own too, so a failure to read the other inputs can still be summarised. */
export function wantsJobSummary(input: InputReader): boolean {
  return parseBoolean(input, 'job-summary', true);
}

const PROFILE_NAME = /^[\w.+-]{1,64}$/;
const ROLE_CHAINING_MAX_DURATION = 3600;

/** role-to-assume (with aws-profile), or role-profiles: one "PROFILE = ROLE_ARN" a line. */
function readTargets(input: InputReader, customEndpoint: boolean): RoleTarget[] {
  const profile = input('aws-profile');
  if (profile && !PROFILE_NAME.test(profile)) {
    throw new ActionError(
      `Input aws-profile "${profile}" is not a profile name: use letters, digits and _ . + - (at most 64)`
    );
  }
  const lines = input('role-profiles')
    .split(/\r?\n/)
    // A block scalar keeps "#" text, so comments are ours to drop: whole lines and trailing " # …".
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line !== '');
  if (lines.length === 0) {
    const role = parseRoleArn(required(input, 'role-to-assume'), customEndpoint);
    return [{ role, ...(profile ? { profile } : {}) }];
  }
  if (input('role-to-assume') || profile) {
    throw new ActionError(
      'Input role-profiles replaces role-to-assume and aws-profile: give either role-profiles, or role-to-assume (with aws-profile)'
    );
  }
  const targets = lines.map((line) => {
    const match = /^([^=\s]+)\s*=\s*(\S+)$/.exec(line);
    if (!match || !PROFILE_NAME.test(match[1]!)) {
      throw new ActionError(
        `Input role-profiles has the line "${line}": write one "PROFILE = ROLE_ARN" a line, e.g. deploy = arn:aws:iam::123456789012:role/deploy`
      );
    }
    try {
      return { profile: match[1]!, role: parseRoleArn(match[2]!, customEndpoint) };
    } catch (error) {
      throw new ActionError(
        `Input role-profiles, profile "${match[1]}": ${(error as Error).message.replace(/^Input role-to-assume /, 'role ')}`
      );
    }
  });
  const seen = new Set<string>();
  for (const { profile: name } of targets) {
    if (seen.has(name))
      throw new ActionError(`Input role-profiles names profile "${name}" twice: give each profile once`);
    seen.add(name);
  }
  return targets;
}

function readCredentialSource(
  input: InputReader,
  tokenFile: string,
  targets: RoleTarget[],
  durationSeconds: number
): CredentialSource {
  const chaining = parseBoolean(input, 'role-chaining', false);
  if (!chaining) return tokenFile ? 'token-file' : 'github-oidc';
  if (tokenFile)
    throw new ActionError(
      'Inputs role-chaining and web-identity-token-file exclude each other: role chaining uses the credentials already in the environment'
    );
  if (targets.length > 1)
    throw new ActionError(
      'Input role-chaining cannot be used with role-profiles: chain one role at a time with role-to-assume'
    );
  if (durationSeconds > ROLE_CHAINING_MAX_DURATION) {
    throw new ActionError(
      `Input role-duration-seconds ${durationSeconds} is above 3600: AWS caps sessions from role chaining at 1 hour; set role-duration-seconds to 3600 or less`
    );
  }
  return 'role-chaining';
}

function parseProxyUrl(value: string): string | undefined {
  if (value === '') return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // reported below
  }
  // The value is not echoed: a proxy URL may carry a password.
  throw new ActionError('Input http-proxy is not an http(s) URL: give one such as http://proxy.example.com:3128');
}

function required(input: InputReader, name: string): string {
  const value = input(name);
  if (!value) throw new ActionError(`Input ${name} is required: add it under "with:" in the step`);
  return value;
}

export function parseRegion(value: string): string {
  if (!REGION.test(value)) {
    throw new ActionError(
      `Input aws-region "${value}" is not an AWS region: use a code such as us-east-1 or eu-west-2`
    );
  }
  return value;
}

function checkPartitionMatchesRegion(role: RoleArn, region: string): void {
  const expected = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  if (role.partition !== expected) {
    throw new ActionError(
      `Input role-to-assume is in partition ${role.partition} but aws-region ${region} is in ${expected}: use a region of the role's partition or the role's ARN for that partition`
    );
  }
}

/** China's STS expects its own audience; everywhere else GitHub's documented default. */
function defaultAudience(region: string): string {
  return region.startsWith('cn-') ? 'sts.amazonaws.com.cn' : 'sts.amazonaws.com';
}

export function parseDuration(value: string): number {
  if (value === '') return 3600;
  const seconds = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(seconds >= MIN_DURATION && seconds <= MAX_DURATION)) {
    throw new ActionError(
      `Input role-duration-seconds "${value}" must be a whole number of seconds from ${MIN_DURATION} to ${MAX_DURATION} (and not above the role's maximum session duration)`
    );
  }
  return seconds;
}

function parseWholeNumber(
  input: InputReader,
  name: string,
  range: { fallback: number; min: number; max: number }
): number {
  const value = input(name);
  if (value === '') return range.fallback;
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(number >= range.min && number <= range.max)) {
    throw new ActionError(`Input ${name} "${value}" must be a whole number from ${range.min} to ${range.max}`);
  }
  return number;
}

export function parseBoolean(input: InputReader, name: string, fallback: boolean): boolean {
  const value = input(name);
  if (value === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new ActionError(`Input ${name} "${value}" must be true or false`);
}

function parseInlinePolicy(value: string): string | undefined {
  if (value === '') return undefined;
  let minified: string;
  try {
    minified = JSON.stringify(JSON.parse(value));
  } catch {
    throw new ActionError(
      'Input inline-session-policy is not valid JSON: give an IAM policy document such as {"Version":"2012-10-17","Statement":[...]}'
    );
  }
  if (minified.length > MAX_POLICY_CHARS) {
    throw new ActionError(
      `Input inline-session-policy is ${minified.length} characters without white space; STS takes at most ${MAX_POLICY_CHARS}: shorten it or use managed-session-policies`
    );
  }
  return minified;
}

function parseManagedPolicies(value: string): string[] {
  const arns = value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const bad = arns.find((arn) => !isPolicyArn(arn));
  if (bad !== undefined) {
    throw new ActionError(
      `Input managed-session-policies has "${bad}", which is not a policy ARN: give one ARN a line, e.g. arn:aws:iam::aws:policy/ReadOnlyAccess`
    );
  }
  if (arns.length > MAX_MANAGED_POLICIES) {
    throw new ActionError(
      `Input managed-session-policies has ${arns.length} ARNs; STS takes at most ${MAX_MANAGED_POLICIES}`
    );
  }
  return arns;
}

function parseAccountIds(value: string): string[] {
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  const bad = ids.find((id) => !ACCOUNT_ID.test(id));
  if (bad !== undefined) {
    throw new ActionError(
      `Input allowed-account-ids has "${bad}", which is not a 12-digit account id: give a comma-separated list such as 123456789012,210987654321`
    );
  }
  return ids;
}

function parseStsEndpoint(value: string): string | undefined {
  if (value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ActionError(
      `Input sts-endpoint "${value}" is not a URL: give one such as https://sts.eu-west-2.amazonaws.com`
    );
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ActionError(
      `Input sts-endpoint "${value}" must use https (plain http is allowed only for a loopback address)`
    );
  }
  return value;
}
